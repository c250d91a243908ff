package io.throughline.realtime;

import static org.awaitility.Awaitility.await;

import io.throughline.testing.FreezingProxy;
import io.throughline.testing.TestPostgres;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The LISTEN connection, through which a node hears the other nodes' commits, typing and ended sessions. */
class PgListenerIT {

    /**
     * A connection whose network goes silent while it is being made (the TCP handshake passed, PostgreSQL's never
     * answers) hung for good: no timeout covered it and the probe looks only at a connection made, so the node never
     * listened again. It is given up and made again, and listens once the network is back.
     */
    @Test
    void aConnectionThatHangsWhileBeingMadeIsGivenUpAndMadeAgain() throws Exception {
        String database = TestPostgres.newDatabase();
        int port = Integer.parseInt(database.replaceAll(".*:(\\d+)/.*", "$1"));
        Vertx vertx = Vertx.vertx();
        try (FreezingProxy network = FreezingProxy.start(port)) {
            network.freeze();
            PgListener listener = new PgListener(vertx, PgConnectOptions.fromUri(network.route(database)));
            List<String> heard = new CopyOnWriteArrayList<>();
            listener.listen("listener_test", heard::add);
            listener.start();
            try {
                await().atMost(Duration.ofSeconds(40)).until(() -> network.accepted() >= 2);
                network.heal();
                PgConnection other = PgConnection.connect(vertx, PgConnectOptions.fromUri(database))
                        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                try {
                    await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).until(() -> {
                        other.query("NOTIFY listener_test, 'hello'").execute().toCompletionStage()
                                .toCompletableFuture().get(10, TimeUnit.SECONDS);
                        return heard.contains("hello");
                    });
                } finally {
                    other.close();
                }
            } finally {
                listener.stop();
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
