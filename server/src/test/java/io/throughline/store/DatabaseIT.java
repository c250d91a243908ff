package io.throughline.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.throughline.testing.TestPostgres;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pipelined transaction: statements only sent (not awaited) commit with the rest, and one that fails rolls
 * back the whole transaction and is what the commit throws; the connection goes back to the pool clean.
 */
class DatabaseIT {

    private Vertx vertx;
    private Database database;
    private Database observer;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        PgConnectOptions options = PgConnectOptions.fromUri(TestPostgres.newDatabase());
        // One connection: every transaction below reuses the connection of the one before it.
        database = new Database(vertx, options, 1);
        observer = new Database(vertx, options, 1);
        database.sql().rows("CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)");
    }

    @AfterEach
    void stop() {
        database.close();
        observer.close();
        vertx.close().await();
    }

    @Test
    void sentStatementsCommitWithTheAwaitedOnes() {
        database.tx(tx -> {
            tx.rows("INSERT INTO notes VALUES (1, 'awaited')");
            tx.send("INSERT INTO notes VALUES ($1, $2)", 2, "sent");
            tx.send("INSERT INTO notes VALUES ($1, $2)", 3, "sent last");
            return null;
        });
        assertThat(bodies()).containsExactly("awaited", "sent", "sent last");
    }

    @Test
    void aSentStatementThatFailsRollsEverythingBackAndIsWhatTheCommitThrows() {
        assertThatThrownBy(() -> database.tx(tx -> {
            tx.rows("INSERT INTO notes VALUES (1, 'awaited')");
            tx.send("INSERT INTO notes VALUES ($1, $2)", 1, "duplicate key");
            return null;
        })).isInstanceOfSatisfying(PgException.class, e -> assertThat(e.getSqlState()).isEqualTo("23505"));
        assertThat(bodies()).isEmpty();
        assertThat(inTransaction()).isFalse();
    }

    @Test
    void aStatementAfterAFailedSentOneReportsTheSentFailure() {
        assertThatThrownBy(() -> database.tx(tx -> {
            tx.send("INSERT INTO notes VALUES ($1, $2)", 1, null);
            return tx.rows("SELECT count(*) FROM notes");
            // 23502 not_null_violation, not 25P02 "current transaction is aborted"
        })).isInstanceOfSatisfying(PgException.class, e -> assertThat(e.getSqlState()).isEqualTo("23502"));
        assertThat(bodies()).isEmpty();
        assertThat(inTransaction()).isFalse();
    }

    @Test
    void workThatThrowsRollsBackWhatItSent() {
        assertThatThrownBy(() -> database.tx(tx -> {
            tx.send("INSERT INTO notes VALUES ($1, $2)", 1, "sent");
            throw new IllegalStateException("changed my mind");
        })).hasMessage("changed my mind");
        assertThat(bodies()).isEmpty();
        assertThat(inTransaction()).isFalse();
    }

    @Test
    void onThePoolASentStatementRunsAtOnce() {
        database.sql().send("INSERT INTO notes VALUES ($1, $2)", 1, "pool");
        assertThat(bodies()).containsExactly("pool");
    }

    @Test
    void theCheckBelowSeesAConnectionLeftInATransaction() {
        database.sql().rows("BEGIN");
        assertThat(inTransaction()).isTrue();
        database.sql().rows("ROLLBACK");
        assertThat(inTransaction()).isFalse();
    }

    private List<String> bodies() {
        return database.sql().list("SELECT body FROM notes ORDER BY id", row -> row.getString("body"));
    }

    /** Whether the pooled connection was left inside a transaction block (it must never be), seen from another. */
    private boolean inTransaction() {
        return observer.sql().single("""
                SELECT count(*) AS n FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'
                """).getLong("n") > 0;
    }
}
