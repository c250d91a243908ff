package io.throughline.telegram;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.throughline.connector.CheckpointStore;
import io.throughline.connector.ConnectorHealth;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import okhttp3.Interceptor;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.telegram.telegrambots.longpolling.BotSession;
import org.telegram.telegrambots.longpolling.interfaces.BackOff;
import org.telegram.telegrambots.longpolling.interfaces.LongPollingUpdateConsumer;
import org.telegram.telegrambots.meta.api.methods.updates.GetUpdates;
import org.telegram.telegrambots.meta.api.objects.Update;
import org.telegram.telegrambots.meta.exceptions.TelegramApiException;

/**
 * Receives one bot's updates with getUpdates, through TelegramBots' {@link BotSession}, exactly once in effect:
 * <ul>
 *   <li>each update is committed through the sink inside {@link LongPollingUpdateConsumer#consume}, and the
 *       session sends the next getUpdates (whose offset confirms the batch to Telegram) only after consume
 *       returns;</li>
 *   <li>the last committed update_id is saved as a checkpoint and the offset is always computed from it, so a
 *       restart resumes after what was committed, whatever the session remembered;</li>
 *   <li>when an update cannot be committed, the session is wound back to the checkpoint so the same updates come
 *       again after a backoff; anything already committed comes back as a duplicate and is recognised by its
 *       (chat_id, message_id).</li>
 * </ul>
 * {@link #stop()} unblocks the parked getUpdates (and any download) by cancelling this bot's HTTP calls, and
 * returns once the polling thread has ended.
 */
final class LongPoller {

    private static final Logger log = LoggerFactory.getLogger(LongPoller.class);
    static final String CHECKPOINT = "updates";
    /** Telegram's recommended long-poll wait, in seconds. */
    private static final int POLL_TIMEOUT = 50;
    /** How long without a new getUpdates (each waits at most POLL_TIMEOUT) before health says polling stalled. */
    static final Duration STALLED = Duration.ofMinutes(5);
    private static final int BATCH = 100;
    private static final long MAX_BACKOFF_MS = 60_000;
    /** The longest retry_after honoured, as for sends: an hour. */
    private static final long MAX_RETRY_AFTER_SECONDS = 3_600;

    private final long inboxId;
    private final BotApi api;
    private final UpdateHandler handler;
    private final CheckpointStore checkpoints;
    private final ObjectMapper json;
    private final Clock clock;
    private final CountDownLatch stopSignal = new CountDownLatch(1);
    private ScheduledExecutorService executor;
    private BotSession session;
    private final String botId;
    /** Whether this is the inbox's first bot: a checkpoint that names no bot (saved before they did) is its own. */
    private final boolean firstBot;
    private volatile int committed;
    private volatile boolean stopping;
    private volatile Instant lastPoll;
    private volatile String lastError;
    private long failureBackoff = 1_000;
    /** The wait the last refused getUpdates named ({@link #retryAfter}), for the session's next backoff. */
    private volatile Long askedWait;

    LongPoller(long inboxId, String botId, boolean firstBot, BotApi api, UpdateHandler handler,
               CheckpointStore checkpoints, ObjectMapper json, Clock clock) {
        this.inboxId = inboxId;
        this.botId = botId;
        this.firstBot = firstBot;
        this.api = api;
        this.handler = handler;
        this.checkpoints = checkpoints;
        this.json = json;
        this.clock = clock;
    }

