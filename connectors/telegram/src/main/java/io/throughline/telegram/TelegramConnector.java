package io.throughline.telegram;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.throughline.connector.ChannelConnector;
import io.throughline.connector.ChannelInbox;
import io.throughline.connector.ConnectionCheck;
import io.throughline.connector.ConnectorEnvironment;
import io.throughline.connector.InboxContext;
import io.throughline.connector.InboxDirectory;
import io.throughline.connector.InvalidConfig;
import io.throughline.connector.ProvisionRequest;
import io.throughline.connector.Provisioning;
import io.throughline.connector.RemoteBusy;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.telegram.telegrambots.meta.api.objects.User;
import org.telegram.telegrambots.meta.api.objects.WebhookInfo;

/**
 * The {@code telegram} inbox kind, on TelegramBots. Config: {@code {botToken, mode: long_polling|webhook, apiUrl?,
 * greeting?, acceptGroups?, maxFileSize?}}. Provisioning checks the token with getMe and stores the bot's
 * username; in webhook mode it registers {@code <publicUrl>/hooks/telegram/<inbox id>} with a freshly minted
 * {@code secret_token}.
 */
public final class TelegramConnector implements ChannelConnector {

    private static final Logger log = LoggerFactory.getLogger(TelegramConnector.class);
    public static final String KIND = "telegram";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ObjectMapper json = new ObjectMapper();
    private final SentParts sentParts = new SentParts();
    private final FailedTries failedTries = new FailedTries();
    /** Set from {@code telegram.webhookCheck} when the node starts. */
    private volatile Duration webhookCheck = Duration.ofMinutes(1);
    /** One connection pool for every bot of this node; each bot adds its own dispatcher (see {@link BotApi}). */
    private final OkHttpClient http = new OkHttpClient.Builder()
            .connectTimeout(10, TimeUnit.SECONDS)
            // Longer than the 50 s getUpdates wait, so a parked poll ends by Telegram's answer, not a timeout.
            .readTimeout(75, TimeUnit.SECONDS)
            .writeTimeout(60, TimeUnit.SECONDS)
            // The whole call, answer included: the timeouts above bound silence only, so a server (a self-hosted
            // Bot API at apiUrl) answering a byte a minute held a reply, its lease renewed, and every later reply
            // to its chat for ever. Ten minutes leave a 50 MB document time on a slow line.
            .callTimeout(10, TimeUnit.MINUTES)
            // The Bot API never redirects; a server at apiUrl that did would lead the node's requests past the
            // network rule its host was held to (a link-local address, a private network).
            .followRedirects(false)
            .followSslRedirects(false)
            .build();

    @Override
    public String kind() {
        return KIND;
    }

    /** A self-hosted Bot API server's host, when the config names one. */
    @Override
    public Map<String, String> remoteHosts(JsonObject config) {
        if (config.getValue(TelegramConfig.API_URL) == null) {
            return Map.of();
        }
        String host = TelegramConfig.from(config).apiUrl().getHost();
        return host == null ? Map.of() : Map.of("config.apiUrl", host);
    }

    @Override
    public List<String> validate(JsonObject config) {
        return TelegramConfig.problems(config);
    }

    @Override
    public Set<String> secretFields() {
        return Set.of(TelegramConfig.BOT_TOKEN, TelegramConfig.WEBHOOK_SECRET);
    }

    /**
     * The token is part of every request path to the Bot API server: another server must be given the token again
     * (whoever has it owns the bot, and may then learn the webhook secret sent along with it).
     */
    @Override
    public Map<String, Set<String>> secretDestinations() {
        return Map.of(TelegramConfig.BOT_TOKEN, Set.of(TelegramConfig.API_URL));
    }

    /** Another bot token, or another Bot API server: a flood limit the old one set does not hold there. */
    @Override
    public boolean sendsElsewhere(JsonObject before, JsonObject after) {
        // Both were validated; read as the bot reads them (the default server named or not, a trailing slash).
        TelegramConfig was = TelegramConfig.from(before);
        TelegramConfig now = TelegramConfig.from(after);
        return !was.botToken().equals(now.botToken()) || !was.apiUrl().equals(now.apiUrl());
    }

