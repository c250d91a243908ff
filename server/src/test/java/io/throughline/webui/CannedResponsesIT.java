package io.throughline.webui;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.store.Database;
import io.throughline.testing.ApiClient;
import io.throughline.testing.HeldTransaction;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The canned responses API: every agent reads, admins write, short codes unique per workspace. */
class CannedResponsesIT {

    private static TestServer server;
    private static ApiClient admin;
    private static ApiClient agent;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        admin = server.admin();
        admin.post("/api/v1/agents", new JsonObject().put("email", "sam@test.local").put("name", "Sam")
                .put("role", "agent").put("password", "sam-password-123")).expect(201);
        agent = server.anonymous().login("sam@test.local", "sam-password-123");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void adminCreatesChangesAndDeletesAndAgentsReadThem() {
        JsonObject created = admin.post("/api/v1/canned-responses", new JsonObject().put("shortCode", "/Refund")
                .put("title", "Refund policy").put("body", "Hi {{contact.first_name}}, refunds take 5 days."))
                .expect(201).json();
        assertThat(created.getString("shortCode")).isEqualTo("refund");
        long id = created.getLong("id");

        JsonArray seen = agent.get("/api/v1/canned-responses").expect(200).json().getJsonArray("cannedResponses");
        assertThat(seen.stream().map(o -> ((JsonObject) o).getString("shortCode"))).contains("refund");
        assertThat(agent.get("/api/v1/canned-responses/" + id).expect(200).json().getString("title"))
                .isEqualTo("Refund policy");

        JsonObject changed = admin.patch("/api/v1/canned-responses/" + id, new JsonObject()
                .put("body", "Refunds take 3 days.").put("title", "")).expect(200).json();
        assertThat(changed.getString("body")).isEqualTo("Refunds take 3 days.");
        assertThat(changed.getString("title")).isNull();
        assertThat(changed.getString("shortCode")).isEqualTo("refund");
        // An empty code is no change answered 200: it is refused. A code of 64 typed with its "/" is taken.
        admin.patch("/api/v1/canned-responses/" + id, new JsonObject().put("shortCode", " ")).expect(400);
        String longest = "r".repeat(64);
        assertThat(admin.patch("/api/v1/canned-responses/" + id, new JsonObject().put("shortCode", "/" + longest))
                .expect(200).json().getString("shortCode")).isEqualTo(longest);

        admin.delete("/api/v1/canned-responses/" + id).expect(204);
        agent.get("/api/v1/canned-responses/" + id).expect(404);
    }

    @Test
    void twoAdminsChangingOneResponseAtOnceKeepBothChanges() throws Exception {
        long id = admin.post("/api/v1/canned-responses", new JsonObject().put("shortCode", "ship")
                .put("title", "Shipping").put("body", "Ships in 2 days.")).expect(201).json().getLong("id");
        Database database = server.throughline().database();
        // One admin's new title, not yet committed when another saves a new body.
        HeldTransaction<Integer> title = HeldTransaction.start(database, tx ->
                tx.update("UPDATE canned_responses SET title = 'Shipping times' WHERE id = $1", id));
        CompletableFuture<ApiClient.Response> body = CompletableFuture.supplyAsync(() -> admin.patch(
                "/api/v1/canned-responses/" + id, new JsonObject().put("body", "Ships in 1 day.")),
                Thread::startVirtualThread);
        await().atMost(Duration.ofSeconds(15)).until(() -> HeldTransaction.someoneWaits(database));
        title.commit();

        JsonObject saved = body.get(10, TimeUnit.SECONDS).expect(200).json();
        assertThat(saved.getString("title")).isEqualTo("Shipping times");
        assertThat(saved.getString("body")).isEqualTo("Ships in 1 day.");
    }

    @Test
    void agentsCannotChangeThem() {
        agent.post("/api/v1/canned-responses", new JsonObject().put("shortCode", "hi").put("body", "Hello"))
                .expect(403);
        long id = admin.post("/api/v1/canned-responses", new JsonObject().put("shortCode", "bye")
                .put("body", "Goodbye")).expect(201).json().getLong("id");
        agent.patch("/api/v1/canned-responses/" + id, new JsonObject().put("body", "x")).expect(403);
        agent.delete("/api/v1/canned-responses/" + id).expect(403);
    }

