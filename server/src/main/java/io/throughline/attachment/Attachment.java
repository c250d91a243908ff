package io.throughline.attachment;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;

/** An attachment's metadata; the bytes are in the {@link FileStore} under {@code sha256}. */
public record Attachment(long id, long workspaceId, Long messageId, String sha256, long size, String filename,
                         String contentType, String contentId, boolean inline) {

    static final String COLUMNS = "id, workspace_id, message_id, sha256, size, filename, content_type, content_id,"
            + " inline";

    static Attachment from(Row row) {
        return new Attachment(row.getLong("id"), row.getLong("workspace_id"), row.getLong("message_id"),
                row.getString("sha256"), row.getLong("size"), row.getString("filename"),
                row.getString("content_type"), row.getString("content_id"), row.getBoolean("inline"));
    }

    /** The agent API's view, with the URL it is downloaded from. */
    public JsonObject toJson() {
        return new JsonObject().put("id", id).put("filename", filename).put("contentType", contentType)
                .put("size", size).put("inline", inline).put("contentId", contentId)
                .put("url", "/api/v1/attachments/" + id);
    }
}
