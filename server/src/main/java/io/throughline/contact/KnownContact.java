package io.throughline.contact;

import io.throughline.connector.Identity;
import io.throughline.connector.IdentityKind;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.util.ArrayList;
import java.util.List;

/**
 * A returning customer as ingest sees them: their contact, whether they are blocked, their conversation and their
 * identities.
 *
 * @param conversationId their conversation, or null before their first message was stored
 * @param identities kind, value and proven of each identity (enough to decide what is new)
 * @param via the sender's identity that found the contact (held by it, or by a contact merged into it)
 */
public record KnownContact(long id, String name, boolean blocked, Long conversationId, List<Held> identities,
                           Identity via) {

    /** One identity the contact already holds. */
    public record Held(IdentityKind kind, String value, boolean proven) {
    }

    static KnownContact from(Row row, Identity via) {
        Object raw = row.getValue("identities");
        JsonArray array = raw instanceof JsonArray json ? json : new JsonArray(String.valueOf(raw));
        List<Held> held = new ArrayList<>();
        for (Object item : array) {
            JsonObject identity = (JsonObject) item;
            held.add(new Held(IdentityKind.fromWireName(identity.getString("kind")).orElseThrow(),
                    identity.getString("value"), identity.getBoolean("proven")));
        }
        return new KnownContact(row.getLong("id"), row.getString("name"), row.getBoolean("blocked"),
                row.getLong("conversation_id"), held, via);
    }
}
