package io.throughline.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.PidFile;
import io.throughline.testing.TestServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The embedded PostgreSQL starts whatever an earlier process left behind on its directory. */
class EmbeddedDatabaseIT {

    @Test
    void aServerLeftRunningByAProcessThatDiedIsStoppedAndTheStartGoesOn() throws Exception {
        Path dir = TestServer.tempDir().resolve("pg");
        Path bin;
        try (EmbeddedDatabase first = EmbeddedDatabase.start(dir, 0)) {
            bin = Path.of(ProcessHandle.of(pidIn(dir)).orElseThrow().info().command().orElseThrow()).getParent();
        }
        // What a start killed half-way leaves: a server running on the directory that no Throughline owns.
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = free.getLocalPort();
        }
        List<String> command = new ArrayList<>();
        if ("root".equals(System.getProperty("user.name"))) {
            command.addAll(List.of("unshare", "-U")); // as the embedded library runs it: PostgreSQL refuses root
        }
        command.addAll(List.of(bin.resolve("postgres").toString(), "-D", dir.toString(), "-p", Integer.toString(port),
                "-c", "listen_addresses=127.0.0.1"));
        Process postgres = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(dir.resolveSibling("stray.log").toFile()).start();
        // The pid file's eighth line says "ready" once the server accepts connections.
        await().atMost(Duration.ofSeconds(60)).until(() -> !postgres.isAlive() || ready(dir));
        assertThat(postgres.isAlive()).as(Files.readString(dir.resolveSibling("stray.log"))).isTrue();
        long stray = pidIn(dir);
        assertThat(ProcessHandle.of(stray)).isPresent();

        try (EmbeddedDatabase second = EmbeddedDatabase.start(dir, 0)) {
            assertThat(ProcessHandle.of(stray).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(pidIn(dir)).isNotEqualTo(stray);
            assertThat(second.port()).isNotEqualTo(port);
        }
    }

    /**
     * A pid file whose pid now belongs to another installation's PostgreSQL (a reboot reused it) must not stop
     * that server, though its command line names the same path: each installation's embedded server was started
     * with the relative {@code data/pg}. Only a server whose working directory is this one is ours.
     */
    @Test
    void aPostgresServingAnotherDirectoryIsNeverStopped() throws Exception {
        Path dir = TestServer.tempDir().resolve("pg");
        Files.createDirectories(dir);
        Path elsewhere = TestServer.tempDir();
        Path postgres = elsewhere.resolve("postgres");
        Files.copy(Path.of("/bin/sh"), postgres);
        assertThat(postgres.toFile().setExecutable(true)).isTrue();
        Process foreign = new ProcessBuilder(postgres.toString(), "-c", "sleep 300; true", "-D", dir.toString())
                .directory(elsewhere.toFile()).start();
        try {
            Files.writeString(dir.resolve("postmaster.pid"), foreign.pid() + "\n" + dir + "\n");
            EmbeddedDatabase.stopStrayServer(dir);
            assertThat(foreign.isAlive()).isTrue();
        } finally {
            foreign.descendants().forEach(ProcessHandle::destroy);
            foreign.destroy();
        }
    }

    @Test
    void aServerStillOwnedByARunningThroughlineIsLeftAlone() throws Exception {
        Path dir = TestServer.tempDir().resolve("pg");
        try (EmbeddedDatabase first = EmbeddedDatabase.start(dir, 0)) {
            assertThat(first.port()).isPositive();
        }
        // A Throughline from before data/pg.lock: it holds only the embedded library's lock.
        try (EmbeddedPostgres older = EmbeddedPostgres.builder().setDataDirectory(dir).setCleanDataDirectory(false)
                .setConnectConfig("password", Files.readString(dir.resolveSibling("pg.password")).strip())
                .start()) {
            assertThatThrownBy(() -> EmbeddedDatabase.start(dir, 0)).hasMessageContaining("is in use by another");
            assertThat(canConnect(older.getPort(), Files.readString(dir.resolveSibling("pg.password")).strip()))
                    .as("the running server was not stopped").isTrue();
        }
    }

