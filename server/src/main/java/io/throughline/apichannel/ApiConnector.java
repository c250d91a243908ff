package io.throughline.apichannel;

import io.throughline.agent.Tokens;
import io.throughline.connector.ChannelConnector;
import io.throughline.connector.ChannelInbox;
import io.throughline.connector.InboxContext;
import io.throughline.connector.ProvisionRequest;
import io.throughline.connector.Provisioning;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code api} inbox kind. Config: {@code {webhookUrl?, webhookSecret?}}. Creating one mints the inbox token
 * (stored only as a SHA-256) and, unless given, the webhook secret; both are shown once. An inbox declared in
 * YAML may bring its own {@code token} (at least 24 characters), which is hashed the same way and never stored.
 */
public final class ApiConnector implements ChannelConnector {

    public static final String KIND = "api";
    static final String TOKEN_HASH = "tokenHash";
    static final String WEBHOOK_URL = "webhookUrl";
    static final String WEBHOOK_SECRET = "webhookSecret";
    static final String TOKEN = "token";
    /** RFC 6750's b64token: what an Authorization header carries as it is. */
    private static final Pattern TOKEN_CHARACTERS = Pattern.compile("[A-Za-z0-9._~+/-]+=*");

    private final boolean webhookPrivateNetworks;

    /** @param webhookPrivateNetworks webhooks may reach loopback and private networks ({@link WebhookTarget}) */
    public ApiConnector(boolean webhookPrivateNetworks) {
        this.webhookPrivateNetworks = webhookPrivateNetworks;
    }

    @Override
    public String kind() {
        return KIND;
    }

    /** Another webhook URL: a Retry-After the old receiver answered does not hold for the new one. */
    @Override
    public boolean sendsElsewhere(JsonObject before, JsonObject after) {
        return !Objects.equals(before.getValue(WEBHOOK_URL), after.getValue(WEBHOOK_URL));
    }

    @Override
    public List<String> validate(JsonObject config) {
        List<String> problems = new ArrayList<>();
        for (String field : config.fieldNames()) {
            if (!Set.of(WEBHOOK_URL, WEBHOOK_SECRET, TOKEN_HASH, TOKEN).contains(field)) {
                problems.add("config." + field + ": unknown field (an api inbox has webhookUrl and webhookSecret)");
            }
        }
        Object url = config.getValue(WEBHOOK_URL);
        if (url != null) {
            if (!(url instanceof String text) || !isHttpUrl(text)) {
                problems.add("config.webhookUrl: must be an http or https URL");
            } else if (!WebhookTarget.portInRange(URI.create(text))) {
                problems.add("config.webhookUrl: the port must be between 1 and 65535");
            } else if (WebhookTarget.literalRefusal(text, webhookPrivateNetworks) != null) {
                problems.add("config.webhookUrl: " + WebhookTarget.literalRefusal(text, webhookPrivateNetworks));
            }
        }
        Object secret = config.getValue(WEBHOOK_SECRET);
        if (secret != null && (!(secret instanceof String text) || text.length() < 16 || text.length() > 200)) {
            problems.add("config.webhookSecret: must be a string of 16 to 200 characters");
        }
        // Kept as given (a config restored from a backup): a value that is no SHA-256 would fail every call.
        Object hash = config.getValue(TOKEN_HASH);
        // A token given replaces it (provisioning hashes it): the way to mend a hash stored before this check.
        if (hash != null && config.getValue(TOKEN) == null
                && !(hash instanceof String text && text.matches("[0-9a-f]{64}"))) {
            problems.add("config.tokenHash: must be the SHA-256 of a token in lower-case hex (send token to choose"
                    + " one)");
        }
        Object token = config.getValue(TOKEN);
        if (token != null && (!(token instanceof String text) || text.length() < 24 || text.length() > 200)) {
            problems.add("config.token: must be a string of 24 to 200 characters");
        } else if (token != null && !TOKEN_CHARACTERS.matcher((String) token).matches()) {
            // A space or line break around it (a YAML block), or a letter outside ASCII, would be saved and then
            // never match what a client sends in its Authorization header: every call a 401.
            problems.add("config.token: may hold only the characters of a bearer token (RFC 6750): letters A-Z and"
                    + " a-z, digits and - . _ ~ + /, ending in = signs if any");
        }
        return problems;
    }

    @Override
    public Set<String> secretFields() {
        return Set.of(WEBHOOK_SECRET, TOKEN_HASH);
    }

    @Override
    public Provisioning provision(ProvisionRequest request) {
        JsonObject config = request.config().copy();
        Map<String, String> minted = new HashMap<>();
        String chosen = (String) config.remove(TOKEN);
        if (chosen != null) {
            config.put(TOKEN_HASH, Tokens.sha256Hex(chosen));
        } else if (config.getValue(TOKEN_HASH) == null) {
            // A new inbox, or one whose stored token an admin removed (sent as null): a new token, shown once.
            String token = "tlapi_" + Tokens.random(32);
            config.put(TOKEN_HASH, Tokens.sha256Hex(token));
            minted.put("token", token);
        }
        if (config.getString(WEBHOOK_SECRET) == null) {
            String secret = "whsec_" + Tokens.random(24);
            config.put(WEBHOOK_SECRET, secret);
            minted.put(WEBHOOK_SECRET, secret);
        }
        return new Provisioning(config, minted);
    }

    @Override
    public ChannelInbox open(InboxContext context) {
        return new ApiInbox(context, webhookPrivateNetworks);
    }

    /** Whether a presented token is this inbox's (compared by digest, in constant time). */
    public static boolean tokenMatches(JsonObject config, String token) {
        // A hash stored before it was checked (not text) matches no token, rather than failing every call.
        return token != null && config.getValue(TOKEN_HASH) instanceof String hash
                && Tokens.constantTimeEquals(hash, Tokens.sha256Hex(token));
    }

    private static boolean isHttpUrl(String text) {
        try {
            URI uri = URI.create(text);
            return ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
