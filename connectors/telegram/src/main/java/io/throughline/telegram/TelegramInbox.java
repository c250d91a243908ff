package io.throughline.telegram;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.throughline.connector.ChannelInbox;
import io.throughline.connector.ConnectorHealth;
import io.throughline.connector.DeliveryFailure;
import io.throughline.connector.DeliveryReceipt;
import io.throughline.connector.InboxContext;
import io.throughline.connector.OutboundMessage;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.telegram.telegrambots.meta.api.objects.Update;
import org.telegram.telegrambots.meta.api.objects.WebhookInfo;
import org.telegram.telegrambots.meta.exceptions.TelegramApiException;

/**
 * One telegram inbox open on this node. Any node sends replies; receiving (the long poll, or keeping the webhook
 * registered) runs on the node holding the inbox's lock. Webhook calls may land on any node: each is committed
 * before it is answered, and the sink's idempotency makes a redelivery harmless.
 */
final class TelegramInbox implements ChannelInbox {

    private static final Logger log = LoggerFactory.getLogger(TelegramInbox.class);
    private static final long FAILURE_SHOWN_NANOS = TimeUnit.SECONDS.toNanos(30);
    /**
     * A start that fails may have waited out a whole read timeout (75 s) first, a self-hosted API that takes the
     * connection and never answers: its failure is shown past the next try, not only between two quick ones.
     */
    private static final long POLL_FAILURE_SHOWN_NANOS = TimeUnit.MINUTES.toNanos(3);
    static final String WEBHOOK_CHECKPOINT = "webhook";

    private final InboxContext context;
    private final TelegramConfig config;
    private final BotApi api;
    private final ObjectMapper json;
    private final UpdateHandler handler;
    private final ReplySender replies;
    private final String botId;
    /** Whether the inbox still has its first bot (see TelegramConfig.FIRST_BOT_ID). */
    private final boolean firstBot;
    private final ReentrantLock webhookOrder = new ReentrantLock();
    private volatile LongPoller poller;
    private volatile String webhookState = "webhook registered at provisioning";
    /**
     * Why the last registration of the webhook failed, and when; null once one succeeded (or none was tried). Only
     * a recent failure makes the inbox down: the node that holds the inbox's lock tries again every few seconds,
     * keeping it recent, while a node that failed once and lost the lock to another (which registered it) stops
     * trying, and must not stay down for good.
     */
    private volatile String webhookFailure;
    private volatile long webhookFailedAt;
    /**
     * Why long polling last failed to start on this node, and when; null once it started. Shown as the webhook's
     * failure is: a revoked token or an unreachable API failed every start on every node while health said "up".
     */
    private volatile String pollFailure;
    private volatile long pollFailedAt;
    private final Duration webhookCheck;
    /** The periodic webhook check's timer while this node receives (webhook mode), else -1. */
    private volatile long webhookWatch = -1;
    private final AtomicBoolean checking = new AtomicBoolean();

    TelegramInbox(InboxContext context, OkHttpClient http, ObjectMapper json, SentParts sentParts,
                  FailedTries failedTries, Duration webhookCheck) {
        this.context = context;
        this.webhookCheck = webhookCheck;
        this.config = TelegramConfig.from(context.config());
        this.json = json;
        this.api = new BotApi(config, http, json, String.valueOf(context.inbox().id()));
        MediaFetcher media = new MediaFetcher(api, context.attachments(), config.maxFileSize(), context.inbox().id());
        String prefix = TelegramConfig.messageIdPrefix(context.config());
        this.botId = TelegramConfig.botIdOf(config.botToken());
        this.firstBot = prefix.isEmpty();
        this.handler = new UpdateHandler(context.inbox().id(), config, prefix, context.sink(), media, failedTries,
                context.clock());
        this.replies = new ReplySender(api, sentParts, botId, prefix, firstBot);
    }

    TelegramConfig config() {
        return config;
    }

    @Override
    public DeliveryReceipt send(OutboundMessage message) throws DeliveryFailure {
        return replies.send(message);
    }

