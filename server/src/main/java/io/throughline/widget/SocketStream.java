package io.throughline.widget;

import io.throughline.failure.Conflict;
import io.throughline.failure.ThroughlineException;
import io.throughline.failure.TooManyRequests;
import io.throughline.failure.Unavailable;
import io.throughline.http.JsonBody;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One visitor tab's WebSocket ({@code GET /widget/v1/ws?token=&since=}). Frames are JSON objects with a
 * {@code type}. From the client: {@code ping}, {@code message {clientId, body, attachmentIds}}, {@code typing
 * {typing}}, {@code seen {messageId}}. To the client: {@code ready}, {@code pong {seq}}, {@code ack {clientId,
 * messageId, status}} (after the commit), {@code nack {clientId, error}}, {@code message {seq, message}},
 * {@code message.updated}, {@code seen {seq, messageId}}, {@code typing {typing, agent}}, {@code reset {seq}} and
 * {@code error}. A bad frame gets an {@code error} frame and the socket stays open.
 */
final class SocketStream extends VisitorStream {

    private static final Logger log = LoggerFactory.getLogger(SocketStream.class);
    /**
     * Close codes: 4401 start a session again (ticket refused, or the visitor's session ended), 4408 silent client,
     * 1013 slow reader, 1012 reconnect (the thread is read again).
     */
    static final short SESSION_ENDED = 4401;
    static final short SLOW_CONSUMER = 1013;
    /** The client reconnects at once (RFC 6455's "service restart"): the server reads its thread again. */
    static final short RECONNECT = 1012;
    static final short SILENT = 4408;
    /** Refused: over the visitor's connects per minute, or its open sockets ({@link #MAX_PER_VISITOR}). */
    static final short TOO_MANY = 4429;
    /** Refused for good: the widget is switched off or removed, or the page's origin is not allowed. */
    static final short GONE = 4403;
    /** Open sockets one visitor may hold (its tabs), across this node. */
    static final int MAX_PER_VISITOR = 10;
    private static final int MAX_PENDING = 1_000;
    /** Messages of one socket waiting to be stored; past this, each more is refused at once (429). */
    static final int MAX_QUEUED_MESSAGES = 16;
    /** How long messages queued behind one that failed for now wait for it (see store). */
    private static final Duration HOLD = Duration.ofSeconds(30);

    private final ServerWebSocket socket;
    private final WidgetChannel channel;
    private final String ip;
    private final Executor executor;
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicInteger queued = new AtomicInteger();
    /**
     * A message that failed for now: the ones after it are refused until it is stored, for at most {@link #HOLD}
     * (a client that gives it up does not hold the socket for ever).
     */
    private volatile Object heldFor;
    private volatile long heldUntil;
    private CompletableFuture<Void> sends = CompletableFuture.completedFuture(null);
    private volatile long lastHeard = System.nanoTime();
    private volatile boolean stopped;
    /** The visitor's socket slot (see WidgetHub.reserveSocket) is given back once, whichever thread stops first. */
    private final AtomicBoolean slotReleased = new AtomicBoolean();
    private final ReentrantLock registration = new ReentrantLock();
    /**
     * Held while a frame is written: events come from the feed's thread, pongs from the event loop, acks from
     * virtual threads, and Vert.x writes a message longer than a frame (64 KB: a long email a signed-in visitor
     * sees) one piece at a time, so another frame could land between its pieces and break the socket.
     */
    private final Object writes = new Object();
    private boolean registered;

    SocketStream(ServerWebSocket socket, Viewer viewer, WidgetChannel channel, long since, String ip,
                 Executor executor) {
        super(viewer, channel.hub(), since);
        this.socket = socket;
        this.channel = channel;
        this.ip = ip;
        this.executor = executor;
    }

