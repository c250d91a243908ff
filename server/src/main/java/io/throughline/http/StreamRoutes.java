package io.throughline.http;

import io.throughline.agent.Caller;
import io.throughline.agent.SessionRepository;
import io.throughline.config.ThroughlineConfig;
import io.throughline.failure.Forbidden;
import io.throughline.failure.Invalid;
import io.throughline.failure.TooManyRequests;
import io.throughline.failure.Unauthorized;
import io.throughline.realtime.Event;
import io.throughline.realtime.EventFeed;
import io.throughline.realtime.EventListener;
import io.throughline.realtime.EventSubscription;
import io.throughline.realtime.PgListener;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/v1/stream?since={seq}}: the agent's realtime WebSocket (ARCHITECTURE.md rule 5). Every event of
 * the caller's workspace after {@code since}, in seq order, then live; a heartbeat that carries the seq to resume
 * from; a slow reader is closed with 1013 and resumes from its last seq.
 */
final class StreamRoutes {

    private static final Logger log = LoggerFactory.getLogger(StreamRoutes.class);
    static final short SLOW_CONSUMER = 1013;
    static final short SESSION_ENDED = 4401;
    /**
     * A stream with more than this many characters written and not yet sent is a slow consumer too: a frame carries a
     * whole message (up to 256K characters of body and its HTML), so a count of frames alone does not bound memory.
     */
    static final long MAX_PENDING_CHARS = 32L * 1024 * 1024;

    private final EventFeed feed;
    private final ThroughlineConfig.Realtime config;
    private final Supplier<URI> publicUrl;
    private final AtomicInteger connected;
    private final ClientAddress clients;

    /**
     * How many streams one agent may hold open on a node: tabs and devices, with room to spare. Each stream buffers
     * events for its reader and may replay the retained log on connect; a leaked token must not open hundreds.
     */
    static final int MAX_PER_AGENT = 20;
    /** This node's open streams by agent, so an ended session closes its streams at once. */
    private final Map<Long, Set<Session>> open = new ConcurrentHashMap<>();
    private final PgListener listener;

    StreamRoutes(EventFeed feed, ThroughlineConfig.Realtime config, Supplier<URI> publicUrl, AtomicInteger connected,
                 ClientAddress clients, PgListener listener) {
        this.feed = feed;
        this.config = config;
        this.publicUrl = publicUrl;
        this.connected = connected;
        this.clients = clients;
        this.listener = listener;
    }

    void mount(Router router, Endpoints endpoints) {
        // A logout, a deactivation or a new password on any node: that agent's streams check their session now. A
        // notification missed while the listener was away is made good by checking every stream; and if even that
        // is lost, each stream's heartbeat still checks its session.
        listener.listen(SessionRepository.ENDED_CHANNEL, new PgListener.Channel() {
            @Override
            public void onNotify(String payload) {
                long agentId;
                try {
                    agentId = Long.parseLong(payload);
                } catch (NumberFormatException e) {
                    log.warn("ignored a session-ended notification that names no agent: {}", payload);
                    return;
                }
                open.getOrDefault(agentId, Set.of()).forEach(session -> session.check(false));
            }

            @Override
            public void onListening() {
                open.values().forEach(sessions -> sessions.forEach(session -> session.check(false)));
            }
        });
        router.get("/api/v1/stream").handler(rc -> {
            if (!"websocket".equalsIgnoreCase(rc.request().getHeader("Upgrade"))) {
                rc.fail(new Invalid("this endpoint is a WebSocket: connect with Upgrade: websocket"));
                return;
            }
            long since;
            try {
                since = Params.sinceSeq(rc);
            } catch (Invalid e) {
                rc.fail(e);
                return;
            }
            Context context = Vertx.currentContext();
            rc.request().pause();
            endpoints.blocking(rc, () -> {
                Caller caller;
                try {
                    caller = endpoints.authenticator().find(rc.request()).orElseThrow(() ->
                            new Unauthorized("log in first; the stream accepts the session cookie or a bearer token"));
                    if (caller.viaCookie() && !sameOrigin(rc)) {
                        throw new Forbidden("a cookie-authenticated stream must come from this site's origin");
                    }
                    if (open.getOrDefault(caller.agentId(), Set.of()).size() >= MAX_PER_AGENT) {
                        log.info("stream refused, too many open agent={} limit={}", caller.agentId(), MAX_PER_AGENT);
                        throw new TooManyRequests("this agent has " + MAX_PER_AGENT + " streams open on this server"
                                + " already: close other tabs or windows of the inbox", Duration.ofSeconds(30));
                    }
                } catch (RuntimeException e) {
                    context.runOnContext(v -> rc.fail(e));
                    return;
                }
                context.runOnContext(v -> rc.request().toWebSocket().onComplete(ar -> {
                    if (ar.succeeded()) {
                        new Session(ar.result(), caller, endpoints, rc).start(since);
                    } else {
                        log.debug("stream upgrade failed: {}", ar.cause().getMessage());
                    }
                }));
            });
        });
    }

