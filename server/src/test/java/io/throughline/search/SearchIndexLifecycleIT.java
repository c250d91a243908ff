package io.throughline.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.realtime.EventLog;
import io.throughline.realtime.EventType;
import io.throughline.store.Database;
import io.throughline.testing.TestPostgres;
import io.throughline.testing.TestServer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.io.file.PathUtils;
import org.junit.jupiter.api.Test;

/** The index outlives restarts, catches up from its last commit, and rebuilds itself from PostgreSQL. */
class SearchIndexLifecycleIT {

    private static final Duration INDEXED = Duration.ofSeconds(30);

    @Test
    void aRestartedNodeCatchesUpFromItsLastCommitWithoutRebuilding() {
        String database = TestPostgres.newDatabase();
        Path dirA = TestServer.tempDir();
        Path dirB = TestServer.tempDir();
        try (TestServer a = TestServer.startOn(database, dirA, Map.of())) {
            SearchFixture shop = SearchFixture.create(a, a.admin(), "Shop");
            long before;
            String generation;
            try (TestServer b = TestServer.startOn(database, dirB, Map.of())) {
                before = shop.customerWrites("restart-1", "Ivan", "Потрібна накладна на ремонт").getLong("messageId");
                SearchFixture onB = SearchFixture.create(b, b.admin(), "Seen from B");
                await().atMost(INDEXED).until(() -> SearchFixture.messageIds(onB.search("q", "накладна"))
                        .contains(before));
                generation = search(b).getString("generation");
            }
            // Node B is down while node A keeps taking messages.
            List<Long> missed = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                missed.add(shop.customerWrites("restart-missed-" + i, "Ivan", "Ще одна накладна номер " + i)
                        .getLong("messageId"));
            }
            try (TestServer b = TestServer.startOn(database, dirB, Map.of())) {
                SearchFixture onB = SearchFixture.create(b, b.admin(), "Seen from B again");
                await().atMost(INDEXED).until(() -> onB.allMessageIds("q", "накладна").size() == 21);
                assertThat(onB.allMessageIds("q", "накладна")).containsAll(missed).contains(before);
                JsonObject health = search(b);
                assertThat(health.getString("generation")).isEqualTo(generation);
                assertThat(health.containsKey("rebuild")).as("no rebuild on restart: %s", health).isFalse();
            }
        }
    }

    /**
     * A node down longer than {@code realtime.eventRetention}: the events it missed were pruned meanwhile, so
     * catching up from its last commit would leave holes. It rebuilds, and finds every message.
     */
    @Test
    void aNodeDownLongerThanTheEventRetentionRebuildsInsteadOfCatchingUpWithHoles() {
        String database = TestPostgres.newDatabase();
        Path dirA = TestServer.tempDir();
        Path dirB = TestServer.tempDir();
        try (TestServer a = TestServer.startOn(database, dirA, Map.of())) {
            SearchFixture shop = SearchFixture.create(a, a.admin(), "Shop");
            long before;
            try (TestServer b = TestServer.startOn(database, dirB, Map.of())) {
                before = shop.customerWrites("pruned-1", "Ivan", "Потрібна накладна на ремонт").getLong("messageId");
                SearchFixture onB = SearchFixture.create(b, b.admin(), "Seen from B");
                await().atMost(INDEXED).until(() -> SearchFixture.messageIds(onB.search("q", "накладна"))
                        .contains(before));
            }
            List<Long> missed = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                missed.add(shop.customerWrites("pruned-missed-" + i, "Ivan", "Ще одна накладна номер " + i)
                        .getLong("messageId"));
            }
            // A month goes by while node B is down, and node A prunes the events B has not read (not today's).
            a.throughline().database().sql().update("UPDATE events SET created_at = created_at - interval '31 days'");
            long today = shop.customerWrites("pruned-today", "Ivan", "Сьогоднішня накладна").getLong("messageId");
            assertThat(a.throughline().eventRetention().prune()).isPositive();
            assertThat(a.throughline().database().sql().single("SELECT count(*) AS n FROM events").getLong("n"))
                    .isPositive();
            try (TestServer b = TestServer.startOn(database, dirB, Map.of())) {
                SearchFixture onB = SearchFixture.create(b, b.admin(), "Seen from B again");
                await().atMost(INDEXED).until(() -> "up".equals(search(b).getString("status"))
                        && onB.allMessageIds("q", "накладна").size() == 7);
                assertThat(onB.allMessageIds("q", "накладна")).containsAll(missed).contains(before, today);
                assertThat(search(b).getJsonObject("rebuild").getString("reason")).contains("pruned");
            }
        }
    }

    /**
     * Nothing happened for longer than the retention and the pruning emptied the log: the index, which holds every
     * event there was, is kept on the next start (it once looked ahead of a log whose newest seq read as 0).
     */
    @Test
    void anIndexIsKeptWhenThePruningEmptiedTheLog() {
        String database = TestPostgres.newDatabase();
        Path dir = TestServer.tempDir();
        String generation;
        long written;
        try (TestServer server = TestServer.startOn(database, dir, Map.of())) {
            SearchFixture shop = SearchFixture.create(server, server.admin(), "Shop");
            written = shop.customerWrites("quiet-1", "Hanna", "Zamówienie numer 17 zaginęło").getLong("messageId");
            await().atMost(INDEXED).until(() -> shop.allMessageIds("q", "zamówienia").contains(written));
            server.throughline().database().sql().update("UPDATE events SET created_at = now() - interval '31 days'");
            assertThat(server.throughline().eventRetention().prune()).isPositive();
            assertThat(server.throughline().database().sql().single("SELECT count(*) AS n FROM events")
                    .getLong("n")).isZero();
            generation = search(server).getString("generation");
        }
        try (TestServer server = TestServer.startOn(database, dir, Map.of())) {
            JsonObject health = search(server);
            assertThat(health.getString("status")).isEqualTo("up");
            assertThat(health.getString("generation")).isEqualTo(generation);
            assertThat(health.containsKey("rebuild")).as("no rebuild: %s", health).isFalse();
            SearchFixture shop = SearchFixture.create(server, server.admin(), "Shop again");
            assertThat(shop.allMessageIds("q", "zamówienia")).contains(written);
        }
    }

    @Test
    void deletingTheIndexFolderRebuildsItFromPostgresOnTheNextStart() throws IOException {
        String database = TestPostgres.newDatabase();
        Path dir = TestServer.tempDir();
        List<Long> written = new ArrayList<>();
        try (TestServer server = TestServer.startOn(database, dir, Map.of())) {
            SearchFixture shop = SearchFixture.create(server, server.admin(), "Shop");
            for (int i = 0; i < 30; i++) {
                written.add(shop.customerWrites("delete-" + i, "Customer " + (i % 5),
                        "Reklamacja numer " + i + ": uszkodzona przesyłka").getLong("messageId"));
            }
            await().atMost(INDEXED).until(() -> shop.allMessageIds("q", "przesyłki").size() == 30);
        }
        PathUtils.deleteDirectory(dir.resolve("index"));
        try (TestServer server = TestServer.startOn(database, dir, Map.of())) {
            SearchFixture shop = SearchFixture.create(server, server.admin(), "Shop again");
            await().atMost(INDEXED).until(() -> "up".equals(search(server).getString("status")));
            assertThat(shop.allMessageIds("q", "przesyłki")).containsExactlyInAnyOrderElementsOf(written);
            assertThat(search(server).getJsonObject("rebuild").getString("reason")).isEqualTo("no index yet");
        }
    }

    /**
     * An index folder deleted under a running server is made again and the index rebuilt from PostgreSQL, without
     * a restart: what was written meanwhile is found, and reindex reaches the server again. A reindex run meanwhile
     * (finding no server to reach, it made the folder and its lock file again before it failed) does not keep the
     * server from taking the folder back: a lock file of the same name is not the one the server locked.
     */
    @Test
    void anIndexFolderDeletedUnderARunningServerIsRebuiltWithoutARestart() throws IOException {
        Path dir = TestServer.tempDir();
        try (TestServer server = TestServer.startOn(TestPostgres.newDatabase(), dir, Map.of())) {
            SearchFixture shop = SearchFixture.create(server, server.admin(), "Shop");
            List<Long> written = new ArrayList<>();
            written.add(shop.customerWrites("gone-1", "Olha", "Перше повідомлення").getLong("messageId"));
            await().atMost(INDEXED).until(() -> shop.allMessageIds("q", "повідомлення").containsAll(written));
            String before = search(server).getString("generation");
            PathUtils.deleteDirectory(dir.resolve("index"));
            Files.createDirectories(dir.resolve("index"));
            Files.createFile(dir.resolve("index/owner.lock"));
            for (int i = 0; i < 3; i++) {
                written.add(shop.customerWrites("gone-after-" + i, "Olha", "Ще одне повідомлення " + i)
                        .getLong("messageId"));
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                JsonObject search = search(server);
                return "up".equals(search.getString("status")) && !before.equals(search.getString("generation"));
            });
            assertThat(search(server).getJsonObject("rebuild").getString("reason"))
                    .isEqualTo("the index folder was deleted while the server ran");
            await().atMost(INDEXED).until(() -> shop.allMessageIds("q", "повідомлення").size() == 4);
            assertThat(shop.allMessageIds("q", "повідомлення")).containsExactlyInAnyOrderElementsOf(written);
            assertThat(dir.resolve("index/control.json")).as("reindex can reach the server again").exists();
            assertThat(Files.readString(dir.resolve("index/CURRENT")).strip())
                    .isEqualTo(search(server).getString("generation"));
        }
    }

    @Test
    void anIndexThatCannotBeOpenedIsRebuiltInsteadOfFailingTheServer() throws IOException {
        String database = TestPostgres.newDatabase();
        Path dir = TestServer.tempDir();
        long id;
        try (TestServer server = TestServer.startOn(database, dir, Map.of())) {
            SearchFixture shop = SearchFixture.create(server, server.admin(), "Shop");
            id = shop.customerWrites("corrupt-1", "Ola", "Faktura za wrzesień").getLong("messageId");
            await().atMost(INDEXED).until(() -> shop.allMessageIds("q", "faktury").contains(id));
        }
        Path generation = dir.resolve("index").resolve(Files.readString(dir.resolve("index/CURRENT")).strip());
        try (Stream<Path> files = Files.list(generation)) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith("segments_")).toList()) {
                Files.delete(file);
            }
        }
        try (TestServer server = TestServer.startOn(database, dir, Map.of())) {
            SearchFixture shop = SearchFixture.create(server, server.admin(), "Shop again");
            await().atMost(INDEXED).until(() -> "up".equals(search(server).getString("status")));
            assertThat(shop.allMessageIds("q", "faktury")).containsExactly(id);
            assertThat(search(server).getJsonObject("rebuild").getString("reason"))
                    .isEqualTo("the index could not be opened");
        }
    }

    @Test
    void anIndexOfAnOlderSchemaIsReplacedByANewBuild() throws IOException {
        String database = TestPostgres.newDatabase();
        Path dir = TestServer.tempDir();
        long id;
        try (TestServer server = TestServer.startOn(database, dir, Map.of())) {
            SearchFixture shop = SearchFixture.create(server, server.admin(), "Shop");
            id = shop.customerWrites("schema-1", "Oleh", "Refund for the umbrella").getLong("messageId");
            await().atMost(INDEXED).until(() -> shop.allMessageIds("q", "umbrella").contains(id));
        }
        Path index = dir.resolve("index");
        String current = Files.readString(index.resolve("CURRENT")).strip();
        Files.move(index.resolve(current), index.resolve("v0-g7"));
        Files.writeString(index.resolve("CURRENT"), "v0-g7\n");
        try (TestServer server = TestServer.startOn(database, dir, Map.of())) {
            SearchFixture shop = SearchFixture.create(server, server.admin(), "Shop again");
            await().atMost(INDEXED).until(() -> "up".equals(search(server).getString("status")));
            assertThat(shop.allMessageIds("q", "refunded umbrellas")).containsExactly(id);
            assertThat(search(server).getJsonObject("rebuild").getString("reason"))
                    .isEqualTo("index schema v0 replaced by v" + SearchFields.SCHEMA_VERSION);
            assertThat(index.resolve("v0-g7")).doesNotExist();
        }
    }

    @Test
    void anIndexOfAnotherDatabaseIsNeverServed() {
        Path dir = TestServer.tempDir();
        try (TestServer server = TestServer.startOn(TestPostgres.newDatabase(), dir, Map.of())) {
            SearchFixture shop = SearchFixture.create(server, server.admin(), "Shop");
            long id = shop.customerWrites("other-db-1", "Petro", "Secret harmonica order").getLong("messageId");
            await().atMost(INDEXED).until(() -> shop.allMessageIds("q", "harmonica").contains(id));
        }
        // The same data directory, pointed at another database (a new one, or a restore of an older backup).
        try (TestServer server = TestServer.startOn(TestPostgres.newDatabase(), dir, Map.of())) {
            SearchFixture shop = SearchFixture.create(server, server.admin(), "Shop elsewhere");
            await().atMost(INDEXED).until(() -> "up".equals(search(server).getString("status")));
            assertThat(search(server).getJsonObject("rebuild").getString("reason"))
                    .isEqualTo("the index was built from another database");
            assertThat(shop.allMessageIds("q", "harmonica")).isEmpty();
        }
    }

    /**
     * A transaction that holds its event's seq past {@code realtime.gapTimeout}: the feed passes the gap so later
     * messages are searchable meanwhile, and the edit is indexed when it finally commits.
     */
    @Test
    void anEditCommittedAfterTheFeedPassedItsSeqIsStillIndexed() throws Exception {
        try (TestServer server = TestServer.start(Map.of("realtime.gapTimeout", "300ms"))) {
            SearchFixture shop = SearchFixture.create(server, server.admin(), "Shop");
            long id = shop.customerWrites("late-1", "Lena", "My clarinet is broken").getLong("messageId");
            await().atMost(INDEXED).until(() -> shop.allMessageIds("q", "clarinet").contains(id));
            CountDownLatch release = new CountDownLatch(1);
            Thread slow = holdingEdit(server.throughline().database(), server.throughline().eventLog(), id,
                    "My bassoon is broken", release);
            long later = shop.customerWrites("late-2", "Lena", "And the oboe too").getLong("messageId");
            await().atMost(INDEXED).until(() -> shop.allMessageIds("q", "oboe").contains(later));
            assertThat(shop.allMessageIds("q", "bassoon")).isEmpty();

            release.countDown();
            slow.join();
            await().atMost(INDEXED).until(() -> shop.allMessageIds("q", "bassoon").contains(id));
            assertThat(shop.allMessageIds("q", "clarinet")).doesNotContain(id);
        }
    }

    /**
     * The same, with the node restarted while the transaction still runs: the index's last commit names the seq
     * still awaited, and the restarted node watches it until the edit commits.
     */
    @Test
    void aSeqPassedBeforeARestartIsIndexedWhenItsTransactionCommitsAfterwards() throws Exception {
        String url = TestPostgres.newDatabase();
        Path dir = TestServer.tempDir();
        Map<String, String> settings = Map.of("realtime.gapTimeout", "300ms");
        try (OutsideEdit edit = new OutsideEdit(url)) {
            long id;
            try (TestServer a = TestServer.startOn(url, dir, settings)) {
                SearchFixture shop = SearchFixture.create(a, a.admin(), "Shop");
                id = shop.customerWrites("restart-late-1", "Lena", "My clarinet is broken").getLong("messageId");
                await().atMost(INDEXED).until(() -> shop.allMessageIds("q", "clarinet").contains(id));
                edit.hold(id, "My bassoon is broken");
                long later = shop.customerWrites("restart-late-2", "Lena", "And the oboe too").getLong("messageId");
                // Indexed: the feed has passed the held seq.
                await().atMost(INDEXED).until(() -> shop.allMessageIds("q", "oboe").contains(later));
            }
            try (TestServer b = TestServer.startOn(url, dir, settings)) {
                SearchFixture onB = SearchFixture.create(b, b.admin(), "After the restart");
                await().atMost(INDEXED).until(() -> "up".equals(search(b).getString("status")));
                assertThat(search(b).containsKey("rebuild")).as("resumed, not rebuilt").isFalse();
                assertThat(onB.allMessageIds("q", "clarinet")).contains(id);

                edit.commit();
                await().atMost(INDEXED).until(() -> onB.allMessageIds("q", "bassoon").contains(id));
                assertThat(onB.allMessageIds("q", "clarinet")).doesNotContain(id);
            }
        }
    }

    @Test
    void aSeqStillHeldWhenANodeStartsIsIndexedWhenItsTransactionCommits() throws Exception {
        String url = TestPostgres.newDatabase();
        Path dir = TestServer.tempDir();
        try (OutsideEdit edit = new OutsideEdit(url)) {
            long id;
            long later;
            // The first node waits for the held seq as long as it runs, so it never passes it.
            try (TestServer a = TestServer.startOn(url, dir, Map.of("realtime.gapTimeout", "10m"))) {
                SearchFixture shop = SearchFixture.create(a, a.admin(), "Shop");
                id = shop.customerWrites("start-held-1", "Lena", "My cello is broken").getLong("messageId");
                await().atMost(INDEXED).until(() -> shop.allMessageIds("q", "cello").contains(id));
                edit.hold(id, "My tuba is broken");
                later = shop.customerWrites("start-held-2", "Lena", "And the harp too").getLong("messageId");
            }
            // The next one starts above the held seq once its wait for that transaction times out.
            try (TestServer b = TestServer.startOn(url, dir, Map.of("realtime.gapTimeout", "300ms"))) {
                SearchFixture onB = SearchFixture.create(b, b.admin(), "After the restart");
                await().atMost(INDEXED).until(() -> onB.allMessageIds("q", "harp").contains(later));
                assertThat(onB.allMessageIds("q", "cello")).contains(id);

                edit.commit();
                await().atMost(INDEXED).until(() -> onB.allMessageIds("q", "tuba").contains(id));
                assertThat(onB.allMessageIds("q", "cello")).doesNotContain(id);
            }
        }
    }

    /** A connection of its own, outside the servers under test, whose held edit outlives them. */
    private static final class OutsideEdit implements AutoCloseable {
        private final Vertx vertx = Vertx.vertx();
        private final Database database;
        private final EventLog log = new EventLog(() -> { });
        private final CountDownLatch release = new CountDownLatch(1);
        private Thread holding;

        OutsideEdit(String url) {
            database = new Database(vertx, PgConnectOptions.fromUri(url), 1);
        }

        void hold(long id, String body) throws InterruptedException {
            holding = holdingEdit(database, log, id, body, release);
        }

        void commit() throws InterruptedException {
            release.countDown();
            holding.join();
        }

        @Override
        public void close() {
            release.countDown();
            database.close();
            vertx.close().await();
        }
    }

    /**
     * A transaction that rewrites a message's body and appends its {@code message.updated} event, then holds both
     * uncommitted until {@code release}; returns once the event's seq is drawn.
     */
    private static Thread holdingEdit(Database database, EventLog log, long id, String body, CountDownLatch release)
            throws InterruptedException {
        long workspace = database.sql().single("SELECT workspace_id FROM messages WHERE id = $1", id)
                .getLong("workspace_id");
        CountDownLatch holding = new CountDownLatch(1);
        Thread thread = Thread.ofVirtual().start(() -> database.tx(tx -> {
            tx.rows("UPDATE messages SET body = $2 WHERE id = $1", id, body);
            log.append(tx, workspace, EventType.MESSAGE_UPDATED,
                    new JsonObject().put("message", new JsonObject().put("id", id)));
            tx.rows("SELECT 1"); // the append is only sent: a later statement's answer means it has run
            holding.countDown();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        }));
        assertThat(holding.await(5, TimeUnit.SECONDS)).isTrue();
        return thread;
    }

    private static JsonObject search(TestServer server) {
        return server.operator().get("/health").json().getJsonObject("checks").getJsonObject("search");
    }

}
