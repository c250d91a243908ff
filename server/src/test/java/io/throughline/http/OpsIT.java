package io.throughline.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.ApiClient;
import io.throughline.testing.ApiInbox;
import io.throughline.testing.TestPostgres;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What operators look at: /health and /metrics. */
class OpsIT {

    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void healthReportsTheDatabaseMigrationsFeedAndEveryInbox() {
        ApiInbox.create(server.admin(), "Shop", null);
        ApiClient.Response health = server.anonymous().get("/health").expect(200);
        JsonObject checks = health.json().getJsonObject("checks");
        assertThat(health.json().getString("status")).isEqualTo("up");
        assertThat(checks.getJsonObject("database").getString("status")).isEqualTo("up");
        assertThat(checks.getJsonObject("migrations").getJsonArray("pending")).isEmpty();
        assertThat(checks.getJsonObject("eventFeed").getLong("seq")).isNotNull();
        assertThat(checks.getJsonArray("connectors")).anySatisfy(c -> {
            JsonObject connector = (JsonObject) c;
            assertThat(connector.getString("kind")).isEqualTo("api");
            assertThat(connector.getString("status")).isEqualTo("up");
        });
        // The search index and the widget count every workspace's documents and chats: anyone sees their state,
        // the operator their detail (a failure's text can name the index's folder or the database's host).
        await().atMost(Duration.ofSeconds(30)).until(() -> "up".equals(server.anonymous().get("/health").json()
                .getJsonObject("checks").getJsonObject("search").getString("status")));
        JsonObject anonymous = server.anonymous().get("/health").json().getJsonObject("checks");
        assertThat(anonymous.getJsonObject("search").fieldNames()).containsExactly("status");
        assertThat(anonymous.getJsonObject("widget").fieldNames()).containsExactly("status");
        assertThat(server.admin().get("/health").json().getJsonObject("checks").getJsonObject("search")
                .fieldNames()).containsExactly("status");
        JsonObject operator = server.operator().get("/health").json().getJsonObject("checks");
        assertThat(operator.getJsonObject("search").fieldNames()).contains("status", "generation", "documents");
        assertThat(operator.getJsonObject("widget").getInteger("connections")).isNotNull();
    }

    /** The data directory holds every message's text (in the search index) and file: its owner's only. */
    @Test
    void aNewDataDirectoryIsItsOwnersOnly() throws IOException {
        Path data = TestServer.tempDir().resolve("fresh");
        try (TestServer fresh = TestServer.startOn(TestPostgres.newDatabase(), data, Map.of())) {
            for (Path directory : List.of(data, data.resolve("index"), data.resolve("attachments"))) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(directory)))
                        .as(directory.toString()).isEqualTo("rwx------");
            }
            fresh.anonymous().get("/health").expect(200);
        }
    }

    @Test
    void metricsArePrometheusText() {
        server.admin().get("/api/v1/conversations").expect(200);
        String metrics = server.anonymous().get("/metrics").expect(200).body();
        assertThat(metrics).contains("# TYPE").contains("vertx_http_server_requests_total")
                .contains("throughline_agent_streams");
    }
}
