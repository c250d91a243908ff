package io.throughline.widget;

import io.throughline.realtime.EventFeed;
import io.throughline.realtime.PgListener;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Typing indicators, which need no durability: they bypass the event log. A signal goes to this node's live
 * subscribers at once ({@link EventFeed#publishTransient}) and to other nodes through PostgreSQL NOTIFY on its own
 * channel, batched (at most one NOTIFY per {@value #BATCH_MS} ms, never inside a write transaction) and throttled
 * per typist, so a busy site does not ring PostgreSQL on every keystroke.
 */
final class TypingRelay {

    private static final Logger log = LoggerFactory.getLogger(TypingRelay.class);
    static final String CHANNEL = "throughline_transient";
    private static final long BATCH_MS = 20;
    /** NOTIFY payloads must stay under 8000 bytes. */
    private static final int MAX_PAYLOAD = 7_000;
    private static final long THROTTLE_MS = 2_000;

    private final Vertx vertx;
    private final PgListener listener;
    private final EventFeed feed;
    private final List<JsonObject> pending = new ArrayList<>();
    private final Map<String, long[]> lastTyping = new ConcurrentHashMap<>();
    private boolean scheduled;

    TypingRelay(Vertx vertx, PgListener listener, EventFeed feed) {
        this.vertx = vertx;
        this.listener = listener;
        this.feed = feed;
        listener.listen(CHANNEL, this::receive);
    }

    /**
     * Publishes "typing" or "stopped typing" for one typist. A repeated "typing" within the throttle window is
     * dropped (clients repeat it while the person keeps typing); a "stopped" after a sent "typing" always goes.
     */
    void typing(String typist, long workspaceId, String type, JsonObject data, boolean typing) {
        long now = System.currentTimeMillis();
        long[] last = lastTyping.computeIfAbsent(typist, k -> new long[] {0, 0});
        synchronized (last) {
            boolean wasTyping = last[1] == 1;
            if (typing && wasTyping && now - last[0] < THROTTLE_MS) {
                return;
            }
            if (!typing && !wasTyping) {
                return;
            }
            last[0] = now;
            last[1] = typing ? 1 : 0;
        }
        if (!typing) {
            lastTyping.remove(typist);
        }
        publish(workspaceId, type, data.copy().put("typing", typing));
    }

    /** Forgets typists who went quiet without saying so (a closed tab). */
    void sweep() {
        long cutoff = System.currentTimeMillis() - 60_000;
        lastTyping.entrySet().removeIf(e -> {
            synchronized (e.getValue()) {
                return e.getValue()[0] < cutoff;
            }
        });
    }

    private void publish(long workspaceId, String type, JsonObject data) {
        feed.publishTransient(workspaceId, type, data);
        synchronized (pending) {
            pending.add(new JsonObject().put("w", workspaceId).put("t", type).put("d", data));
            if (scheduled) {
                return;
            }
            scheduled = true;
        }
        vertx.setTimer(BATCH_MS, t -> flush());
    }

    private void flush() {
        List<JsonObject> batch;
        synchronized (pending) {
            batch = new ArrayList<>(pending);
            pending.clear();
            scheduled = false;
        }
        if (batch.isEmpty()) {
            return;
        }
        JsonArray payload = new JsonArray();
        for (JsonObject signal : batch) {
            payload.add(signal);
            if (payload.encode().getBytes(StandardCharsets.UTF_8).length > MAX_PAYLOAD) {
                payload.remove(payload.size() - 1);
                send(payload);
                payload = new JsonArray().add(signal);
            }
        }
        send(payload);
    }

    /** Other nodes miss this signal when the listener is reconnecting: typing indicators can afford that. */
    private void send(JsonArray payload) {
        if (!payload.isEmpty()) {
            listener.notify(CHANNEL, payload.encode());
        }
    }

    private void receive(String payload) {
        try {
            for (Object item : new JsonArray(payload)) {
                JsonObject signal = (JsonObject) item;
                feed.publishTransient(signal.getLong("w"), signal.getString("t"), signal.getJsonObject("d"));
            }
        } catch (RuntimeException e) {
            log.debug("ignoring a malformed transient signal: {}", e.getMessage());
        }
    }
}
