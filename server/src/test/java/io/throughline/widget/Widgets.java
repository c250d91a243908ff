package io.throughline.widget;

import io.throughline.testing.ApiClient;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** Creates widget inboxes through the admin API, as a site owner does. */
final class Widgets {

    static final String SHOP = "http://shop.test:8443";

    private Widgets() {
    }

    /** A widget inbox allowing {@code origins}, with extra config fields; answers the creation JSON. */
    static JsonObject create(ApiClient admin, String name, JsonObject extra, String... origins) {
        JsonArray allowed = new JsonArray();
        for (String origin : origins) {
            allowed.add(origin);
        }
        JsonObject config = new JsonObject().put("allowedOrigins", allowed);
        if (extra != null) {
            config.mergeIn(extra);
        }
        return admin.post("/api/v1/inboxes", new JsonObject().put("kind", "widget").put("name", name)
                .put("config", config)).expect(201).json();
    }

    static JsonObject create(ApiClient admin, String... origins) {
        return create(admin, "Website", null, origins);
    }

    /**
     * A customer writes through a new API inbox (another channel than the chat): {@code contact} as the inbound
     * endpoint takes it. Answers the endpoint's JSON (messageId, conversationId, contactId).
     */
    static JsonObject customerElsewhere(TestServer server, ApiClient admin, String externalId, String body,
                                        JsonObject contact) {
        JsonObject api = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", "Back office"))
                .expect(201).json();
        return new ApiClient(server.url()).withToken(api.getString("token"))
                .post("/api/v1/inboxes/" + api.getLong("id") + "/inbound", new JsonObject()
                        .put("externalId", externalId).put("body", body).put("contact", contact))
                .expect(201).json();
    }

    static long conversationOf(TestServer server, long messageId) {
        return server.throughline().database().sql().single("SELECT conversation_id FROM messages WHERE id = $1",
                messageId).getLong("conversation_id");
    }

    /** The delivery status of a reply, as the agent API shows it. */
    static String deliveryStatus(ApiClient admin, long conversation, long messageId) {
        return admin.get("/api/v1/conversations/" + conversation + "/messages").json().getJsonArray("messages")
                .stream().map(m -> (JsonObject) m).filter(m -> m.getLong("id") == messageId).findFirst()
                .map(m -> m.getJsonObject("delivery").getString("status")).orElse(null);
    }
}
