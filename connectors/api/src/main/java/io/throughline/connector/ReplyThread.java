package io.throughline.connector;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * What a channel needs to place a reply in the customer's thread.
 *
 * @param replyToken a signed token naming the conversation (for {@code reply+token@} addresses)
 * @param subject the thread's subject, without any "Re:" prefix, or null
 * @param inReplyTo the external id of the customer's last message in this inbox, or null
 * @param inReplyToMetadata that message's channel metadata (a Telegram chat and message id)
 * @param references earlier external ids in this inbox, oldest first
 */
public record ReplyThread(
        String replyToken,
        String subject,
        String inReplyTo,
        JsonObject inReplyToMetadata,
        List<String> references) {

    public static final ReplyThread NONE = new ReplyThread(null, null, null, new JsonObject(), List.of());

    public ReplyThread {
        inReplyToMetadata = inReplyToMetadata == null ? new JsonObject() : inReplyToMetadata;
        references = List.copyOf(references == null ? List.of() : references);
    }
}
