package io.throughline.connector.email;

import io.throughline.connector.CheckpointStore;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * XOAUTH2 access tokens for one inbox, from the provider's token endpoint with the refresh token grant (RFC 6749
 * section 6), kept until shortly before they expire. Gmail's and Microsoft 365's last an hour, so a fixed token in
 * the config would stop the inbox within the hour.
 *
 * <p>A provider may answer with a new refresh token (Microsoft 365 does). It replaces the configured one here and
 * is kept in the inbox's checkpoints, tied to the configured token it grew from: a restart or another node picks
 * it up, and an admin who pastes a new refresh token into the config starts afresh. Tokens are never logged.
 */
final class OAuth2Tokens implements AutoCloseable {

    static final String CHECKPOINT = "oauth2";
    private static final Logger log = LoggerFactory.getLogger(OAuth2Tokens.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(15);
    private static final Duration DEFAULT_LIFETIME = Duration.ofHours(1);
    private static final Duration EARLY = Duration.ofMinutes(1);
    /** Token endpoint errors that only a new consent (a new refresh token) or a fixed client config can cure. */
    private static final Set<String> REFUSALS = Set.of("invalid_grant", "invalid_client", "unauthorized_client",
            "invalid_scope");

    private final long inboxId;
    private final EmailConfig.OAuth2 config;
    private final CheckpointStore checkpoints;
    private final Clock clock;
    private final HttpClient http;
    private final String configuredHash;
    private String refreshToken;
    private boolean checkpointRead;
    private String accessToken;
    private Instant renewAt = Instant.MIN;
    private long fetches;

    /** @param checkpoints where a rotated refresh token is kept; null for a one-off connection test */
    OAuth2Tokens(long inboxId, EmailConfig.OAuth2 config, CheckpointStore checkpoints, Clock clock) {
        this.inboxId = inboxId;
        this.config = config;
        this.checkpoints = checkpoints;
        this.clock = clock;
        this.http = HttpClient.newBuilder().connectTimeout(TIMEOUT).followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.configuredHash = sha256(config.refreshToken());
        this.refreshToken = config.refreshToken();
    }

    /** A token good for at least a minute more, fetched when the one in hand is not. Blocks: call off event loops. */
    synchronized String accessToken() throws MessagingException {
        if (accessToken == null || !clock.instant().isBefore(renewAt)) {
            fetch();
        }
        return accessToken;
    }

    /** The mail server refused this token (revoked, or expired early): the next {@link #accessToken} fetches anew. */
    synchronized void refused(String token) {
        if (token != null && token.equals(accessToken)) {
            accessToken = null;
        }
    }

    /** How many tokens have been fetched, to tell a token just fetched from one in hand. */
    synchronized long fetches() {
        return fetches;
    }

    private void fetch() throws MessagingException {
        if (!checkpointRead) {
            checkpointRead = true;
            saved().ifPresent(token -> refreshToken = token);
        }
        Answer answer = request();
        if (answer.refusal() != null) {
            // Another node may have been handed a rotated refresh token that replaced ours.
            Optional<String> saved = saved();
            if (saved.isPresent() && !saved.get().equals(refreshToken)) {
                refreshToken = saved.get();
                answer = request();
            }
        }
        if (answer.refusal() != null) {
            throw new AuthenticationFailedException("the OAuth2 provider refused the refresh token ("
                    + answer.refusal() + "): sign in to the mailbox again and PATCH the inbox's"
                    + " config.oauth2.refreshToken");
        }
        JsonObject body = answer.body();
        String token = body.getString("access_token");
        if (token == null || token.isBlank()) {
            throw new MessagingException("the OAuth2 token endpoint " + config.tokenUrl().getHost()
                    + " answered without an access_token");
        }
        Instant now = clock.instant();
        Duration lifetime = lifetime(body.getValue("expires_in"));
        Duration early = lifetime.compareTo(EARLY.multipliedBy(2)) < 0 ? lifetime.dividedBy(2) : EARLY;
        accessToken = token;
        renewAt = now.plus(lifetime).minus(early);
        fetches++;
        String rotated = body.getString("refresh_token");
        if (rotated != null && !rotated.isBlank() && !rotated.equals(refreshToken)) {
            refreshToken = rotated;
            if (checkpoints != null) {
                checkpoints.save(CHECKPOINT, new JsonObject().put("configured", configuredHash)
                        .put("refreshToken", rotated));
            }
            log.info("email oauth2 refresh token rotated by the provider inbox={}", inboxId);
        }
        log.debug("email oauth2 access token fetched inbox={} lifetimeS={}", inboxId, lifetime.toSeconds());
    }

    /** The token endpoint's answer: its JSON, or what it refused with (an error only new consent can cure). */
    private record Answer(JsonObject body, String refusal) {
    }

    /** Releases the HTTP client's connections and selector thread. */
    @Override
    public void close() {
        http.close();
    }

    private Answer request() throws MessagingException {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "refresh_token");
        form.put("refresh_token", refreshToken);
        form.put("client_id", config.clientId());
        if (config.clientSecret() != null) {
            form.put("client_secret", config.clientSecret());
        }
        if (config.scope() != null) {
            form.put("scope", config.scope());
        }
        String encoded = form.entrySet().stream().map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)
                + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
        HttpRequest request = HttpRequest.newBuilder(config.tokenUrl()).timeout(TIMEOUT)
                .header("Content-Type", "application/x-www-form-urlencoded").header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(encoded)).build();
        String where = "the OAuth2 token endpoint " + config.tokenUrl().getHost();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new MessagingException(where + " could not be reached: " + MailParser.describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MessagingException("interrupted while fetching an OAuth2 access token", e);
        }
        JsonObject body = json(response.body());
        if (response.statusCode() == 200 && body != null) {
            return new Answer(body, null);
        }
        String error = body == null ? null : body.getString("error");
        String description = body == null ? null : body.getString("error_description");
        String said = error == null ? "HTTP " + response.statusCode()
                : error + (description == null ? "" : ": " + firstLine(description));
        log.warn("email oauth2 token request failed inbox={} endpoint={} status={} error={}", inboxId,
                config.tokenUrl().getHost(), response.statusCode(), error);
        if (error != null && REFUSALS.contains(error)) {
            return new Answer(null, said);
        }
        throw new MessagingException(where + " failed (" + said + ")");
    }

    private Optional<String> saved() {
        if (checkpoints == null) {
            return Optional.empty();
        }
        return checkpoints.load(CHECKPOINT).filter(json -> configuredHash.equals(json.getString("configured")))
                .map(json -> json.getString("refreshToken"));
    }

    private static Duration lifetime(Object expiresIn) {
        long seconds = expiresIn instanceof Number number ? number.longValue()
                : expiresIn instanceof String text && text.matches("\\d{1,9}") ? Long.parseLong(text) : -1;
        return seconds > 0 ? Duration.ofSeconds(seconds) : DEFAULT_LIFETIME;
    }

    private static JsonObject json(String body) {
        try {
            return body == null || body.isBlank() ? null : new JsonObject(body);
        } catch (DecodeException | ClassCastException e) {
            return null;
        }
    }

    private static String firstLine(String text) {
        String line = text.lines().findFirst().orElse("").strip();
        return line.length() > 200 ? line.substring(0, 200) + "…" : line;
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
