package io.throughline.ingest;

import io.vertx.core.json.JsonObject;

/**
 * Why an inbound message joined its conversation (ARCHITECTURE.md rule 3), stored on the message and shown to
 * agents. Tried in this order: the reply token, In-Reply-To, References, a deep link the customer followed, the
 * sender's proven identity, a new conversation.
 */
public sealed interface ThreadingDecision {

    /** The wire name of the rule, as the API shows it. */
    String reason();

    /** What the rule matched on. */
    String evidence();

    default JsonObject toJson(boolean senderVerified) {
        return new JsonObject().put("reason", reason()).put("evidence", evidence())
                .put("senderVerified", senderVerified);
    }

    /** A decision that names a conversation by the message's headers rather than by who sent it. */
    sealed interface ByHeaders extends ThreadingDecision permits ByReplyToken, ByInReplyTo, ByReferences {
        long conversationId();
    }

    record ByReplyToken(long conversationId, String token) implements ByHeaders {
        @Override
        public String reason() {
            return "reply_token";
        }

        @Override
        public String evidence() {
            return "reply+" + token;
        }
    }

    record ByInReplyTo(long conversationId, String externalId) implements ByHeaders {
        @Override
        public String reason() {
            return "in_reply_to";
        }

        @Override
        public String evidence() {
            return externalId;
        }
    }

    record ByReferences(long conversationId, String externalId) implements ByHeaders {
        @Override
        public String reason() {
            return "references";
        }

        @Override
        public String evidence() {
            return externalId;
        }
    }

    /**
     * The customer followed a deep link issued for this contact ("Continue on Telegram"): the sender's account
     * became the contact's proven identity, and the message joined the contact's thread.
     */
    record ByDeepLink(long linkId, String identity) implements ThreadingDecision {
        @Override
        public String reason() {
            return "deep_link";
        }

        @Override
        public String evidence() {
            return "link " + linkId + " followed by " + identity;
        }
    }

    record BySender(String identity) implements ThreadingDecision {
        @Override
        public String reason() {
            return "sender";
        }

        @Override
        public String evidence() {
            return identity;
        }
    }

    record NewConversation(String identity) implements ThreadingDecision {
        @Override
        public String reason() {
            return "new";
        }

        @Override
        public String evidence() {
            return identity;
        }
    }
}