    /** The bot's id: the part of its token before the colon, the same for a token revoked and issued again. */
    @Override
    public Optional<String> exclusiveKey(JsonObject config) {
        String token = config.getValue(TelegramConfig.BOT_TOKEN) instanceof String t ? t.strip() : "";
        int colon = token.indexOf(':');
        return colon > 0 && token.substring(0, colon).chars().allMatch(Character::isDigit)
                ? Optional.of(token.substring(0, colon)) : Optional.empty();
    }

    /**
     * The bot whose messages keep unprefixed external ids: the one the inbox was created with, or, for an inbox
     * provisioned before this was kept, the bot it had until now.
     */
    private static Object firstBot(JsonObject previous, long current) {
        if (previous == null) {
            return current;
        }
        Object kept = previous.getValue(TelegramConfig.FIRST_BOT_ID);
        if (kept != null) {
            return kept;
        }
        Object before = previous.getValue(TelegramConfig.BOT_ID);
        return before != null ? before : TelegramConfig.botIdOf(previous.getString(TelegramConfig.BOT_TOKEN));
    }

    @Override
    public Provisioning provision(ProvisionRequest request) throws InvalidConfig, RemoteBusy {
        JsonObject stored = request.config().copy();
        stored.put(TelegramConfig.BOT_TOKEN, stored.getString(TelegramConfig.BOT_TOKEN).strip());
        TelegramConfig config = TelegramConfig.from(stored);
        try (BotApi api = new BotApi(config, http, json, "provision-" + request.inboxId())) {
            User me = checkToken(api, config);
            stored.put(TelegramConfig.BOT_USERNAME, me.getUserName()).put(TelegramConfig.BOT_ID, me.getId());
            stored.put(TelegramConfig.FIRST_BOT_ID, firstBot(request.previous(), me.getId()));
            boolean sameBot = request.previous() != null
                    && me.getId().equals(request.previous().getLong(TelegramConfig.BOT_ID));
            boolean sameServer = request.previous() != null
                    && Objects.equals(request.previous().getString(TelegramConfig.API_URL),
                            stored.getString(TelegramConfig.API_URL))
                    && Objects.equals(request.previous().getString(TelegramConfig.BOT_TOKEN),
                            stored.getString(TelegramConfig.BOT_TOKEN));
            if (request.previous() != null && (!sameBot || !sameServer)) {
                // The inbox now speaks for another bot, or through another Bot API server (which answers getMe as
                // it likes): the secret that opens our webhook is never handed to it, a new one is.
                stored.remove(TelegramConfig.WEBHOOK_SECRET);
            }
            if (config.mode() == TelegramConfig.Mode.WEBHOOK) {
                String secret = stored.getString(TelegramConfig.WEBHOOK_SECRET) != null
                        ? stored.getString(TelegramConfig.WEBHOOK_SECRET) : mintSecret();
                String url = webhookUrl(request.publicUrl(), request.inboxId());
                try {
                    api.setWebhook(url, secret);
                } catch (BotApiException e) {
                    busy(e, "setWebhook");
                    throw new InvalidConfig(List.of("config.mode: Telegram refused the webhook " + url + " ("
                            + e.description() + "). Webhook mode needs http.publicUrl to be an https address"
                            + " Telegram can reach; use long_polling otherwise"));
                }
                stored.put(TelegramConfig.WEBHOOK_SECRET, secret);
                log.info("telegram webhook registered inbox={} bot={} url={}", request.inboxId(), me.getUserName(),
                        url);
            } else {
                stored.remove(TelegramConfig.WEBHOOK_SECRET);
            }
            log.info("telegram bot checked inbox={} bot={} mode={}", request.inboxId(), me.getUserName(),
                    config.mode().wireName());
        }
        return new Provisioning(stored, Map.of());
    }

    @Override
    public List<ConnectionCheck> testConnection(JsonObject config) {
        TelegramConfig parsed = TelegramConfig.from(config);
        List<ConnectionCheck> checks = new ArrayList<>();
        try (BotApi api = new BotApi(parsed, http, json, "test")) {
            try {
                User me = api.getMe();
                checks.add(new ConnectionCheck("getMe", true, "@" + me.getUserName() + " (bot id " + me.getId()
                        + ")"));
            } catch (BotApiException e) {
                checks.add(new ConnectionCheck("getMe", false, e.description()));
                return checks;
            }
            try {
                WebhookInfo info = api.webhookInfo();
                checks.add(webhookCheck(parsed, info));
            } catch (BotApiException e) {
                checks.add(new ConnectionCheck("getWebhookInfo", false, e.description()));
            }
        }
        return checks;
    }

