package io.throughline.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * The widget benchmark's load generator, in its own JVM so its sockets and heap do not count against the server
 * (a process may hold ~20,000 open files here). It reads one JSON command per line on stdin and answers one JSON
 * line on stdout. Latencies are measured from each message's intended send time (open loop), so a stalled server
 * cannot hide its stalls by slowing the sender (coordinated omission).
 */
public final class WidgetLoadClient {

    private static final long HIGHEST_MICROS = TimeUnit.MINUTES.toMicros(5);

    private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    private final WebSocketClient sockets = vertx.createWebSocketClient(new WebSocketClientOptions()
            .setConnectTimeout(30_000).setMaxFrameSize(65_536).setMaxConnections(100_000));
    private final WebClient http = WebClient.create(vertx, new WebClientOptions().setKeepAlive(true),
            new PoolOptions().setHttp1MaxSize(32));
    private final List<WebSocket> echo = new ArrayList<>();
    private final List<WebSocket> widget = new ArrayList<>();
    private final Map<String, Long> awaitingReply = new ConcurrentHashMap<>();
    private final Map<String, Long> awaitingAgent = new ConcurrentHashMap<>();
    private final Map<WebSocket, Boolean> peakSockets = new ConcurrentHashMap<>();
    private final AtomicBoolean peakRunning = new AtomicBoolean();
    private final AtomicLong peakAcks = new AtomicLong();
    private volatile Histogram replies = histogram();
    private volatile Histogram agent = histogram();
    private long pinger = -1;
    private volatile long lastAnswer;
    private volatile boolean agentStreaming;
    private volatile WebSocket agentStream;
    private volatile long agentSeq;
    private volatile String agentBase;
    private volatile String agentToken;
    private final AtomicLong agentReconnects = new AtomicLong();
    private final AtomicLong nacks = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong closedByServer = new AtomicLong();
    private volatile boolean closingOurs;
    private volatile long lostReplies;
    private volatile long lostAgent;

