package io.throughline.telegram;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.telegram.telegrambots.meta.api.objects.Update;

/**
 * What takes the place of an update TelegramBots cannot read (a field whose type Telegram widened past the
 * library's, say): a customer's message becomes a note from them in their thread saying so, built from the few
 * fields a note needs, so agents learn that something came and can ask again; an edit becomes an edit whose text
 * says so (the message's earlier text stays in its previous versions); anything else is its bare
 * {@code update_id}, skipped as an update of no known type.
 */
final class UnreadableUpdates {

    private static final Logger log = LoggerFactory.getLogger(UnreadableUpdates.class);
    private static final int MAX_REASON_CHARS = 300;

    private UnreadableUpdates() {
    }

    /**
     * The stand-in for this update (which must have an integer {@code update_id}), readable by TelegramBots; logged
     * at error with why TelegramBots could not read it.
     */
    static ObjectNode standIn(ObjectMapper json, long inboxId, JsonNode update, Exception unreadable) {
        String reason = String.valueOf(unreadable.getMessage()).lines().findFirst().orElse("");
        log.error("telegram update unreadable, kept as a note or skipped inbox={} update={} reason={}", inboxId,
                update.path("update_id").asInt(), reason);
        return standIn(json, update, reason);
    }

    private static ObjectNode standIn(ObjectMapper json, JsonNode update, String reason) {
        int updateId = update.path("update_id").asInt();
        ObjectNode bare = json.createObjectNode().put("update_id", updateId);
        boolean edit = !update.has("message") && update.has("edited_message");
        String key = edit ? "edited_message" : "message";
        JsonNode message = update.path(key);
        JsonNode from = message.path("from");
        JsonNode chat = message.path("chat");
        // Its chat's type decides whether a group's message is taken at all: without it, nothing is guessed.
        if (!message.path("message_id").canConvertToInt() || !from.path("id").canConvertToLong()
                || !chat.path("id").canConvertToLong() || !chat.path("type").isTextual()) {
            return bare;
        }
        ObjectNode note = json.createObjectNode().put("update_id", updateId);
        long now = Instant.now().getEpochSecond();
        ObjectNode standIn = note.putObject(key)
                .put("message_id", message.path("message_id").asInt())
                .put("date", message.path("date").canConvertToLong() ? message.path("date").asLong() : now);
        if (edit) {
            standIn.put("edit_date", message.path("edit_date").canConvertToLong() ? message.path("edit_date").asLong()
                    : now);
        }
        standIn.putObject("chat").put("id", chat.path("id").asLong()).put("type", chat.path("type").asText());
        ObjectNode person = standIn.putObject("from").put("id", from.path("id").asLong())
                .put("is_bot", from.path("is_bot").asBoolean(false))
                .put("first_name", from.path("first_name").isTextual() ? from.path("first_name").asText()
                        : "Telegram user");
        for (String field : new String[] {"last_name", "username", "language_code"}) {
            if (from.path(field).isTextual()) {
                person.put(field, from.path(field).asText());
            }
        }
        String why = reason.length() > MAX_REASON_CHARS ? reason.substring(0, MAX_REASON_CHARS) + "…" : reason;
        standIn.put("text", "[" + (edit ? "An edit of this Telegram message" : "A Telegram message")
                + " could not be read: " + why + " (Telegram update " + updateId + ")]");
        try {
            json.treeToValue(note, Update.class);
            return note;
        } catch (JsonProcessingException | IllegalArgumentException e) {
            return bare;
        }
    }
}