    /** Sets the socket's handlers; on the event loop, right after the upgrade, so no frame is missed. */
    void listen() {
        socket.textMessageHandler(this::onText);
        socket.binaryMessageHandler(b -> error(400, "binary frames are not accepted: send JSON text frames"));
        socket.closeHandler(v -> stop());
        socket.exceptionHandler(e -> log.debug("widget socket error visitor={}: {}", viewer.visitor().id(),
                e.getMessage()));
        write(new JsonObject().put("type", "ready").put("visitorId", viewer.publicId())
                .put("heartbeatSeconds", channel.heartbeatSeconds()));
    }

    /** Joins presence and the hub; off the event loop, as both touch PostgreSQL. */
    void start(long since) {
        registration.lock();
        try {
            if (!stopped) {
                channel.presence().connected(viewer);
                registered = true;
                channel.hub().attach(this, since);
            }
        } finally {
            registration.unlock();
        }
    }

    long silentForNanos() {
        return System.nanoTime() - lastHeard;
    }

    @Override
    void write(JsonObject frame) {
        if (stopped) {
            return;
        }
        if (pending.incrementAndGet() > MAX_PENDING) {
            close(SLOW_CONSUMER, "too slow: reconnect with since=" + since());
            return;
        }
        String text = frame.encode();
        synchronized (writes) {
            socket.writeTextMessage(text).onComplete(ar -> pending.decrementAndGet());
        }
    }

    private void onText(String text) {
        JsonObject frame;
        try {
            frame = JsonBody.wellFormed(new JsonObject(text));
        } catch (DecodeException | ClassCastException e) {
            log.debug("widget socket sent invalid JSON visitor={}", viewer.visitor().id());
            error(400, "invalid JSON frame: send one JSON object per frame");
            return;
        }
        String type = frame.getValue("type") instanceof String t ? t : "";
        // Messages have their own limits (with nack and Retry-After); the other frames are only signals.
        if (!"message".equals(type) && !channel.allowSignal(viewer)) {
            return;
        }
        // Heard only within its limits: pings beyond them do not keep a socket open past the silent sweep.
        lastHeard = System.nanoTime();
        switch (type) {
            case "ping" -> write(new JsonObject().put("type", "pong").put("seq", position()));
            case "message" -> send(frame);
            case "typing" -> channel.visitorTyping(viewer, Boolean.TRUE.equals(frame.getValue("typing")));
            case "seen" -> seen(frame);
            default -> error(400, "unknown frame type '" + type + "': use ping, message, typing or seen");
        }
    }

    /**
     * Messages of one tab are stored in the order sent; each is acked only after its commit. While the database is
     * slow, a client sending faster than that is told to wait (the queue holds at most {@link
     * #MAX_QUEUED_MESSAGES}), and what is still queued when the socket closes is dropped unstored: not acked, so
     * the client sends it again.
     */
    private void send(JsonObject frame) {
        Object clientId = frame.getValue("clientId");
        if (queued.incrementAndGet() > MAX_QUEUED_MESSAGES) {
            queued.decrementAndGet();
            write(new JsonObject().put("type", "nack").put("clientId", clientId).put("error", problem(
                    new TooManyRequests("too many messages waiting to be stored: send the next once these are"
                            + " acked", Duration.ofSeconds(1)))));
            return;
        }
        synchronized (this) {
            // handleAsync: a task that failed in any way never stops the ones after it.
            sends = sends.handleAsync((done, failed) -> {
                try {
                    if (!stopped) {
                        store(frame, clientId);
                    }
                } finally {
                    queued.decrementAndGet();
                }
                return null;
            }, executor);
        }
    }

