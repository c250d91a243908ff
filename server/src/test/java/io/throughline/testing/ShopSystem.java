package io.throughline.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Another system connected through an API inbox, as a shop's backend would be: it posts customer messages with
 * the inbox token, and receives the agents' replies on its webhook.
 */
public final class ShopSystem implements AutoCloseable {

    private final WebhookReceiver webhook;
    private final ApiClient client;
    private final long inboxId;
    private final String token;

    private ShopSystem(WebhookReceiver webhook, ApiClient client, long inboxId, String token) {
        this.webhook = webhook;
        this.client = client;
        this.inboxId = inboxId;
        this.token = token;
    }

    /** Creates an API inbox (as the admin) whose replies go to a fresh webhook receiver. */
    public static ShopSystem connect(TestServer server, String inboxName) {
        WebhookReceiver webhook = new WebhookReceiver();
        JsonObject inbox = server.admin().post("/api/v1/inboxes", new JsonObject().put("kind", "api")
                .put("name", inboxName).put("config", new JsonObject().put("webhookUrl", webhook.url())))
                .expect(201).json();
        String token = inbox.getString("token");
        return new ShopSystem(webhook, new ApiClient(server.url()).withToken(token), inbox.getLong("id"), token);
    }

    /** A customer message; returns the receipt ({conversationId, messageId, contactId}). */
    public JsonObject say(String externalId, String name, String customerId, String body) {
        return say(externalId, name, customerId, body, null);
    }

    public JsonObject say(String externalId, String name, String customerId, String body, String subject) {
        return send(externalId, name, customerId, body, subject).expect(201).json();
    }

    /** The same, with the answer as it comes: 200 for a duplicate or a blocked contact, a problem for bad input. */
    public ApiClient.Response send(String externalId, String name, String customerId, String body, String subject) {
        JsonObject message = new JsonObject().put("externalId", externalId)
                .put("contact", new JsonObject().put("name", name).put("identities", new JsonArray()
                        .add(new JsonObject().put("kind", "external_id").put("value", customerId))))
                .put("body", body);
        if (subject != null) {
            message.put("subject", subject);
        }
        return client.post("/api/v1/inboxes/" + inboxId + "/inbound", message);
    }

    /** A message with a raw contact object (several identities, claimed ones). */
    public JsonObject say(String externalId, JsonObject contact, String body) {
        return send(externalId, contact, body).expect(201).json();
    }

    /** The same, with the answer as it comes. */
    public ApiClient.Response send(String externalId, JsonObject contact, String body) {
        return client.post("/api/v1/inboxes/" + inboxId + "/inbound", new JsonObject().put("externalId", externalId)
                .put("contact", contact).put("body", body));
    }

    /** The same system calling another node of the installation (a second server on the same database). */
    public ShopSystem via(TestServer node) {
        return new ShopSystem(webhook, new ApiClient(node.url()).withToken(token), inboxId, token);
    }

    public WebhookReceiver webhook() {
        return webhook;
    }

    public long inboxId() {
        return inboxId;
    }

    public String token() {
        return token;
    }

    @Override
    public void close() {
        webhook.close();
    }
}
