package io.throughline.connector.email;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.throughline.connector.CheckpointStore;
import io.vertx.core.json.JsonObject;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Refresh-token grant against a real HTTP token endpoint: caching, renewal, rotation, refusals. */
class OAuth2TokensTest {

    private static final String REFRESH = "configured-refresh-token";
    private static final String SECRET = "client-secret-value";

    private HttpServer endpoint;
    private final ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
    private final List<Map<String, String>> requests = new ArrayList<>();
    private final MemoryCheckpoints checkpoints = new MemoryCheckpoints();
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-23T10:00:00Z"));
    private final List<OAuth2Tokens> opened = new ArrayList<>();

    private record Answer(int status, JsonObject body) {
    }

    @BeforeEach
    void start() throws IOException {
        endpoint = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        endpoint.createContext("/token", exchange -> {
            String form = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Map<String, String> fields = new HashMap<>();
            for (String pair : form.split("&")) {
                String[] kv = pair.split("=", 2);
                fields.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
                        URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
            }
            fields.put("content-type", exchange.getRequestHeaders().getFirst("Content-Type"));
            synchronized (requests) {
                requests.add(fields);
            }
            Answer answer = answers.poll();
            byte[] body = (answer == null ? new JsonObject().put("error", "server_error") : answer.body())
                    .encode().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(answer == null ? 500 : answer.status(), body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        endpoint.start();
    }

    @AfterEach
    void stop() {
        opened.forEach(OAuth2Tokens::close);
        endpoint.stop(0);
    }

    @Test
    void aTokenIsFetchedWithTheRefreshGrantAndKeptUntilAMinuteBeforeItExpires() throws Exception {
        answers.add(token("access-1", 3600, null));
        answers.add(token("access-2", 3600, null));
        OAuth2Tokens tokens = tokens(REFRESH, "https://mail.google.com/");

        assertThat(tokens.accessToken()).isEqualTo("access-1");
        clock.advance(Duration.ofMinutes(58));
        assertThat(tokens.accessToken()).isEqualTo("access-1");
        assertThat(requests).hasSize(1);
        assertThat(requests.getFirst()).containsEntry("grant_type", "refresh_token")
                .containsEntry("refresh_token", REFRESH).containsEntry("client_id", "client-1")
                .containsEntry("client_secret", SECRET).containsEntry("scope", "https://mail.google.com/")
                .containsEntry("content-type", "application/x-www-form-urlencoded");

        clock.advance(Duration.ofMinutes(1));
        assertThat(tokens.accessToken()).isEqualTo("access-2");
        assertThat(requests).hasSize(2);
        assertThat(tokens.fetches()).isEqualTo(2);
    }

    @Test
    void aRefusedTokenIsReplacedOnTheNextLogin() throws Exception {
        answers.add(token("access-1", 3600, null));
        answers.add(token("access-2", 3600, null));
        OAuth2Tokens tokens = tokens(REFRESH, null);
        assertThat(tokens.accessToken()).isEqualTo("access-1");

        tokens.refused("some-older-token");
        assertThat(tokens.accessToken()).as("a token no longer in hand changes nothing").isEqualTo("access-1");
        tokens.refused("access-1");
        assertThat(tokens.accessToken()).isEqualTo("access-2");
        assertThat(requests.getLast()).doesNotContainKey("scope").doesNotContainKey("client_secret");
    }

    @Test
    void aRotatedRefreshTokenIsUsedNextAndSurvivesARestartUntilTheConfigChanges() throws Exception {
        answers.add(token("access-1", 3600, "rotated-1"));
        OAuth2Tokens first = tokens(REFRESH, null);
        first.accessToken();
        assertThat(checkpoints.load(OAuth2Tokens.CHECKPOINT)).get()
                .satisfies(saved -> assertThat(saved.getString("refreshToken")).isEqualTo("rotated-1"));

        answers.add(token("access-2", 3600, null));
        tokens(REFRESH, null).accessToken();
        assertThat(requests.getLast()).containsEntry("refresh_token", "rotated-1");

        answers.add(token("access-3", 3600, null));
        tokens("pasted-by-an-admin", null).accessToken();
        assertThat(requests.getLast()).containsEntry("refresh_token", "pasted-by-an-admin");
    }

    @Test
    void aRefusedRefreshTokenSaysWhatToDoWithoutRepeatingAnySecret() {
        answers.add(new Answer(400, new JsonObject().put("error", "invalid_grant")
                .put("error_description", "Token has been expired or revoked.")));
        OAuth2Tokens tokens = tokens(REFRESH, null);

        assertThatThrownBy(tokens::accessToken).isInstanceOf(AuthenticationFailedException.class)
                .hasMessageContaining("invalid_grant: Token has been expired or revoked.")
                .hasMessageContaining("config.oauth2.refreshToken")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(REFRESH).doesNotContain(SECRET));
    }

    @Test
    void aFailingEndpointIsAPassingFaultNotARefusal() {
        OAuth2Tokens tokens = tokens(REFRESH, null);
        assertThatThrownBy(tokens::accessToken).isInstanceOf(MessagingException.class)
                .isNotInstanceOf(AuthenticationFailedException.class)
                .hasMessageContaining("127.0.0.1 failed (server_error)");

        endpoint.stop(0);
        assertThatThrownBy(tokens::accessToken).isInstanceOf(MessagingException.class)
                .isNotInstanceOf(AuthenticationFailedException.class)
                .hasMessageContaining("could not be reached");
    }

    @Test
    void aShortLivedTokenIsRenewedHalfwayThroughItsLife() throws Exception {
        answers.add(token("access-1", 60, null));
        answers.add(token("access-2", 60, null));
        OAuth2Tokens tokens = tokens(REFRESH, null);
        assertThat(tokens.accessToken()).isEqualTo("access-1");
        clock.advance(Duration.ofSeconds(29));
        assertThat(tokens.accessToken()).isEqualTo("access-1");
        clock.advance(Duration.ofSeconds(1));
        assertThat(tokens.accessToken()).isEqualTo("access-2");
    }

    private OAuth2Tokens tokens(String refreshToken, String scope) {
        URI url = URI.create("http://127.0.0.1:" + endpoint.getAddress().getPort() + "/token");
        OAuth2Tokens tokens = new OAuth2Tokens(7, new EmailConfig.OAuth2(url, "client-1",
                scope == null ? null : SECRET, refreshToken, scope), checkpoints, clock);
        opened.add(tokens);
        return tokens;
    }

    private static Answer token(String access, int expiresIn, String rotated) {
        JsonObject body = new JsonObject().put("access_token", access).put("token_type", "Bearer")
                .put("expires_in", expiresIn);
        if (rotated != null) {
            body.put("refresh_token", rotated);
        }
        return new Answer(200, body);
    }

    private static final class MemoryCheckpoints implements CheckpointStore {
        private final Map<String, JsonObject> saved = new HashMap<>();

        @Override
        public Optional<JsonObject> load(String name) {
            return Optional.ofNullable(saved.get(name)).map(JsonObject::copy);
        }

        @Override
        public void save(String name, JsonObject value) {
            saved.put(name, value.copy());
        }
    }

    private static final class MutableClock extends Clock {
        private Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
