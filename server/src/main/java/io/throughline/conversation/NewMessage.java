package io.throughline.conversation;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/**
 * A message about to be stored.
 *
 * @param authorType {@code contact}, {@code agent} or {@code system}
 * @param threading for inbound messages: the rule that placed it in this conversation, and its evidence
 */
public record NewMessage(
        long workspaceId,
        long conversationId,
        Long inboxId,
        String channel,
        MessageKind kind,
        String authorType,
        Long authorContactId,
        Long authorAgentId,
        String body,
        String html,
        String subject,
        String externalId,
        JsonObject threading,
        JsonObject metadata,
        List<String> flags,
        Instant sentAt) {
}
