package io.throughline.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.ApiClient;
import io.throughline.testing.TestPostgres;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.Test;

/**
 * {@code ./throughline reindex} as an operator runs it: online through the running server while customers keep
 * writing, offline with no server, and killed half-way.
 */
class ReindexIT {

    private static final int HISTORY = 20_000;
    private static final Duration INDEXED = Duration.ofSeconds(60);

    @Test
    void onlineRebuildWhileMessagesKeepArrivingMissesNoneAndSearchKeepsServing() throws Exception {
        String database = TestPostgres.newDatabase();
        Path dir = TestServer.tempDir();
        try (TestServer server = TestServer.startOn(database, dir, Map.of())) {
            ApiClient admin = server.admin();
            Inbox inbox = Inbox.create(server, admin);
            long first = inbox.write("seed", "The first cello message").getLong("messageId");
            await().atMost(INDEXED).until(() -> total(admin, "cello") == 1);
            importHistory(server, inbox, first);
            String before = health(server).getString("generation");

            List<Long> written = new CopyOnWriteArrayList<>();
            List<Integer> searchFailures = new CopyOnWriteArrayList<>();
            AtomicBoolean writing = new AtomicBoolean(true);
            Thread writer = Thread.ofVirtual().start(() -> {
                for (int i = 0; writing.get(); i++) {
                    written.add(inbox.write("live-" + i, "Live cello message " + i).getLong("messageId"));
                    int status = admin.get("/api/v1/search?q=cello").status();
                    if (status != 200) {
                        searchFailures.add(status);
                    }
                }
            });
            // One message written while the scan runs (after the seq the scan started from).
            AtomicLong scanTime = new AtomicLong();
            Thread probe = Thread.ofVirtual().start(() -> {
                ApiClient operator = server.anonymous().withToken(operatorToken(dir));
                while (writing.get()) {
                    JsonObject progress = operator.get("/api/v1/ops/search/reindex").json();
                    if ("scanning".equals(progress.getString("phase")) && progress.getLong("messagesIndexed") > 0
                            && !before.equals(progress.getString("generation"))) {
                        scanTime.set(inbox.write("scan-time", "Scan-time cello message").getLong("messageId"));
                        return;
                    }
                    LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
                }
            });
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int code = Main.run(new String[] {"reindex"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8), env(database, dir));
            // Read at once, before the new generation's own periodic commit: what it put on disk as it went in service.
            long committed = committedSeq(dir.resolve("index").resolve(health(server).getString("generation")));
            writing.set(false);
            writer.join();
            probe.join();

            String output = out.toString(StandardCharsets.UTF_8);
            assertThat(code).as("stdout: %s%nstderr: %s", output, err).isZero();
            assertThat(output).contains("Rebuilding the search index in the running server")
                    .contains("Rebuilt the search index");
            assertThat(written).as("messages written during the rebuild").isNotEmpty();
            assertThat(searchFailures).as("search answered during the rebuild").isEmpty();
            JsonObject health = health(server);
            assertThat(health.getString("generation")).isNotEqualTo(before);
            assertThat(dir.resolve("index").resolve(before)).doesNotExist();
            int expected = 2 + HISTORY + written.size();
            await().atMost(INDEXED).until(() -> total(admin, "cello") == expected);
            assertThat(allIds(admin, "live")).containsAll(written);
            // Committed before the swap: a crash right after it would resume from there, not from the scan's start.
            assertThat(scanTime.get()).as("a message was written during the scan").isPositive();
            long scanTimeSeq = server.throughline().database().sql().single("""
                    SELECT max(seq) AS seq FROM events WHERE type = 'message.created'
                      AND (data -> 'message' ->> 'id')::bigint = $1""", scanTime.get()).getLong("seq");
            assertThat(committed).isGreaterThanOrEqualTo(scanTimeSeq);
        }
    }

