package io.throughline.connector;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One customer message as a channel received it.
 *
 * @param externalId unique per inbox: a Message-ID, a Telegram chat and message id, a client UUID
 * @param sender who wrote it and which identities the channel proves or the customer claims
 * @param text the plain text body (never null; may be empty when there are only attachments)
 * @param html the raw HTML body, or null; the server sanitizes it before any browser sees it
 * @param subject the subject (email), or null
 * @param attachments files already in the {@link AttachmentStore}
 * @param thread what the message says about the conversation it continues
 * @param sentAt when the sender sent it, or null when unknown
 * @param metadata channel details kept with the message (chat ids, headers), never secrets
 * @param flags facts the connector established about the message
 * @param autoReply a text the channel answers automatically (a bot's greeting), or null. When the message is newly
 *     stored, the server stores this answer in the thread as a system message and delivers it through the outbox,
 *     in the same transaction; a duplicate never answers twice.
 */
public record InboundMessage(
        String externalId,
        Sender sender,
        String text,
        String html,
        String subject,
        List<InboundAttachment> attachments,
        ThreadHints thread,
        Instant sentAt,
        JsonObject metadata,
        Set<InboundFlag> flags,
        String autoReply) {

    public InboundMessage {
        Objects.requireNonNull(externalId, "externalId");
        Objects.requireNonNull(sender, "sender");
        text = text == null ? "" : text;
        attachments = List.copyOf(attachments == null ? List.of() : attachments);
        thread = thread == null ? ThreadHints.NONE : thread;
        metadata = metadata == null ? new JsonObject() : metadata;
        flags = flags == null || flags.isEmpty() ? Set.of() : Set.copyOf(flags);
        autoReply = autoReply == null || autoReply.isBlank() ? null : autoReply;
    }

    public InboundMessage(String externalId, Sender sender, String text, String html, String subject,
                          List<InboundAttachment> attachments, ThreadHints thread, Instant sentAt,
                          JsonObject metadata, Set<InboundFlag> flags) {
        this(externalId, sender, text, html, subject, attachments, thread, sentAt, metadata, flags, null);
    }

    public static Builder builder(String externalId, Sender sender) {
        return new Builder(externalId, sender);
    }

    /** Builds an {@link InboundMessage}; only the external id and the sender are required. */
    public static final class Builder {
        private final String externalId;
        private final Sender sender;
        private String text = "";
        private String html;
        private String subject;
        private final List<InboundAttachment> attachments = new ArrayList<>();
        private ThreadHints thread = ThreadHints.NONE;
        private Instant sentAt;
        private JsonObject metadata = new JsonObject();
        private final Set<InboundFlag> flags = EnumSet.noneOf(InboundFlag.class);
        private String autoReply;

        private Builder(String externalId, Sender sender) {
            this.externalId = externalId;
            this.sender = sender;
        }

        public Builder text(String value) {
            this.text = value;
            return this;
        }

        public Builder html(String value) {
            this.html = value;
            return this;
        }

        public Builder subject(String value) {
            this.subject = value;
            return this;
        }

        public Builder attachment(InboundAttachment value) {
            this.attachments.add(value);
            return this;
        }

        public Builder thread(ThreadHints value) {
            this.thread = value;
            return this;
        }

        public Builder sentAt(Instant value) {
            this.sentAt = value;
            return this;
        }

        public Builder metadata(JsonObject value) {
            this.metadata = value;
            return this;
        }

        public Builder flag(InboundFlag value) {
            this.flags.add(value);
            return this;
        }

        public Builder autoReply(String value) {
            this.autoReply = value;
            return this;
        }

        public InboundMessage build() {
            return new InboundMessage(externalId, sender, text, html, subject, attachments, thread, sentAt,
                    metadata, flags, autoReply);
        }
    }
}
