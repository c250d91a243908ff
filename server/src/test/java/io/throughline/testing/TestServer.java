package io.throughline.testing;

import io.throughline.Throughline;
import io.throughline.config.ConfigLoader;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * The real server on a random port against a real PostgreSQL, as every integration test uses it. Defaults favour
 * quick tests (short backoffs and heartbeats) but never replace a component.
 */
public final class TestServer implements AutoCloseable {

    public static final String ADMIN_EMAIL = "admin@test.local";
    public static final String ADMIN_PASSWORD = "correct-horse-battery";

    private final Throughline throughline;
    private final String databaseUrl;
    private final Path dataDir;

    private TestServer(Throughline throughline, String databaseUrl, Path dataDir) {
        this.throughline = throughline;
        this.databaseUrl = databaseUrl;
        this.dataDir = dataDir;
    }

    public static TestServer start() {
        return start(Map.of());
    }

    public static TestServer start(Map<String, String> overrides) {
        return startOn(TestPostgres.newDatabase(), tempDir(), overrides);
    }

    /** Another server on the same database (a second node, or a restart). */
    public static TestServer startOn(String databaseUrl, Path dataDir, Map<String, String> overrides) {
        return startOn(databaseUrl, dataDir, overrides, Clock.systemUTC());
    }

    /** A server whose clock is this one (one running behind the database's, say). */
    public static TestServer startOn(String databaseUrl, Path dataDir, Map<String, String> overrides, Clock clock) {
        return startOn(databaseUrl, dataDir, null, overrides, clock);
    }

    /** Another server on the same database, started with a config file (its inboxes seeded) as well. */
    public static TestServer startOn(String databaseUrl, Path dataDir, Path configFile, Map<String, String> overrides) {
        return startOn(databaseUrl, dataDir, configFile, overrides, Clock.systemUTC());
    }

    private static TestServer startOn(String databaseUrl, Path dataDir, Path configFile, Map<String, String> overrides,
                                      Clock clock) {
        Map<String, String> config = new HashMap<>();
        config.put("http.host", "127.0.0.1");
        config.put("http.port", "0");
        config.put("http.shutdownGrace", "2s");
        config.put("data.dir", dataDir.toString());
        config.put("database.url", databaseUrl);
        config.put("database.poolSize", "8");
        config.put("admin.email", ADMIN_EMAIL);
        config.put("admin.password", ADMIN_PASSWORD);
        config.put("demo.enabled", "false");
        config.put("outbox.initialBackoff", "200ms");
        config.put("outbox.maxBackoff", "1s");
        config.put("outbox.pollInterval", "100ms");
        config.put("realtime.heartbeat", "1s");
        config.put("realtime.pollInterval", "200ms");
        config.putAll(overrides);
        return new TestServer(Throughline.start(ConfigLoader.fromMap(configFile, config), clock), databaseUrl,
                dataDir);
    }

    /** A data directory of its own, removed when the test JVM exits. */
    public static Path tempDir() {
        return Scratch.dir("throughline-test-data");
    }

    public String url() {
        return throughline.publicUrl().toString();
    }

    public int port() {
        return throughline.port();
    }

    public String databaseUrl() {
        return databaseUrl;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Throughline throughline() {
        return throughline;
    }

    /** A client with no session. */
    public ApiClient anonymous() {
        return new ApiClient(url());
    }

    /**
     * A client with the operator token of the server's data directory, as {@code ./throughline} sends it: it sees
     * every inbox in /health, and needs no login (logins are rate-limited per address).
     */
    public ApiClient operator() {
        try {
            JsonObject control = new JsonObject(Files.readString(dataDir().resolve("index").resolve("control.json")));
            return anonymous().withToken(control.getString("token"));
        } catch (IOException e) {
            throw new UncheckedIOException("no operator token in " + dataDir(), e);
        }
    }

    /** A client logged in as the first admin. */
    public ApiClient admin() {
        return anonymous().login(ADMIN_EMAIL, ADMIN_PASSWORD);
    }

    @Override
    public void close() {
        throughline.close();
    }
}
