package io.throughline;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.config.ConfigLoader;
import io.throughline.testing.ApiClient;
import io.throughline.testing.ApiInbox;
import io.throughline.testing.TestPostgres;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The two-command promise on a fresh machine: with no database configured, Throughline runs its own PostgreSQL
 * under data/pg, creates the first admin once with a generated password, and keeps everything across restarts.
 */
class RestartIT {

    @Test
    void anEmbeddedInstallationKeepsItsDataAndItsAdminAcrossRestarts() throws Exception {
        Path data = TestServer.tempDir();
        Map<String, String> config = Map.of("http.host", "127.0.0.1", "http.port", "0", "data.dir", data.toString(),
                "demo.enabled", "true", "http.shutdownGrace", "1s");
        String password;
        long conversation;
        try (Throughline first = Throughline.start(ConfigLoader.fromMap(config))) {
            assertThat(first.embeddedDatabase()).isTrue();
            assertThat(Files.isDirectory(data.resolve("pg"))).isTrue();
            // Durable commits: what is acknowledged to a customer's channel survives a power cut.
            for (String setting : new String[] {"fsync", "synchronous_commit", "full_page_writes"}) {
                assertThat(first.database().sql().single("SELECT current_setting($1) AS value", setting)
                        .getString("value")).as(setting).isEqualTo("on");
            }
            assertThat(first.firstStart()).isNotNull();
            assertThat(first.firstStart().adminEmail()).isEqualTo("admin@throughline.local");
            password = first.firstStart().generatedPassword();
            assertThat(password).hasSize(20);
            ApiClient admin = new ApiClient(first.publicUrl().toString()).login("admin@throughline.local", password);
            assertThat(admin.get("/api/v1/conversations").json().getJsonArray("conversations"))
                    .as("demo conversations").hasSizeGreaterThanOrEqualTo(3);
            ApiInbox inbox = ApiInbox.create(admin, "Kept", null);
            conversation = inbox.say("kept-1", "k1", "Kim", "remember me").getLong("conversationId");
        }
        try (Throughline second = Throughline.start(ConfigLoader.fromMap(config))) {
            assertThat(second.firstStart()).as("the admin is created only once").isNull();
            ApiClient admin = new ApiClient(second.publicUrl().toString()).login("admin@throughline.local", password);
            JsonObject thread = admin.get("/api/v1/conversations/" + conversation + "/messages").expect(200).json();
            assertThat(thread.getJsonArray("messages").getJsonObject(0).getString("body")).isEqualTo("remember me");
        }
    }

    /**
     * Inbox names are not unique: an admin may give a second inbox the name of one the config file declares, and
     * the next start (finding the file's inbox by kind and name) still comes up, creating neither again.
     */
    @Test
    void aSecondInboxNamedAsTheConfigFilesOneDoesNotStopTheNextStart() throws Exception {
        Path file = Files.writeString(TestServer.tempDir().resolve("throughline.yaml"), """
                inboxes:
                  - kind: api
                    name: Shop
                """);
        String database = TestPostgres.newDatabase();
        Path data = TestServer.tempDir();
        try (TestServer first = TestServer.startOn(database, data, file, Map.of())) {
            ApiClient admin = first.admin();
            admin.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", "Shop")).expect(201);
            assertThat(shops(admin)).isEqualTo(2);
        }
        try (TestServer second = TestServer.startOn(database, data, file, Map.of())) {
            assertThat(shops(second.admin())).isEqualTo(2);
        }
    }

    /**
     * The file's inboxes are found by the name the file gives them: one an admin renamed is not created again (an
     * email inbox would clash with its own address and stop the start), and one an admin deleted stays deleted.
     */
    @Test
    void theConfigFilesInboxesRenamedOrDeletedInTheAppAreNotCreatedAgain() throws Exception {
        Path file = Files.writeString(TestServer.tempDir().resolve("throughline.yaml"), """
                inboxes:
                  - kind: api
                    name: Shop
                  - kind: api
                    name: Old shop
                """);
        String database = TestPostgres.newDatabase();
        Path data = TestServer.tempDir();
        try (TestServer first = TestServer.startOn(database, data, file, Map.of())) {
            ApiClient admin = first.admin();
            admin.patch("/api/v1/inboxes/" + inboxId(admin, "Shop"), new JsonObject().put("name", "Web shop"))
                    .expect(200);
            admin.delete("/api/v1/inboxes/" + inboxId(admin, "Old shop")).expect(204);
        }
        try (TestServer second = TestServer.startOn(database, data, file, Map.of())) {
            assertThat(second.admin().get("/api/v1/inboxes").json().getJsonArray("inboxes").stream()
                    .map(JsonObject.class::cast).map(inbox -> inbox.getString("name"))).containsExactly("Web shop");
        }
    }

    private static long inboxId(ApiClient admin, String name) {
        return admin.get("/api/v1/inboxes").json().getJsonArray("inboxes").stream().map(JsonObject.class::cast)
                .filter(inbox -> inbox.getString("name").equals(name)).findFirst().orElseThrow().getLong("id");
    }

    private static long shops(ApiClient admin) {
        return admin.get("/api/v1/inboxes").json().getJsonArray("inboxes").stream().map(JsonObject.class::cast)
                .filter(inbox -> inbox.getString("name").equals("Shop")).count();
    }
}
