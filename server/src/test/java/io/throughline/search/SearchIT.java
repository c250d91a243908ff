package io.throughline.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The search API through the real server: what an agent types and what comes back. */
class SearchIT {

    private static TestServer server;
    private static SearchFixture shop;

    @BeforeAll
    static void start() {
        // Commits are rare here: whatever is found is found through the near-real-time reopen.
        server = TestServer.start(Map.of("search.commitInterval", "1h"));
        shop = SearchFixture.create(server, server.admin(), "Shop");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void storedMessageIsSearchableWithinASecondWithoutACommit() {
        await().atMost(Duration.ofSeconds(30)).until(() -> server.admin().get("/health").json()
                .getJsonObject("checks").getJsonObject("search").getString("status").equals("up"));
        JsonObject first = shop.customerWrites("nrt-0", "Taras", "Доброго дня, перевірка зв'язку");
        await().atMost(Duration.ofSeconds(10)).until(() ->
                SearchFixture.messageIds(shop.search("q", "перевірка")).contains(first.getLong("messageId")));
        long stored = System.nanoTime();
        JsonObject receipt = shop.customerWrites("nrt-1", "Olena", "Де моє замовлення? Чекаю вже тиждень.");
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).until(() ->
                SearchFixture.messageIds(shop.search("q", "замовленням")).contains(receipt.getLong("messageId")));
        long visibleMs = (System.nanoTime() - stored) / 1_000_000;
        System.out.println("near-real-time visibility: " + visibleMs + " ms");
        JsonObject hit = shop.search("q", "замовленням").getJsonArray("hits").getJsonObject(0);
        assertThat(hit.getString("snippet")).contains("<mark>замовлення</mark>");
        assertThat(hit.getLong("conversationId")).isEqualTo(receipt.getLong("conversationId"));
        assertThat(hit.getString("channel")).isEqualTo("api");
        assertThat(hit.getJsonObject("contact").getString("name")).isEqualTo("Olena");
    }
}