    /**
     * Long polling: starts the poller. Webhook: registers the webhook again with the stored secret, so it points
     * at the current public URL even when that changed since provisioning.
     */
    @Override
    public void startReceiving() throws Exception {
        if (config.mode() == TelegramConfig.Mode.WEBHOOK) {
            String url = TelegramConnector.webhookUrl(context.publicUrl(), context.inbox().id());
            try {
                api.setWebhook(url, config.webhookSecret());
            } catch (BotApiException e) {
                // The supervisor tries again; meanwhile Telegram may not be calling us, and health says so.
                webhookFailure = "webhook not registered at " + url + ": " + e.description();
                webhookFailedAt = System.nanoTime();
                throw e;
            }
            webhookFailure = null;
            webhookState = "webhook registered";
            log.info("telegram webhook registered inbox={} url={}", context.inbox().id(), url);
            watchWebhook();
            return;
        }
        LongPoller started = new LongPoller(context.inbox().id(), botId, firstBot, api, handler,
                context.checkpoints(), json, context.clock());
        try {
            started.start();
        } catch (TelegramApiException | RuntimeException e) {
            pollFailure = "long polling could not start: " + started.startFailure(e);
            pollFailedAt = System.nanoTime();
            throw e;
        }
        pollFailure = null;
        poller = started;
    }

    /**
     * Asks Telegram now and then whether the webhook still points here and is delivered to. It does not probe a URL
     * when it is set, and another system using the bot's token (a staging copy, a script) can move or delete the
     * webhook: the bot then took nothing while health said "up", and Telegram drops updates after a day.
     */
    private void watchWebhook() {
        stopWatching();
        if (webhookCheck.isZero() || webhookCheck.isNegative()) {
            return;
        }
        webhookWatch = context.vertx().setPeriodic(webhookCheck.toMillis(), timer -> {
            if (checking.compareAndSet(false, true)) {
                Thread.ofVirtual().name("telegram-webhook-check-" + context.inbox().id()).start(() -> {
                    try {
                        checkWebhook();
                    } finally {
                        checking.set(false);
                    }
                });
            }
        });
    }

    private void stopWatching() {
        long timer = webhookWatch;
        webhookWatch = -1;
        if (timer >= 0) {
            context.vertx().cancelTimer(timer);
        }
    }

    /** One check: registers the webhook again when it points elsewhere; health down while deliveries fail. */
    void checkWebhook() {
        String url = TelegramConnector.webhookUrl(context.publicUrl(), context.inbox().id());
        WebhookInfo info;
        try {
            info = api.webhookInfo();
        } catch (BotApiException | RuntimeException e) {
            // Telegram unreachable for a moment says nothing about the webhook: the next check asks again.
            log.info("telegram webhook check failed inbox={}: {}", context.inbox().id(), e.getMessage());
            return;
        }
        String current = info.getUrl() == null ? "" : info.getUrl();
        if (webhookWatch < 0) {
            return; // stopped receiving meanwhile (disabled, another node): registering now would undo a retire
        }
        if (!current.equals(url)) {
            String where = current.isEmpty() ? "nowhere" : "at " + hostOf(current);
            log.warn("telegram webhook pointed {} inbox={}: registering it again here (another system using the"
                    + " bot's token moved it)", where, context.inbox().id());
            try {
                api.setWebhook(url, config.webhookSecret());
                webhookFailure = null;
                webhookState = "webhook registered again (it pointed " + where + ")";
            } catch (BotApiException e) {
                webhookFailure = "webhook pointed elsewhere and could not be registered again: " + e.description();
                webhookFailedAt = System.nanoTime();
            }
            return;
        }
        int pending = info.getPendingUpdatesCount() == null ? 0 : info.getPendingUpdatesCount();
        Integer errorAt = info.getLastErrorDate();
        boolean failing = pending > 0 && errorAt != null && Instant.ofEpochSecond(errorAt)
                .isAfter(context.clock().instant().minus(webhookCheck.multipliedBy(2)).minusSeconds(30));
        if (failing) {
            webhookFailure = "Telegram cannot deliver to the webhook (" + pending + " updates waiting): "
                    + info.getLastErrorMessage();
            webhookFailedAt = System.nanoTime();
            log.warn("telegram webhook not delivered to inbox={} pending={} error={}", context.inbox().id(), pending,
                    info.getLastErrorMessage());
        } else {
            webhookFailure = null;
        }
    }

