package io.throughline.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.ApiClient;
import io.throughline.testing.ApiInbox;
import io.throughline.testing.StreamClient;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The agent WebSocket stream: in order, resumable, authenticated, and it sheds slow readers cleanly. */
class AgentStreamIT {

    /** StreamRoutes.MAX_PER_AGENT. */
    private static final int MAX_STREAMS_PER_AGENT = 20;

    private TestServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    /**
     * A browser behind a TLS proxy: its page's origin is https, the server hears http with X-Forwarded-Proto. Its
     * cookie-authenticated stream is same-origin (it was refused); another site's page still is not.
     */
    @Test
    void aCookieStreamThroughATlsProxyIsSameOriginAndAnotherSitesIsRefused() {
        server = TestServer.start(Map.of("http.trustProxy", "true"));
        ApiClient admin = server.admin();
        String origin = server.url().replaceFirst("^http:", "https:");
        try (StreamClient stream = StreamClient.asBrowser(admin, Map.of("Origin", origin,
                "X-Forwarded-Proto", "https"))) {
            JsonObject ready = stream.next(f -> "ready".equals(f.getString("type")), Duration.ofSeconds(5));
            // The heartbeat's period (1 s on test servers), by which the inbox tells a quiet stream from a dead one.
            assertThat(ready.getJsonObject("data").getInteger("heartbeatSeconds")).isEqualTo(1);
        }
        CompletionException refused = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class,
                () -> StreamClient.asBrowser(admin, Map.of("Origin", "https://evil.example",
                        "X-Forwarded-Proto", "https")));
        assertThat(((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode()).isEqualTo(403);
    }

    @Test
    void reconnectingWithSinceDeliversExactlyTheMissedEventsInOrder() {
        server = TestServer.start();
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Shop", null);
        long lastSeen;
        try (StreamClient stream = StreamClient.connect(admin, null)) {
            stream.next(f -> "ready".equals(f.getString("type")), Duration.ofSeconds(5));
            inbox.say("before", "c1", "Ann", "before the drop");
            JsonObject seen = stream.next(f -> "message.created".equals(f.getString("type")), Duration.ofSeconds(5));
            lastSeen = seen.getLong("seq");
        }
        inbox.say("gap-1", "c1", "Ann", "missed one");
        inbox.say("gap-2", "c2", "Bob", "missed two");
        inbox.say("gap-3", "c1", "Ann", "missed three");

        try (StreamClient resumed = StreamClient.connect(admin, lastSeen)) {
            List<JsonObject> messages = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                messages.add(resumed.next(f -> "message.created".equals(f.getString("type")), Duration.ofSeconds(5)));
            }
            assertThat(messages).extracting(e -> e.getJsonObject("data").getJsonObject("message").getString("body"))
                    .containsExactly("missed one", "missed two", "missed three");
            assertThat(resumed.drain(Duration.ofMillis(500))).as("nothing repeated or extra").isEmpty();
        }
    }

    @Test
    void eventsArriveInStrictlyIncreasingSeqAndTheHeartbeatCarriesTheResumePoint() {
        server = TestServer.start();
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Shop", null);
        try (StreamClient stream = StreamClient.connect(admin, 0L)) {
            for (int i = 0; i < 10; i++) {
                inbox.say("m" + i, "c" + (i % 3), "Customer", "message " + i);
            }
            // inbox.changed, then per customer contact.created and conversation.created, and 10 messages.
            List<JsonObject> events = stream.events(17, Duration.ofSeconds(10));
            assertThat(events.stream().filter(e -> "message.created".equals(e.getString("type")))).hasSize(10);
            for (int i = 1; i < events.size(); i++) {
                assertThat(events.get(i).getLong("seq")).isGreaterThan(events.get(i - 1).getLong("seq"));
            }
            JsonObject beat = stream.next(f -> "heartbeat".equals(f.getString("type")), Duration.ofSeconds(5));
            assertThat(beat.getJsonObject("data").getLong("seq")).isGreaterThanOrEqualTo(events.getLast().getLong("seq"));
        }
    }