    public static void main(String[] args) throws Exception {
        WidgetLoadClient client = new WidgetLoadClient();
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            JsonObject command = new JsonObject(line);
            JsonObject answer;
            try {
                answer = client.handle(command);
            } catch (Exception e) {
                answer = new JsonObject().put("error", e.toString());
            }
            out.println(answer.encode());
            if ("exit".equals(command.getString("cmd"))) {
                break;
            }
        }
        client.vertx.close().await(10, TimeUnit.SECONDS);
        System.exit(0);
    }

    private JsonObject handle(JsonObject c) throws Exception {
        return switch (c.getString("cmd")) {
            case "connect-echo" -> connectEcho(c.getString("url"), c.getInteger("count"));
            case "connect-widget" -> connectWidget(c);
            case "rate" -> rate(c);
            case "peak" -> peak(c);
            case "close" -> close("echo".equals(c.getString("kind")) ? echo : widget);
            case "exit" -> new JsonObject().put("event", "bye");
            default -> throw new IllegalArgumentException("unknown command " + c.getString("cmd"));
        };
    }

    private JsonObject connectEcho(String url, int count) throws Exception {
        long started = System.nanoTime();
        Semaphore inFlight = new Semaphore(256);
        List<Future<WebSocket>> opened = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            inFlight.acquire();
            Future<WebSocket> socket = sockets.connect(new WebSocketConnectOptions().setAbsoluteURI(url))
                    .onComplete(ar -> inFlight.release());
            opened.add(socket.onSuccess(ws -> ws.textMessageHandler(this::onEcho)));
        }
        for (Future<WebSocket> socket : opened) {
            echo.add(socket.await(60, TimeUnit.SECONDS));
        }
        return new JsonObject().put("event", "connected").put("count", echo.size())
                .put("ms", (System.nanoTime() - started) / 1_000_000);
    }

    private JsonObject connectWidget(JsonObject c) throws Exception {
        String base = c.getString("base");
        String origin = c.getString("origin");
        JsonObject body = new JsonObject().put("siteKey", c.getString("siteKey"))
                .put("pageUrl", origin + "/benchmark").put("pageTitle", "Benchmark");
        long started = System.nanoTime();
        Semaphore inFlight = new Semaphore(32);
        List<Future<HttpResponse<Buffer>>> sessions = new ArrayList<>();
        for (int i = 0; i < c.getInteger("count"); i++) {
            inFlight.acquire();
            sessions.add(http.postAbs(base + "/widget/v1/sessions").putHeader("Origin", origin)
                    .sendJsonObject(body).onComplete(ar -> inFlight.release()));
        }
        long sessionsMs = (System.nanoTime() - started) / 1_000_000;
        Semaphore connecting = new Semaphore(256);
        List<Future<WebSocket>> opened = new ArrayList<>();
        String wsBase = base.replaceFirst("^http", "ws");
        for (Future<HttpResponse<Buffer>> session : sessions) {
            HttpResponse<Buffer> response = session.await(120, TimeUnit.SECONDS);
            if (response.statusCode() != 201) {
                throw new IllegalStateException("session refused: " + response.statusCode() + " "
                        + response.bodyAsString());
            }
            JsonObject answer = response.bodyAsJsonObject();
            connecting.acquire();
            Future<WebSocket> socket = sockets.connect(new WebSocketConnectOptions()
                    .setAbsoluteURI(wsBase + answer.getJsonObject("socket").getString("url") + "&since="
                            + answer.getLong("seq"))
                    .addHeader("Origin", origin)).onComplete(ar -> connecting.release());
            opened.add(socket.onSuccess(ws -> {
                ws.textMessageHandler(text -> onWidget(ws, text));
                ws.closeHandler(v -> {
                    if (!closingOurs) {
                        closedByServer.incrementAndGet();
                    }
                });
            }));
        }
        for (Future<WebSocket> socket : opened) {
            widget.add(socket.await(60, TimeUnit.SECONDS));
        }
        // The frame pings every heartbeat; so do we, or the server closes silent sockets.
        pinger = vertx.setPeriodic(20_000, t -> widget.forEach(ws -> ws.writeTextMessage("{\"type\":\"ping\"}")));
        return new JsonObject().put("event", "connected").put("count", widget.size())
                .put("ms", (System.nanoTime() - started) / 1_000_000).put("sessionsMs", sessionsMs);
    }

    private void onEcho(String text) {
        Long intended = awaitingReply.remove(text);
        if (intended != null) {
            record(replies, intended);
        }
    }

    private void onWidget(WebSocket ws, String text) {
        if (!text.contains("\"type\":\"ack\"") && !text.contains("\"type\":\"nack\"")) {
            return;
        }
        JsonObject frame = new JsonObject(text);
        if ("nack".equals(frame.getString("type"))) {
            onNack(ws, frame);
            return;
        }
        if (!"ack".equals(frame.getString("type"))) {
            return;
        }
        Long intended = awaitingReply.remove(frame.getString("clientId"));
        if (intended != null) {
            record(replies, intended);
        }
        if (peakRunning.get() && peakSockets.containsKey(ws)) {
            peakAcks.incrementAndGet();
            sendWidget(ws, UUID.randomUUID().toString());
        }
    }

    /**
     * A message refused for now (the server busy, the socket's queue full, an earlier message held) is sent again
     * with the same clientId after the wait the server names, as the frame does; its latency still counts from its
     * first due time. One refused for good is counted and dropped, and a peak sender goes on with a new one: left
     * unhandled, a nack silently ended that sender and removed the message from the percentiles.
     */
    private void onNack(WebSocket ws, JsonObject frame) {
        nacks.incrementAndGet();
        String clientId = frame.getString("clientId");
        if (clientId == null) {
            return;
        }
        JsonObject error = frame.getJsonObject("error", new JsonObject());
        int status = error.getInteger("status", 500);
        if (status == 429 || status >= 500) {
            long delayMs = Math.max(100, 1000 * error.getLong("retryAfterSeconds", 1L));
            vertx.setTimer(delayMs, t -> {
                if (awaitingReply.containsKey(clientId) || (peakRunning.get() && peakSockets.containsKey(ws))) {
                    sendWidget(ws, clientId);
                }
            });
            return;
        }
        refused.incrementAndGet();
        awaitingReply.remove(clientId);
        awaitingAgent.remove(clientId);
        if (peakRunning.get() && peakSockets.containsKey(ws)) {
            sendWidget(ws, UUID.randomUUID().toString());
        }
    }

    /**
     * The agent stream, as the inbox keeps it: it resumes from its last seq when the server drops it (a slow reader
     * is closed with 1013), so no event is counted as lost that an agent would have got. Completes on its ready frame.
     */
    private Future<Void> openAgentStream(Long since) {
        Promise<Void> ready = Promise.promise();
        sockets.connect(new WebSocketConnectOptions().setAbsoluteURI(agentBase + (since == null ? "" : "?since=" + since))
                .addHeader("Authorization", "Bearer " + agentToken)).onComplete(ar -> {
                    if (ar.failed()) {
                        ready.tryFail(ar.cause());
                        reconnectAgent();
                        return;
                    }
                    WebSocket stream = ar.result();
                    agentStream = stream;
                    stream.textMessageHandler(text -> {
                        if (text.contains("\"type\":\"ready\"")) {
                            ready.tryComplete();
                        }
                        onAgent(text);
                    });
                    stream.closeHandler(v -> reconnectAgent());
                });
        return ready.future();
    }

    private void reconnectAgent() {
        if (agentStreaming) {
            agentReconnects.incrementAndGet();
            vertx.setTimer(100, t -> openAgentStream(agentSeq));
        }
    }

    private void onAgent(String text) {
        JsonObject frame = new JsonObject(text);
        Long seq = frame.getLong("seq");
        if (seq != null && seq > agentSeq) {
            agentSeq = seq;
        }
        if (!"message.created".equals(frame.getString("type"))) {
            return;
        }
        String externalId = frame.getJsonObject("data").getJsonObject("message").getString("externalId");
        Long intended = externalId == null ? null : awaitingAgent.remove(externalId);
        if (intended != null) {
            record(agent, intended);
        }
    }

    /**
     * Open loop: message i is due at start + i / rate, whatever happened to the ones before it. A warm-up pass at
     * the same rate comes first and is not counted (as the peak test's is not): each active visitor's first message
     * creates its contact and conversation, and the server's code paths are still being compiled.
     */
    private JsonObject rate(JsonObject c) throws Exception {
        boolean isWidget = "widget".equals(c.getString("kind"));
        List<WebSocket> pool = isWidget ? widget : echo;
        int active = Math.min(c.getInteger("active"), pool.size());
        int rate = c.getInteger("rate");
        int seconds = c.getInteger("seconds");
        int warmup = c.getInteger("warmup", 0);
        if (isWidget) {
            agentBase = c.getString("base").replaceFirst("^http", "ws") + "/api/v1/stream";
            agentToken = c.getString("agentToken");
            agentReconnects.set(0);
            agentStreaming = true;
            openAgentStream(null).await(120, TimeUnit.SECONDS);
        }
        if (warmup > 0) {
            openLoop(pool, isWidget, active, rate, warmup);
        }
        agentReconnects.set(0);
        nacks.set(0);
        refused.set(0);
        long start = openLoop(pool, isWidget, active, rate, seconds);
        long total = (long) rate * seconds;
        long answered = replies.getTotalCount() - lostReplies;
        double elapsed = Math.max(1, lastAnswer - start) / 1e9;
        agentStreaming = false;
        WebSocket stream = agentStream;
        if (stream != null) {
            stream.close();
        }
        return new JsonObject().put("event", "rate").put("agentReconnects", agentReconnects.get()).put("sent", total)
                .put("warmupSeconds", warmup).put("answered", answered).put("lost", lostReplies)
                .put("nacks", nacks.get()).put("refused", refused.get()).put("closedByServer", closedByServer.get())
                .put("achievedPerSecond", answered / elapsed)
                .put("reply", summary(replies)).put("agent", isWidget ? summary(agent) : null)
                .put("agentLost", lostAgent);
    }

    /**
     * One open-loop pass with fresh histograms; waits (up to 30 s) for its answers; returns its start. What did not
     * come within the wait is recorded at the wait's end (a lower bound) and counted lost (an answer coming later is
     * not recorded again): left out, the slowest messages would vanish from the percentiles.
     */
    private long openLoop(List<WebSocket> pool, boolean isWidget, int active, int rate, int seconds) {
        replies = histogram();
        agent = histogram();
        awaitingReply.clear();
        awaitingAgent.clear();
        long total = (long) rate * seconds;
        long period = 1_000_000_000L / rate;
        long start = System.nanoTime() + 50_000_000;
        for (long i = 0; i < total; i++) {
            long due = start + i * period;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            WebSocket ws = pool.get((int) (i % active));
            String id = UUID.randomUUID().toString();
            awaitingReply.put(id, due);
            if (isWidget) {
                awaitingAgent.put(id, due);
                ws.writeTextMessage("{\"type\":\"message\",\"clientId\":\"" + id + "\",\"body\":\"benchmark message "
                        + i + "\"}");
            } else {
                ws.writeTextMessage(id);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while ((!awaitingReply.isEmpty() || !awaitingAgent.isEmpty()) && System.nanoTime() < deadline) {
            LockSupport.parkNanos(10_000_000);
        }
        long end = System.nanoTime();
        lostReplies = recordUnanswered(awaitingReply, replies, end);
        lostAgent = recordUnanswered(awaitingAgent, agent, end);
        return start;
    }

    /** Records each message still awaited at {@code end}, and forgets it; returns how many there were. */
    private static long recordUnanswered(Map<String, Long> awaiting, Histogram histogram, long end) {
        long count = 0;
        for (String id : List.copyOf(awaiting.keySet())) {
            Long due = awaiting.remove(id);
            if (due != null) {
                recordMicros(histogram, (end - due) / 1000);
                count++;
            }
        }
        return count;
    }

    /** Closed loop: each of {@code concurrency} visitors sends its next message as soon as the last is acked. */
    private JsonObject peak(JsonObject c) {
        int concurrency = Math.min(c.getInteger("concurrency"), widget.size());
        int seconds = c.getInteger("seconds");
        int warmup = c.getInteger("warmup", 3);
        peakSockets.clear();
        awaitingReply.clear();
        nacks.set(0);
        refused.set(0);
        long closedBefore = closedByServer.get();
        widget.subList(widget.size() - concurrency, widget.size()).forEach(ws -> peakSockets.put(ws, true));
        peakRunning.set(true);
        peakSockets.keySet().forEach(ws -> sendWidget(ws, UUID.randomUUID().toString()));
        LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(warmup));
        long before = peakAcks.get();
        long started = System.nanoTime();
        LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(seconds));
        long acks = peakAcks.get() - before;
        double elapsed = (System.nanoTime() - started) / 1e9;
        peakRunning.set(false);
        long stillOpen = peakSockets.keySet().stream().filter(ws -> !ws.isClosed()).count();
        return new JsonObject().put("event", "peak").put("concurrency", concurrency).put("acked", acks)
                .put("perSecond", acks / elapsed).put("nacks", nacks.get()).put("refused", refused.get())
                .put("closedByServer", closedByServer.get() - closedBefore).put("sendersOpen", stillOpen);
    }

    private void sendWidget(WebSocket ws, String id) {
        ws.writeTextMessage("{\"type\":\"message\",\"clientId\":\"" + id + "\",\"body\":\"peak\"}");
    }

    private JsonObject close(List<WebSocket> list) {
        closingOurs = true;
        vertx.cancelTimer(pinger);
        List<Future<Void>> closing = new ArrayList<>();
        list.forEach(ws -> closing.add(ws.close()));
        closing.forEach(f -> f.await());
        int count = list.size();
        list.clear();
        closingOurs = false;
        return new JsonObject().put("event", "closed").put("count", count);
    }

    private void record(Histogram histogram, long intended) {
        long now = System.nanoTime();
        // The achieved rate is of acknowledged messages: the agent stream trails them by seconds, and its events
        // must not stretch the window the acknowledgements are counted over.
        if (histogram == replies) {
            lastAnswer = now;
        }
        recordMicros(histogram, (now - intended) / 1000);
    }

    private static void recordMicros(Histogram histogram, long elapsedMicros) {
        long micros = Math.max(1, elapsedMicros);
        synchronized (histogram) {
            histogram.recordValue(Math.min(micros, HIGHEST_MICROS));
        }
    }

    private static Histogram histogram() {
        return new Histogram(HIGHEST_MICROS, 3);
    }

    private static JsonObject summary(Histogram h) {
        synchronized (h) {
            return new JsonObject().put("count", h.getTotalCount())
                    .put("p50Ms", h.getValueAtPercentile(50) / 1000.0)
                    .put("p99Ms", h.getValueAtPercentile(99) / 1000.0)
                    .put("p999Ms", h.getValueAtPercentile(99.9) / 1000.0)
                    .put("maxMs", h.getMaxValue() / 1000.0);
        }
    }
}