    private void store(JsonObject frame, Object clientId) {
        Object failed = heldFor;
        if (failed != null && !failed.equals(clientId) && System.nanoTime() < heldUntil) {
            // An earlier message of this socket failed for now and will come again: this one is not stored before
            // it (the visitor's messages keep their order), and comes again after it.
            write(new JsonObject().put("type", "nack").put("clientId", clientId).put("error", problem(
                    new Unavailable("an earlier message failed and is sent again first: send this one after it",
                            Duration.ofSeconds(1)))));
            return;
        }
        try {
            if (channel.sites().byInbox(viewer.site().inbox().id()).isEmpty()) {
                // Disabled or deleted since this socket opened (a spammed widget switched off): nothing more is
                // stored through it, as through a new session or the HTTP fallback.
                write(new JsonObject().put("type", "nack").put("clientId", clientId).put("error", problem(
                        new Conflict("this chat widget was disabled or removed"))));
                close(GONE, "this chat widget was disabled or removed");
                return;
            }
            VisitorMessages.Ack ack = channel.messages().send(viewer, channel.messages().parse(frame), ip);
            if (ack.conversationId() != 0) {
                channel.hub().adopt(this, ack.conversationId(), null);
            }
            write(ack.toJson().put("type", "ack"));
            if (clientId != null && clientId.equals(heldFor)) {
                heldFor = null;
            }
        } catch (ThroughlineException e) {
            if (e.status() >= 500 || e instanceof TooManyRequests) {
                // Comes again: a rate limit's bucket refills as the next message arrives, which would pass it.
                hold(clientId);
            } else if (clientId != null && clientId.equals(heldFor)) {
                // Refused for good (too long, say): the client gives it up, and the ones after it go on.
                heldFor = null;
            }
            write(new JsonObject().put("type", "nack").put("clientId", clientId).put("error", problem(e)));
        } catch (RuntimeException e) {
            hold(clientId);
            log.error("widget message failed visitor={}", viewer.visitor().id(), e);
            write(new JsonObject().put("type", "nack").put("clientId", clientId).put("error",
                    new JsonObject().put("status", 500).put("title", "Internal server error")
                            .put("detail", "the message was not stored; it will be retried")));
        }
    }

    private void hold(Object clientId) {
        heldUntil = System.nanoTime() + HOLD.toNanos();
        heldFor = clientId;
    }

    private void seen(JsonObject frame) {
        Long id = JsonBody.exactLong(frame.getValue("messageId"));
        if (id == null) {
            error(400, "seen needs a messageId");
            return;
        }
        executor.execute(() -> {
            try {
                channel.receipts().seen(viewer, id);
                // Confirmed to this socket at once, whatever else tells its tabs: a report of what was recorded
                // already (its event late, or another tab's) would otherwise go unanswered, and the frame repeats
                // an unconfirmed one.
                write(new JsonObject().put("type", "seen").put("messageId", Math.max(id, viewer.seenUpTo())));
            } catch (ThroughlineException e) {
                error(e.status(), e.getMessage());
            } catch (RuntimeException e) {
                log.warn("widget seen failed visitor={}: {}", viewer.visitor().id(), e.toString());
            }
        });
    }

    private void error(int status, String detail) {
        write(new JsonObject().put("type", "error").put("error", new JsonObject().put("status", status)
                .put("detail", detail)));
    }

    static JsonObject problem(ThroughlineException e) {
        JsonObject problem = new JsonObject().put("status", e.status()).put("title", e.title())
                .put("detail", e.getMessage());
        if (e instanceof TooManyRequests limited) {
            problem.put("retryAfterSeconds", limited.retryAfterSeconds());
        }
        return problem.mergeIn(e.extensions());
    }

    @Override
    void end() {
        close(SESSION_ENDED, "this visitor's session ended: start a session again");
    }

    @Override
    void reconnect() {
        close(RECONNECT, "reconnect: the thread is read again");
    }

    @Override
    void gone() {
        close(GONE, "this chat widget was disabled or removed");
    }

    void close(short code, String reason) {
        if (!stopped) {
            log.info("widget socket closed by server visitor={} code={} reason={}", viewer.visitor().id(), code,
                    reason);
            socket.close(code, reason);
            stop();
        }
    }

    /** Called on the event loop when the socket closes; the unregistering waits for a start still running. */
    private void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        if (slotReleased.compareAndSet(false, true)) {
            channel.hub().releaseSocket(viewer.publicId());
        }
        executor.execute(() -> {
            registration.lock();
            try {
                if (registered) {
                    registered = false;
                    channel.hub().detach(this);
                    channel.presence().disconnected(viewer);
                }
            } finally {
                registration.unlock();
            }
        });
    }
}