    @Test
    void anUnauthenticatedStreamIsRefused() {
        server = TestServer.start();
        WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder();
        CompletionException refused = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class,
                () -> builder.buildAsync(URI.create(server.url().replace("http", "ws") + "/api/v1/stream"),
                        new WebSocket.Listener() { }).join());
        assertThat(refused.getCause()).isInstanceOf(WebSocketHandshakeException.class);
        assertThat(((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode()).isEqualTo(401);
    }

    /** An agent's streams on a node are capped (a leaked token must not open hundreds); a closed one frees room. */
    @Test
    void anAgentsStreamsAreCappedAndAClosedOneFreesItsRoom() {
        server = TestServer.start();
        ApiClient admin = server.admin();
        List<StreamClient> streams = new ArrayList<>();
        try {
            for (int i = 0; i < MAX_STREAMS_PER_AGENT; i++) {
                StreamClient stream = StreamClient.connect(admin, null);
                streams.add(stream);
                stream.next(f -> "ready".equals(f.getString("type")), Duration.ofSeconds(10));
            }
            WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder()
                    .header("Authorization", "Bearer " + admin.token());
            URI stream = URI.create(server.url().replace("http", "ws") + "/api/v1/stream");
            CompletionException refused = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class,
                    () -> builder.buildAsync(stream, new WebSocket.Listener() { }).join());
            assertThat(((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode()).isEqualTo(429);

            streams.removeFirst().close();
            StreamClient again = await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> StreamClient.connect(admin, null), s -> s != null);
            streams.add(again);
            again.next(f -> "ready".equals(f.getString("type")), Duration.ofSeconds(10));
        } finally {
            streams.forEach(StreamClient::close);
        }
    }

    @Test
    void aReaderThatFallsTooFarBehindIsClosedWith1013AndCanResume() {
        server = TestServer.start(Map.of("realtime.maxPendingEvents", "10"));
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Shop", null);
        String big = "x".repeat(60_000);
        try (StreamClient stalled = StreamClient.stalled(admin, 0L)) {
            stalled.next(f -> "ready".equals(f.getString("type")), Duration.ofSeconds(5));
            assertThat(openStreams(admin)).isEqualTo(1);
            // The client reads nothing: once the kernel buffers are full, the server's writes queue up.
            for (int i = 0; i < 1500 && openStreams(admin) > 0; i++) {
                inbox.say("big-" + i, "c1", "Ann", big);
            }
            assertThat(openStreams(admin)).as("the server dropped the stalled stream").isZero();
            stalled.resume();
            assertThat(stalled.awaitClose(Duration.ofSeconds(20))).isEqualTo(1013);
            // The socket's own close after the server's counts the stream once (the gauge went to -1).
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> openStreams(admin) == 0);
        }
        try (StreamClient resumed = StreamClient.connect(admin, 0L)) {
            assertThat(resumed.events(5, Duration.ofSeconds(10))).hasSize(5);
        }
    }

    /** Frames carry whole messages: a count of frames alone would let a stalled reader hold gigabytes. */
    @Test
    void aStalledReaderOfLargeMessagesIsClosedLongBeforeTheFrameLimit() {
        server = TestServer.start();
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Shop", null);
        String big = "y".repeat(63_000);
        int sent = 0;
        try (StreamClient stalled = StreamClient.stalled(admin, 0L)) {
            stalled.next(f -> "ready".equals(f.getString("type")), Duration.ofSeconds(5));
            for (; sent < 2_000 && openStreams(admin) > 0; sent++) {
                inbox.say("huge-" + sent, "c1", "Ann", big);
            }
            assertThat(openStreams(admin)).as("the server dropped the stalled stream").isZero();
            assertThat(sent).as("by the characters waiting, not the 5,000 frames").isLessThan(1_000);
            stalled.resume();
            assertThat(stalled.awaitClose(Duration.ofSeconds(20))).isEqualTo(1013);
        }
    }

    /** A database restored from a backup no longer holds the seqs a browser saw: it starts over, told so. */
    @Test
    void aResumePointPastTheNewestEventStartsOverWithAReset() {
        server = TestServer.start();
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Shop", null);
        try (StreamClient stream = StreamClient.connect(admin, 1_000_000_000L)) {
            JsonObject ready = stream.next(f -> "ready".equals(f.getString("type")), Duration.ofSeconds(5));
            assertThat(ready.getJsonObject("data").getBoolean("reset")).isTrue();
            assertThat(ready.getJsonObject("data").getLong("since")).isLessThan(1_000_000_000L);
            inbox.say("after-reset", "c1", "Ann", "seen although our seq was ahead");
            assertThat(stream.next(f -> "message.created".equals(f.getString("type")), Duration.ofSeconds(5))
                    .getJsonObject("data").getJsonObject("message").getString("body"))
                    .isEqualTo("seen although our seq was ahead");
        }
        try (StreamClient plain = StreamClient.connect(admin, 0L)) {
            assertThat(plain.next(f -> "ready".equals(f.getString("type")), Duration.ofSeconds(5))
                    .getJsonObject("data").containsKey("reset")).isFalse();
        }
    }

