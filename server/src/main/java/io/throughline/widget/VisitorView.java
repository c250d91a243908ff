package io.throughline.widget;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;

/**
 * The visitor's view of a message: no metadata, threading, flags or delivery internals; the agent's name; and
 * attachment URLs the visitor's own token can fetch. A message an agent removed says when ({@code redactedAt}), not
 * who.
 */
final class VisitorView {

    private VisitorView() {
    }

    /** Projects the agent API's JSON of a message (as events carry it). */
    static JsonObject message(JsonObject message, Viewer viewer) {
        String kind = message.getString("kind");
        boolean own = "in".equals(kind) && viewer.owns(message);
        JsonObject author = message.getJsonObject("author", new JsonObject());
        JsonArray files = new JsonArray();
        for (Object item : message.getJsonArray("attachments", new JsonArray())) {
            JsonObject file = (JsonObject) item;
            files.add(attachment(file.getLong("id"), file.getString("filename"), file.getString("contentType"),
                    file.getLong("size")));
        }
        return new JsonObject()
                .put("id", message.getLong("id"))
                .put("clientId", own ? message.getString("externalId") : null)
                .put("kind", kind)
                .put("own", own)
                .put("channel", message.getString("channel"))
                .put("author", new JsonObject().put("type", author.getString("type"))
                        .put("name", author.getString("name")))
                .put("body", message.getString("body"))
                .put("attachments", files)
                .put("createdAt", message.getString("createdAt"))
                .put("editedAt", message.getString("editedAt"))
                .put("redactedAt", message.getString("redactedAt"));
    }

    static JsonObject attachment(long id, String filename, String contentType, long size) {
        String type = contentType == null ? "application/octet-stream" : contentType.toLowerCase(Locale.ROOT);
        return new JsonObject().put("id", id).put("filename", filename).put("contentType", type).put("size", size)
                .put("image", Uploads.INLINE_IMAGES.contains(type.split(";")[0].strip()))
                .put("url", "/widget/v1/attachments/" + id);
    }
}
