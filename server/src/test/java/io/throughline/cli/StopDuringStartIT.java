package io.throughline.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.store.EmbeddedDatabase;
import io.throughline.testing.PidFile;
import io.throughline.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code ./throughline start} stopped by a signal before it is up leaves no PostgreSQL of its own running. */
class StopDuringStartIT {

    private static final String CONFIG = Path.of("..", "config", "throughline.yaml").toAbsolutePath().toString();
    /** The key of the migrations' advisory lock (see Migrations). */
    private static final long MIGRATION_LOCK = 0x7468726f75676821L;

    /**
     * A Ctrl+C (or a supervisor's SIGTERM) while the server started: the JVM's shutdown hook was added only once
     * the start was done, and the embedded PostgreSQL runs in a session of its own, which the signal never reaches,
     * so it ran on after the process. Here the start is held in its migrations by a transaction prepared in the
     * database beforehand (it holds their lock, and survives the restart), and the signal comes then.
     */
    @Test
    void aSignalDuringTheStartStopsItsEmbeddedPostgres() throws Exception {
        Path data = TestServer.tempDir();
        Path pg = data.resolve("pg");
        try (EmbeddedDatabase database = EmbeddedDatabase.start(pg, 0)) {
            execute(database, "postgres", "CREATE DATABASE throughline",
                    "ALTER SYSTEM SET max_prepared_transactions = 2");
        }
        try (EmbeddedDatabase database = EmbeddedDatabase.start(pg, 0)) {
            execute(database, "throughline", "BEGIN", "SELECT pg_advisory_xact_lock(" + MIGRATION_LOCK + ")",
                    "PREPARE TRANSACTION 'hold-the-migrations'");
        }

        Path log = data.resolve("start.log");
        ProcessBuilder builder = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "start")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(java.util.Map.of("THROUGHLINE_CONFIG", CONFIG,
                "THROUGHLINE_HTTP_HOST", "127.0.0.1", "THROUGHLINE_HTTP_PORT", "0",
                "THROUGHLINE_DATA_DIR", data.toString(), "THROUGHLINE_DEMO_ENABLED", "false",
                "THROUGHLINE_LOG_LEVEL", "INFO"));
        Process server = builder.start();
        long postgres = -1;
        try {
            await().atMost(Duration.ofSeconds(120)).until(() -> !server.isAlive()
                    || Files.readString(log).contains("another node is migrating the database"));
            assertThat(server.isAlive()).as(Files.readString(log)).isTrue();
            postgres = PidFile.pid(pg);
            assertThat(ProcessHandle.of(postgres)).isPresent();

            server.destroy(); // SIGTERM
            assertThat(server.waitFor(90, TimeUnit.SECONDS)).isTrue();
            long pid = postgres;
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
            assertThat(Files.readString(log, StandardCharsets.UTF_8)).contains("embedded postgresql stopped");
        } finally {
            server.destroyForcibly();
            if (postgres > 0) {
                ProcessHandle.of(postgres).ifPresent(ProcessHandle::destroy); // not to outlive a failed run
            }
        }
    }

    private static void execute(EmbeddedDatabase database, String name, String... statements) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", "postgres");
        properties.setProperty("password", database.password());
        try (Connection connection = DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:" + database.port() + "/" + name, properties);
             Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        }
    }
}
