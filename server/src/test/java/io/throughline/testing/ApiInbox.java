package io.throughline.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * An API inbox created through the admin API, and a client of its inbound endpoint: the way another system feeds
 * customer messages in.
 */
public record ApiInbox(long id, String token, String webhookSecret, String baseUrl) {

    /** Creates an API inbox; {@code webhookUrl} may be null. */
    public static ApiInbox create(ApiClient admin, String name, String webhookUrl) {
        JsonObject config = new JsonObject();
        if (webhookUrl != null) {
            config.put("webhookUrl", webhookUrl);
        }
        JsonObject inbox = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", name)
                .put("config", config)).expect(201).json();
        return new ApiInbox(inbox.getLong("id"), inbox.getString("token"), inbox.getString("webhookSecret"),
                admin.baseUrl());
    }

    /** Posts a customer message from a contact proven by an external id. */
    public JsonObject say(String externalId, String customerId, String name, String body) {
        return send(externalId, name, new JsonArray().add(identity("external_id", customerId, true)), body)
                .expect(201).json();
    }

    public ApiClient.Response send(String externalId, String name, JsonArray identities, String body) {
        JsonObject contact = new JsonObject().put("identities", identities);
        if (name != null) {
            contact.put("name", name);
        }
        return new ApiClient(baseUrl).withToken(token).post("/api/v1/inboxes/" + id + "/inbound",
                new JsonObject().put("externalId", externalId).put("contact", contact).put("body", body));
    }

    public static JsonObject identity(String kind, String value, boolean proven) {
        return new JsonObject().put("kind", kind).put("value", value).put("proven", proven);
    }
}
