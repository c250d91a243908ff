package io.throughline.apichannel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.ApiClient;
import io.throughline.testing.TestServer;
import io.throughline.testing.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The README's curl session, step by step, against the real server: API inbox in, agent reply out by webhook. */
class ApiChannelIT {

    private static TestServer server;
    private static WebhookReceiver webhook;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        webhook = new WebhookReceiver();
    }

    @AfterAll
    static void stop() {
        server.close();
        webhook.close();
    }

    /**
     * Half an emoji (a lone surrogate, as a client's cut leaves one) is kept as U+FFFD, so a retry of the same
     * request matches what was stored: the database's encoder wrote "?" for it, and the retry got a 409.
     */
    @Test
    void aRetryOfAMessageWithHalfAnEmojiIsTheSameMessage() {
        try (TestServer own = TestServer.start()) {
            JsonObject inbox = own.admin().post("/api/v1/inboxes", new JsonObject().put("kind", "api")
                    .put("name", "Cut").put("config", new JsonObject())).expect(201).json();
            ApiClient shop = new ApiClient(own.url()).withToken(inbox.getString("token"));
            byte[] request = ("{\"externalId\": \"cut-1\", \"contact\": {\"identities\": [{\"kind\":"
                    + " \"external_id\", \"value\": \"c-1\"}]}, \"body\": \"Thanks \\ud83d\"}")
                    .getBytes(StandardCharsets.UTF_8);
            String path = "/api/v1/inboxes/" + inbox.getLong("id") + "/inbound";
            long stored = shop.raw("POST", path, "application/json", request).expect(201).json().getLong("messageId");
            JsonObject again = shop.raw("POST", path, "application/json", request).expect(200).json();
            assertThat(again.getBoolean("duplicate")).isTrue();
            assertThat(again.getLong("messageId")).isEqualTo(stored);
            assertThat(own.throughline().database().sql().single("SELECT body FROM messages WHERE id = $1", stored)
                    .getString("body")).isEqualTo("Thanks \uFFFD");

            // The same half sent as its three bytes, which the JSON parser also takes.
            java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
            raw.writeBytes(("{\"externalId\": \"cut-2\", \"contact\": {\"identities\": [{\"kind\":"
                    + " \"external_id\", \"value\": \"c-1\"}]}, \"body\": \"Bye ").getBytes(StandardCharsets.UTF_8));
            raw.writeBytes(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0xBD});
            raw.writeBytes("\"}".getBytes(StandardCharsets.UTF_8));
            long bye = shop.raw("POST", path, "application/json", raw.toByteArray()).expect(201).json()
                    .getLong("messageId");
            assertThat(shop.raw("POST", path, "application/json", raw.toByteArray()).expect(200).json()
                    .getLong("messageId")).isEqualTo(bye);
            assertThat(own.throughline().database().sql().single("SELECT body FROM messages WHERE id = $1", bye)
                    .getString("body")).isEqualTo("Bye \uFFFD");
        }
    }

    /**
     * A retry built again from the sender's data may name the customer's identities in another order (or one more):
     * it is the same message, not "another message" answered 409, which a sender then sends under a new id.
     */
    @Test
    void aRetryNamingTheSendersIdentitiesInAnotherOrderIsTheSameMessage() {
        try (TestServer own = TestServer.start()) {
            JsonObject inbox = own.admin().post("/api/v1/inboxes", new JsonObject().put("kind", "api")
                    .put("name", "Reordered").put("config", new JsonObject())).expect(201).json();
            ApiClient shop = new ApiClient(own.url()).withToken(inbox.getString("token"));
            String path = "/api/v1/inboxes/" + inbox.getLong("id") + "/inbound";
            JsonObject email = new JsonObject().put("kind", "email").put("value", "Jane@Example.com");
            JsonObject id = new JsonObject().put("kind", "external_id").put("value", "42");
            long stored = shop.post(path, new JsonObject().put("externalId", "m-1").put("body", "Where is it?")
                    .put("contact", new JsonObject().put("identities", new JsonArray().add(email).add(id))))
                    .expect(201).json().getLong("messageId");
            JsonObject again = shop.post(path, new JsonObject().put("externalId", "m-1").put("body", "Where is it?")
                    .put("contact", new JsonObject().put("identities", new JsonArray().add(id)
                            .add(new JsonObject().put("kind", "phone").put("value", "+380501234567")).add(email))))
                    .expect(200).json();
            assertThat(again.getBoolean("duplicate")).isTrue();
            assertThat(again.getLong("messageId")).isEqualTo(stored);
            // Another sender under the same id is still another message.
            shop.post(path, new JsonObject().put("externalId", "m-1").put("body", "Where is it?")
                    .put("contact", new JsonObject().put("identities", new JsonArray().add(new JsonObject()
                            .put("kind", "external_id").put("value", "43"))))).expect(409);
        }
    }

    /**
     * The shop's receiver is down, so the admin pauses its API inbox: a reply to its customer waits in the outbox
     * (it was refused as "not written through api") and goes once the inbox is enabled. A deleted inbox's customer
     * gets a refusal that says so.
     */
    @Test
    void aReplyThroughAPausedApiInboxWaitsAndADeletedOneIsNamed() {
        try (TestServer own = TestServer.start(); WebhookReceiver hooks = new WebhookReceiver()) {
            ApiClient admin = own.admin();
            JsonObject inbox = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", "Paused")
                    .put("config", new JsonObject().put("webhookUrl", hooks.url()))).expect(201).json();
            long inboxId = inbox.getLong("id");
            ApiClient shop = new ApiClient(own.url()).withToken(inbox.getString("token"));
            long conversation = shop.post("/api/v1/inboxes/" + inboxId + "/inbound", new JsonObject()
                    .put("externalId", "p-1").put("body", "Is my order coming?").put("contact", new JsonObject()
                            .put("identities", new JsonArray().add(new JsonObject().put("kind", "external_id")
                                    .put("value", "cust-7"))))).expect(201).json().getLong("conversationId");
            admin.patch("/api/v1/inboxes/" + inboxId, new JsonObject().put("enabled", false)).expect(200);

            long reply = admin.post("/api/v1/conversations/" + conversation + "/messages",
                    new JsonObject().put("body", "Tomorrow.")).expect(201).json().getLong("id");
            JsonObject waiting = await().atMost(Duration.ofSeconds(10)).until(() -> delivery(admin, conversation,
                    reply), d -> d.getString("lastError") != null);
            assertThat(waiting.getString("status")).isEqualTo("pending");
            assertThat(waiting.getString("lastError")).contains("the inbox is disabled");
            assertThat(hooks.received()).isEmpty();

            admin.patch("/api/v1/inboxes/" + inboxId, new JsonObject().put("enabled", true)).expect(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> "sent".equals(delivery(admin, conversation, reply)
                    .getString("status")));
            assertThat(new JsonObject(hooks.received().getFirst().body()).getJsonObject("message")
                    .getString("body")).isEqualTo("Tomorrow.");

            admin.delete("/api/v1/inboxes/" + inboxId).expect(204);
            ApiClient.Response refused = admin.post("/api/v1/conversations/" + conversation + "/messages",
                    new JsonObject().put("body", "Anything else?"));
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.body()).contains("was deleted");
        }
    }

    private static JsonObject delivery(ApiClient admin, long conversation, long message) {
        return admin.get("/api/v1/conversations/" + conversation + "/messages").json().getJsonArray("messages")
                .stream().map(JsonObject.class::cast).filter(m -> m.getLong("id") == message).findFirst()
                .orElseThrow().getJsonObject("delivery");
    }

    /** A webhook URL whose port no connection can use is refused as it is saved (it failed every reply later). */
    @Test
    void aWebhookPortOutOfRangeIsRefusedWhenSaved() {
        for (String url : new String[] {"https://shop.example.com:80800/hook", "http://127.0.0.1:0/hook"}) {
            ApiClient.Response refused = server.admin().post("/api/v1/inboxes", new JsonObject().put("kind", "api")
                    .put("name", "Typo").put("config", new JsonObject().put("webhookUrl", url)));
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.json().getJsonArray("errors").getJsonObject(0).getString("message"))
                    .contains("between 1 and 65535");
        }
    }

    /** A token hash that is no SHA-256 is refused as it is saved, not by every inbound call that follows (a 500). */
    @Test
    void aTokenHashThatIsNoDigestIsRefusedAndTheInboxKeepsItsToken() {
        // A server of its own: the class's other test counts the conversations of its server.
        try (TestServer own = TestServer.start()) {
            ApiClient admin = own.admin();
            JsonObject inbox = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", "Hashed")
                    .put("config", new JsonObject())).expect(201).json();
            long id = inbox.getLong("id");
            for (Object bad : new Object[] {5, "not a digest", "A".repeat(64)}) {
                assertThat(admin.patch("/api/v1/inboxes/" + id, new JsonObject().put("config", new JsonObject()
                        .put("tokenHash", bad))).expect(400).body()).contains("config.tokenHash");
            }
            JsonObject inbound = new JsonObject().put("externalId", "hashed-1").put("contact", new JsonObject()
                    .put("name", "Ann").put("identities", new JsonArray().add(new JsonObject()
                            .put("kind", "external_id").put("value", "h-1")))).put("body", "Still mine?");
            new ApiClient(own.url()).withToken(inbox.getString("token")).post("/api/v1/inboxes/" + id + "/inbound",
                    inbound).expect(201);

            // One stored before the check (by an older version): it matches no token, and a new token mends it.
            own.throughline().database().sql().update("UPDATE inboxes SET config = config || '{\"tokenHash\": 5}'"
                    + " WHERE id = $1", id);
            new ApiClient(own.url()).withToken(inbox.getString("token")).post("/api/v1/inboxes/" + id + "/inbound",
                    inbound).expect(401);
            // One a client could never send as saved (a YAML block's line break, letters outside ASCII): refused.
            for (String unusable : List.of("a-token-of-our-own-choosing-0123456789\n",
                    "токен-магазина-0123456789abcdef")) {
                assertThat(admin.patch("/api/v1/inboxes/" + id, new JsonObject().put("config", new JsonObject()
                        .put("token", unusable))).expect(400).body()).contains("RFC 6750");
            }
            String chosen = "a-token-of-our-own-choosing-0123456789";
            admin.patch("/api/v1/inboxes/" + id, new JsonObject().put("config", new JsonObject().put("token", chosen)))
                    .expect(200);
            new ApiClient(own.url()).withToken(chosen).post("/api/v1/inboxes/" + id + "/inbound",
                    inbound.copy().put("externalId", "hashed-2")).expect(201);

            // A token removed (a leak) is replaced by a new one, shown in the save's answer this once.
            ApiClient.Response rotated = admin.patch("/api/v1/inboxes/" + id, new JsonObject().put("config",
                    new JsonObject().putNull("tokenHash"))).expect(200);
            assertThat(rotated.header("Cache-Control")).isEqualTo("no-store");
            String fresh = rotated.json().getString("token");
            assertThat(fresh).startsWith("tlapi_");
            new ApiClient(own.url()).withToken(chosen).post("/api/v1/inboxes/" + id + "/inbound",
                    inbound.copy().put("externalId", "hashed-3")).expect(401);
            new ApiClient(own.url()).withToken(fresh).post("/api/v1/inboxes/" + id + "/inbound",
                    inbound.copy().put("externalId", "hashed-3")).expect(201);
            assertThat(admin.get("/api/v1/inboxes/" + id).expect(200).json().containsKey("token")).isFalse();
        }
    }

    @Test
    void customerMessageThroughApiInboxIsAnsweredThroughTheSignedWebhook() {
        ApiClient admin = server.admin();
        JsonObject inbox = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", "Shop")
                .put("config", new JsonObject().put("webhookUrl", webhook.url()))).expect(201).json();
        String inboxToken = inbox.getString("token");
        String webhookSecret = inbox.getString("webhookSecret");
        assertThat(inboxToken).startsWith("tlapi_");
        assertThat(webhookSecret).startsWith("whsec_");
        assertThat(inbox.getJsonObject("config").getString("webhookSecret")).isEqualTo("********");

        ApiClient shop = new ApiClient(server.url()).withToken(inboxToken);
        JsonObject receipt = shop.post("/api/v1/inboxes/" + inbox.getLong("id") + "/inbound", new JsonObject()
                .put("externalId", "order-42-msg-1")
                .put("contact", new JsonObject().put("name", "Bob").put("identities", new JsonArray()
                        .add(new JsonObject().put("kind", "external_id").put("value", "cust-42"))))
                .put("body", "Where is my parcel?")).expect(201).json();
        long conversationId = receipt.getLong("conversationId");

        JsonArray list = admin.get("/api/v1/conversations").expect(200).json().getJsonArray("conversations");
        assertThat(list).hasSize(1);
        assertThat(list.getJsonObject(0).getJsonObject("contact").getString("name")).isEqualTo("Bob");
        assertThat(list.getJsonObject(0).getJsonObject("lastMessage").getString("preview"))
                .isEqualTo("Where is my parcel?");

        JsonArray thread = admin.get("/api/v1/conversations/" + conversationId + "/messages").expect(200).json()
                .getJsonArray("messages");
        assertThat(thread).hasSize(1);
        assertThat(thread.getJsonObject(0).getString("channel")).isEqualTo("api");

        long label = admin.upload("/api/v1/attachments", "label.pdf", "application/pdf",
                "%PDF-1.7 shipping label".getBytes(StandardCharsets.UTF_8)).expect(201).json().getLong("id");
        // Named twice (a double drop in a client): attached once, not refused as already used by itself.
        JsonObject reply = admin.post("/api/v1/conversations/" + conversationId + "/messages",
                new JsonObject().put("body", "It ships today.").put("attachments", new JsonArray().add(label)
                        .add(label))).expect(201).json();
        assertThat(reply.getJsonObject("delivery").getString("status")).isEqualTo("pending");
        assertThat(reply.getJsonArray("attachments")).hasSize(1);

        await().atMost(Duration.ofSeconds(10)).until(() -> webhook.received().size() == 1);
        WebhookReceiver.Received hook = webhook.received().getFirst();
        JsonObject payload = new JsonObject(hook.body());
        assertThat(payload.getJsonObject("message").getString("body")).isEqualTo("It ships today.");
        assertThat(payload.getJsonObject("to").getString("value")).isEqualTo("cust-42");
        assertThat(hook.header("Idempotency-Key")).isEqualTo("delivery-" + payload.getLong("deliveryId"));
        String expected = WebhookSignature.sign(webhookSecret,
                Long.parseLong(hook.header(WebhookSignature.TIMESTAMP_HEADER)),
                hook.body().getBytes(StandardCharsets.UTF_8));
        assertThat(hook.header(WebhookSignature.HEADER)).isEqualTo(expected);
        // The reply's file: the shop fetches it with its inbox token, from the URL in the payload.
        JsonObject file = payload.getJsonObject("message").getJsonArray("attachments").getJsonObject(0);
        assertThat(file.getLong("id")).isEqualTo(label);
        assertThat(file.getString("filename")).isEqualTo("label.pdf");
        assertThat(file.getString("url")).isEqualTo(server.url() + "/api/v1/inboxes/" + inbox.getLong("id")
                + "/attachments/" + label);
        assertThat(new String(shop.bytes(file.getString("url").substring(server.url().length())),
                StandardCharsets.UTF_8)).isEqualTo("%PDF-1.7 shipping label");

        await().atMost(Duration.ofSeconds(10)).until(() -> "sent".equals(admin.get("/api/v1/conversations/"
                + conversationId + "/messages").json().getJsonArray("messages").getJsonObject(1)
                .getJsonObject("delivery").getString("status")));
    }
}