    /** A browser's WebSocket carries cookies cross-site, so its Origin must be ours (no cross-site hijacking). */
    private boolean sameOrigin(RoutingContext rc) {
        String origin = rc.request().getHeader("Origin");
        if (origin == null) {
            return true;
        }
        URI configured = publicUrl.get();
        String ours = configured.getScheme() + "://" + configured.getAuthority();
        String host = rc.request().getHeader("Host");
        // Behind a TLS proxy (X-Forwarded-Proto, with http.trustProxy) the page's origin is https.
        String scheme = clients.secure(rc.request()) ? "https" : "http";
        return origin.equalsIgnoreCase(ours) || (host != null && origin.equalsIgnoreCase(scheme + "://" + host));
    }

    /** One connected agent. */
    private final class Session implements EventListener {
        private final ServerWebSocket socket;
        private final Caller caller;
        private final Endpoints endpoints;
        private final RoutingContext rc;
        private final AtomicInteger pending = new AtomicInteger();
        private final AtomicLong pendingChars = new AtomicLong();
        private volatile long lastSent;
        private volatile boolean closed;
        private final AtomicReference<EventSubscription> subscription = new AtomicReference<>();
        /** Whether this session counts in the connected streams (once, however many ways it stops). */
        private final AtomicBoolean counted = new AtomicBoolean();
        /** Set on the event loop, read by stop() on the feed's thread: a stop racing the start must see it. */
        private volatile long heartbeat = -1;

        Session(ServerWebSocket socket, Caller caller, Endpoints endpoints, RoutingContext rc) {
            this.socket = socket;
            this.caller = caller;
            this.endpoints = endpoints;
            this.rc = rc;
        }

        void start(long since) {
            // Before the session takes a place: Vert.x refuses a close handler on a socket already closed (the
            // client went at once), and a place taken first would then never be given back (twenty of them and
            // the agent is refused on this node). Both run on the socket's event loop: it cannot close in between.
            try {
                socket.closeHandler(v -> stop());
            } catch (IllegalStateException e) {
                closed = true;
                log.debug("stream closed before it started agent={}", caller.agentId());
                return;
            }
            // Counted as it opens, against the cap, in one step: upgrades sent all at once passed the check before
            // the upgrade together (it only spares the usual case a refused upgrade).
            boolean[] admitted = {false};
            open.compute(caller.agentId(), (agent, sessions) -> {
                Set<Session> now = sessions == null ? ConcurrentHashMap.newKeySet() : sessions;
                if (now.size() < MAX_PER_AGENT) {
                    admitted[0] = now.add(this);
                }
                return now.isEmpty() ? null : now;
            });
            if (!admitted[0]) {
                log.warn("stream closed, too many open agent={} limit={}", caller.agentId(), MAX_PER_AGENT);
                closed = true;
                socket.close((short) 1008, "too many streams open for this agent");
                return;
            }
            socket.exceptionHandler(e -> log.debug("stream socket error agent={}: {}", caller.agentId(),
                    e.getMessage()));
            socket.textMessageHandler(text -> {
                // Clients have nothing to say yet; reading keeps the connection's flow moving.
            });
            if (since >= 0 && since < feed.prunedThrough()) {
                // Events after it were pruned (realtime.eventRetention): a client away that long reloads.
                log.info("stream resume below the pruned event log, the client starts over agent={} since={}"
                        + " prunedThrough={}", caller.agentId(), since, feed.prunedThrough());
                begin(-1, true);
                return;
            }
            if (since <= feed.position()) {
                begin(since, false);
                return;
            }
            // A seq past what this node delivered: it may be a moment ahead, or the log lost seqs the client saw
            // (a database restored from a backup, a failover that lost its last commits). Then no event would
            // reach the client until the seqs caught up with its own: it starts again from now and reloads.
            feed.newestStored().onComplete(newest -> {
                boolean lost = newest.succeeded() && since > newest.result();
                if (lost) {
                    log.warn("stream resume past the newest event, the client starts over agent={} since={}"
                            + " newest={}", caller.agentId(), since, newest.result());
                }
                begin(lost ? -1 : since, lost);
            });
        }

        private void begin(long since, boolean reset) {
            if (closed) {
                return;
            }
            long from = since < 0 ? feed.position() : since;
            lastSent = from;
            counted.set(true);
            connected.incrementAndGet();
            // The heartbeat's period: a client that hears nothing for three of them takes the stream for dead.
            // Whose stream it is: a tab that reconnected with the cookie of a later sign-in in the same browser
            // (another agent's) learns that it now streams their workspace.
            JsonObject ready = new JsonObject().put("since", from)
                    .put("heartbeatSeconds", Math.max(1, (config.heartbeat().toMillis() + 999) / 1000))
                    .put("agentId", caller.agentId()).put("workspaceId", caller.workspaceId());
            if (reset) {
                ready.put("reset", true);
            }
            send(new JsonObject().put("type", "ready").put("data", ready));
            subscription.set(feed.subscribe(from, caller.workspaceId(), this));
            Vertx vertx = rc.vertx();
            heartbeat = vertx.setPeriodic(config.heartbeat().toMillis(), t -> check(true));
            if (closed) {
                // Closed meanwhile (by the client, or the feed on another thread): what was just set up goes too.
                stop();
                return;
            }
            // A session ended between its check before the upgrade and this registration was told to nobody here.
            check(false);
            log.info("stream opened agent={} workspace={} since={}", caller.agentId(), caller.workspaceId(), from);
        }

