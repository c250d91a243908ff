package io.throughline.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.testing.ApiClient;
import io.throughline.testing.ApiInbox;
import io.throughline.testing.StreamClient;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every query is scoped to the caller's workspace: another workspace's ids answer 404, its events never arrive. */
class WorkspaceIsolationIT {

    private static TestServer server;
    private static ApiClient acme;
    private static ApiClient globex;
    private static ApiInbox acmeInbox;
    private static JsonObject acmeMessage;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        acme = server.admin();
        server.throughline().workspaces().create("Globex", "boss@globex.test", "Boss", "globex-password");
        globex = server.anonymous().login("boss@globex.test", "globex-password");
        acmeInbox = ApiInbox.create(acme, "Acme shop", null);
        acmeMessage = acmeInbox.say("a1", "acme-customer", "Wile", "Acme secret order");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void anotherWorkspacesResourcesDoNotExist() {
        long conversation = acmeMessage.getLong("conversationId");
        long contact = acmeMessage.getLong("contactId");
        long message = acmeMessage.getLong("messageId");
        globex.get("/api/v1/conversations/" + conversation).expect(404);
        globex.get("/api/v1/conversations/" + conversation + "/messages").expect(404);
        globex.patch("/api/v1/conversations/" + conversation, new JsonObject().put("status", "resolved")).expect(404);
        globex.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body", "hi"))
                .expect(404);
        globex.post("/api/v1/messages/" + message + "/retry", new JsonObject()).expect(404);
        globex.post("/api/v1/messages/" + message + "/redact", null).expect(404);
        globex.get("/api/v1/contacts/" + contact).expect(404);
        // The contact endpoints: each refused as unknown, before anything is read or changed.
        long globexContact = ApiInbox.create(globex, "Globex isolation", null).say("gi1", "globex-iso", "Gus", "Hi")
                .getLong("contactId");
        globex.post("/api/v1/contacts/" + contact + "/merge", new JsonObject().put("otherContactId", globexContact))
                .expect(404);
        globex.post("/api/v1/contacts/" + contact + "/unmerge", new JsonObject()).expect(404);
        globex.patch("/api/v1/contacts/" + contact, new JsonObject().put("name", "Renamed").put("blocked", true))
                .expect(404);
        globex.post("/api/v1/contacts/" + contact + "/deep-links", new JsonObject()).expect(404);
        globex.post("/api/v1/conversations/" + conversation + "/deep-links", new JsonObject()).expect(404);
        globex.post("/api/v1/messages/" + message + "/move", new JsonObject()).expect(404);
        globex.post("/api/v1/messages/" + message + "/move", new JsonObject().put("contactId", globexContact))
                .expect(404);
        JsonObject untouched = acme.get("/api/v1/contacts/" + contact).expect(200).json();
        assertThat(untouched.getString("name")).isEqualTo("Wile");
        assertThat(untouched.getBoolean("blocked")).isFalse();
        globex.get("/api/v1/inboxes/" + acmeInbox.id()).expect(404);
        globex.patch("/api/v1/inboxes/" + acmeInbox.id(), new JsonObject().put("name", "mine")).expect(404);
        globex.delete("/api/v1/inboxes/" + acmeInbox.id()).expect(404);
        long acmeAdmin = acme.get("/api/v1/auth/me").json().getLong("agentId");
        globex.get("/api/v1/agents/" + acmeAdmin).expect(404);
        globex.patch("/api/v1/agents/" + acmeAdmin, new JsonObject().put("active", false)).expect(404);

        // Globex's own lists hold only Globex's (its inboxes and customers, from this test or another).
        assertThat(globex.get("/api/v1/conversations").json().getJsonArray("conversations").stream()
                .map(JsonObject.class::cast)).isNotEmpty()
                .noneMatch(c -> c.getLong("id") == conversation || c.getLong("contactId") == contact);
        assertThat(globex.get("/api/v1/inboxes").json().getJsonArray("inboxes").stream().map(JsonObject.class::cast))
                .isNotEmpty().noneMatch(i -> i.getLong("id") == acmeInbox.id());
        assertThat(globex.get("/api/v1/agents").json().getJsonArray("agents")).hasSize(1);
        assertThat(acme.get("/api/v1/conversations/" + conversation).expect(200).json().getLong("id"))
                .isEqualTo(conversation);
    }

