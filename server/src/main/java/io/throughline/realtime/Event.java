package io.throughline.realtime;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * One committed change, as every stream and the search indexer see it.
 *
 * @param seq the global order
 * @param workspaceId the tenant it belongs to
 * @param type a dotted fact, e.g. {@code message.created} (see {@link EventType})
 * @param data the payload
 * @param createdAt when it was written
 */
public record Event(long seq, long workspaceId, String type, JsonObject data, Instant createdAt) {

    /** The wire shape of the public contract: {@code {seq, type, data}}. */
    public JsonObject toJson() {
        return new JsonObject().put("seq", seq).put("type", type).put("data", data)
                .put("at", createdAt.toString());
    }
}
