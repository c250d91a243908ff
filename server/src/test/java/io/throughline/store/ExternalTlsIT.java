package io.throughline.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.throughline.testing.TestPostgres;
import io.throughline.testing.TestServer;
import io.vertx.core.Vertx;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * An external PostgreSQL over TLS, as libpq's sslmode means it: the server here has a certificate from a test
 * authority (src/test/resources/tls, made for localhost and 127.0.0.1, not secret), which the JVM does not trust.
 */
class ExternalTlsIT {

    private static EmbeddedPostgres postgres;
    private static Path ca;
    private static Vertx vertx;

    @BeforeAll
    static void start() throws IOException {
        Path dir = TestServer.tempDir();
        ca = copy("postgres-test-ca.pem", dir);
        Path certificate = copy("postgres-test-server.pem", dir);
        Path key = copy("postgres-test-server.key", dir);
        // PostgreSQL refuses a key others can read.
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        postgres = EmbeddedPostgres.builder().setDataDirectory(dir.resolve("pg")).setCleanDataDirectory(true)
                .setServerConfig("ssl", "on")
                // Also on 127.0.0.2 (loopback too, but a name the certificate does not hold).
                .setServerConfig("listen_addresses", "*")
                .setServerConfig("ssl_cert_file", certificate.toString())
                .setServerConfig("ssl_key_file", key.toString())
                .start();
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() throws IOException {
        vertx.close().await();
        postgres.close();
    }

    @Test
    void verifyFullChecksTheCertificateAgainstTheGivenAuthorityAndTheHostName() {
        assertThat(encrypted(url("127.0.0.1", "verify-full"), ca.toString())).isTrue();
        assertThat(encrypted(url("localhost", "verify-full"), ca.toString())).isTrue();
    }

    @Test
    void verifyFullRefusesAHostTheCertificateIsNotForWhereVerifyCaTakesIt() {
        assertThatThrownBy(() -> encrypted(url("127.0.0.2", "verify-full"), ca.toString()))
                .hasStackTraceContaining("SSL handshake failed");
        assertThat(encrypted(url("127.0.0.2", "verify-ca"), ca.toString())).isTrue();
    }

    @Test
    void requireEncryptsWithoutCheckingTheCertificateAsLibpqDoes() {
        assertThat(encrypted(url("127.0.0.1", "require"), null)).isTrue();
    }

    /**
     * No sslmode is libpq's prefer: TLS when the server offers it (every other test's server offers none). A root
     * certificate given, or ssl=true, asks for TLS: a server without it is refused, not used in plain text.
     */
    @Test
    void aUrlWithoutSslmodeEncryptsWhenTheServerOffersIt() {
        String url = "postgresql://postgres@127.0.0.1:" + postgres.getPort() + "/postgres";
        assertThat(encrypted(url, null)).isTrue();
        assertThat(encrypted(url + "?sslmode=disable", null)).isFalse();
        assertThat(encrypted(url + "?ssl=true", null)).isTrue();
        assertThat(encrypted(url, ca.toString())).isTrue();
        String plain = TestPostgres.newDatabase();
        assertThat(encrypted(plain, null)).isFalse();
        assertThatThrownBy(() -> encrypted(plain + "?ssl=true", null)).hasStackTraceContaining("SSL");
        assertThatThrownBy(() -> encrypted(plain, ca.toString())).hasStackTraceContaining("SSL");
    }

    @Test
    void verifyCaWithoutTheAuthorityRefusesAServerTheJvmDoesNotTrust() {
        assertThatThrownBy(() -> encrypted(url("127.0.0.1", "verify-ca"), null))
                .hasStackTraceContaining("SSL handshake failed");
    }

    @Test
    void anotherAuthorityIsRefusedEvenUnderRequire() throws IOException {
        Path other = copy("other-test-ca.pem", TestServer.tempDir());
        assertThatThrownBy(() -> encrypted(url("127.0.0.1", "verify-full"), other.toString()))
                .hasStackTraceContaining("SSL handshake failed");
        assertThatThrownBy(() -> encrypted(url("127.0.0.1", "require"), other.toString()))
                .hasStackTraceContaining("SSL handshake failed");
    }

    private static String url(String host, String mode) {
        return "postgresql://postgres@" + host + ":" + postgres.getPort() + "/postgres?sslmode=" + mode;
    }

    /** Whether the server says this connection is encrypted. */
    private static boolean encrypted(String url, String rootCert) {
        Database database = new Database(vertx, PostgresServer.external(url, rootCert), 1);
        try {
            return database.sql().single("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                    .getBoolean("ssl");
        } finally {
            database.close();
        }
    }

    private static Path copy(String name, Path dir) throws IOException {
        try (InputStream in = ExternalTlsIT.class.getResourceAsStream("/tls/" + name)) {
            Path target = dir.resolve(name);
            Files.copy(in, target);
            return target;
        }
    }
}
