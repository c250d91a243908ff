package io.throughline.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A PostgreSQL for benchmarks that write: the embedded binaries, but with durable commits (fsync and
 * synchronous_commit on; the embedded library turns synchronous_commit off by default, which would measure
 * something no production install should run). Throughline and pgbench both write to it, so the ceiling and the
 * figure share one disk and one WAL.
 */
public final class DurablePostgres implements AutoCloseable {

    private final EmbeddedPostgres postgres;
    private final Path dir;

    private DurablePostgres(EmbeddedPostgres postgres, Path dir) {
        this.postgres = postgres;
        this.dir = dir;
    }

    public static DurablePostgres start() {
        try {
            Path dir = Files.createTempDirectory("throughline-bench-pg");
            EmbeddedPostgres postgres = EmbeddedPostgres.builder().setDataDirectory(dir).setCleanDataDirectory(true)
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("full_page_writes", "on")
                    .setServerConfig("max_connections", "300")
                    .setServerConfig("shared_buffers", "256MB")
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .start();
            return new DurablePostgres(postgres, dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the benchmark's PostgreSQL", e);
        }
    }

    public int port() {
        return postgres.getPort();
    }

    /** The URL Throughline's {@code database.url} takes. */
    public String url() {
        return "postgresql://postgres@127.0.0.1:" + port() + "/postgres";
    }

    public Path dataDir() {
        return dir;
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            System.err.println("benchmark PostgreSQL did not stop cleanly: " + e.getMessage());
        }
    }
}