    @Test
    void anotherWorkspaceCannotBeAssignedOrMergedIn() {
        ApiInbox globexInbox = ApiInbox.create(globex, "Globex shop", null);
        JsonObject globexMessage = globexInbox.say("g1", "globex-customer", "Hank", "Hi");
        long acmeAdmin = acme.get("/api/v1/auth/me").json().getLong("agentId");
        globex.patch("/api/v1/conversations/" + globexMessage.getLong("conversationId"),
                new JsonObject().put("assigneeId", acmeAdmin)).expect(400);
        globex.post("/api/v1/contacts/" + globexMessage.getLong("contactId") + "/merge",
                new JsonObject().put("otherContactId", acmeMessage.getLong("contactId"))).expect(404);
    }

    @Test
    void healthShowsAnInboxInDetailOnlyToItsWorkspacesAdminsAndTheOperator() {
        long inbox = acmeInbox.id();
        JsonObject seenByAcme = healthOf(acme, inbox);
        assertThat(seenByAcme).isNotNull();
        assertThat(seenByAcme.getString("name")).isEqualTo("Acme shop");
        assertThat(healthOf(server.operator(), inbox)).isNotNull();
        assertThat(healthOf(globex, inbox)).isNull();
        assertThat(healthOf(server.anonymous(), inbox)).isNull();
        JsonArray anonymous = server.anonymous().get("/health").expect(200).json().getJsonObject("checks")
                .getJsonArray("connectors");
        assertThat(anonymous).isNotEmpty().allSatisfy(entry ->
                assertThat(((JsonObject) entry).fieldNames()).containsExactlyInAnyOrder("kind", "status"));
        assertThat(anonymous.encode()).doesNotContain("Acme shop");
    }

    /** The /health entry of one inbox as this caller sees it, or null when they cannot tell which it is. */
    private static JsonObject healthOf(ApiClient caller, long inbox) {
        return caller.get("/health").expect(200).json().getJsonObject("checks").getJsonArray("connectors").stream()
                .map(JsonObject.class::cast).filter(entry -> Long.valueOf(inbox).equals(entry.getLong("inboxId")))
                .findFirst().orElse(null);
    }

    @Test
    void aDeletedWidgetsSiteKeyIsNeverPassedToAnotherWorkspace() {
        JsonObject widget = new JsonObject().put("kind", "widget").put("name", "Acme site").put("config",
                new JsonObject().put("allowedOrigins", new JsonArray().add("https://acme.test")));
        JsonObject created = acme.post("/api/v1/inboxes", widget).expect(201).json();
        String siteKey = created.getString("siteKey");
        acme.delete("/api/v1/inboxes/" + created.getLong("id")).expect(204);

        JsonObject claim = new JsonObject().put("kind", "widget").put("name", "Not Acme").put("config",
                new JsonObject().put("allowedOrigins", new JsonArray().add("https://acme.test"))
                        .put("siteKey", siteKey));
        JsonObject refused = globex.post("/api/v1/inboxes", claim).expect(400).json();
        assertThat(refused.encode()).contains("config.siteKey").contains("another workspace");
        acme.post("/api/v1/inboxes", claim.copy().put("name", "Acme site again")).expect(201);
    }

    @Test
    void theStreamCarriesOnlyTheCallersWorkspace() {
        try (StreamClient globexStream = StreamClient.connect(globex, 0L);
             StreamClient acmeStream = StreamClient.connect(acme, null)) {
            globexStream.next(f -> "ready".equals(f.getString("type")), Duration.ofSeconds(5));
            acmeStream.next(f -> "ready".equals(f.getString("type")), Duration.ofSeconds(5));
            acmeInbox.say("a2", "acme-customer", "Wile", "Another Acme secret");
            JsonObject event = acmeStream.next(f -> "message.created".equals(f.getString("type")),
                    Duration.ofSeconds(5));
            assertThat(event.getJsonObject("data").getJsonObject("message").getString("body"))
                    .isEqualTo("Another Acme secret");
            // A Globex event after Acme's: the Globex stream is live, and whatever it was sent of Acme's came first.
            ApiInbox.create(globex, "Globex barrier", null).say("gb1", "globex-barrier", "Gail", "Globex barrier");
            List<JsonObject> beforeBarrier = globexStream.upTo(f -> "message.created".equals(f.getString("type"))
                    && "Globex barrier".equals(f.getJsonObject("data").getJsonObject("message").getString("body")),
                    Duration.ofSeconds(5));
            assertThat(beforeBarrier).allSatisfy(e -> assertThat(e.encode()).doesNotContain("Acme"));
        }
    }
}
