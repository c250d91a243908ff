package io.throughline.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    @Test
    void defaultsNeedNoFileAndNoEnvironment() {
        ThroughlineConfig config = ConfigLoader.load(null, Map.of());
        assertThat(config.http().port()).isEqualTo(8080);
        assertThat(config.database().embedded()).isTrue();
        assertThat(config.dataDir()).isEqualTo(Path.of("data"));
        assertThat(config.pgDir()).isEqualTo(Path.of("data", "pg"));
        assertThat(config.attachmentsDir()).isEqualTo(Path.of("data", "attachments"));
        assertThat(ConfigLoader.load(null, Map.of("THROUGHLINE_DATA_ATTACHMENTS_DIR", "/mnt/shared/files"))
                .attachmentsDir()).isEqualTo(Path.of("/mnt/shared/files"));
        assertThat(config.auth().sessionTtl()).isEqualTo(Duration.ofDays(14));
        assertThat(config.http().maxBodySize()).isEqualTo(1024 * 1024);
        assertThat(config.admin().password()).isNull();
    }

    @Test
    void environmentOverridesTheFileWhichOverridesDefaults() throws IOException {
        Path file = dir.resolve("t.yaml");
        Files.writeString(file, """
                http:
                  port: 9000
                  publicUrl: https://support.example.com/
                outbox:
                  maxAttempts: 3
                """);
        ThroughlineConfig config = ConfigLoader.load(file, Map.of(
                "THROUGHLINE_HTTP_PORT", "9100",
                "THROUGHLINE_DATA_DIR", "/var/lib/throughline",
                "THROUGHLINE_DATABASE_URL", "postgresql://u:p@db:5432/tl"));
        assertThat(config.http().port()).isEqualTo(9100);
        assertThat(config.outbox().maxAttempts()).isEqualTo(3);
        assertThat(config.dataDir()).isEqualTo(Path.of("/var/lib/throughline"));
        assertThat(config.database().embedded()).isFalse();
        assertThat(config.http().publicUrlFor(9100).toString()).isEqualTo("https://support.example.com");
        assertThat(config.database().toString()).doesNotContain("u:p");
    }

    /**
     * Two ways a database URL the operator set would be lost without a word, and the server would start on a new
     * embedded database with a new admin: a section given twice (the later one wins in YAML), and a variable a
     * deployment template left empty.
     */
    @Test
    void aSectionGivenTwiceOrAnEmptyVariableOverAFileValueIsRefused() throws IOException {
        Path file = dir.resolve("twice.yaml");
        Files.writeString(file, """
                database:
                  url: postgresql://app:s3cret@db:5432/tl
                http:
                  port: 9000
                database:
                  url: ""
                """);
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.getMessage())
                        .contains("twice.yaml").contains("'database' appears twice").contains("line 5")
                        .doesNotContain("s3cret"));

        Path once = dir.resolve("once.yaml");
        Files.writeString(once, "database:\n  url: postgresql://app:s3cret@db:5432/tl\n");
        assertThatThrownBy(() -> ConfigLoader.load(once, Map.of("THROUGHLINE_DATABASE_URL", "")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.getMessage())
                        .contains("THROUGHLINE_DATABASE_URL").contains("set but empty").doesNotContain("s3cret"));
        // Empty over an empty default (nothing in the file) is that default.
        assertThat(ConfigLoader.load(once, Map.of("THROUGHLINE_HTTP_PUBLIC_URL", "")).database().embedded())
                .isFalse();
        // Empty over any other default would read as false or as no types: sockets off, uploads refused.
        assertThatThrownBy(() -> ConfigLoader.load(once, Map.of("THROUGHLINE_WIDGET_WEB_SOCKET", "",
                "THROUGHLINE_WIDGET_UPLOAD_TYPES", " ")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .anySatisfy(p -> assertThat(p).contains("THROUGHLINE_WIDGET_WEB_SOCKET")
                                .contains("set but empty").contains("widget.webSocket's default (true)"))
                        .anySatisfy(p -> assertThat(p).contains("THROUGHLINE_WIDGET_UPLOAD_TYPES")
                                .contains("set but empty")));
        // But no database URL anywhere and an empty variable is a deployment whose ${DB_URL} went unset: not a
        // new embedded database.
        Path shipped = Path.of("..", "config", "throughline.yaml"); // its url is ""
        for (Path withoutUrl : Arrays.asList(null, shipped)) {
            assertThatThrownBy(() -> ConfigLoader.load(withoutUrl, Map.of("THROUGHLINE_DATABASE_URL", "")))
                    .as(String.valueOf(withoutUrl)).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(
                            e.getMessage()).contains("THROUGHLINE_DATABASE_URL").contains("set but empty")
                            .contains("embedded"));
            assertThat(ConfigLoader.load(withoutUrl, Map.of()).database().embedded()).isTrue();
        }
    }

    /** Sizes that would refuse every sign-in or bounce every mail are refused. */
    @Test
    void sizesThatWouldBreakWhatTheyServeAreRefused() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("THROUGHLINE_HTTP_MAX_BODY_SIZE", "0",
                "THROUGHLINE_EMAIL_LISTENER_MAX_MESSAGE_SIZE", "0", "THROUGHLINE_SEARCH_RAM_BUFFER", "0")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .anySatisfy(p -> assertThat(p).contains("http.maxBodySize").contains("at least 16KB"))
                        .anySatisfy(p -> assertThat(p).contains("email.listener.maxMessageSize")
                                .contains("at least 64KB"))
                        .anySatisfy(p -> assertThat(p).contains("search.ramBuffer").contains("between 1MB")));
        assertThat(ConfigLoader.load(null, Map.of("THROUGHLINE_HTTP_MAX_BODY_SIZE", "16KB",
                "THROUGHLINE_EMAIL_LISTENER_MAX_MESSAGE_SIZE", "64KB", "THROUGHLINE_SEARCH_RAM_BUFFER", "1MB"))
                .http().maxBodySize()).isEqualTo(16 * 1024);
    }

    @Test
    void everyProblemIsReportedAtOnce() throws IOException {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, """
                htp:
                  port: 1
                http:
                  port: seventy
                outbox:
                  initialBackoff: soon
                """);
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of("THROUGHLINE_ADMIN_EMAIL", "nobody",
                "THROUGHLINE_LOG_LEVEL", "LOUD")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .anySatisfy(p -> assertThat(p).contains("unknown option 'htp.port'"))
                        .anySatisfy(p -> assertThat(p).contains("http.port").contains("'seventy' is not an integer"))
                        .anySatisfy(p -> assertThat(p).contains("outbox.initialBackoff").contains("soon"))
                        .anySatisfy(p -> assertThat(p).contains("admin.email").contains("THROUGHLINE_ADMIN_EMAIL"))
                        .anySatisfy(p -> assertThat(p).contains("log.level")));
    }

    @Test
    void durationsThatWouldBreakTheOutboxOrSessionsAreRefused() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("THROUGHLINE_OUTBOX_LEASE", "0s",
                "THROUGHLINE_OUTBOX_POLL_INTERVAL", "0s", "THROUGHLINE_REALTIME_POLL_INTERVAL", "0s",
                "THROUGHLINE_AUTH_SESSION_TTL", "0s", "THROUGHLINE_OUTBOX_INITIAL_BACKOFF", "1m",
                "THROUGHLINE_OUTBOX_MAX_BACKOFF", "10s")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .anySatisfy(p -> assertThat(p).contains("outbox.lease").contains("at least 1s"))
                        .anySatisfy(p -> assertThat(p).contains("outbox.pollInterval").contains("at least 10ms"))
                        .anySatisfy(p -> assertThat(p).contains("realtime.pollInterval").contains("at least"))
                        .anySatisfy(p -> assertThat(p).contains("auth.sessionTtl").contains("at least 1m"))
                        .anySatisfy(p -> assertThat(p).contains("outbox.maxBackoff")
                                .contains("at least outbox.initialBackoff"))
                        .noneSatisfy(p -> assertThat(p).contains("outbox.initialBackoff (")));
    }

    /** An idle timeout no longer than the chat's long poll or a heartbeat would cut them every time. */
    @Test
    void anIdleTimeoutNotAboveTheLongPollAndHeartbeatsIsRefused() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("THROUGHLINE_HTTP_IDLE_TIMEOUT", "20s",
                "THROUGHLINE_WIDGET_HEARTBEAT", "20s")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement()
                        .asString().contains("http.idleTimeout").contains("widget.longPoll (25s)")
                        .contains("widget.heartbeat (20s)").contains("realtime.heartbeat (25s)")
                        .contains("it is 20s"));
        assertThat(ConfigLoader.load(null, Map.of("THROUGHLINE_HTTP_IDLE_TIMEOUT", "2s",
                "THROUGHLINE_WIDGET_LONG_POLL", "1500ms", "THROUGHLINE_WIDGET_HEARTBEAT", "1s",
                "THROUGHLINE_REALTIME_HEARTBEAT", "1s")).http().idleTimeout()).hasSeconds(2);
    }

    /** YAML's parser quotes the line it stopped on: a password there must not reach the terminal or the logs. */
    @Test
    void aFileThatIsNotYamlIsRefusedByLineWithoutEchoingIt() throws IOException {
        Path file = dir.resolve("broken.yaml");
        Files.writeString(file, """
                admin:
                  email: admin@example.com
                  password: @dm1nS3cretXYZ
                database:
                  url: "postgresql://app:qu0tedS3cret@db/tl
                """);
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.getMessage())
                        .contains("broken.yaml").contains("line 3, column 13").contains("must be quoted")
                        .doesNotContain("S3cret"));
        Files.writeString(file, "admin:\n  password: !ab!S3cretTag\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.getMessage())
                        .contains("line 2").doesNotContain("S3cret").doesNotContain("!ab!"));
        Files.writeString(file, "database:\n  url: \"postgresql://app:qu0tedS3cret@db/tl\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.getMessage())
                        .contains("broken.yaml").contains("line").doesNotContain("S3cret"));
    }

    @Test
    void aDatabaseUrlTheDriverCannotParseIsRefusedWithoutEchoingIt() {
        assertThatThrownBy(() -> ConfigLoader.load(null,
                Map.of("THROUGHLINE_DATABASE_URL", "postgresql://app:s3cr#t@db.internal:5432/support")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.getMessage())
                        .contains("database.url").contains("percent-encode").doesNotContain("s3cr"));
        assertThat(ConfigLoader.load(null, Map.of("THROUGHLINE_DATABASE_URL",
                "postgresql://app:s3cr%23t@db.internal:5432/support")).database().url()).contains("db.internal");
    }

    @Test
    void theDemoIsOnForATrialAndOffByDefaultOnAPublicServer() {
        assertThat(ConfigLoader.load(null, Map.of()).demo()).isTrue();
        assertThat(ConfigLoader.load(null, Map.of("THROUGHLINE_HTTP_PUBLIC_URL", "https://support.example.com"))
                .demo()).isFalse();
        assertThat(ConfigLoader.load(null, Map.of("THROUGHLINE_HTTP_PUBLIC_URL", "https://support.example.com",
                "THROUGHLINE_DEMO_ENABLED", "true")).demo()).isTrue();
        assertThat(ConfigLoader.load(null, Map.of("THROUGHLINE_DEMO_ENABLED", "false")).demo()).isFalse();
        assertThat(ConfigLoader.load(null, Map.of("THROUGHLINE_DEMO_ENABLED", "0")).demo()).isFalse();
        assertThat(ConfigLoader.load(null, Map.of("THROUGHLINE_HTTP_PUBLIC_URL", "https://support.example.com",
                "THROUGHLINE_DEMO_ENABLED", "yes")).demo()).isTrue();
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("THROUGHLINE_DEMO_ENABLED", "maybe")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.getMessage())
                        .contains("demo.enabled"));
    }

    @Test
    void aDatabaseUrlThatIsNotPostgresIsRefusedWithoutEchoingIt() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("THROUGHLINE_DATABASE_URL", "mysql://u:secret@h/db")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.getMessage())
                        .contains("database.url").doesNotContain("secret"));
    }

    @Test
    void inboxesAreReadFromTheFile() throws IOException {
        Path file = dir.resolve("inboxes.yaml");
        Files.writeString(file, """
                inboxes:
                  - kind: api
                    name: Shop
                    config:
                      webhookUrl: https://shop.example.com/hook
                  - name: broken
                """);
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .singleElement().asString().contains("inboxes[1]").contains("'kind'"));
    }

    /**
     * YAML 1.1 reads 0123 as an octal number, drops the _ of 1_000 and the last 0 of 1.50: a password written so,
     * unquoted, became another one without a word. A value is kept as the file writes it, an inbox's too, where
     * numbers that read as written stay numbers; a number or a switch option still reads them as YAML does.
     */
    @Test
    void valuesYamlWouldReadAsOtherNumbersAreKeptAsWritten() throws IOException {
        Path file = dir.resolve("numbers.yaml");
        Files.writeString(file, """
                admin:
                  email: admin@example.com
                  password: 0123456701234567
                http:
                  port: 9_000
                  trustProxy: yes
                inboxes:
                  - kind: email
                    name: Support
                    config:
                      imap: {host: imap.example.com, port: 993, password: 0777_123}
                """);
        ThroughlineConfig config = ConfigLoader.load(file, Map.of());
        assertThat(config.admin().password()).isEqualTo("0123456701234567");
        assertThat(config.http().port()).isEqualTo(9000);
        assertThat(config.http().trustProxy()).isTrue();
        JsonObject imap = config.inboxes().getFirst().config().getJsonObject("imap");
        assertThat(imap.getValue("password")).isEqualTo("0777_123");
        assertThat(imap.getValue("port")).isEqualTo(993);
    }

    /** Kubernetes names a variable after each service of the namespace: one may look like an option, or be one. */
    @Test
    void kubernetesServiceLinksAreNeitherOptionsNorTypos() {
        ThroughlineConfig config = ConfigLoader.load(null, Map.of(
                "THROUGHLINE_DATABASE_PORT", "tcp://10.0.0.7:5432",
                "THROUGHLINE_HTTP_PORT", "tcp://10.0.0.8:8080",
                "THROUGHLINE_SERVICE_HOST", "10.0.0.9"));
        assertThat(config.http().port()).isEqualTo(8080);
        assertThat(config.database().embedded()).isTrue();
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("THROUGHLINE_DATABASE_URI", "postgresql://db/tl")))
                .as("a typo is still one").isInstanceOf(ConfigException.class);
    }

    @Test
    void envNamesFollowTheDottedPath() {
        assertThat(Options.HTTP_PUBLIC_URL.envName()).isEqualTo("THROUGHLINE_HTTP_PUBLIC_URL");
        assertThat(Options.DATABASE_URL.envName()).isEqualTo("THROUGHLINE_DATABASE_URL");
        assertThat(Options.DATA_DIR.envName()).isEqualTo("THROUGHLINE_DATA_DIR");
        assertThat(Options.AUTH_LOGIN_ATTEMPTS_PER_IP.envName()).isEqualTo("THROUGHLINE_AUTH_LOGIN_ATTEMPTS_PER_IP");
    }

    @Test
    void unitsReadHumanDurationsAndSizes() {
        assertThat(Units.duration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Units.duration("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(Units.duration("PT30S")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Units.size("20MB")).isEqualTo(20L * 1024 * 1024);
        assertThat(Units.size("512")).isEqualTo(512);
        assertThatThrownBy(() -> Units.size("lots")).hasMessageContaining("not a size");
        // Past a long: refused by name, not wrapped round to a negative size or a start failing "long overflow".
        assertThat(Units.duration("0")).isEqualTo(Duration.ZERO);
        assertThat(ConfigLoader.load(null, Map.of("THROUGHLINE_TELEGRAM_WEBHOOK_CHECK", "0")).telegram().webhookCheck())
                .as("0 turns the webhook check off, as documented").isZero();
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("THROUGHLINE_TELEGRAM_WEBHOOK_CHECK", "1ms")))
                .hasMessageContaining("must be 0 (off) or at least 100ms");
        assertThatThrownBy(() -> Units.size("8589934592GB")).hasMessageContaining("too large a size");
        assertThatThrownBy(() -> Units.size("99999999999999999999")).hasMessageContaining("too large a size");
        assertThatThrownBy(() -> Units.duration("100000000000000d")).hasMessageContaining("too long a duration");
        assertThatThrownBy(() -> Units.duration("99999999999999999999s")).hasMessageContaining("too long");
        assertThatThrownBy(() -> Units.duration("P9999999999999D")).hasMessageContaining("too long a duration");
        assertThatThrownBy(() -> Units.duration("Pfoo")).hasMessageContaining("not a duration");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("THROUGHLINE_REALTIME_POLL_INTERVAL",
                "100000000000000d"))).isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                .singleElement().asString().contains("realtime.pollInterval").contains("too long a duration"));
    }
}