    private static String operatorToken(Path dir) {
        try {
            return new JsonObject(Files.readString(dir.resolve("index/control.json"))).getString("token");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The seq the latest commit of an index generation on disk holds. */
    private static long committedSeq(Path generation) throws IOException {
        try (Directory directory = FSDirectory.open(generation)) {
            return Long.parseLong(SegmentInfos.readLatestCommit(directory).getUserData().get("seq"));
        }
    }

    /**
     * The server stops while the command follows its rebuild (a restart, a deploy): the command says so and ends,
     * rather than starting a rebuild of its own, which would hold the index the restarting server needs.
     */
    @Test
    void aServerStoppingDuringItsRebuildEndsTheCommandWithoutARebuildOfItsOwn() throws Exception {
        String database = TestPostgres.newDatabase();
        Path dir = TestServer.tempDir();
        // Small flushes and one thread: the rebuild of the history outlasts the stop below.
        Map<String, String> slow = Map.of("search.ramBuffer", "1MB", "search.buildThreads", "1");
        AtomicInteger code = new AtomicInteger(-1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String before;
        Thread reindex;
        try (TestServer server = TestServer.startOn(database, dir, slow)) {
            Inbox inbox = Inbox.create(server, server.admin());
            long first = inbox.write("seed", "The first harp message").getLong("messageId");
            await().atMost(INDEXED).until(() -> total(server.admin(), "harp") == 1);
            importHistory(server, inbox, first);
            before = health(server).getString("generation");
            reindex = Thread.ofVirtual().start(() -> code.set(Main.run(new String[] {"reindex"},
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8), env(database, dir))));
            await().atMost(INDEXED).until(() -> health(server).containsKey("rebuild") || !reindex.isAlive());
            assertThat(health(server).getJsonObject("rebuild").getString("state")).isEqualTo("running");
        }
        assertThat(reindex.join(Duration.ofSeconds(60))).isTrue();
        assertThat(code.get()).as("stdout: %s%nstderr: %s", out, err).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("stopped answering during the rebuild");
        assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain("rebuilding the search index here");
        try (TestServer server = TestServer.startOn(database, dir, Map.of())) {
            assertThat(health(server).getString("generation")).isEqualTo(before);
            assertThat(total(server.admin(), "harp")).isEqualTo(1);
        }
    }

    @Test
    void offlineRebuildWhenNoServerRunsIsPickedUpByTheNextStart() throws Exception {
        String database = TestPostgres.newDatabase();
        Path dir = TestServer.tempDir();
        String before;
        try (TestServer server = TestServer.startOn(database, dir, Map.of())) {
            Inbox inbox = Inbox.create(server, server.admin());
            long first = inbox.write("seed", "The first viola message").getLong("messageId");
            await().atMost(INDEXED).until(() -> total(server.admin(), "viola") == 1);
            importHistory(server, inbox, first);
            before = health(server).getString("generation");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"reindex"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), env(database, dir));
        String output = out.toString(StandardCharsets.UTF_8);
        assertThat(code).as("stdout: %s%nstderr: %s", output, err).isZero();
        assertThat(output).contains("No server is running").contains("messages")
                .contains("Rebuilt the search index: " + String.format("%,d", HISTORY + 1) + " messages");
        assertThat(dir.resolve("index").resolve(before)).doesNotExist();
        try (TestServer server = TestServer.startOn(database, dir, Map.of())) {
            JsonObject health = health(server);
            assertThat(health.getString("generation")).isNotEqualTo(before);
            assertThat(health.containsKey("rebuild")).isFalse();
            assertThat(total(server.admin(), "viola")).isEqualTo(1 + HISTORY);
        }
    }

    /** A node's first command may be an offline rebuild: the data directory it makes is its owner's alone. */
    @Test
    void anOfflineRebuildOnANewNodeMakesItsDataDirectoryPrivate() throws Exception {
        String database = TestPostgres.newDatabase();
        try (TestServer server = TestServer.startOn(database, TestServer.tempDir(), Map.of())) {
            Inbox.create(server, server.admin()).write("first", "The first lute message");
        }
        Path node = TestServer.tempDir().resolve("new-node");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"reindex"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                System.err, env(database, node));
        assertThat(code).as("stdout: %s", out.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("Rebuilt the search index");
        for (Path made : List.of(node, node.resolve("index"))) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(made))).as(made.toString())
                    .isEqualTo("rwx------");
        }
    }

    /**
     * An offline rebuild reads messages only once every transaction that could hold an earlier event has ended: an
     * edit still open when it starts is in the new index, although its event's seq is below the one the index records.
     */
    @Test
    void offlineRebuildWaitsForATransactionHoldingAnEarlierEvent() throws Exception {
        String database = TestPostgres.newDatabase();
        Path dir = TestServer.tempDir();
        long id;
        long workspace;
        try (TestServer server = TestServer.startOn(database, dir, Map.of())) {
            Inbox inbox = Inbox.create(server, server.admin());
            id = inbox.write("held", "The first zither message").getLong("messageId");
            await().atMost(INDEXED).until(() -> total(server.admin(), "zither") == 1);
            workspace = server.throughline().database().sql()
                    .single("SELECT workspace_id FROM messages WHERE id = $1", id).getLong("workspace_id");
        }
        String jdbc = "jdbc:" + database.replace("postgres@", "") + "?user=postgres";
        String event = "INSERT INTO events (xid, workspace_id, type, data) VALUES (pg_current_xact_id(), ?, ?, ?::jsonb)";
        try (Connection held = DriverManager.getConnection(jdbc); Connection other = DriverManager.getConnection(jdbc)) {
            held.setAutoCommit(false);
            try (PreparedStatement edit = held.prepareStatement("UPDATE messages SET body = 'The first dulcimer"
                    + " message' WHERE id = ?"); PreparedStatement append = held.prepareStatement(event)) {
                edit.setLong(1, id);
                edit.executeUpdate();
                append.setLong(1, workspace);
                append.setString(2, "message.updated");
                append.setString(3, new JsonObject().put("message", new JsonObject().put("id", id)).encode());
                append.executeUpdate();
            }
            try (PreparedStatement later = other.prepareStatement(event)) {
                later.setLong(1, workspace);
                later.setString(2, "test.later");
                later.setString(3, "{}");
                later.executeUpdate();
            }

            AtomicInteger code = new AtomicInteger(-1);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread reindex = Thread.ofVirtual().start(() -> code.set(Main.run(new String[] {"reindex"},
                    new PrintStream(out, true, StandardCharsets.UTF_8), System.err, env(database, dir))));
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(reindex::isAlive);
            held.commit();
            reindex.join(Duration.ofSeconds(60));
            assertThat(code.get()).as("stdout: %s", out.toString(StandardCharsets.UTF_8)).isZero();
        }
        try (TestServer server = TestServer.startOn(database, dir, Map.of())) {
            await().atMost(INDEXED).until(() -> total(server.admin(), "dulcimer") == 1);
            assertThat(total(server.admin(), "zither")).isZero();
        }
    }

    @Test
    void aRebuildKilledHalfWayLeavesTheIndexInServiceIntact() throws Exception {
        String database = TestPostgres.newDatabase();
        Path dir = TestServer.tempDir();
        String before;
        try (TestServer server = TestServer.startOn(database, dir, Map.of())) {
            Inbox inbox = Inbox.create(server, server.admin());
            long first = inbox.write("seed", "The first oboe message").getLong("messageId");
            await().atMost(INDEXED).until(() -> total(server.admin(), "oboe") == 1);
            importHistory(server, inbox, first);
            before = health(server).getString("generation");
        }
        Map<String, String> env = env(database, dir);
        ProcessBuilder builder = new ProcessBuilder(javaCommand(), "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "reindex")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("reindex.log").toFile());
        builder.environment().putAll(env);
        // Small flushes and one thread, so segments of the new generation reach the disk early and slowly.
        builder.environment().put("THROUGHLINE_SEARCH_RAM_BUFFER", "1MB");
        builder.environment().put("THROUGHLINE_SEARCH_BUILD_THREADS", "1");
        Process process = builder.start();
        // The next generation of the same schema version ("v2-g1" is followed by "v2-g2").
        Path next = dir.resolve("index").resolve(before.replaceFirst("-g\\d+$", "-g2"));
        try {
            await().atMost(INDEXED).until(() -> hasSegments(next) || !process.isAlive());
            assertThat(process.isAlive()).as("the rebuild was still running when killed; log: %s",
                    Files.readString(dir.resolve("reindex.log"))).isTrue();
        } finally {
            process.destroyForcibly().waitFor();
        }
        assertThat(Files.readString(dir.resolve("index/CURRENT")).strip()).isEqualTo(before);
        try (TestServer server = TestServer.startOn(database, dir, Map.of())) {
            JsonObject health = health(server);
            assertThat(health.getString("status")).isEqualTo("up");
            assertThat(health.getString("generation")).isEqualTo(before);
            assertThat(health.containsKey("rebuild")).isFalse();
            assertThat(next).doesNotExist();
            // The old index is whole: the live message is there, the imported history (never indexed) is not.
            assertThat(total(server.admin(), "oboe")).isEqualTo(1);
        }
    }

    @Test
    void statusWithNoServerAndTheOperatorEndpointWithoutItsTokenAreRefused() throws Exception {
        String database = TestPostgres.newDatabase();
        Path dir = TestServer.tempDir();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"reindex", "--status"}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8), env(database, dir));
        assertThat(code).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("No Throughline server is running");
        try (TestServer server = TestServer.startOn(database, dir, Map.of())) {
            assertThat(server.admin().post("/api/v1/ops/search/reindex", null).status()).isEqualTo(401);
            assertThat(server.anonymous().withToken("tlop_guess").get("/api/v1/ops/search/reindex").status())
                    .isEqualTo(401);
            JsonObject control = new JsonObject(Files.readString(dir.resolve("index/control.json")));
            JsonObject firstBuild = server.anonymous().withToken(control.getString("token"))
                    .get("/api/v1/ops/search/reindex").expect(200).json();
            assertThat(firstBuild.getString("reason")).isEqualTo("no index yet");
        }
        assertThat(dir.resolve("index/control.json")).doesNotExist();
    }

    /** Old messages bulk-loaded into PostgreSQL without events (an import): only a rebuild indexes them. */
    private static void importHistory(TestServer server, Inbox inbox, long seedMessageId) {
        server.throughline().database().sql().update("""
                INSERT INTO messages (workspace_id, conversation_id, origin_conversation_id, inbox_id, channel, kind,
                                      author_type, author_contact_id, body, created_at)
                SELECT m.workspace_id, m.conversation_id, m.conversation_id, m.inbox_id, m.channel, 'in', 'contact',
                       m.author_contact_id,
                       'Imported ' || split_part(m.body, ' ', 3) || ' message number ' || g || ' about order A-' || g,
                       now() - make_interval(mins => g)
                FROM messages m, generate_series(1, $2) g WHERE m.id = $1""", seedMessageId, HISTORY);
    }

    private static boolean hasSegments(Path generation) throws IOException {
        if (!Files.isDirectory(generation)) {
            return false;
        }
        try (Stream<Path> files = Files.list(generation)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".si"));
        }
    }

    private static String javaCommand() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    private static Map<String, String> env(String database, Path dir) {
        return Map.of("THROUGHLINE_DATA_DIR", dir.toString(), "THROUGHLINE_DATABASE_URL", database,
                "THROUGHLINE_LOG_LEVEL", "WARN");
    }

    private static JsonObject health(TestServer server) {
        return server.operator().get("/health").json().getJsonObject("checks").getJsonObject("search");
    }

    private static int total(ApiClient client, String q) {
        JsonObject result = client.get("/api/v1/search?limit=1&q=" + URLEncoder.encode(q, StandardCharsets.UTF_8))
                .expect(200).json();
        int value = result.getJsonObject("total").getInteger("value");
        return "eq".equals(result.getJsonObject("total").getString("relation")) ? value : exactTotal(client, q);
    }

    private static int exactTotal(ApiClient client, String q) {
        return allIds(client, q).size();
    }

    private static List<Long> allIds(ApiClient client, String q) {
        List<Long> ids = new ArrayList<>();
        String cursor = null;
        do {
            JsonObject page = client.get("/api/v1/search?sort=date&limit=100&q=" + URLEncoder.encode(q,
                    StandardCharsets.UTF_8) + (cursor == null ? "" : "&cursor=" + cursor)).expect(200).json();
            for (Object hit : page.getJsonArray("hits")) {
                ids.add(((JsonObject) hit).getLong("messageId"));
            }
            cursor = page.getString("nextCursor");
        } while (cursor != null);
        return ids;
    }

    /** An API inbox and one customer writing to it. */
    private record Inbox(ApiClient client, long id) {
        static Inbox create(TestServer server, ApiClient admin) {
            JsonObject created = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", "Shop")
                    .put("config", new JsonObject().put("webhookUrl", "http://127.0.0.1:9/unused"))).expect(201)
                    .json();
            return new Inbox(new ApiClient(server.url()).withToken(created.getString("token")), created.getLong("id"));
        }

        JsonObject write(String externalId, String body) {
            return client.post("/api/v1/inboxes/" + id + "/inbound", new JsonObject().put("externalId", externalId)
                    .put("contact", new JsonObject().put("name", "Musician").put("identities", new JsonArray()
                            .add(new JsonObject().put("kind", "external_id").put("value", "musician"))))
                    .put("body", body)).expect(201).json();
        }
    }
}
