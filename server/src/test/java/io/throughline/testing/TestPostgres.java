package io.throughline.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real PostgreSQL per test JVM (starting one takes seconds), and a fresh database per test, so tests never
 * see each other's rows. Servers under test connect to it by URL, as to any external PostgreSQL.
 */
public final class TestPostgres {

    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static EmbeddedPostgres postgres;

    private TestPostgres() {
    }

    private static synchronized EmbeddedPostgres server() {
        if (postgres == null) {
            try {
                Path dir = Files.createTempDirectory("throughline-test-pg");
                postgres = EmbeddedPostgres.builder().setDataDirectory(dir).setCleanDataDirectory(true)
                        .setServerConfig("max_connections", "500")
                        .setServerConfig("fsync", "off")
                        .setServerConfig("synchronous_commit", "off")
                        .setServerConfig("full_page_writes", "off")
                        // Case folding by Unicode, as the embedded database of ./throughline start folds, whatever
                        // the machine's locale (under POSIX lower() folds ASCII alone).
                        .setLocaleConfig("locale-provider", "builtin")
                        .setLocaleConfig("builtin-locale", "C.UTF-8")
                        .start();
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        postgres.close();
                    } catch (IOException e) {
                        System.err.println("test postgres did not stop: " + e);
                    }
                }));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the test PostgreSQL", e);
            }
        }
        return postgres;
    }

    /** A new, empty database and its URL. */
    public static String newDatabase() {
        String name = "t" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
        EmbeddedPostgres server = server();
        try (Connection connection = server.getPostgresDatabase().getConnection();
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test database " + name, e);
        }
        return "postgresql://postgres@127.0.0.1:" + server.getPort() + "/" + name;
    }
}