    private static String hostOf(String url) {
        try {
            String host = URI.create(url).getHost();
            return host == null ? "another address" : host;
        } catch (IllegalArgumentException e) {
            return "another address";
        }
    }

    @Override
    public void stopReceiving() {
        stopWatching();
        LongPoller current = poller;
        poller = null;
        if (current != null) {
            current.stop();
        }
    }

    @Override
    public ConnectorHealth health() {
        if (config.mode() == TelegramConfig.Mode.WEBHOOK) {
            String failure = webhookFailure;
            // Shown until the next check at least, which clears it once Telegram delivers again.
            long shown = Math.max(FAILURE_SHOWN_NANOS, 2 * webhookCheck.toNanos());
            boolean recent = failure != null && System.nanoTime() - webhookFailedAt < shown;
            return recent ? ConnectorHealth.down(failure + " @" + config.botUsername())
                    : ConnectorHealth.up(webhookState + " @" + config.botUsername());
        }
        LongPoller current = poller;
        if (current != null) {
            return current.health();
        }
        String failure = pollFailure;
        return failure != null && System.nanoTime() - pollFailedAt < POLL_FAILURE_SHOWN_NANOS
                ? ConnectorHealth.down(failure + " @" + config.botUsername())
                : ConnectorHealth.up("@" + config.botUsername() + ", long polling on another node");
    }

    @Override
    public void close() {
        stopReceiving();
        api.close();
    }

    /** Whether a webhook call carries this inbox's secret (compared in constant time). */
    boolean webhookSecretMatches(String presented) {
        if (config.mode() != TelegramConfig.Mode.WEBHOOK || config.webhookSecret() == null || presented == null) {
            return false;
        }
        return MessageDigest.isEqual(config.webhookSecret().getBytes(StandardCharsets.UTF_8),
                presented.getBytes(StandardCharsets.UTF_8));
    }

    boolean webhookMode() {
        return config.mode() == TelegramConfig.Mode.WEBHOOK;
    }

    /**
     * Takes one webhook update, returning after commit. Telegram sends one update at a time (max_connections=1)
     * and repeats the current one until it gets a 200, so an update_id equal to the last committed one is that
     * repetition and is acknowledged without work. Updates are handled in order on this node.
     */
    UpdateHandler.Outcome receive(Update update, String type) throws BotApiException {
        webhookOrder.lock();
        try {
            // Another bot's last update (the inbox moved to this one) says nothing about this bot's numbering; a
            // checkpoint saved before checkpoints named their bot was written by the inbox's first bot.
            int last = context.checkpoints().load(WEBHOOK_CHECKPOINT)
                    .filter(c -> TelegramConfig.recordedBy(c.getString("botId"), botId, firstBot))
                    .map(c -> c.getInteger("lastUpdateId", 0)).orElse(0);
            if (update.getUpdateId() != null && update.getUpdateId() == last) {
                log.debug("telegram webhook repeat acknowledged inbox={} update={}", context.inbox().id(), last);
                return UpdateHandler.Outcome.DUPLICATE;
            }
            UpdateHandler.Outcome outcome = handler.handle(update, type);
            if (update.getUpdateId() != null) {
                context.checkpoints().save(WEBHOOK_CHECKPOINT,
                        new JsonObject().put("lastUpdateId", update.getUpdateId()).put("botId", botId));
            }
            webhookState = "webhook receiving";
            return outcome;
        } finally {
            webhookOrder.unlock();
        }
    }

    long id() {
        return context.inbox().id();
    }
}
