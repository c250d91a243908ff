package io.throughline.testing;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A WebSocket client of {@code /api/v1/stream}: collects every frame, and the close code when the server closes. */
public final class StreamClient implements AutoCloseable {

    private final JsonFrames listener = new JsonFrames(() -> this.reading);
    private final BlockingQueue<JsonObject> frames = listener.frames();
    private final CompletableFuture<Integer> closed = listener.closed();
    private final WebSocket socket;
    private volatile boolean reading;

    private StreamClient(String baseUrl, String token, Long since, boolean reading) {
        this(baseUrl, Map.of("Authorization", "Bearer " + token), since, reading);
    }

    private StreamClient(String baseUrl, Map<String, String> headers, Long since, boolean reading) {
        this.reading = reading;
        String url = baseUrl.replaceFirst("^http", "ws") + "/api/v1/stream" + (since == null ? "" : "?since=" + since);
        WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder()
                .connectTimeout(Duration.ofSeconds(5));
        headers.forEach(builder::header);
        this.socket = builder.buildAsync(URI.create(url), listener).join();
    }

    /**
     * As a browser connects: the session cookie, the page's Origin and whatever a proxy in front adds (headers);
     * fails as the upgrade is refused.
     */
    public static StreamClient asBrowser(ApiClient client, Map<String, String> headers) {
        Map<String, String> all = new HashMap<>(headers);
        all.put("Cookie", "tl_session=" + client.token());
        return new StreamClient(client.baseUrl(), all, null, true);
    }

    public static StreamClient connect(ApiClient client, Long since) {
        return new StreamClient(client.baseUrl(), client.token(), since, true);
    }

    /** A client that never asks for frames after the first, as a stuck browser tab would. */
    public static StreamClient stalled(ApiClient client, Long since) {
        return new StreamClient(client.baseUrl(), client.token(), since, false);
    }

    /** The next frame matching the filter, skipping others; fails after the timeout. */
    public JsonObject next(Predicate<JsonObject> filter, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            JsonObject frame;
            try {
                frame = left <= 0 ? null : frames.poll(left, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            if (frame == null) {
                throw new AssertionError("no matching frame within " + timeout);
            }
            if (filter.test(frame)) {
                return frame;
            }
        }
    }

    /**
     * Every frame up to and including the next one matching the filter: what came before it, for a check that
     * something did not (which {@link #next} would skip unseen).
     */
    public List<JsonObject> upTo(Predicate<JsonObject> filter, Duration timeout) {
        List<JsonObject> seen = new ArrayList<>();
        next(frame -> {
            seen.add(frame);
            return filter.test(frame);
        }, timeout);
        return seen;
    }

    /** The next {@code count} events (frames with a seq), skipping heartbeats and the ready frame. */
    public List<JsonObject> events(int count, Duration timeout) {
        List<JsonObject> events = new ArrayList<>();
        while (events.size() < count) {
            events.add(next(f -> f.getLong("seq") != null, timeout));
        }
        return events;
    }

    /** Events that arrive within the window (to prove that nothing more comes). */
    public List<JsonObject> drain(Duration window) {
        List<JsonObject> events = new ArrayList<>();
        long deadline = System.nanoTime() + window.toNanos();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                JsonObject frame = left <= 0 ? null : frames.poll(left, TimeUnit.NANOSECONDS);
                if (frame == null) {
                    return events;
                }
                if (frame.getLong("seq") != null) {
                    events.add(frame);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return events;
        }
    }

    public int awaitClose(Duration timeout) {
        return closed.copy().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).join();
    }

    /** A stalled client starts reading again: it drains what the server queued, then sees the close frame. */
    public void resume() {
        reading = true;
        socket.request(Long.MAX_VALUE);
    }

    @Override
    public void close() {
        if (!socket.isOutputClosed()) {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
        }
        socket.abort();
    }
}
