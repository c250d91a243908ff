package io.throughline.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.ApiClient;
import io.throughline.testing.ApiInbox;
import io.throughline.testing.StreamClient;
import io.throughline.testing.TestPostgres;
import io.throughline.testing.TestServer;
import io.throughline.testing.WebhookReceiver;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two stateless nodes on one PostgreSQL: the same events on both streams, each reply sent once, and transient
 * signals (typing) relayed between them through the shared notification listener.
 */
class TwoNodesIT {

    private static TestServer nodeA;
    private static TestServer nodeB;
    private static WebhookReceiver webhook;

    @BeforeAll
    static void start() {
        String database = TestPostgres.newDatabase();
        // A slow safety-net poll: the test passes only if NOTIFY really rings the other node.
        Map<String, String> config = Map.of("realtime.pollInterval", "30s");
        nodeA = TestServer.startOn(database, TestServer.tempDir(), config);
        nodeB = TestServer.startOn(database, TestServer.tempDir(), config);
        webhook = new WebhookReceiver();
    }

    @AfterAll
    static void stop() {
        nodeA.close();
        nodeB.close();
        webhook.close();
    }

    @Test
    void bothNodesStreamTheSameEventsInTheSameOrder() {
        ApiClient adminA = nodeA.admin();
        ApiClient adminB = nodeB.admin();
        ApiInbox inbox = ApiInbox.create(adminA, "Shop", null);
        try (StreamClient streamA = StreamClient.connect(adminA, null);
             StreamClient streamB = StreamClient.connect(adminB, null)) {
            streamA.next(f -> "ready".equals(f.getString("type")), Duration.ofSeconds(5));
            streamB.next(f -> "ready".equals(f.getString("type")), Duration.ofSeconds(5));
            inbox.say("n1", "c1", "Ann", "written on node A");
            new ApiInbox(inbox.id(), inbox.token(), inbox.webhookSecret(), nodeB.url())
                    .say("n2", "c1", "Ann", "written on node B");
            List<JsonObject> onA = messages(streamA);
            List<JsonObject> onB = messages(streamB);
            assertThat(onA).extracting(e -> e.getLong("seq")).isEqualTo(onB.stream().map(e -> e.getLong("seq")).toList());
            assertThat(onB).extracting(e -> e.getJsonObject("data").getJsonObject("message").getString("body"))
                    .containsExactly("written on node A", "written on node B");
        }
    }

    @Test
    void repliesPostedOnBothNodesAreEachDeliveredOnce() {
        ApiClient adminA = nodeA.admin();
        ApiClient adminB = nodeB.admin();
        ApiInbox inbox = ApiInbox.create(adminA, "Delivering shop", webhook.url());
        long conversation = inbox.say("d1", "c2", "Bob", "Hello").getLong("conversationId");
        await().atMost(Duration.ofSeconds(10)).until(() ->
                adminB.get("/api/v1/inboxes/" + inbox.id()).status() == 200);
        for (int i = 0; i < 20; i++) {
            (i % 2 == 0 ? adminA : adminB).post("/api/v1/conversations/" + conversation + "/messages",
                    new JsonObject().put("body", "reply " + i)).expect(201);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> webhook.received().size() >= 20);
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(3)).until(() -> webhook.received().size() == 20);
        assertThat(new HashSet<>(webhook.received().stream().map(r -> r.header("Idempotency-Key")).toList()))
                .hasSize(20);
    }

    @Test
    void typingOnOneNodeShowsOnTheOther() {
        ApiInbox inbox = ApiInbox.create(nodeA.admin(), "Typing shop", null);
        long conversation = inbox.say("t1", "c3", "Cleo", "Anyone?").getLong("conversationId");
        try (StreamClient streamB = StreamClient.connect(nodeB.admin(), null)) {
            streamB.next(f -> "ready".equals(f.getString("type")), Duration.ofSeconds(5));
            nodeA.admin().post("/api/v1/conversations/" + conversation + "/typing",
                    new JsonObject().put("typing", true)).expect(204);
            JsonObject typing = streamB.next(f -> "agent.typing".equals(f.getString("type")), Duration.ofSeconds(5));
            assertThat(typing.getJsonObject("data").getLong("conversationId")).isEqualTo(conversation);
            assertThat(typing.getJsonObject("data").getBoolean("typing")).isTrue();
        }
    }

    private static List<JsonObject> messages(StreamClient stream) {
        JsonObject first = stream.next(f -> "message.created".equals(f.getString("type")), Duration.ofSeconds(5));
        JsonObject second = stream.next(f -> "message.created".equals(f.getString("type")), Duration.ofSeconds(5));
        return List.of(first, second);
    }
}
