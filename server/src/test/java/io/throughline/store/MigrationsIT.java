package io.throughline.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.throughline.testing.TestPostgres;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Transaction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Migrations apply once, under a lock that makes simultaneous starts safe, and refuse edited history. */
class MigrationsIT {

    private Vertx vertx;
    private Database database;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        database = new Database(vertx, PgConnectOptions.fromUri(TestPostgres.newDatabase()), 4);
    }

    @AfterEach
    void stop() {
        database.close();
        vertx.close().await();
    }

    /**
     * The queries that read conversations by what they were merged into (an unmerge, recursively, under its locks)
     * and the list without a status filter have an index: neither reads nor sorts every conversation.
     */
    @Test
    void mergedConversationsAndTheUnfilteredListAreReadThroughAnIndex() {
        Migrations.fromClasspath().migrate(database);
        for (String query : List.of("SELECT id FROM conversations WHERE merged_into_id = 1",
                "SELECT id FROM conversations WHERE workspace_id = 1 AND merged_into_id IS NULL"
                        + " ORDER BY last_activity_at DESC, id DESC LIMIT 50")) {
            String plan = database.tx(tx -> {
                tx.update("SET LOCAL enable_seqscan = off");
                return String.join("\n", tx.list("EXPLAIN " + query, row -> row.getString(0)));
            });
            assertThat(plan).as(query).doesNotContain("Seq Scan").doesNotContain("Sort");
        }
    }

    /**
     * The snooze wake-up reads only the conversations still in use: one merged away keeps its snoozed status and
     * time, and was read and passed over at every tick, more of them with every such merge.
     */
    @Test
    void theSnoozeWakeUpReadsNoConversationMergedAway() {
        Migrations.fromClasspath().migrate(database);
        String plan = database.tx(tx -> {
            tx.update("SET LOCAL enable_seqscan = off");
            return String.join("\n", tx.list("EXPLAIN SELECT id FROM conversations WHERE status = 'snoozed'"
                    + " AND snoozed_until <= now() AND merged_into_id IS NULL ORDER BY snoozed_until LIMIT 100",
                    row -> row.getString(0)));
        });
        assertThat(plan).contains("conversations_snoozed_due_live").doesNotContain("Filter");
    }

    /** A first start and every later one log no PostgreSQL notice (the client logs each as a warning). */
    @Test
    void migratingLogsNoNotices() {
        Logger client = (Logger) LoggerFactory.getLogger("io.vertx.sqlclient.impl.SocketConnectionBase");
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        client.addAppender(logged);
        try {
            Migrations.fromClasspath().migrate(database);
            Migrations.fromClasspath().migrate(database);
        } finally {
            client.detachAppender(logged);
        }
        assertThat(database.sql().single("SELECT count(*) AS n FROM schema_migrations").getLong("n"))
                .isEqualTo(Migrations.fromClasspath().all().size());
        assertThat(List.copyOf(logged.list)).extracting(ILoggingEvent::getFormattedMessage).isEmpty();
    }

    @Test
    void nodesStartingTogetherApplyEachMigrationOnce() throws Exception {
        Migrations migrations = Migrations.fromClasspath();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> nodes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            nodes.add(Thread.ofVirtual().start(() -> {
                try {
                    migrations.migrate(database);
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread node : nodes) {
            node.join();
        }
        assertThat(failures).isEmpty();
        Migrations.Status status = migrations.status(database.sql());
        assertThat(status.upToDate()).isTrue();
        assertThat(status.applied()).isEqualTo(migrations.all().size());
        assertThat(database.sql().single("SELECT count(*) AS n FROM schema_migrations").getLong("n"))
                .isEqualTo(migrations.all().size());
    }

    /** V094: inboxes that already shared a Telegram bot keep the one changed last, so the unique index can hold. */
    @Test
    void inboxesThatSharedABotBeforeTheUniqueIndexKeepTheOldestEnabled() {
        List<Migrations.Migration> all = Migrations.fromClasspath().all();
        new Migrations(all.stream().filter(m -> m.version() < 94).toList()).migrate(database);
        long workspace = database.sql().single("INSERT INTO workspaces (name) VALUES ('w') RETURNING id")
                .getLong("id");
        int day = 0;
        for (String token : List.of("7001:AAA", " 7001:BBB ", "7002:CCC", "not-a-token")) {
            database.sql().update("INSERT INTO inboxes (workspace_id, kind, name, config, updated_at) VALUES ($1,"
                    + " 'telegram', $2, jsonb_build_object('botToken', $2::text), now() - make_interval(days => $3))",
                    workspace, token, 10 - day++);
        }
        // The second was provisioned last (the webhook points at it): it is the one that stays.
        database.sql().update("UPDATE inboxes SET updated_at = now()"
                + " WHERE btrim(config ->> 'botToken') = '7001:BBB'");
        Migrations.fromClasspath().migrate(database);
        List<String> rows = database.sql().list("SELECT btrim(config ->> 'botToken') AS token, enabled, exclusive_key"
                + " FROM inboxes ORDER BY id", r -> r.getString("token") + " " + r.getBoolean("enabled") + " "
                + r.getString("exclusive_key"));
        assertThat(rows).containsExactly("7001:AAA false 7001", "7001:BBB true 7001", "7002:CCC true 7002",
                "not-a-token true null");
    }

    /**
     * A migration marked no-transaction runs statement by statement, so CREATE INDEX CONCURRENTLY builds while other
     * nodes keep writing the table: here one writes while the build waits for a transaction open since before it.
     */
    @Test
    void anIndexBuiltConcurrentlyLetsOtherNodesKeepWriting() throws Exception {
        database.sql().update("CREATE TABLE busy (id int)");
        PgConnection other = PgConnection.connect(vertx, database.connectOptions()).await();
        try {
            Transaction open = other.begin().await();
            other.query("INSERT INTO busy VALUES (1)").execute().await();
            Migrations index = new Migrations(List.of(new Migrations.Migration(998, "busy_index",
                    Migrations.NO_TRANSACTION + "\n-- the table's index\nDROP INDEX CONCURRENTLY IF EXISTS busy_id;\n"
                            + "CREATE INDEX CONCURRENTLY busy_id\n    ON busy (id);\n", "x")));
            CompletableFuture<Void> migrating = CompletableFuture.runAsync(() -> index.migrate(database),
                    Executors.newVirtualThreadPerTaskExecutor());
            await().atMost(Duration.ofSeconds(20)).until(() -> database.sql().one("""
                    SELECT 1 FROM pg_stat_activity
                    WHERE query LIKE 'CREATE INDEX CONCURRENTLY busy_id%' AND wait_event_type = 'Lock'""")
                    .isPresent() || migrating.isDone());
            assertThat(migrating).as("the build waits for the open transaction").isNotDone();

            CompletableFuture.runAsync(() -> database.sql().update("INSERT INTO busy VALUES (2)"),
                    Executors.newVirtualThreadPerTaskExecutor()).get(10, TimeUnit.SECONDS);
            open.commit().await();
            migrating.get(20, TimeUnit.SECONDS);
        } finally {
            other.close().await();
        }
        assertThat(database.sql().single("SELECT indisvalid FROM pg_index WHERE indexrelid = 'busy_id'::regclass")
                .getBoolean("indisvalid")).isTrue();
        assertThat(database.sql().one("SELECT 1 FROM schema_migrations WHERE version = 998")).isPresent();
    }

    /** A no-transaction migration stopped half way is not recorded, says where, and runs whole at the next start. */
    @Test
    void aNoTransactionMigrationThatFailsRunsAgainFromItsStart() {
        database.sql().update("CREATE TABLE busy (id int)");
        String build = Migrations.NO_TRANSACTION + "\nDROP INDEX CONCURRENTLY IF EXISTS busy_id; -- a build cut"
                + " short leaves it invalid\nCREATE INDEX CONCURRENTLY busy_id ON busy (id);\n";
        Migrations broken = new Migrations(List.of(new Migrations.Migration(998, "busy_index",
                build + "SELECT no_such_function();\n", "x")));
        assertThatThrownBy(() -> broken.migrate(database)).hasMessageContaining("V998__busy_index failed at"
                + " statement 3 of 3");
        assertThat(database.sql().one("SELECT 1 FROM schema_migrations WHERE version = 998")).isEmpty();

        new Migrations(List.of(new Migrations.Migration(998, "busy_index", build, "y"))).migrate(database);
        assertThat(database.sql().one("SELECT 1 FROM schema_migrations WHERE version = 998")).isPresent();
    }

    @Test
    void aMigrationEditedAfterItWasAppliedStopsTheStart() {
        Migrations.fromClasspath().migrate(database);
        Migrations.Migration original = Migrations.fromClasspath().all().getFirst();
        Migrations edited = new Migrations(List.of(new Migrations.Migration(original.version(), original.name(),
                original.sql() + "\n-- sneaky edit", "0".repeat(64))));
        assertThatThrownBy(() -> edited.migrate(database))
                .hasMessageContaining("V1__core.sql was changed after it was applied");
    }

    @Test
    void aFailingMigrationLeavesNoTraceAndSaysWhich() {
        Migrations.fromClasspath().migrate(database);
        Migrations broken = new Migrations(List.of(new Migrations.Migration(999, "broken",
                "CREATE TABLE half_done (id int); SELECT no_such_function();", "x")));
        assertThatThrownBy(() -> broken.migrate(database)).hasMessageContaining("V999__broken failed");
        assertThat(database.sql().one("SELECT 1 FROM pg_tables WHERE tablename = 'half_done'")).isEmpty();
        assertThat(database.sql().one("SELECT 1 FROM schema_migrations WHERE version = 999")).isEmpty();
    }
}