    /** Lists and headers showed "Unnamed" all day: the name a known customer's later message carries is news. */
    @Test
    void aContactKnownWithoutANameIsUpdatedWithTheNameTheirNextMessageCarries() {
        server = TestServer.start();
        ApiClient admin = server.admin();
        ApiInbox inbox = ApiInbox.create(admin, "Shop", null);
        JsonArray identity = new JsonArray().add(ApiInbox.identity("external_id", "cust-nameless", true));
        long contact = inbox.send("nameless-1", null, identity, "first, without a name").expect(201).json()
                .getLong("contactId");
        try (StreamClient stream = StreamClient.connect(admin, null)) {
            stream.next(f -> "ready".equals(f.getString("type")), Duration.ofSeconds(5));
            inbox.send("nameless-2", "Nadia Named", identity, "now with a name").expect(201);
            JsonObject updated = stream.next(f -> "contact.updated".equals(f.getString("type")),
                    Duration.ofSeconds(5));
            assertThat(updated.getJsonObject("data").getJsonObject("contact"))
                    .isEqualTo(new JsonObject().put("id", contact).put("name", "Nadia Named"));
            inbox.send("nameless-3", "Another Name", identity, "the name stays the first one given").expect(201);
            // The message's transaction would write a contact.updated before its message.created.
            assertThat(stream.upTo(f -> "message.created".equals(f.getString("type"))
                    && f.getJsonObject("data").getJsonObject("message").getString("body").startsWith("the name"),
                    Duration.ofSeconds(5))).noneMatch(f -> "contact.updated".equals(f.getString("type")));
            assertThat(stream.drain(Duration.ofMillis(300))).noneMatch(f -> "contact.updated".equals(
                    f.getString("type")));
        }
        assertThat(admin.get("/api/v1/contacts/" + contact).expect(200).json().getString("name"))
                .isEqualTo("Nadia Named");
    }

    /** The stream gauge of /metrics. */
    private static int openStreams(ApiClient client) {
        String metrics = client.get("/metrics").expect(200).body();
        return metrics.lines().filter(l -> l.startsWith("throughline_agent_streams "))
                .map(l -> (int) Double.parseDouble(l.substring(l.indexOf(' ') + 1).trim())).findFirst()
                .orElseThrow(() -> new AssertionError("no throughline_agent_streams gauge in /metrics"));
    }

    /**
     * With the heartbeat (which checks the session too) far off, a logout ends the stream of that session at once,
     * while the same agent's other session keeps its stream.
     */
    @Test
    void loggingOutEndsTheStreamOfThatSessionAtOnce() {
        server = TestServer.start(Map.of("realtime.heartbeat", "60s"));
        ApiClient admin = server.admin();
        ApiClient otherTab = new ApiClient(server.url()).login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD);
        try (StreamClient stream = StreamClient.connect(admin, null);
             StreamClient other = StreamClient.connect(otherTab, null)) {
            stream.next(f -> "ready".equals(f.getString("type")), Duration.ofSeconds(5));
            other.next(f -> "ready".equals(f.getString("type")), Duration.ofSeconds(5));
            admin.post("/api/v1/auth/logout", new JsonObject()).expect(204);
            assertThat(stream.awaitClose(Duration.ofSeconds(5))).isEqualTo(4401);
            ApiInbox.create(otherTab, "Shop", null).say("m-1", "c-1", "Ann", "after the other session's logout");
            other.next(f -> "message.created".equals(f.getString("type")), Duration.ofSeconds(10));
        }
    }

    /**
     * Deactivating an agent on one node ends their stream on another at once (the heartbeat is a minute away), and
     * leaves the admin's own stream open.
     */
    @Test
    void deactivatingAnAgentOnOneNodeEndsTheirStreamOnAnotherAtOnce() {
        server = TestServer.start(Map.of("realtime.heartbeat", "60s"));
        ApiClient admin = server.admin();
        long samId = admin.post("/api/v1/agents", new JsonObject().put("email", "sam@test.local").put("name", "Sam")
                .put("role", "agent").put("password", "sam-long-password")).expect(201).json().getLong("id");
        try (TestServer otherNode = TestServer.startOn(server.databaseUrl(), TestServer.tempDir(),
                Map.of("realtime.heartbeat", "60s"))) {
            ApiClient sam = new ApiClient(otherNode.url()).login("sam@test.local", "sam-long-password");
            try (StreamClient samStream = StreamClient.connect(sam, null);
                 StreamClient adminStream = StreamClient.connect(admin, null)) {
                samStream.next(f -> "ready".equals(f.getString("type")), Duration.ofSeconds(5));
                adminStream.next(f -> "ready".equals(f.getString("type")), Duration.ofSeconds(5));
                admin.patch("/api/v1/agents/" + samId, new JsonObject().put("active", false)).expect(200);
                assertThat(samStream.awaitClose(Duration.ofSeconds(5))).isEqualTo(4401);
                ApiInbox.create(admin, "Shop", null).say("m-2", "c-2", "Bo", "the admin still hears this");
                adminStream.next(f -> "message.created".equals(f.getString("type")), Duration.ofSeconds(10));
            }
        }
    }
}
