package io.throughline.widget;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.store.Sql;
import io.throughline.testing.ApiClient;
import io.throughline.testing.TestServer;
import io.throughline.testing.VisitorClient;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A chat tab away longer than {@code realtime.eventRetention} resumes from a seq whose following events were
 * pruned: it reloads its thread rather than replaying only what is left (the agent's first reply would be lost).
 */
class PrunedHistoryIT {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private TestServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void aWidgetResumingBelowThePrunedLogIsToldToReloadNotFedTheRest() {
        server = TestServer.start();
        ApiClient admin = server.admin();
        String siteKey = Widgets.create(admin, Widgets.SHOP).getString("siteKey");
        VisitorClient visitor = new VisitorClient(server.url(), siteKey, Widgets.SHOP).start();
        long conversation;
        long since;
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.message("is my parcel on its way?");
            conversation = Widgets.conversationOf(server, socket.next("ack", WAIT).getLong("messageId"));
            socket.send(new JsonObject().put("type", "ping"));
            since = socket.next("pong", WAIT).getLong("seq");
        }
        admin.post("/api/v1/conversations/" + conversation + "/messages",
                new JsonObject().put("body", "it left the warehouse")).expect(201);
        Sql sql = server.throughline().database().sql();
        long firstReply = sql.single("SELECT max(seq) AS s FROM events").getLong("s");
        admin.post("/api/v1/conversations/" + conversation + "/messages",
                new JsonObject().put("body", "and arrives tomorrow")).expect(201);
        sql.update("UPDATE events SET created_at = now() - interval '31 days' WHERE seq <= $1", firstReply);
        assertThat(server.throughline().eventRetention().prune()).isPositive();

        try (VisitorClient.Socket resumed = visitor.connect(since)) {
            JsonObject first = resumed.next(f -> "message".equals(f.getString("type"))
                    || "reset".equals(f.getString("type")), WAIT);
            assertThat(first.getString("type")).as("the first reply is gone from the log: reload").isEqualTo("reset");
            assertThat(resumed.drain(Duration.ofMillis(500))).noneMatch(f -> "message".equals(f.getString("type")));
        }
        assertThat(visitor.history()).extracting(m -> ((JsonObject) m).getString("body"))
                .contains("it left the warehouse", "and arrives tomorrow");
    }
}
