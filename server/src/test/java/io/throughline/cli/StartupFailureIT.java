package io.throughline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.Throughline;
import io.throughline.config.ConfigLoader;
import io.throughline.testing.ApiClient;
import io.throughline.testing.TestPostgres;
import io.throughline.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A start that cannot happen says why in one line and exits with 1, instead of a stack trace: the port is taken,
 * or another Throughline already runs on the data directory.
 */
class StartupFailureIT {

    private static final String CONFIG = Path.of("..", "config", "throughline.yaml").toAbsolutePath().toString();

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int start(Map<String, String> env) {
        return Main.run(new String[] {"start"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), env);
    }

    @Test
    void aTakenPortIsNamedWithTheVariableThatMovesIt() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            int status = start(Map.of("THROUGHLINE_CONFIG", CONFIG,
                    "THROUGHLINE_HTTP_HOST", "127.0.0.1",
                    "THROUGHLINE_HTTP_PORT", Integer.toString(taken.getLocalPort()),
                    "THROUGHLINE_DATA_DIR", TestServer.tempDir().toString(),
                    "THROUGHLINE_DATABASE_URL", TestPostgres.newDatabase(),
                    "THROUGHLINE_DEMO_ENABLED", "false"));
            assertThat(status).isEqualTo(1);
            assertThat(err.toString(StandardCharsets.UTF_8))
                    .startsWith("Throughline could not start: cannot listen on 127.0.0.1:" + taken.getLocalPort())
                    .contains("THROUGHLINE_HTTP_PORT")
                    .doesNotContain("\tat ");
            assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain("Throughline is running");
        }
    }

    /**
     * A port chosen for the embedded PostgreSQL that someone else listens on is named with its variable, at once:
     * PostgreSQL would stop and the start wait a minute for it.
     */
    @Test
    void aTakenEmbeddedDatabasePortIsNamedWithTheVariableThatMovesIt() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            int status = start(Map.of("THROUGHLINE_CONFIG", CONFIG,
                    "THROUGHLINE_HTTP_HOST", "127.0.0.1",
                    "THROUGHLINE_HTTP_PORT", "0",
                    "THROUGHLINE_DATA_DIR", TestServer.tempDir().toString(),
                    "THROUGHLINE_DATABASE_EMBEDDED_PORT", Integer.toString(taken.getLocalPort()),
                    "THROUGHLINE_DEMO_ENABLED", "false"));
            assertThat(status).isEqualTo(1);
            assertThat(err.toString(StandardCharsets.UTF_8))
                    .startsWith("Throughline could not start: cannot start the embedded PostgreSQL: port "
                            + taken.getLocalPort())
                    .contains("THROUGHLINE_DATABASE_EMBEDDED_PORT")
                    .doesNotContain("\tat ");
        }
    }

    /** A config file's inbox that cannot be made is named by its place in the list and its name. */
    @Test
    void aBadInboxOfTheConfigFileIsNamed() throws Exception {
        Path file = Files.writeString(TestServer.tempDir().resolve("throughline.yaml"), """
                inboxes:
                  - kind: api
                    name: Good shop
                  - kind: api
                    name: Broken shop
                    config:
                      webhookUrl: ftp://files.example.com/hook
                """);
        int status = start(Map.of("THROUGHLINE_CONFIG", file.toString(),
                "THROUGHLINE_HTTP_HOST", "127.0.0.1", "THROUGHLINE_HTTP_PORT", "0",
                "THROUGHLINE_DATA_DIR", TestServer.tempDir().toString(),
                "THROUGHLINE_DATABASE_URL", TestPostgres.newDatabase(), "THROUGHLINE_DEMO_ENABLED", "false"));
        assertThat(status).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("inboxes[1] (api 'Broken shop')")
                .contains("http or https").doesNotContain("\tat ");
    }

    /** An agent for a workspace that does not exist is refused by name, not with the database's foreign key. */
    @Test
    void anAgentForAWorkspaceThatDoesNotExistIsRefusedByName() {
        Map<String, String> env = Map.of("THROUGHLINE_CONFIG", CONFIG,
                "THROUGHLINE_DATA_DIR", TestServer.tempDir().toString(),
                "THROUGHLINE_DATABASE_URL", TestPostgres.newDatabase());
        assertThat(Main.run(new String[] {"create-agent", "--email", "ann@example.com", "--name", "Ann",
                "--workspace", "999"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), env)).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("there is no workspace 999")
                .doesNotContain("foreign key").doesNotContain("is the server running");
    }

    /**
     * A database nobody answers at: each command says so in one line and exits with 1. The refused connection is
     * a checked exception that Vert.x's await throws undeclared, past every handler written for failures.
     */
    @Test
    void aDatabaseThatDoesNotAnswerIsOneLineForEveryCommand() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            closed = socket.getLocalPort();
        }
        Map<String, String> env = Map.of("THROUGHLINE_CONFIG", CONFIG, "THROUGHLINE_HTTP_HOST", "127.0.0.1",
                "THROUGHLINE_HTTP_PORT", "0", "THROUGHLINE_DATA_DIR", TestServer.tempDir().toString(),
                "THROUGHLINE_DATABASE_URL", "postgresql://tl:secret@127.0.0.1:" + closed + "/tl",
                "THROUGHLINE_DEMO_ENABLED", "false");
        for (String[] command : List.of(new String[] {"start"}, new String[] {"reindex"},
                new String[] {"create-agent", "--email", "ann@example.com", "--name", "Ann"},
                new String[] {"create-workspace", "--name", "Globex", "--admin-email", "ops@globex.test"})) {
            out.reset();
            err.reset();
            assertThat(Main.run(command, new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8), env)).as(command[0]).isEqualTo(1);
            assertThat(err.toString(StandardCharsets.UTF_8)).as(command[0]).contains("127.0.0.1:" + closed)
                    .doesNotContain("\tat ").doesNotContain("secret");
        }
    }

    /** The inbound SMTP listener turned on but unable to listen stops the start, naming what to change. */
    @Test
    void aTakenSmtpListenerPortIsNamedWithTheVariableThatMovesIt() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            int status = start(Map.of("THROUGHLINE_CONFIG", CONFIG, "THROUGHLINE_HTTP_HOST", "127.0.0.1",
                    "THROUGHLINE_HTTP_PORT", "0", "THROUGHLINE_DATA_DIR", TestServer.tempDir().toString(),
                    "THROUGHLINE_DATABASE_URL", TestPostgres.newDatabase(), "THROUGHLINE_DEMO_ENABLED", "false",
                    "THROUGHLINE_EMAIL_LISTENER_ENABLED", "true", "THROUGHLINE_EMAIL_LISTENER_HOST", "127.0.0.1",
                    "THROUGHLINE_EMAIL_LISTENER_PORT", Integer.toString(taken.getLocalPort())));
            assertThat(status).isEqualTo(1);
            assertThat(err.toString(StandardCharsets.UTF_8))
                    .startsWith("Throughline could not start: cannot listen on 127.0.0.1:" + taken.getLocalPort())
                    .contains("THROUGHLINE_EMAIL_LISTENER_PORT").doesNotContain("\tat ");
            assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain("Throughline is running");
        }
    }

    @Test
    void aFirstStartThatFailedShowsANewAdminPasswordOnTheNextStart() throws Exception {
        String database = TestPostgres.newDatabase();
        Path data = TestServer.tempDir();
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            assertThat(start(Map.of("THROUGHLINE_CONFIG", CONFIG, "THROUGHLINE_HTTP_HOST", "127.0.0.1",
                    "THROUGHLINE_HTTP_PORT", Integer.toString(taken.getLocalPort()),
                    "THROUGHLINE_DATA_DIR", data.toString(), "THROUGHLINE_DATABASE_URL", database,
                    "THROUGHLINE_DEMO_ENABLED", "false"))).isEqualTo(1);
        }
        Map<String, String> again = Map.of("http.host", "127.0.0.1", "http.port", "0", "data.dir", data.toString(),
                "database.url", database, "demo.enabled", "false");
        try (Throughline second = Throughline.start(ConfigLoader.fromMap(again))) {
            Throughline.FirstStart first = second.firstStart();
            assertThat(first).isNotNull();
            assertThat(first.generatedPassword()).isNotBlank();
            new ApiClient(second.publicUrl().toString()).login(first.adminEmail(), first.generatedPassword())
                    .get("/api/v1/auth/me").expect(200);
        }
        try (Throughline third = Throughline.start(ConfigLoader.fromMap(again))) {
            assertThat(third.firstStart()).isNull();
        }
    }

    /** The banner with the password could not be printed (stdout gone): the next start shows a new one. */
    @Test
    void aFirstStartWhosePasswordCouldNotBeShownIsTakenUpAgain() {
        String database = TestPostgres.newDatabase();
        Path data = TestServer.tempDir();
        PrintStream gone = new PrintStream(new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("stdout closed");
            }
        }, true, StandardCharsets.UTF_8);
        int status = Main.run(new String[] {"start"}, gone, new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of("THROUGHLINE_CONFIG", CONFIG, "THROUGHLINE_HTTP_HOST", "127.0.0.1", "THROUGHLINE_HTTP_PORT",
                        "0", "THROUGHLINE_DATA_DIR", data.toString(), "THROUGHLINE_DATABASE_URL", database,
                        "THROUGHLINE_DEMO_ENABLED", "false"));
        assertThat(status).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("could not print the first start's admin password");

        try (Throughline next = Throughline.start(ConfigLoader.fromMap(Map.of("http.host", "127.0.0.1",
                "http.port", "0", "data.dir", data.toString(), "database.url", database, "demo.enabled", "false")))) {
            Throughline.FirstStart first = next.firstStart();
            assertThat(first).isNotNull();
            assertThat(first.recovered()).isTrue();
            new ApiClient(next.publicUrl().toString()).login(first.adminEmail(), first.generatedPassword())
                    .get("/api/v1/auth/me").expect(200);
        }
    }

    /**
     * A workspace made by a command before the first start stood for the first start's: the configured admin was
     * never made, the demo not seeded, and nothing said so. The command asks for a start first, as create-agent
     * does.
     */
    @Test
    void aWorkspaceIsNotMadeBeforeTheFirstStart() {
        Map<String, String> env = Map.of("THROUGHLINE_CONFIG", CONFIG,
                "THROUGHLINE_DATA_DIR", TestServer.tempDir().toString());
        assertThat(Main.run(new String[] {"create-workspace", "--name", "Globex", "--admin-email", "ops@globex.test"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                env)).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("there is no workspace yet")
                .contains("run ./throughline start once first").doesNotContain("is the server running");
        assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain("Created workspace");
    }

    @Test
    void aDataDirectoryInUseIsNamed() {
        Path data = TestServer.tempDir();
        try (Throughline running = Throughline.start(ConfigLoader.fromMap(Map.of("http.host", "127.0.0.1",
                "http.port", "0", "data.dir", data.toString(), "demo.enabled", "false")))) {
            assertThat(running.embeddedDatabase()).isTrue();
            int status = start(Map.of("THROUGHLINE_CONFIG", CONFIG,
                    "THROUGHLINE_HTTP_HOST", "127.0.0.1", "THROUGHLINE_HTTP_PORT", "0",
                    "THROUGHLINE_DATA_DIR", data.toString(), "THROUGHLINE_DEMO_ENABLED", "false"));
            assertThat(status).isEqualTo(1);
            assertThat(err.toString(StandardCharsets.UTF_8))
                    .contains("is in use by another Throughline on this machine")
                    .contains("THROUGHLINE_DATA_DIR")
                    .doesNotContain("\tat ");

            // A command is told to stop the server, not to take another data directory (a new, empty database).
            Map<String, String> env = Map.of("THROUGHLINE_CONFIG", CONFIG, "THROUGHLINE_DATA_DIR", data.toString());
            for (String[] command : List.of(
                    new String[] {"create-agent", "--email", "ann@example.com", "--name", "Ann"},
                    new String[] {"create-workspace", "--name", "Globex", "--admin-email", "ops@globex.test"})) {
                err.reset();
                assertThat(Main.run(command, new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8), env)).as(command[0]).isEqualTo(1);
                assertThat(err.toString(StandardCharsets.UTF_8)).as(command[0])
                        .contains("the server runs on this data directory").contains("stop it first")
                        .doesNotContain("THROUGHLINE_DATA_DIR");
            }
            err.reset();
            assertThat(Main.run(new String[] {"create-agent", "--email", "ann@example.com", "--name", "Ann",
                    "--workspace", "abc"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8), env)).isEqualTo(2);
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("--workspace takes a workspace's id");
        }
    }
}
