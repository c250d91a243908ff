package io.throughline.inbox;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.throughline.connector.StorageUnavailable;
import io.throughline.store.Database;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.io.IOException;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/**
 * A database that cannot be reached is the storage's trouble, not the mail server's: receivers back off for seconds
 * on it rather than for minutes (an IMAP receiver counted it as its server failing).
 */
class CheckpointsTest {

    @Test
    void aDatabaseOutOfReachIsStorageUnavailable() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Vertx vertx = Vertx.vertx();
        try {
            Database database = new Database(vertx, new PgConnectOptions().setHost("127.0.0.1").setPort(closedPort)
                    .setDatabase("none").setUser("none").setPassword("none"), 1);
            Checkpoints checkpoints = new Checkpoints(database, 1);
            assertThatThrownBy(() -> checkpoints.load("imap:INBOX")).isInstanceOf(StorageUnavailable.class);
            assertThatThrownBy(() -> checkpoints.save("imap:INBOX", new JsonObject().put("lastUid", 1)))
                    .isInstanceOf(StorageUnavailable.class);
        } finally {
            vertx.close().await();
        }
    }
}
