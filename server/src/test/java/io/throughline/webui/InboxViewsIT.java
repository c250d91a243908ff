package io.throughline.webui;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.attachment.FileStore;
import io.throughline.connector.Identity;
import io.throughline.connector.IdentityKind;
import io.throughline.connector.InboundAttachment;
import io.throughline.connector.InboundMessage;
import io.throughline.connector.InboxRef;
import io.throughline.connector.Sender;
import io.throughline.connector.StoredFile;
import io.throughline.testing.ApiClient;
import io.throughline.testing.ShopSystem;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The agent inbox's own read endpoints: unread state, reply options, thread windows, a message's HTML. */
class InboxViewsIT {

    private static TestServer server;
    private static ShopSystem shop;
    private static ApiClient admin;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        shop = ShopSystem.connect(server, "Shop");
        admin = server.admin();
    }

    @AfterAll
    static void stop() {
        shop.close();
        server.close();
    }

    @Test
    void unreadCountsInboundMessagesAfterWhatTheAgentRead() {
        long conversation = shop.say("read-1", "Rita", "cust-rita", "First").getLong("conversationId");
        shop.say("read-2", "Rita", "cust-rita", "Second");
        long second = shop.say("read-2b", "Rita", "cust-rita", "Second, again").getLong("messageId");
        JsonObject state = readState(admin, conversation);
        assertThat(state.getLong("unread")).isEqualTo(3);
        assertThat(state.getLong("lastReadMessageId")).isNull();
        assertThat(state.getLong("lastInboundMessageId")).isEqualTo(second);

        JsonObject read = admin.post("/api/v1/conversations/" + conversation + "/read", new JsonObject())
                .expect(200).json();
        assertThat(read.getLong("unread")).isZero();

        long third = shop.say("read-3", "Rita", "cust-rita", "Third").getLong("messageId");
        assertThat(readState(admin, conversation).getLong("unread")).isEqualTo(1);
        // Reading is per agent: another agent still has all four unread.
        admin.post("/api/v1/agents", new JsonObject().put("email", "rea@test.local").put("name", "Rea")
                .put("password", "rea-password-123")).expect(201);
        ApiClient other = server.anonymous().login("rea@test.local", "rea-password-123");
        assertThat(readState(other, conversation).getLong("unread")).isEqualTo(4);

        // A stale tab reporting an older message never moves reading backwards.
        admin.post("/api/v1/conversations/" + conversation + "/read", new JsonObject().put("messageId", third))
                .expect(200);
        JsonArray first = admin.get("/api/v1/conversations/" + conversation + "/messages").json()
                .getJsonArray("messages");
        admin.post("/api/v1/conversations/" + conversation + "/read", new JsonObject()
                .put("messageId", first.getJsonObject(0).getLong("id"))).expect(200);
        assertThat(readState(admin, conversation).getLong("lastReadMessageId")).isEqualTo(third);
    }

    @Test
    void readStateRefusesBadInputAndOtherConversationsMessages() {
        long a = shop.say("bad-1", "Ann", "cust-ann", "Hi").getLong("conversationId");
        long otherMessage = shop.say("bad-2", "Ben", "cust-ben", "Yo").getLong("messageId");
        admin.post("/api/v1/conversations/" + a + "/read", new JsonObject().put("messageId", otherMessage))
                .expect(404);
        admin.get("/api/v1/read-state").expect(400);
        admin.get("/api/v1/read-state?conversations=1,x").expect(400);
        admin.post("/api/v1/conversations/999999/read", new JsonObject()).expect(404);
    }

    @Test
    void replyOptionsShowWhereTheReplyGoes() {
        long conversation = shop.say("route-1", "Olga", "cust-olga", "Hello").getLong("conversationId");
        JsonObject options = admin.get("/api/v1/conversations/" + conversation + "/reply-options").expect(200)
                .json();
        JsonObject chosen = options.getJsonObject("default");
        assertThat(chosen.getString("channel")).isEqualTo("api");
        assertThat(chosen.getLong("inboxId")).isEqualTo(shop.inboxId());
        assertThat(chosen.getString("inboxName")).isEqualTo("Shop");
        assertThat(chosen.getJsonObject("to").getString("value")).isEqualTo("cust-olga");
        assertThat(options.getJsonArray("options").getJsonObject(0).getBoolean("available")).isTrue();
    }

    /**
     * A customer of a disabled API inbox is answered through it, the reply waiting for it (the route says the inbox
     * is disabled); one whose inbox was deleted cannot be reached, and the options say why.
     */
    @Test
    void replyOptionsExplainWhyNoChannelReachesTheCustomer() {
        long conversation = shop.say("route-2", "Pavlo", "cust-pavlo", "Hello").getLong("conversationId");
        admin.patch("/api/v1/inboxes/" + shop.inboxId(), new JsonObject().put("enabled", false)).expect(200);
        try {
            JsonObject waiting = admin.get("/api/v1/conversations/" + conversation + "/reply-options").expect(200)
                    .json().getJsonObject("default");
            assertThat(waiting.getLong("inboxId")).isEqualTo(shop.inboxId());
            assertThat(waiting.getBoolean("inboxEnabled")).isFalse();
        } finally {
            admin.patch("/api/v1/inboxes/" + shop.inboxId(), new JsonObject().put("enabled", true)).expect(200);
        }
        assertThat(admin.get("/api/v1/conversations/" + conversation + "/reply-options").json()
                .getJsonObject("default").getBoolean("inboxEnabled")).isTrue();

        try (ShopSystem gone = ShopSystem.connect(server, "Gone shop")) {
            long orphan = gone.say("route-3", "Petro", "cust-petro", "Hello").getLong("conversationId");
            admin.delete("/api/v1/inboxes/" + gone.inboxId()).expect(204);
            JsonObject options = admin.get("/api/v1/conversations/" + orphan + "/reply-options").expect(200).json();
            assertThat(options.getJsonObject("default")).isNull();
            assertThat(options.getString("defaultProblem")).contains("was deleted");
        }
    }

    @Test
    void aThreadOpensAroundOneMessageAndReadsOnBothWays() {
        List<Long> ids = new java.util.ArrayList<>();
        long conversation = 0;
        for (int i = 0; i < 30; i++) {
            JsonObject receipt = shop.say("long-" + i, "Lena", "cust-lena", "message " + i);
            ids.add(receipt.getLong("messageId"));
            conversation = receipt.getLong("conversationId");
        }
        String base = "/api/v1/conversations/" + conversation + "/messages";
        JsonObject around = admin.get(base + "?around=" + ids.get(15) + "&limit=11").expect(200).json();
        assertThat(bodies(around)).containsExactly("message 10", "message 11", "message 12", "message 13",
                "message 14", "message 15", "message 16", "message 17", "message 18", "message 19", "message 20");
        assertThat(around.getLong("nextBefore")).isEqualTo(ids.get(10));
        assertThat(around.getLong("nextAfter")).isEqualTo(ids.get(20));

        JsonObject after = admin.get(base + "?after=" + ids.get(20) + "&limit=5").expect(200).json();
        assertThat(bodies(after)).containsExactly("message 21", "message 22", "message 23", "message 24",
                "message 25");
        JsonObject end = admin.get(base + "?after=" + ids.get(25) + "&limit=10").expect(200).json();
        assertThat(bodies(end)).containsExactly("message 26", "message 27", "message 28", "message 29");
        assertThat(end.getLong("nextAfter")).isNull();

        admin.get(base + "?before=" + ids.get(3) + "&after=" + ids.get(1)).expect(400);
        long elsewhere = shop.say("long-other", "Max", "cust-max", "other").getLong("messageId");
        admin.get(base + "?around=" + elsewhere).expect(404);
    }

    @Test
    void messageHtmlIsASandboxedDocumentWithInlineImagesAndRemoteOnesOnRequest() throws Exception {
        long workspaceId = server.throughline().workspaces().first().orElseThrow();
        FileStore files = new FileStore(server.throughline().config().attachmentsDir());
        StoredFile logo = files.store(new ByteArrayInputStream(new byte[] {(byte) 0x89, 'P', 'N', 'G'}), "logo.png",
                "image/png", 1_000_000);
        String html = "<p>Hello <b>team</b></p><img src=\"cid:logo@shop\"><img src=\"https://tracker.example/p.gif\">"
                + "<script>alert(1)</script><a href=\"javascript:alert(2)\">x</a>";
        var receipt = server.throughline().ingest().accept(new InboxRef(shop.inboxId(), workspaceId, "api", "Shop"),
                InboundMessage.builder("html-1", Sender.of("Hana", Identity.proven(IdentityKind.EXTERNAL_ID,
                        "cust-hana"))).text("Hello team").html(html)
                        .attachment(new InboundAttachment(logo, "<logo@shop>", true)).build());
        long messageId = receipt.messageId();

        ApiClient.Response page = admin.get("/api/v1/messages/" + messageId + "/html").expect(200);
        assertThat(page.header("Content-Type")).startsWith("text/html");
        String csp = page.header("Content-Security-Policy");
        assertThat(csp).contains("default-src 'none'").contains("sandbox").doesNotContain("allow-scripts")
                .doesNotContain("https:");
        assertThat(page.body()).contains("<b>team</b>").contains("src=\"/api/v1/attachments/")
                .contains("data-remote-src=\"https://tracker.example/p.gif\"")
                .doesNotContain("<script").doesNotContain("javascript:")
                .doesNotContain(" src=\"https://tracker");

        ApiClient.Response remote = admin.get("/api/v1/messages/" + messageId + "/html?remoteImages=true")
                .expect(200);
        assertThat(remote.header("Content-Security-Policy")).contains("img-src 'self' data: https: http:");
        assertThat(remote.body()).contains(" src=\"https://tracker.example/p.gif\"");

        long plain = shop.say("plain-1", "Ivo", "cust-ivo", "no html").getLong("messageId");
        admin.get("/api/v1/messages/" + plain + "/html").expect(404);
        server.anonymous().get("/api/v1/messages/" + messageId + "/html").expect(401);
    }

    @Test
    void serverInfoNamesTheChannelsOnOffer() {
        JsonObject info = admin.get("/api/v1/server-info").expect(200).json();
        assertThat(info.getJsonArray("inboxKinds").getList()).contains("api");
        assertThat(info.getJsonArray("channels").getList()).contains("api");
        assertThat(info.getString("publicUrl")).isEqualTo(server.url());
        assertThat(info.getLong("maxUploadBytes")).isPositive();
    }

    private static JsonObject readState(ApiClient client, long conversation) {
        return client.get("/api/v1/read-state?conversations=" + conversation).expect(200).json()
                .getJsonArray("readState").getJsonObject(0);
    }

    private static List<String> bodies(JsonObject page) {
        return page.getJsonArray("messages").stream().map(o -> ((JsonObject) o).getString("body")).toList();
    }
}
