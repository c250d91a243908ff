package io.throughline.store;

import io.throughline.VirtualThreads;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the numbered SQL files in {@code db/migration/V<n>__<name>.sql}, each once, in order, under a
 * PostgreSQL advisory lock so that nodes starting together never race. Each applied file's SHA-256 is recorded;
 * a landed migration that was edited stops the start with a clear error.
 *
 * <p>A file runs in one transaction, unless its first line is {@value #NO_TRANSACTION}: then each statement runs
 * on its own (one ends with the line that ends in {@code ;}), which {@code CREATE INDEX CONCURRENTLY} needs, so
 * an index added to a large table never holds the writes of the nodes still running while it builds. Such a file
 * is recorded once all its statements ran; one stopped half way runs again from its start, so each of its
 * statements must bear repeating ({@code DROP INDEX CONCURRENTLY IF EXISTS} first: a build cut short leaves an
 * invalid index behind).
 */
public final class Migrations {

    private static final Logger log = LoggerFactory.getLogger(Migrations.class);
    private static final String LOCATION = "db/migration";
    private static final Pattern FILE = Pattern.compile("V(\\d+)__([A-Za-z0-9_]+)\\.sql");
    /** Arbitrary but fixed: every node must use the same key. */
    private static final long LOCK_KEY = 0x7468726f75676821L;
    /** How often a node waiting for another's migrations tries the lock again. */
    private static final Duration LOCK_RETRY = Duration.ofMillis(200);

    /** The end of a statement in a file run statement by statement: {@code ;} closing its line, or its code. */
    private static final Pattern STATEMENT_END = Pattern.compile(";\\s*(--[^']*)?$");
    /** The first line of a migration whose statements run one by one, outside a transaction. */
    public static final String NO_TRANSACTION = "-- throughline:no-transaction";

    /** One migration file. */
    public record Migration(int version, String name, String sql, String checksum) {

        /** Whether it runs in one transaction (else statement by statement: {@link #NO_TRANSACTION}). */
        public boolean transactional() {
            return !sql.startsWith(NO_TRANSACTION);
        }

        /**
         * Its statements, each ending with the line that ends in {@code ;} (a comment may follow it); lines of
         * comments alone left out. Such a file holds no {@code $$} bodies and no string spanning lines.
         */
        List<String> statements() {
            List<String> statements = new ArrayList<>();
            StringBuilder statement = new StringBuilder();
            for (String line : sql.split("\n")) {
                String trimmed = line.strip();
                if (trimmed.isEmpty() || (trimmed.startsWith("--") && statement.isEmpty())) {
                    continue;
                }
                statement.append(line).append('\n');
                if (STATEMENT_END.matcher(trimmed).find()) {
                    statements.add(statement.toString().strip());
                    statement.setLength(0);
                }
            }
            if (!statement.toString().isBlank()) {
                statements.add(statement.toString().strip());
            }
            return statements;
        }
    }

    /** What is applied against what the code ships. */
    public record Status(int applied, int latestVersion, List<Integer> pending) {
        public boolean upToDate() {
            return pending.isEmpty();
        }
    }

    private final List<Migration> migrations;

    public Migrations(List<Migration> migrations) {
        this.migrations = migrations.stream().sorted(Comparator.comparingInt(Migration::version)).toList();
    }

    /** The migrations on the classpath. */
    public static Migrations fromClasspath() {
        return new Migrations(scan(Migrations.class.getClassLoader()));
    }

    public List<Migration> all() {
        return migrations;
    }

    /** Brings the schema up to date. Blocks; call it on a virtual thread. */
    public void migrate(Database database) {
        PgConnection connection = VirtualThreads.await(PgConnection.connect(database.vertx(), database.connectOptions()));
        try {
            // PostgreSQL's notices here are not news ("relation schema_migrations already exists, skipping" at
            // every start, "index ... does not exist, skipping" from the re-runnable DROP ... IF EXISTS of a first
            // start), and the client logs each as a warning: an operator read a first start as one that went wrong.
            connection.query("SET client_min_messages = warning").execute().await();
            Tuple lockKey = Tuple.of(LOCK_KEY);
            awaitLock(connection, lockKey);
            try {
                connection.query("""
                        CREATE TABLE IF NOT EXISTS schema_migrations (
                            version     integer     PRIMARY KEY,
                            name        text        NOT NULL,
                            checksum    text        NOT NULL,
                            applied_at  timestamptz NOT NULL DEFAULT now()
                        )""").execute().await();
                Map<Integer, String> applied = applied(connection);
                verify(applied);
                for (Migration migration : migrations) {
                    if (!applied.containsKey(migration.version())) {
                        apply(connection, migration);
                    }
                }
            } finally {
                connection.preparedQuery("SELECT pg_advisory_unlock($1)").execute(lockKey).await();
            }
        } finally {
            connection.close().await();
        }
    }

    /**
     * Takes the migration lock, trying again while another node holds it. Not {@code pg_advisory_lock}: a session
     * waiting in it is inside a statement, and {@code CREATE INDEX CONCURRENTLY} in the node that holds the lock
     * waits for every statement older than its build to end, so the two would deadlock.
     */
    private static void awaitLock(PgConnection connection, Tuple lockKey) {
        boolean said = false;
        while (!connection.preparedQuery("SELECT pg_try_advisory_lock($1) AS locked").execute(lockKey).await()
                .iterator().next().getBoolean("locked")) {
            if (!said) {
                log.info("another node is migrating the database; waiting for it");
                said = true;
            }
            try {
                Thread.sleep(LOCK_RETRY.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for another node's migrations", e);
            }
        }
    }

    /** Compares the database with the shipped files, for {@code /health}. */
    public Status status(Sql sql) {
        Map<Integer, String> applied = new HashMap<>();
        for (Row row : sql.rows("SELECT version, checksum FROM schema_migrations")) {
            applied.put(row.getInteger("version"), row.getString("checksum"));
        }
        List<Integer> pending = migrations.stream().map(Migration::version).filter(v -> !applied.containsKey(v))
                .toList();
        int latest = applied.keySet().stream().max(Integer::compare).orElse(0);
        return new Status(applied.size(), latest, pending);
    }

    private void verify(Map<Integer, String> applied) {
        List<String> problems = new ArrayList<>();
        for (Migration migration : migrations) {
            String checksum = applied.get(migration.version());
            if (checksum != null && !checksum.equals(migration.checksum())) {
                problems.add("V" + migration.version() + "__" + migration.name()
                        + ".sql was changed after it was applied (migrations are never edited: add a new one)");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException(String.join("; ", problems));
        }
    }

    private static Map<Integer, String> applied(SqlConnection connection) {
        Map<Integer, String> applied = new TreeMap<>();
        for (Row row : connection.query("SELECT version, checksum FROM schema_migrations").execute().await()) {
            applied.put(row.getInteger("version"), row.getString("checksum"));
        }
        return applied;
    }

    private static void apply(SqlConnection connection, Migration migration) {
        long started = System.nanoTime();
        if (!migration.transactional()) {
            applyStatementByStatement(connection, migration);
        } else {
            applyInTransaction(connection, migration);
        }
        log.info("migration applied version={} name={} ms={} transaction={}", migration.version(), migration.name(),
                (System.nanoTime() - started) / 1_000_000, migration.transactional());
    }

    private static void applyStatementByStatement(SqlConnection connection, Migration migration) {
        List<String> statements = migration.statements();
        for (int i = 0; i < statements.size(); i++) {
            try {
                connection.query(statements.get(i)).execute().await();
            } catch (RuntimeException e) {
                throw new IllegalStateException("migration V" + migration.version() + "__" + migration.name()
                        + " failed at statement " + (i + 1) + " of " + statements.size() + " (it runs again from its"
                        + " first statement at the next start): " + e.getMessage(), e);
            }
        }
        record(connection, migration);
    }

    private static void applyInTransaction(SqlConnection connection, Migration migration) {
        Transaction tx = connection.begin().await();
        try {
            // Multi-statement scripts need the simple query protocol.
            connection.query(migration.sql()).execute().await();
            record(connection, migration);
            tx.commit().await();
        } catch (RuntimeException e) {
            tx.rollback().await();
            throw new IllegalStateException("migration V" + migration.version() + "__" + migration.name()
                    + " failed: " + e.getMessage(), e);
        }
    }

    private static void record(SqlConnection connection, Migration migration) {
        connection.preparedQuery("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)")
                .execute(Tuple.of(migration.version(), migration.name(), migration.checksum())).await();
    }

    static List<Migration> scan(ClassLoader loader) {
        Map<String, String> files = new TreeMap<>();
        try {
            for (URL url : Collections.list(loader.getResources(LOCATION))) {
                switch (url.getProtocol()) {
                    case "file" -> readDirectory(Path.of(url.toURI()), files);
                    case "jar" -> readJar((JarURLConnection) url.openConnection(), files);
                    default -> throw new IllegalStateException("cannot list migrations at " + url);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read migrations", e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot read migrations", e);
        }
        List<Migration> out = new ArrayList<>();
        Map<Integer, String> seen = new HashMap<>();
        files.forEach((file, sql) -> {
            Matcher m = FILE.matcher(file);
            if (!m.matches()) {
                throw new IllegalStateException("migration file name " + file + " is not V<n>__<name>.sql");
            }
            int version = Integer.parseInt(m.group(1));
            String clash = seen.put(version, file);
            if (clash != null) {
                throw new IllegalStateException("two migrations share version " + version + ": " + clash
                        + " and " + file);
            }
            out.add(new Migration(version, m.group(2), sql, sha256(sql)));
        });
        return out;
    }

    private static void readDirectory(Path dir, Map<String, String> files) throws IOException {
        try (Stream<Path> paths = Files.list(dir)) {
            for (Path path : paths.filter(p -> p.toString().endsWith(".sql")).toList()) {
                files.put(path.getFileName().toString(), Files.readString(path, StandardCharsets.UTF_8));
            }
        }
    }

    private static void readJar(JarURLConnection connection, Map<String, String> files) throws IOException {
        connection.setUseCaches(false);
        try (JarFile jar = connection.getJarFile()) {
            for (JarEntry entry : Collections.list(jar.entries())) {
                String name = entry.getName();
                if (name.startsWith(LOCATION + "/") && name.endsWith(".sql")) {
                    try (InputStream in = jar.getInputStream(entry)) {
                        files.put(name.substring(LOCATION.length() + 1),
                                new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    }
                }
            }
        }
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