    /** Deletes any webhook (long polling refuses to start otherwise) and starts polling. */
    void start() throws TelegramApiException {
        // Another bot's last update (the inbox moved to this one): its offset would confirm, and so drop, every
        // update of this bot numbered below it.
        committed = checkpoints.load(CHECKPOINT)
                .filter(c -> TelegramConfig.recordedBy(c.getString("botId"), botId, firstBot))
                .map(c -> c.getInteger("lastUpdateId", 0)).orElse(0);
        executor = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon()
                .name("telegram-poll-" + inboxId).factory());
        // The bot's receiving dispatcher, so stop() cancels the parked getUpdates with the downloads.
        OkHttpClient observed = api.receivingHttp().newBuilder().addInterceptor(this::observe).build();
        session = new BotSession(json, observed, executor, api.token(), api::telegramUrl, this::getUpdates,
                StopAwareBackOff::new, new Consumer());
        try {
            session.start();
        } catch (TelegramApiException | RuntimeException e) {
            executor.shutdownNow();
            throw e;
        }
        log.info("telegram long polling started inbox={} offset={}", inboxId, committed + 1);
    }

    /**
     * Why {@link #start} failed, in words fit for health: the refused call the session made (its deleteWebhook),
     * else the exception's message without the token.
     */
    String startFailure(Exception e) {
        String seen = lastError;
        return seen != null ? seen : BotApiException.hideInPart(String.valueOf(e.getMessage()), api.token());
    }

    void stop() {
        stopping = true;
        stopSignal.countDown();
        if (session == null) {
            return;
        }
        session.stop();
        api.cancelReceiving();
        executor.shutdown();
        try {
            if (!executor.awaitTermination(20, TimeUnit.SECONDS)) {
                log.warn("telegram poller still busy after 20s, interrupting inbox={}", inboxId);
                executor.shutdownNow();
                executor.awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
        log.info("telegram long polling stopped inbox={} lastUpdate={}", inboxId, committed);
    }

    ConnectorHealth health() {
        if (lastError != null) {
            return ConnectorHealth.down("long polling, retrying: " + lastError);
        }
        Instant poll = lastPoll;
        long ago = poll == null ? 0 : Duration.between(poll, clock.instant()).toSeconds();
        if (poll != null && ago > STALLED.toSeconds()) {
            // A poll waits at most POLL_TIMEOUT: a batch still being taken in (a file download hanging), or a
            // session that ended without a word (an Error escaping it ends its schedule).
            return ConnectorHealth.down("long polling stalled: no getUpdates for " + ago + "s");
        }
        return ConnectorHealth.up("long polling" + (poll == null ? ", starting" : ", last poll " + ago + "s ago"));
    }

    /**
     * The next getUpdates. Its offset comes from the checkpoint, not only from what the session received, so
     * updates that were received but not committed are asked for again.
     */
    private GetUpdates getUpdates(Integer lastReceived) {
        lastPoll = clock.instant();
        int offset = Math.max(lastReceived == null ? 0 : lastReceived, committed) + 1;
        return GetUpdates.builder().offset(offset).limit(BATCH).timeout(POLL_TIMEOUT).build();
    }

    /**
     * Watches the session's own calls (getUpdates, deleteWebhook) to log their failures as one operator line and
     * report them in health. BotSession logs each at ERROR with a stack trace, including the cancelled poll of a
     * normal stop, so its logger is silenced in logback.xml. The URL holds the token: it is never logged.
     */
    private Response observe(Interceptor.Chain chain) throws IOException {
        String method = chain.request().url().pathSegments().getLast();
        try {
            Response response = chain.proceed(chain.request());
            if (!response.isSuccessful() && !stopping) {
                String answer = response.peekBody(1024).string();
                askedWait = retryAfter(answer);
                // A proxy's error page may echo the request's path, token and all.
                String said = BotApiException.hideInPart(answer, api.token());
                lastError = method + " answered " + response.code();
                log.warn("telegram {} failed inbox={} status={} answer={}", method, inboxId, response.code(),
                        said.replaceAll("\\s+", " "));
            }
            boolean updates = response.isSuccessful() && "getUpdates".equalsIgnoreCase(method);
            return updates ? readable(response) : response;
        } catch (IOException e) {
            if (!stopping) {
                lastError = method + " failed: " + e;
                log.warn("telegram {} failed inbox={}: {}", method, inboxId, e.toString());
            }
            throw e;
        }
    }

    /**
     * The wait, in milliseconds, that a refusal names in {@code parameters.retry_after} (Telegram's 429, up to an
     * hour), or null: asking again sooner is refused again, and counts against the bot.
     */
    private Long retryAfter(String answer) {
        try {
            JsonNode seconds = json.readTree(answer).path("parameters").path("retry_after");
            return seconds.canConvertToLong() && seconds.asLong() > 0
                    ? Math.min(seconds.asLong(), MAX_RETRY_AFTER_SECONDS) * 1000L : null;
        } catch (IOException | RuntimeException e) {
            return null; // not Telegram's JSON: a proxy's page
        }
    }

    /**
     * The answer, with each update TelegramBots cannot read (a field whose type Telegram widened past the
     * library's, say) replaced by its stand-in ({@link UnreadableUpdates}): a note from the customer, or its bare
     * {@code update_id}, then skipped as an update of no known type. The session reads a batch whole: one such
     * update failed every getUpdates, silently (a 200 answer), and the bot took nothing more for ever. The update
     * is logged with the reason, at error: what it held is not stored.
     */
    private Response readable(Response response) throws IOException {
        ResponseBody body = response.body();
        if (body == null) {
            return response;
        }
        MediaType type = body.contentType();
        byte[] answer = body.bytes();
        try {
            JsonNode tree = json.readTree(answer);
            if (tree != null && tree.get("result") instanceof ArrayNode updates) {
                boolean cut = false;
                for (int i = 0; i < updates.size(); i++) {
                    JsonNode update = updates.get(i);
                    try {
                        json.treeToValue(update, Update.class);
                    } catch (JsonProcessingException | IllegalArgumentException e) {
                        if (!update.path("update_id").canConvertToInt()) {
                            continue;
                        }
                        updates.set(i, UnreadableUpdates.standIn(json, inboxId, update, e));
                        cut = true;
                    }
                }
                if (cut) {
                    answer = json.writeValueAsBytes(tree);
                }
            }
        } catch (IOException e) {
            // Not JSON: the session's own reading says so.
        }
        return response.newBuilder().removeHeader("Content-Length").body(ResponseBody.create(answer, type)).build();
    }

    /** Runs on the session's thread; never throws (an exception would silently end the session's schedule). */
    private final class Consumer implements LongPollingUpdateConsumer {
        @Override
        public void consume(List<Update> updates) {
            if (updates.isEmpty()) {
                // The session hands over an empty list only when Telegram answered with updates that were all at
                // or below the last one received. Our offset asks for newer ones, so Telegram restarted its ids
                // (it does after a week without updates, and may pick lower ones): start again from the oldest
                // update Telegram still holds. Offset 1 confirms none of them; repeats are recognised.
                restartFromOldest();
                return;
            }
            List<Update> ordered = updates.stream().sorted(Comparator.comparing(Update::getUpdateId)).toList();
            int before = committed;
            for (Update update : ordered) {
                if (stopping) {
                    // The session already counts the rest as received: a last getUpdates must not confirm them.
                    session.getLastReceivedUpdate().set(committed);
                    break;
                }
                try {
                    handler.handle(update);
                    committed = update.getUpdateId();
                    lastError = null;
                } catch (BotApiException | RuntimeException | Error e) {
                    // An Error too (a stack overflow on a pathological update): it would end the session's
                    // schedule, and the bot would take nothing more until a restart.
                    retryLater(update, e);
                    break;
                }
            }
            if (committed != before) {
                save();
            }
            if (lastError == null) {
                failureBackoff = 1_000;
            }
        }
    }

    private void restartFromOldest() {
        log.warn("telegram update ids went backwards (Telegram renumbers them after a week without updates);"
                + " taking updates again from the oldest one waiting inbox={} lastUpdate={}", inboxId, committed);
        committed = 0;
        session.getLastReceivedUpdate().set(0);
        save();
    }

    private void retryLater(Update update, Throwable e) {
        lastError = e.getMessage() == null ? e.toString() : e.getMessage();
        // Telegram's own wait, when it names one (a 429 on getFile): asking sooner only spends the file's patience.
        long wait = e instanceof BotApiException refused && refused.retryAfter() != null
                ? Math.max(failureBackoff, Math.min(refused.retryAfter(), MAX_RETRY_AFTER_SECONDS) * 1000L)
                : failureBackoff;
        if (stopping) {
            log.info("telegram update left for the next start inbox={} update={}", inboxId, update.getUpdateId());
        } else {
            log.warn("telegram update not taken, retrying in {}ms inbox={} update={}: {}", wait, inboxId,
                    update.getUpdateId(), e.toString());
        }
        // Wind the session back: the uncommitted updates pass its "already received" filter when they come again.
        session.getLastReceivedUpdate().set(committed);
        waitOrStop(wait);
        failureBackoff = Math.min(failureBackoff * 2, MAX_BACKOFF_MS);
    }

    private void save() {
        try {
            checkpoints.save(CHECKPOINT, new JsonObject().put("lastUpdateId", committed).put("botId", botId));
        } catch (RuntimeException e) {
            // The updates are committed; without the checkpoint a restart gets them again, and they are
            // recognised as duplicates. The next batch saves a newer checkpoint.
            log.warn("telegram checkpoint not saved inbox={} lastUpdate={}: {}", inboxId, committed, e.toString());
        }
    }

    private void waitOrStop(long millis) {
        try {
            stopSignal.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * TelegramBots sleeps between failed getUpdates calls with {@code Thread.sleep(nextBackOffMillis())}, which
     * {@link #stop()} could not cut short. This backoff waits on the stop signal itself and lets the session sleep
     * for zero, so stopping never waits for a backoff to run out.
     */
    private final class StopAwareBackOff implements BackOff {
        private long next = 500;

        /** Called by the session after every successful getUpdates. */
        @Override
        public void reset() {
            next = 500;
            askedWait = null;
            lastError = null;
        }

        @Override
        public long nextBackOffMillis() {
            Long asked = askedWait;
            askedWait = null;
            if (!stopping) {
                waitOrStop(asked == null ? next : Math.max(next, asked));
                next = Math.min(next * 2, MAX_BACKOFF_MS);
            }
            return 0;
        }
    }
}