    @Override
    public Optional<URI> deepLink(JsonObject config, String token) {
        String username = config.getString(TelegramConfig.BOT_USERNAME);
        return username == null ? Optional.empty()
                : Optional.of(URI.create("https://t.me/" + username + "?start=" + token));
    }

    /** A deleted or disabled webhook inbox stops Telegram from calling us; the bot keeps its pending updates. */
    @Override
    public void retire(JsonObject config) throws BotApiException {
        TelegramConfig parsed = TelegramConfig.from(config);
        if (parsed.mode() != TelegramConfig.Mode.WEBHOOK) {
            return;
        }
        try (BotApi api = new BotApi(parsed, http, json, "retire")) {
            api.deleteWebhook();
            log.info("telegram webhook removed bot={}", parsed.botUsername());
        }
    }

    @Override
    public void start(ConnectorEnvironment environment) {
        webhookCheck = Duration.ofMillis(environment.settings().getLong("webhookCheck", webhookCheck.toMillis()));
    }

    @Override
    public ChannelInbox open(InboxContext context) {
        return new TelegramInbox(context, http, json, sentParts, failedTries, webhookCheck);
    }

    @Override
    public void routes(Router router, InboxDirectory inboxes) {
        new WebhookRoute(inboxes, json).mount(router);
    }

    static String webhookUrl(URI publicUrl, long inboxId) {
        String base = publicUrl.toString();
        return (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + WebhookRoute.PATH + inboxId;
    }

    private static User checkToken(BotApi api, TelegramConfig config) throws InvalidConfig, RemoteBusy {
        try {
            User me = api.getMe();
            if (me.getUserName() == null) {
                throw new InvalidConfig(List.of("config.botToken: getMe answered without a bot username"));
            }
            return me;
        } catch (BotApiException e) {
            busy(e, "getMe");
            if (e.errorCode() == 401 || e.errorCode() == 404) {
                throw new InvalidConfig(List.of("config.botToken: Telegram refused this token (" + e.description()
                        + "); copy it again from @BotFather"));
            }
            throw new InvalidConfig(List.of("config.apiUrl: cannot check the token with the Bot API at "
                    + config.apiUrl() + " (" + e.description() + ")"));
        }
    }

    /**
     * Telegram answered but cannot take the call now (429, or its own 5xx): the save is to be tried again, nothing in
     * the config is at fault. No answer at all stays a config problem: the Bot API server named may be wrong.
     */
    private static void busy(BotApiException e, String method) throws RemoteBusy {
        if (e.answered() && e.transientFailure()) {
            throw new RemoteBusy("Telegram cannot take " + method + " now (" + e.description() + "); try again",
                    Duration.ofSeconds(e.retryAfter() == null ? 5 : Math.max(1, e.retryAfter())));
        }
    }

    private static ConnectionCheck webhookCheck(TelegramConfig config, WebhookInfo info) {
        String url = info.getUrl() == null ? "" : info.getUrl();
        int pending = info.getPendingUpdatesCount() == null ? 0 : info.getPendingUpdatesCount();
        if (config.mode() == TelegramConfig.Mode.LONG_POLLING) {
            return new ConnectionCheck("getWebhookInfo", true, url.isEmpty()
                    ? "no webhook set; " + pending + " updates waiting"
                    : "a webhook is set (" + url + "); long polling removes it when it starts");
        }
        if (url.isEmpty()) {
            return new ConnectionCheck("getWebhookInfo", false, "no webhook is set; save the inbox again to"
                    + " register it");
        }
        if (info.getLastErrorMessage() != null) {
            return new ConnectionCheck("getWebhookInfo", false, "Telegram could not deliver to " + url + ": "
                    + info.getLastErrorMessage() + "; " + pending + " updates waiting");
        }
        return new ConnectionCheck("getWebhookInfo", true, "delivering to " + url + "; " + pending
                + " updates waiting");
    }

    /** 32 random bytes as base64url: within Telegram's alphabet for secret_token (A-Z, a-z, 0-9, _ and -). */
    private static String mintSecret() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
