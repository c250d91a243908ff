package io.throughline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.config.Option;
import io.throughline.config.Options;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.commons.io.file.PathUtils;
import org.junit.jupiter.api.Test;

class MainTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(Map<String, String> env, String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), env);
    }

    @Test
    void startHelpListsEveryEnvironmentVariableWithItsDefault() {
        assertThat(run(Map.of(), "start", "--help")).isZero();
        String help = out.toString(StandardCharsets.UTF_8);
        for (Option option : Options.all()) {
            assertThat(help).contains(option.envName());
        }
        assertThat(help).contains("[default: 8080]").contains("THROUGHLINE_CONFIG");

        out.reset();
        assertThat(run(Map.of(), "start", "-h")).as("-h as the launcher reads it").isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("[default: 8080]");
    }

    @Test
    void anInvalidConfigurationListsEveryProblemAndExitsWithTwo() {
        int status = run(Map.of("THROUGHLINE_HTTP_PORT", "http", "THROUGHLINE_OUTBOX_MAX_ATTEMPTS", "0",
                "THROUGHLINE_CONFIG", "/nonexistent/throughline.yaml"), "start");
        assertThat(status).isEqualTo(2);
        String problems = err.toString(StandardCharsets.UTF_8);
        assertThat(problems).contains("THROUGHLINE_HTTP_PORT").contains("outbox.maxAttempts")
                .contains("/nonexistent/throughline.yaml");
    }

    /** A command's failure it did not foresee is one line and exit 1, not a Java stack trace. */
    @Test
    void aDataDirectoryThatIsAFileFailsReindexInOneLine() throws IOException {
        Path file = Files.createTempFile("throughline-data", ".txt");
        try {
            assertThat(run(Map.of("THROUGHLINE_DATA_DIR", file.toString()), "reindex")).isEqualTo(1);
            assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("reindex failed: ")
                    .contains(file.toString()).doesNotContain("\tat ");
        } finally {
            Files.delete(file);
        }
    }

    /**
     * The control file names a port another program answers on now (the server stopped, its port taken): its
     * answer, not JSON, was a DecodeException's stack trace.
     */
    @Test
    void reindexFollowingSomethingElseThanAServerSaysSo() throws IOException {
        Path data = Files.createTempDirectory("throughline-data");
        HttpServer other = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        other.createContext("/", exchange -> {
            byte[] page = "<html><body>Welcome to nginx!</body></html>".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, page.length);
            exchange.getResponseBody().write(page);
            exchange.close();
        });
        other.start();
        try {
            Files.createDirectories(data.resolve("index"));
            Files.writeString(data.resolve("index/control.json"), new JsonObject()
                    .put("url", "http://127.0.0.1:" + other.getAddress().getPort()).put("token", "t")
                    .put("pid", ProcessHandle.current().pid()).encode());
            assertThat(run(Map.of("THROUGHLINE_DATA_DIR", data.toString()), "reindex", "--status")).isEqualTo(1);
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("is not a Throughline server")
                    .contains("Welcome to nginx!").doesNotContain("\tat ");
        } finally {
            other.stop(0);
            PathUtils.deleteDirectory(data);
        }
    }

    @Test
    void anUnknownCommandShowsTheCommands() {
        assertThat(run(Map.of(), "launch")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown command 'launch'").contains("start");
    }

    @Test
    void aMistypedFlagOrVariableStopsTheStartInsteadOfUsingTheDefaults() {
        assertThat(run(Map.of(), "start", "--conifg", "prod.yaml")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown argument --conifg for start");
        err.reset();
        assertThat(run(Map.of(), "start", "prod.yaml")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown argument prod.yaml for start");
        err.reset();
        assertThat(run(Map.of("THROUGHLINE_DATABASE_URI", "postgresql://db/x", "THROUGHLINE_JAVA_OPTS", "-Xmx1g",
                "THROUGHLINE_SERVICE_HOST", "10.0.0.7", "THROUGHLINE_PORT_8080_TCP_ADDR", "10.0.0.7",
                "THROUGHLINE_CONFIG", "/nonexistent/throughline.yaml"), "start")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("THROUGHLINE_DATABASE_URI (environment): is no option of Throughline; did you mean"
                        + " THROUGHLINE_DATABASE_URL?")
                .doesNotContain("THROUGHLINE_JAVA_OPTS (").doesNotContain("THROUGHLINE_SERVICE_HOST")
                .doesNotContain("THROUGHLINE_PORT_8080_TCP_ADDR");
    }

    /** The command line checks what the API checks: a bare --password is not the password "true". */
    @Test
    void creatingAnAgentWithoutAPasswordValueOrWithABadEmailIsRefusedBeforeAnythingIsStored() {
        assertThat(run(Map.of(), "create-agent", "--email", "ann@example.com", "--name", "Ann", "--password"))
                .isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--password needs a value of at least 8");
        err.reset();
        assertThat(run(Map.of(), "create-workspace", "--name", "Acme", "--admin-email", "boss at acme"))
                .isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("is not an email address");
    }

    /** A --config whose path was left out is said so, not read as a file named "true". */
    @Test
    void aConfigFlagWithoutItsFileIsRefused() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertThat(Main.run(new String[] {"start", "--config"}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8), Map.of())).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--config needs the configuration file");
    }

    @Test
    void flagsTakeBothSpellings() {
        assertThat(Main.flags(List.of("--email", "a@b.c", "--role=admin", "--force")))
                .containsEntry("email", "a@b.c").containsEntry("role", "admin").containsEntry("force", "true");
        assertThat(Main.positionals(List.of("--email", "a@b.c", "extra", "--role=admin", "more")))
                .containsExactly("extra", "more");
    }
}
