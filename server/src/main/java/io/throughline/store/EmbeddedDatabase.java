package io.throughline.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server in {@code <data>/pg}, started when no database URL is configured. Its data survives
 * restarts and crashes (commits are durable: fsync and synchronous_commit on); stopping it is part of a graceful
 * shutdown.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);

    private final EmbeddedPostgres postgres;
    private final Path directory;

    private EmbeddedDatabase(EmbeddedPostgres postgres, Path directory) {
        this.postgres = postgres;
        this.directory = directory;
    }

    /** Starts (and on first use initializes) the server in {@code directory}, on {@code port} (0: any free port). */
    public static EmbeddedDatabase start(Path directory, int port) {
        try {
            Files.createDirectories(directory);
            long started = System.nanoTime();
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(directory)
                    .setCleanDataDirectory(false)
                    .setRegisterShutdownHook(false)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    // The embedded library turns these off by default, for tests. A commit here is an acknowledgement
                    // to a customer's mail server, widget or Telegram: it must survive a power cut.
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("full_page_writes", "on")
                    .setServerConfig("max_connections", "300")
                    .setServerConfig("listen_addresses", "127.0.0.1");
            if (port > 0) {
                builder.setPort(port);
            }
            EmbeddedPostgres postgres;
            try {
                postgres = builder.start();
            } catch (IllegalStateException e) {
                // Another process holding the lock: "could not lock"; this process: an overlapping lock.
                if (e instanceof OverlappingFileLockException
                        || String.valueOf(e.getMessage()).contains("could not lock")) {
                    throw new IllegalStateException(directory + " is in use by another Throughline on this machine:"
                            + " stop it first, or give this one its own THROUGHLINE_DATA_DIR", e);
                }
                throw e;
            }
            log.info("embedded postgresql started dir={} port={} ms={}", directory, postgres.getPort(),
                    (System.nanoTime() - started) / 1_000_000);
            return new EmbeddedDatabase(postgres, directory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + directory, e);
        }
    }

    public int port() {
        return postgres.getPort();
    }

    public Path directory() {
        return directory;
    }

    @Override
    public void close() {
        try {
            postgres.close();
            log.info("embedded postgresql stopped dir={}", directory);
        } catch (IOException e) {
            log.warn("embedded postgresql did not stop cleanly dir={}", directory, e);
        }
    }
}