    @Test
    void theServerLetsInOnlyWhoHasItsPassword() throws Exception {
        Path dir = TestServer.tempDir().resolve("pg");
        Path passwordFile = dir.resolveSibling("pg.password");
        try (EmbeddedDatabase database = EmbeddedDatabase.start(dir, 0)) {
            assertThat(Files.readString(passwordFile).strip()).isEqualTo(database.password());
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(passwordFile)))
                    .isEqualTo("rw-------");
            assertThat(Files.readString(dir.resolve("pg_hba.conf"))).doesNotContainPattern("(?m)^host.*trust\\s*$")
                    // initdb writes this warning only when told "trust": the cluster never let anyone in
                    // without the password, not even while its first start set one.
                    .doesNotContain("CAUTION: Configuring the system for local \"trust\"");
            assertThat(canConnect(database.port(), null)).isFalse();
            assertThat(canConnect(database.port(), "guess")).isFalse();
            assertThat(canConnect(database.port(), database.password())).isTrue();
        }
        // The password file lost: the owner of the directory still gets in, under a new password.
        Files.delete(passwordFile);
        try (EmbeddedDatabase again = EmbeddedDatabase.start(dir, 0)) {
            assertThat(Files.readString(passwordFile).strip()).isEqualTo(again.password());
            assertThat(canConnect(again.port(), again.password())).isTrue();
            assertThat(canConnect(again.port(), null)).isFalse();
        }
    }

    /**
     * The PostgreSQL programs run from a folder no other user of the machine can reach: the embedded library's own
     * (a folder in /tmp that it makes writable by everyone, reused by name) would let anyone put programs there
     * that the next start runs as Throughline.
     */
    @Test
    void theProgramsRunFromAFolderNoOtherUserCanReach() throws Exception {
        Path dir = TestServer.tempDir().resolve("pg");
        try (EmbeddedDatabase database = EmbeddedDatabase.start(dir, 0)) {
            Path program = Path.of(ProcessHandle.of(pidIn(dir)).orElseThrow().info().command().orElseThrow());
            // (The library unpacks once per JVM: a start after the first in these tests runs the first's.)
            assertThat(program.toString()).contains("/pg.binaries/postgres/");
            // Every folder on the way that others may write to (sticky ones aside: there, only owners rename)
            // lies inside one they cannot enter.
            List<Path> folders = new ArrayList<>();
            for (Path folder = program.toRealPath().getParent(); folder != null; folder = folder.getParent()) {
                folders.add(folder);
            }
            // Its own folder is its owner's alone, whatever the data directory's permissions (an older one may be
            // open to others: a start only warns).
            assertThat(folders).filteredOn(folder -> folder.getFileName() != null
                    && folder.getFileName().toString().equals("pg.binaries"))
                    .singleElement().satisfies(own -> assertThat(mode(own) & 0077).isZero());
            for (int i = 0; i < folders.size(); i++) {
                int mode = (Integer) Files.getAttribute(folders.get(i), "unix:mode");
                if ((mode & 0002) != 0 && (mode & 01000) == 0) {
                    assertThat(folders.subList(i + 1, folders.size()))
                            .as("others may write to %s", folders.get(i))
                            .anyMatch(above -> (mode(above) & 0001) == 0);
                }
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

    /**
     * A new cluster folds case by Unicode whatever locale the shell had (run here under POSIX): lower() and ILIKE
     * on Cyrillic, and the folded email addresses logins are counted by.
     */
    @Test
    void aNewClusterFoldsCaseByUnicodeWhateverTheShellsLocale() throws Exception {
        Path dir = TestServer.tempDir().resolve("pg");
        try (EmbeddedDatabase database = EmbeddedDatabase.start(dir, 0)) {
            Properties properties = new Properties();
            properties.setProperty("user", "postgres");
            properties.setProperty("password", database.password());
            try (Connection connection = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:"
                    + database.port() + "/postgres", properties);
                 var statement = connection.createStatement();
                 var result = statement.executeQuery("SELECT lower('ІВАН Öz') AS folded,"
                         + " 'Олена' ILIKE '%ОЛЕНА%' AS matched,"
                         + " (SELECT datlocprovider FROM pg_database WHERE datname = 'postgres') AS provider")) {
                result.next();
                assertThat(result.getString("folded")).isEqualTo("іван öz");
                assertThat(result.getBoolean("matched")).isTrue();
                assertThat(result.getString("provider")).isEqualTo("b");
            }
        }
    }

    private static boolean canConnect(int port, String password) {
        Properties properties = new Properties();
        properties.setProperty("user", "postgres");
        if (password != null) {
            properties.setProperty("password", password);
        }
        try (Connection connection = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres",
                properties)) {
            return connection.isValid(5);
        } catch (SQLException e) {
            return false;
        }
    }

    private static boolean ready(Path dir) throws Exception {
        return PidFile.ready(dir);
    }

    private static long pidIn(Path dir) throws Exception {
        return PidFile.pid(dir);
    }
}
