package io.throughline.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.PidFile;
import io.throughline.testing.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
    void anInterruptedCommandStopsTheEmbeddedPostgresItStartedFromItsOwnFolder() throws Exception {
        // A data directory the command makes (run before the first start): for its owner only, as a start makes it.
        Path dir = TestServer.tempDir().resolve("data");
        Path log = dir.resolveSibling("command.log");
        Path pg = dir.resolve("pg");
        ProcessBuilder builder = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "create-workspace", "--name", "Interrupted", "--admin-email",
                "interrupted@example.com")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
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
                    Files.readString(log)).isTrue();
            assertThat(mode(dir) & 0077).as("the data directory the command made").isZero();
            postgres = ProcessHandle.of(PidFile.pid(pg));
            assertThat(postgres).isPresent();
            runsFromAFolderNoOtherUserCanReach(dir, postgres.get());
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

    /**
     * The PostgreSQL programs run from the data directory's own folder, which no other user of the machine can
     * reach: the embedded library's default (a folder in /tmp that it makes writable by everyone, reused by name)
     * would let anyone put programs there that the next start runs as Throughline. (The library unpacks once per
     * JVM, so this is looked at in a command's own.)
     */
    private static void runsFromAFolderNoOtherUserCanReach(Path dir, ProcessHandle postgres) throws IOException {
        Path program = Path.of(postgres.info().command().orElseThrow()).toRealPath();
        Path own = dir.resolve("pg.binaries").toRealPath();
        assertThat(program).startsWith(own);
        // Its own folder is its owner's alone, whatever the data directory's permissions (an older one may be open
        // to others: a start only warns).
        assertThat(mode(own) & 0077).isZero();
        // Every folder on the way that others may write to (sticky ones aside: there, only owners rename) lies
        // inside one they cannot enter.
        List<Path> folders = new ArrayList<>();
        for (Path folder = program.getParent(); folder != null; folder = folder.getParent()) {
            folders.add(folder);
        }
        for (int i = 0; i < folders.size(); i++) {
            int mode = mode(folders.get(i));
            if ((mode & 0002) != 0 && (mode & 01000) == 0) {
                assertThat(folders.subList(i + 1, folders.size())).as("others may write to %s", folders.get(i))
                        .anyMatch(above -> (mode(above) & 0001) == 0);
            }
        }
    }

    private static int mode(Path folder) {
        try {
            return (Integer) Files.getAttribute(folder, "unix:mode");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
