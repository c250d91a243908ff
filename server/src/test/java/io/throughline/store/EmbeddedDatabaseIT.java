package io.throughline.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.PidFile;
import io.throughline.testing.TestServer;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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

    /**
     * After a power cut, the pid in {@code postmaster.pid} may belong to another program by the next boot: PostgreSQL
     * takes any live process it may signal for a server still running there, and refused every start. The file is
     * set aside (the program left alone), and the server starts.
     */
    @Test
    void aPidFileNamingAnotherProgramAfterARebootIsSetAsideAndTheStartGoesOn() throws Exception {
        Path dir = TestServer.tempDir().resolve("pg");
        try (EmbeddedDatabase first = EmbeddedDatabase.start(dir, 0)) {
            assertThat(first.port()).isPositive();
        }
        Process other = new ProcessBuilder("sleep", "300").start();
        try {
            Files.writeString(dir.resolve("postmaster.pid"), other.pid() + "\n" + dir + "\n");
            EmbeddedDatabase.stopStrayServer(dir);
            assertThat(dir.resolve("postmaster.pid")).doesNotExist();
            assertThat(other.isAlive()).isTrue();

            Files.writeString(dir.resolve("postmaster.pid"), other.pid() + "\n" + dir + "\n");
            try (EmbeddedDatabase second = EmbeddedDatabase.start(dir, 0)) {
                assertThat(pidIn(dir)).isNotEqualTo(other.pid());
                assertThat(other.isAlive()).isTrue();
            }
        } finally {
            other.destroy();
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
     * A first start killed while initdb ran leaves a directory with a config file and no cluster: the next start
     * sets it aside and makes the cluster again, rather than waiting a minute at every start for a server that
     * cannot run. One that a server ran on is never touched.
     */
    @Test
    void aFirstStartStoppedDuringInitdbIsMadeAgain() throws Exception {
        Path dir = TestServer.tempDir().resolve("pg");
        // Killed after the control file, while initdb made the databases: no server ever ran on it.
        Files.createDirectories(dir.resolve("base"));
        Files.createDirectories(dir.resolve("global"));
        Files.write(dir.resolve("global").resolve("pg_control"), new byte[8192]);
        Files.writeString(dir.resolve("PG_VERSION"), "18\n");
        Files.writeString(dir.resolve("postgresql.conf"), "# initdb stopped here\n");
        try (EmbeddedDatabase database = EmbeddedDatabase.start(dir, 0)) {
            assertThat(canConnect(database.port(), database.password())).isTrue();
            assertThat(Files.readString(dir.resolveSibling("pg.unfinished").resolve("postgresql.conf")))
                    .contains("initdb stopped here");
            // PostgreSQL's own words go to pg.log, for its owner only: why it starts or stops, not each failed
            // statement (with its values) of the traffic.
            Properties properties = new Properties();
            properties.setProperty("user", "postgres");
            properties.setProperty("password", database.password());
            try (Connection connection = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:"
                    + database.port() + "/postgres", properties); var statement = connection.createStatement()) {
                assertThatThrownBy(() -> statement.execute("SELECT 'card 4111' || 1 / 0"))
                        .hasMessageContaining("division by zero");
            }
            assertThat(Files.readString(dir.resolveSibling("pg.log"))).contains("ready to accept connections")
                    .doesNotContain("division by zero").doesNotContain("card 4111");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolveSibling("pg.log"))))
                    .isEqualTo("rw-------");
        }

        // A cluster a server ran on, or a backup being restored, is left alone whatever its state.
        for (String mark : List.of("postmaster.opts", "backup_label")) {
            Path kept = TestServer.tempDir().resolve("pg");
            Files.createDirectories(kept);
            Files.writeString(kept.resolve("postgresql.conf"), "# a cluster that lost its pg_control\n");
            Files.writeString(kept.resolve(mark), "written by a server or a backup\n");
            EmbeddedDatabase.setAsideUnfinished(kept);
            assertThat(kept.resolve("postgresql.conf")).as(mark).exists();
            assertThat(kept.resolveSibling("pg.unfinished")).as(mark).doesNotExist();
        }
        // A cold copy brought over without the server's own files (postmaster.opts, as PostgreSQL's backup guide
        // allows) holds a database initdb never makes: it is the data, not a first start.
        Path copied = TestServer.tempDir().resolve("pg");
        for (String database : List.of("1", "4", "5", "16384")) {
            Files.createDirectories(copied.resolve("base").resolve(database));
        }
        Files.writeString(copied.resolve("PG_VERSION"), "18\n");
        EmbeddedDatabase.setAsideUnfinished(copied);
        assertThat(copied.resolve("base").resolve("16384")).exists();
        assertThat(copied.resolveSibling("pg.unfinished")).doesNotExist();
    }

    /** A start that fails quotes the end of PostgreSQL's log: why the server stopped, in its words. */
    @Test
    void aFailedStartQuotesTheEndOfPostgresLog() throws Exception {
        Path log = TestServer.tempDir().resolve("pg.log");
        List<String> lines = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            lines.add("line " + i);
        }
        lines.set(9, "FATAL:  data directory \"/srv/data/pg\" has invalid permissions");
        // What an earlier start wrote is not this one's reason.
        Files.writeString(log, "FATAL:  an earlier start's trouble\n");
        long before = Files.size(log);
        Files.write(log, lines, StandardOpenOption.APPEND);
        String message = EmbeddedDatabase.failedStart(log.resolveSibling("pg"), log, before,
                new IllegalStateException("Gave up waiting for server to start after 60000ms")).getMessage();
        assertThat(message).contains("Gave up waiting").contains("line 3").contains("has invalid permissions")
                .doesNotContain("line 2").doesNotContain("earlier start");
        assertThat(EmbeddedDatabase.failedStart(log.resolveSibling("pg"), log, Files.size(log),
                new IllegalStateException("Gave up waiting")).getMessage()).doesNotContain("the end of");
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
