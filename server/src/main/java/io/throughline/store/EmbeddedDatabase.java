package io.throughline.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server in {@code <data>/pg}, started when no database URL is configured. Its data survives
 * restarts and crashes (commits are durable: fsync and synchronous_commit on); stopping it is part of a graceful
 * shutdown.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);

    private static final Duration STRAY_STOP_WAIT = Duration.ofSeconds(60);

    private final EmbeddedPostgres postgres;
    private final Path directory;
    /** Open (and locked) while this process runs the server; see {@link #start}. */
    private final FileChannel ownerFile;

    private EmbeddedDatabase(EmbeddedPostgres postgres, Path directory, FileChannel ownerFile) {
        this.postgres = postgres;
        this.directory = directory;
        this.ownerFile = ownerFile;
    }

    /** Starts (and on first use initializes) the server in {@code directory}, on {@code port} (0: any free port). */
    public static EmbeddedDatabase start(Path directory, int port) {
        FileChannel ownerFile = null;
        FileLock owner = null;
        try {
            Files.createDirectories(directory);
            // Every Throughline running on this directory holds this lock for as long as it runs; the server it
            // started stops with it. A server found running while nobody holds the lock was left by a process that
            // died or was killed during a start or a command (the server runs in its own session, so Ctrl+C never
            // reaches it): it is stopped first, or this start would wait for it and then fail.
            ownerFile = FileChannel.open(directory.resolveSibling(directory.getFileName() + ".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                owner = ownerFile.tryLock();
            } catch (OverlappingFileLockException e) {
                owner = null;
            }
            if (owner == null) {
                throw new IllegalStateException(directory + " is in use by another Throughline on this machine:"
                        + " stop it first, or give this one its own THROUGHLINE_DATA_DIR");
            }
            stopStrayServer(directory);
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
            return new EmbeddedDatabase(postgres, directory, ownerFile);
        } catch (IOException | RuntimeException e) {
            release(ownerFile);
            if (e instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new UncheckedIOException("cannot start the embedded PostgreSQL in " + directory, (IOException) e);
        }
    }

    /**
     * Stops a PostgreSQL still running on {@code directory} from an earlier process (its pid file names a live
     * postgres process), and waits until it is gone.
     */
    static void stopStrayServer(Path directory) throws IOException {
        Path pidFile = directory.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        List<String> lines = Files.readAllLines(pidFile);
        long pid;
        try {
            pid = lines.isEmpty() ? -1 : Long.parseLong(lines.getFirst().strip());
        } catch (NumberFormatException e) {
            return;
        }
        Optional<ProcessHandle> process = ProcessHandle.of(pid)
                .filter(p -> p.info().command().map(c -> c.endsWith("postgres")).orElse(false));
        if (process.isEmpty()) {
            return;
        }
        log.warn("a PostgreSQL left running by an earlier process holds {}: stopping it pid={}", directory, pid);
        // SIGTERM: PostgreSQL's smart shutdown, a clean checkpoint; its clients died with their process.
        process.get().destroy();
        try {
            process.get().onExit().get(STRAY_STOP_WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping the PostgreSQL left running in " + directory);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("a PostgreSQL left running by an earlier process (pid " + pid + ") holds "
                    + directory + " and did not stop within " + STRAY_STOP_WAIT.toSeconds() + " s: stop it, then"
                    + " start again");
        }
    }

    private static void release(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                log.debug("cannot close the embedded database's lock file: {}", e.toString());
            }
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
        } finally {
            release(ownerFile);
        }
    }
}
