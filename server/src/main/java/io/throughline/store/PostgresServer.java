package io.throughline.store;

import io.throughline.config.ThroughlineConfig;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the database is: the configured URL, or an embedded PostgreSQL under {@code <data>/pg} with its
 * {@code throughline} database created on first use.
 *
 * @param options how to connect
 * @param embedded the embedded server to stop on shutdown, or null for an external one
 */
public record PostgresServer(PgConnectOptions options, EmbeddedDatabase embedded) {

    private static final Logger log = LoggerFactory.getLogger(PostgresServer.class);
    private static final String DATABASE_NAME = "throughline";

    public static PostgresServer resolve(Vertx vertx, ThroughlineConfig config) {
        if (!config.database().embedded()) {
            return new PostgresServer(PgConnectOptions.fromUri(config.database().url()).setPipeliningLimit(256)
                    .setCachePreparedStatements(true), null);
        }
        EmbeddedDatabase embedded = EmbeddedDatabase.start(config.pgDir(), config.database().embeddedPort());
        try {
            PgConnectOptions admin = new PgConnectOptions().setHost("127.0.0.1").setPort(embedded.port())
                    .setUser("postgres").setPassword(embedded.password()).setDatabase("postgres");
            PgConnection connection = PgConnection.connect(vertx, admin).await();
            try {
                boolean exists = connection.query("SELECT 1 FROM pg_database WHERE datname = '" + DATABASE_NAME
                        + "'").execute().await().size() > 0;
                if (!exists) {
                    connection.query("CREATE DATABASE " + DATABASE_NAME).execute().await();
                    log.info("embedded database created name={}", DATABASE_NAME);
                }
            } finally {
                connection.close().await();
            }
            return new PostgresServer(new PgConnectOptions(admin).setDatabase(DATABASE_NAME)
                    .setCachePreparedStatements(true).setPipeliningLimit(256), embedded);
        } catch (RuntimeException e) {
            embedded.close();
            throw e;
        }
    }
}