        @Override
        public void onEvents(List<Event> events) {
            for (Event event : events) {
                if (closed) {
                    return;
                }
                if (pending.get() >= config.maxPendingEvents() || pendingChars.get() >= MAX_PENDING_CHARS) {
                    close(SLOW_CONSUMER, "slow consumer: reconnect with since=" + lastSent);
                    return;
                }
                send(event.toJson());
                lastSent = event.seq();
            }
        }

        /**
         * Events committed after the feed passed their seqs: sent as they come, marked {@code late}, and not counted
         * in the resume position (the client keeps resuming from {@code lastSent}). Even past the pending limit: a
         * resume never replays them (their seqs lie below it), and they are rare (a transaction that held its seq
         * past {@code realtime.gapTimeout}), so they cannot fill memory the way a slow consumer's backlog would.
         */
        @Override
        public void onLateEvents(List<Event> events) {
            for (Event event : events) {
                if (closed) {
                    return;
                }
                send(event.toJson().put("late", true));
            }
        }

        /** Typing and other transient signals: {@code {type, data}} without a seq, never replayed. */
        @Override
        public void onTransient(String type, JsonObject data) {
            if (!closed && pending.get() < config.maxPendingEvents() && pendingChars.get() < MAX_PENDING_CHARS) {
                send(new JsonObject().put("type", type).put("data", data));
            }
        }

        @Override
        public void onOverflow(long lastDeliveredSeq) {
            close(SLOW_CONSUMER, "slow consumer: reconnect with since=" + lastSent);
        }

        /** Pruned while it caught up: it reconnects, and {@link #start} tells it to start over. */
        @Override
        public void onPruned(long prunedThrough) {
            close(SLOW_CONSUMER, "history pruned: reconnect with since=" + lastSent);
        }

        @Override
        public void onError(Throwable cause) {
            log.warn("stream history read failed agent={}: {}", caller.agentId(), cause.getMessage());
            close((short) 1011, "could not read history; reconnect with since=" + lastSent);
        }

        /**
         * Writes one frame. Synchronized: the feed's thread and the heartbeat's worker both write, and Vert.x writes
         * a message longer than a frame (64 KB) as one frame per piece, so a heartbeat could land between an
         * event's pieces, which breaks the stream for the browser.
         */
        private synchronized void send(JsonObject frame) {
            String text = frame.encode();
            long size = text.length();
            pending.incrementAndGet();
            pendingChars.addAndGet(size);
            socket.writeTextMessage(text).onComplete(ar -> {
                pending.decrementAndGet();
                pendingChars.addAndGet(-size);
            });
        }

        /**
         * Checks the session still stands, and ends the stream with {@value #SESSION_ENDED} when it does not; then
         * sends a heartbeat when asked. Every heartbeat checks, and so does a notification that the agent's
         * sessions ended.
         */
        void check(boolean heartbeatAfter) {
            if (closed) {
                return;
            }
            endpoints.blocking(rc, () -> {
                boolean valid;
                try {
                    valid = endpoints.authenticator().find(rc.request()).isPresent();
                } catch (RuntimeException e) {
                    valid = true;
                }
                if (!valid) {
                    close(SESSION_ENDED, "the session ended; log in again");
                } else if (heartbeatAfter) {
                    send(new JsonObject().put("type", "heartbeat").put("data", new JsonObject()
                            .put("seq", resumePoint()).put("at", Instant.now().toString())));
                }
            });
        }

        /**
         * Where the client resumes: past every event of its workspace already written to the socket, and past the
         * other workspaces' events the feed has gone by since (read after those writes were made, so this frame
         * follows them). A workspace quiet for longer than the event retention then resumes past the pruning of
         * everyone else's events rather than starting over.
         */
        private long resumePoint() {
            EventSubscription current = subscription.get();
            return current == null ? lastSent : Math.max(lastSent, current.position());
        }

        private void close(short code, String reason) {
            if (!closed) {
                closed = true;
                log.info("stream closed by server agent={} code={} reason={}", caller.agentId(), code, reason);
                socket.close(code, reason);
                stop();
            }
        }

        /**
         * Ends the session; called by the socket's close (on its event loop) and by the server's own close (on the
         * feed's thread for a slow reader), maybe at once: each part is let go once.
         */
        private void stop() {
            closed = true;
            EventSubscription current = subscription.getAndSet(null);
            if (current != null) {
                current.cancel();
            }
            if (counted.compareAndSet(true, false)) {
                connected.decrementAndGet();
            }
            open.computeIfPresent(caller.agentId(), (agent, sessions) -> {
                sessions.remove(this);
                return sessions.isEmpty() ? null : sessions;
            });
            rc.vertx().cancelTimer(heartbeat);
        }
    }
}
