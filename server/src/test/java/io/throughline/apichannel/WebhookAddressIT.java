package io.throughline.apichannel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.ApiClient;
import io.throughline.testing.ApiInbox;
import io.throughline.testing.TestServer;
import io.throughline.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A webhook URL is typed by a workspace admin and posted to from inside the server's network: it never reaches a
 * cloud metadata service, and reaches this machine or its private network only while the installation allows it.
 */
class WebhookAddressIT {

    /**
     * The mail servers and Bot API server an inbox names are held to the same rule: with private networks off, a
     * workspace admin cannot have the server connect to this machine or its network (a port scan through the
     * connection test, an internal relay), and never to a link-local address; what the stored config already names
     * stays (a host the config file gave the inbox).
     */
    @Test
    void theHostsAnInboxNamesAreHeldToTheSameRule() {
        JsonObject metadata = new JsonObject().put("address", "support@acme.test").put("smtp", new JsonObject()
                .put("host", "169.254.169.254").put("port", 25).put("security", "none"));
        try (TestServer server = TestServer.start()) {
            assertThat(server.admin().post("/api/v1/inboxes", new JsonObject().put("kind", "email")
                    .put("name", "Metadata").put("config", metadata)).expect(400).body())
                    .contains("config.smtp.host").contains("link-local");
        }
        try (TestServer server = TestServer.start(Map.of("http.webhookPrivateNetworks", "false"))) {
            ApiClient admin = server.admin();
            JsonObject local = new JsonObject().put("address", "support@acme.test").put("smtp", new JsonObject()
                    .put("host", "127.0.0.1").put("port", 2525).put("security", "none"));
            assertThat(admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Local")
                    .put("config", local)).expect(400).body()).contains("config.smtp.host")
                    .contains("http.webhookPrivateNetworks");
            assertThat(admin.post("/api/v1/inboxes", new JsonObject().put("kind", "telegram").put("name", "Bot")
                    .put("config", new JsonObject().put("botToken", "123456:" + "A".repeat(35))
                            .put("apiUrl", "http://10.0.0.5:8081"))).expect(400).body()).contains("config.apiUrl")
                    .contains("http.webhookPrivateNetworks");

            // A name is looked at as it resolves (localhost is this machine), in a connection test's candidate too.
            JsonObject outside = new JsonObject().put("address", "support@acme.test").put("smtp", new JsonObject()
                    .put("host", "192.0.2.10").put("port", 25).put("security", "none"));
            long inbox = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Outside")
                    .put("config", outside)).expect(201).json().getLong("id");
            JsonObject probe = outside.copy().put("imap", new JsonObject().put("host", "localhost").put("port", 6379)
                    .put("security", "none").put("username", "u").put("password", "p"));
            assertThat(admin.post("/api/v1/inboxes/" + inbox + "/test", new JsonObject().put("config", probe))
                    .expect(400).body()).contains("config.imap.host");
            admin.patch("/api/v1/inboxes/" + inbox, new JsonObject().put("config", probe)).expect(400);
        }
    }

    @Test
    void aWebhookAtALinkLocalAddressIsRefusedWhenSaved() {
        try (TestServer server = TestServer.start()) {
            ApiClient.Response refused = server.admin().post("/api/v1/inboxes", new JsonObject().put("kind", "api")
                    .put("name", "Metadata").put("config", new JsonObject()
                            .put("webhookUrl", "http://169.254.169.254/latest/meta-data/iam")));
            refused.expect(400);
            assertThat(refused.body()).contains("config.webhookUrl").contains("link-local");
        }
    }

    @Test
    void withPrivateNetworksOffAWebhookOnThisMachineIsNeverCalledAndTheDeliverySaysWhy() {
        try (TestServer server = TestServer.start(Map.of("http.webhookPrivateNetworks", "false"));
             WebhookReceiver webhook = new WebhookReceiver()) {
            ApiClient admin = server.admin();
            // An address is refused as the inbox is saved; a name, once it is resolved for a send.
            assertThat(admin.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", "Literal")
                    .put("config", new JsonObject().put("webhookUrl", webhook.url()))).expect(400).body())
                    .contains("http.webhookPrivateNetworks");
            ApiInbox inbox = ApiInbox.create(admin, "Shop", byName(webhook));
            long conversation = inbox.say("m1", "cust-1", "Ann", "Hello?").getLong("conversationId");
            admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body", "Hi Ann"))
                    .expect(201);
            AtomicReference<JsonObject> delivery = new AtomicReference<>();
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                delivery.set(admin.get("/api/v1/conversations/" + conversation + "/messages").json()
                        .getJsonArray("messages").getJsonObject(1).getJsonObject("delivery"));
                return "failed".equals(delivery.get().getString("status"));
            });
            assertThat(delivery.get().getString("lastError")).contains("localhost")
                    .contains("http.webhookPrivateNetworks");
            assertThat(delivery.get().getInteger("attempts")).as("refused for good, not retried").isEqualTo(1);
            assertThat(webhook.received()).isEmpty();
        }
    }

    /** The request goes to the address that was checked, and still names the host the admin typed. */
    @Test
    void aWebhookNamedByItsHostIsCalledWithThatHost() {
        try (TestServer server = TestServer.start();
             WebhookReceiver webhook = new WebhookReceiver()) {
            ApiClient admin = server.admin();
            ApiInbox inbox = ApiInbox.create(admin, "Shop", byName(webhook) + "?shop=7");
            long conversation = inbox.say("m1", "cust-1", "Ann", "Hello?").getLong("conversationId");
            admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body", "Hi Ann"))
                    .expect(201);
            await().atMost(Duration.ofSeconds(10)).until(() -> webhook.received().size() == 1);
            URI called = URI.create(webhook.url());
            assertThat(webhook.received().getFirst().header("Host")).isEqualTo("localhost:" + called.getPort());
            assertThat(new JsonObject(webhook.received().getFirst().body()).getJsonObject("message")
                    .getString("body")).isEqualTo("Hi Ann");
        }
    }

    private static String byName(WebhookReceiver webhook) {
        return webhook.url().replace("127.0.0.1", "localhost");
    }
}
