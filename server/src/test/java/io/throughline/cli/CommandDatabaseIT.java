package io.throughline.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.PidFile;
import io.throughline.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A command that starts the embedded PostgreSQL stops it however it ends. Interrupted (Ctrl+C, or a TERM from a
 * service manager) while it works, it left the server running, as the server runs in a session of its own that
 * the terminal's signal never reaches.
 */
class CommandDatabaseIT {

    private static final String CONFIG = Path.of("..", "config", "throughline.yaml").toAbsolutePath().toString();

    @Test
    void anInterruptedCommandStopsTheEmbeddedPostgresItStarted() throws Exception {
        Path dir = TestServer.tempDir();
        Path pg = dir.resolve("pg");
        ProcessBuilder builder = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "create-workspace", "--name", "Interrupted", "--admin-email",
                "interrupted@example.com")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("command.log").toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("THROUGHLINE_"));
        builder.environment().putAll(Map.of("THROUGHLINE_CONFIG", CONFIG, "THROUGHLINE_DATA_DIR", dir.toString(),
                "THROUGHLINE_LOG_LEVEL", "WARN"));
        Process command = builder.start();
        Optional<ProcessHandle> postgres = Optional.empty();
        try {
            // Interrupted once its PostgreSQL accepts connections: the command is then migrating a new database.
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(5))
                    .until(() -> !command.isAlive() || PidFile.ready(pg));
            assertThat(command.isAlive()).as("the command ended before it could be interrupted; log: %s",
                    Files.readString(dir.resolve("command.log"))).isTrue();
            postgres = ProcessHandle.of(PidFile.pid(pg));
            assertThat(postgres).isPresent();
            command.destroy();
            assertThat(command.waitFor()).isNotZero();
            ProcessHandle server = postgres.orElseThrow();
            await().atMost(Duration.ofSeconds(30)).until(() -> !server.isAlive());
            assertThat(pg.resolve("postmaster.pid")).doesNotExist();
        } finally {
            command.destroyForcibly().waitFor();
            postgres.filter(ProcessHandle::isAlive).ifPresent(ProcessHandle::destroy);
        }
    }
}
