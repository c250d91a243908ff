package io.throughline.store;

import io.throughline.config.ThroughlineConfig;
import io.throughline.VirtualThreads;
import io.vertx.core.Vertx;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.TrustOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.pgclient.SslMode;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.regex.Pattern;
import javax.net.ssl.TrustManagerFactory;
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
    private static final Pattern SSLMODE_GIVEN = Pattern.compile("[?&]sslmode=", Pattern.CASE_INSENSITIVE);
    private static final Pattern SSL_ON = Pattern.compile("[?&]ssl=(true|1|on|require)(&|$)", Pattern.CASE_INSENSITIVE);

    /**
     * The options of an external PostgreSQL, with TLS as libpq's {@code sslmode} means it: {@code require}
     * encrypts without checking the certificate (unless a root certificate is given, which it is then checked
     * against), {@code verify-ca} checks it against the root certificate or else the JVM's trusted authorities,
     * and {@code verify-full} also checks that it names the host.
     */
    static PgConnectOptions external(String url, String sslRootCert) {
        PgConnectOptions options = PgConnectOptions.fromUri(url);
        // libpq's default is prefer (TLS when the server offers it); the client's would be disable, sending every
        // message in clear to a managed database that takes both. A root certificate given, or the JDBC spelling
        // ssl=true, asks for TLS: require, never a plain connection after a refused certificate.
        if (!SSLMODE_GIVEN.matcher(url).find()) {
            options.setSslMode(sslRootCert != null || SSL_ON.matcher(url).find() ? SslMode.REQUIRE : SslMode.PREFER);
        }
        SslMode mode = options.getSslMode();
        if (mode == null || mode == SslMode.DISABLE) {
            return options;
        }
        ClientSSLOptions ssl = options.getSslOptions() == null ? new ClientSSLOptions() : options.getSslOptions();
        boolean verify = mode == SslMode.VERIFY_CA || mode == SslMode.VERIFY_FULL;
        if (sslRootCert != null) {
            ssl.setTrustOptions(new PemTrustOptions().addCertPath(sslRootCert));
        } else if (verify) {
            ssl.setTrustOptions(TrustOptions.wrap(defaultTrust()));
        } else {
            ssl.setTrustAll(true);
        }
        if (mode == SslMode.VERIFY_FULL) {
            ssl.setHostnameVerificationAlgorithm("HTTPS");
        }
        return options.setSslOptions(ssl);
    }

    private static TrustManagerFactory defaultTrust() {
        try {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init((KeyStore) null);
            return factory;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JVM's trusted certificate authorities cannot be read", e);
        }
    }

    public static PostgresServer resolve(Vertx vertx, ThroughlineConfig config) {
        return resolve(vertx, config, false);
    }

    /**
     * The database; an embedded server started here stops at the JVM's exit with {@code stopOnExit} (a command's:
     * see {@link EmbeddedDatabase#start(Path, int, boolean)}).
     */
    public static PostgresServer resolve(Vertx vertx, ThroughlineConfig config, boolean stopOnExit) {
        if (!config.database().embedded()) {
            return new PostgresServer(external(config.database().url(), config.database().sslRootCert())
                    .setPipeliningLimit(256).setCachePreparedStatements(true), null);
        }
        EmbeddedDatabase embedded = EmbeddedDatabase.start(config.pgDir(), config.database().embeddedPort(),
                stopOnExit);
        try {
            PgConnectOptions admin = new PgConnectOptions().setHost("127.0.0.1").setPort(embedded.port())
                    .setUser("postgres").setPassword(embedded.password()).setDatabase("postgres");
            PgConnection connection = VirtualThreads.await(PgConnection.connect(vertx, admin));
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