    @Test
    void shortCodesAreUniqueWhateverTheirCase() {
        admin.post("/api/v1/canned-responses", new JsonObject().put("shortCode", "Доставка")
                .put("body", "Доставка займає 2 дні.")).expect(201);
        JsonObject problem = admin.post("/api/v1/canned-responses", new JsonObject().put("shortCode", "доставка")
                .put("body", "Інший текст")).expect(409).json();
        assertThat(problem.getString("detail")).contains("доставка");
    }

    /**
     * Codes in scripts whose letters carry marks are taken, and a code is checked as stored: a Turkish "İ" lowercases
     * to "i" with a combining dot, which the settings form sends back with every later save.
     */
    @Test
    void shortCodesWithMarksAreTakenAndPassAgainAsStored() {
        JsonObject iade = admin.post("/api/v1/canned-responses", new JsonObject().put("shortCode", "/İade")
                .put("title", "İade").put("body", "İadeniz işleme alındı.")).expect(201).json();
        assertThat(iade.getString("shortCode")).isEqualTo("i\u0307ade");
        admin.patch("/api/v1/canned-responses/" + iade.getLong("id"), new JsonObject()
                .put("shortCode", iade.getString("shortCode")).put("title", "İade talebi")).expect(200);
        admin.post("/api/v1/canned-responses", new JsonObject().put("shortCode", "धन्यवाद").put("title", "Thanks")
                .put("body", "धन्यवाद!")).expect(201);
    }

    @Test
    void searchMatchesShortCodeFirstThenTextInAnyScript() {
        admin.post("/api/v1/canned-responses", new JsonObject().put("shortCode", "zwrot")
                .put("body", "Zwrot pieniędzy trwa 5 dni.")).expect(201);
        admin.post("/api/v1/canned-responses", new JsonObject().put("shortCode", "policy")
                .put("title", "Zwrot: zasady").put("body", "Zasady zwrotów.")).expect(201);
        JsonArray hits = agent.get("/api/v1/canned-responses?q=ZWROT").expect(200).json()
                .getJsonArray("cannedResponses");
        assertThat(hits.stream().map(o -> ((JsonObject) o).getString("shortCode")))
                .containsExactly("zwrot", "policy");
        admin.post("/api/v1/canned-responses", new JsonObject().put("shortCode", "оплата")
                .put("body", "Оплата карткою при отриманні.")).expect(201);
        JsonArray cyrillic = agent.get("/api/v1/canned-responses?q=" + URLEncoder.encode("ОПЛ", UTF_8)).expect(200)
                .json().getJsonArray("cannedResponses");
        assertThat(cyrillic.stream().map(o -> ((JsonObject) o).getString("shortCode"))).containsExactly("оплата");
    }

    @Test
    void badInputNamesEveryProblem() {
        JsonObject problem = admin.post("/api/v1/canned-responses", new JsonObject().put("shortCode", "has space")
                .put("body", "")).expect(400).json();
        assertThat(problem.getJsonArray("errors").stream().map(o -> ((JsonObject) o).getString("field")))
                .containsExactlyInAnyOrder("shortCode", "body");
        admin.raw("POST", "/api/v1/canned-responses", "application/json", "{nope".getBytes()).expect(400);
        admin.patch("/api/v1/canned-responses/999999", new JsonObject().put("body", "x")).expect(404);
    }

    @Test
    void anotherWorkspaceNeverSeesThem() {
        long id = admin.post("/api/v1/canned-responses", new JsonObject().put("shortCode", "secret-offer")
                .put("body", "20% off")).expect(201).json().getLong("id");
        var other = server.throughline().workspaces().create("Other", "boss@other.local", "Boss",
                "other-password-123");
        ApiClient stranger = server.anonymous().login("boss@other.local", "other-password-123");
        assertThat(other.workspaceId()).isNotEqualTo(1L);
        stranger.get("/api/v1/canned-responses/" + id).expect(404);
        stranger.delete("/api/v1/canned-responses/" + id).expect(404);
        assertThat(stranger.get("/api/v1/canned-responses").expect(200).json().getJsonArray("cannedResponses"))
                .isEmpty();
    }
}
