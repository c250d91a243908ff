package io.throughline.bench;

import io.throughline.Throughline;
import io.throughline.config.ConfigLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.commons.io.FileUtils;

/** The real server for a benchmark: embedded PostgreSQL in a fresh temporary data directory, a free port. */
public final class BenchServer implements AutoCloseable {

    public static final String ADMIN_EMAIL = "bench@throughline.local";
    public static final String ADMIN_PASSWORD = "bench-password-1";

    private final Throughline throughline;
    private final Path dataDir;
    private final Thread onExit = new Thread(this::stop, "bench-server-exit");
    private boolean stopped;

    private BenchServer(Throughline throughline, Path dataDir) {
        this.throughline = throughline;
        this.dataDir = dataDir;
    }

    public static BenchServer start(Map<String, String> overrides) {
        Path dataDir;
        try {
            dataDir = Files.createTempDirectory("throughline-bench");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> config = new HashMap<>();
        config.put("http.host", "127.0.0.1");
        config.put("http.port", "0");
        config.put("data.dir", dataDir.toString());
        config.put("admin.email", ADMIN_EMAIL);
        config.put("admin.password", ADMIN_PASSWORD);
        config.put("demo.enabled", "false");
        config.put("log.level", "WARN");
        config.putAll(overrides);
        BenchServer server = new BenchServer(Throughline.start(ConfigLoader.fromMap(config)), dataDir);
        // Ctrl+C ends the benchmark's JVM, not its embedded PostgreSQL (it runs in a session of its own): without
        // this, it would go on running, its gigabytes left in a temporary folder.
        Runtime.getRuntime().addShutdownHook(server.onExit);
        server.throughline.shutdownHandedOver();
        return server;
    }

    public Throughline throughline() {
        return throughline;
    }

    public String url() {
        return throughline.publicUrl().toString();
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Stops the server and removes its data directory (its PostgreSQL and index reach gigabytes at 1M messages). */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(onExit);
        } catch (IllegalStateException exiting) {
            // The JVM is exiting: the hook stops it, whichever comes first.
        }
        stop();
    }

    private synchronized void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        throughline.close();
        FileUtils.deleteQuietly(dataDir.toFile());
    }
}
