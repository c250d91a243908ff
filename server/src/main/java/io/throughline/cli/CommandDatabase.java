package io.throughline.cli;

import io.throughline.Throughline;
import io.throughline.config.ThroughlineConfig;
import io.throughline.store.Database;
import io.throughline.store.Migrations;
import io.throughline.store.PostgresServer;
import io.vertx.core.Vertx;

/**
 * The migrated database of a command that runs beside no server ({@code reindex} with no server running,
 * {@code create-agent}, {@code create-workspace}). An embedded PostgreSQL it starts stops however the command ends,
 * a Ctrl+C included: it stayed up until the next start stopped it as a stray.
 */
final class CommandDatabase implements AutoCloseable {

    private final Vertx vertx = Vertx.vertx();
    private PostgresServer postgres;
    private Database database;

    private CommandDatabase() {
    }

    /** Starts what the configuration names and migrates it; what it started is stopped again when it fails. */
    static CommandDatabase open(ThroughlineConfig config, int poolSize) {
        CommandDatabase command = new CommandDatabase();
        try {
            Throughline.prepareDataDirectory(config);
            command.postgres = PostgresServer.resolve(command.vertx, config, true);
            command.database = new Database(command.vertx, command.postgres.options(), poolSize);
            Migrations.fromClasspath().migrate(command.database);
            return command;
        } catch (RuntimeException | Error e) {
            command.close();
            throw e;
        }
    }

    Database database() {
        return database;
    }

    @Override
    public void close() {
        if (database != null) {
            database.close();
        }
        vertx.close().await();
        if (postgres != null && postgres.embedded() != null) {
            postgres.embedded().close();
        }
    }
}
