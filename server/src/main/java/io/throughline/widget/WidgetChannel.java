package io.throughline.widget;

import io.throughline.VirtualThreads;
import io.throughline.attachment.AttachmentRepository;
import io.throughline.attachment.AttachmentService;
import io.throughline.config.ThroughlineConfig;
import io.throughline.connector.AttachmentStore;
import io.throughline.connector.IdentityKind;
import io.throughline.connector.Recipient;
import io.throughline.conversation.ConversationRepository;
import io.throughline.conversation.ReplyRouter;
import io.throughline.http.ClientAddress;
import io.throughline.http.Endpoints;
import io.throughline.ingest.IngestService;
import io.throughline.realtime.EventFeed;
import io.throughline.realtime.EventLog;
import io.throughline.realtime.EventType;
import io.throughline.realtime.PgListener;
import io.throughline.store.Database;
import io.throughline.store.ServerSecrets;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The widget channel, assembled: sessions, messages, uploads, receipts, presence, typing and the hub, with their
 * routes. The bootstrap builds it from the server's parts and starts and stops it with the server.
 */
public final class WidgetChannel {

    private static final Logger log = LoggerFactory.getLogger(WidgetChannel.class);
    private static final Duration TICKET_TTL = Duration.ofHours(1);
    /** Far above what the frame sends (a poll per 25 s, typing every few seconds, a seen per message). */
    private static final int SIGNALS_PER_MINUTE = 240;

    private final Vertx vertx;
    private final ThroughlineConfig config;
    private final SiteDirectory sites;
    private final VisitorService visitors;
    private final VisitorMessages messages;
    private final Uploads uploads;
    private final VisitorReceipts receipts;
    private final PresenceTracker presence;
    private final TypingRelay typing;
    private final WidgetHub hub;
    private final Supplier<URI> publicUrl;
    private final ConversationRepository conversations;
    private final Database database;
    private final VisitorRepository repository;
    private final ExecutorService executor = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("widget-", 0).factory());
    private final List<Long> timers = new ArrayList<>();
    private final Clock clock;
    private volatile boolean stopping;
    /** Polls and socket signals (typing, seen, ping) per visitor: a token from a public site key must not load us. */
    private final RateLimiter signals = new RateLimiter(Clock.systemUTC(), SIGNALS_PER_MINUTE, Duration.ofMinutes(1));
    private volatile WidgetRoutes routes;

    /** The parts of the server the widget channel works with. */
    public record Parts(Vertx vertx, Database database, EventFeed feed, EventLog events, IngestService ingest,
                        AttachmentRepository attachments, AttachmentService attachmentService, AttachmentStore files,
                        ConversationRepository conversations, SiteDirectory sites, ThroughlineConfig config,
                        Supplier<URI> publicUrl, Clock clock, PgListener listener) {
    }

    public WidgetChannel(Parts parts) {
        this.vertx = parts.vertx();
        this.config = parts.config();
        this.sites = parts.sites();
        this.publicUrl = parts.publicUrl();
        this.conversations = parts.conversations();
        this.database = parts.database();
        this.clock = parts.clock();
        ThroughlineConfig.Widget widget = config.widget();
        this.repository = new VisitorRepository();
        SocketTickets tickets = new SocketTickets(ServerSecrets.getOrCreate(database.sql(), "widget-socket", 32),
                TICKET_TTL, parts.clock());
        this.receipts = new VisitorReceipts(database, parts.events(), parts.ingest());
        this.visitors = new VisitorService(database, parts.events(), repository, sites, tickets, widget,
                this::routed, parts.clock());
        this.hub = new WidgetHub(vertx, parts.feed(), database, visitors, receipts);
        sites.onProofChanged(hub::endProvenOtherwise);
        sites.onClosed(inboxId -> hub.siteClosed(inboxId, sites::isOpen));
        this.messages = new VisitorMessages(database, parts.ingest(), repository, parts.attachments(),
                parts.attachmentService(), widget, sites, hub::routed, parts.clock());
        this.uploads = new Uploads(database, repository, parts.files(), widget, parts.clock());
        this.presence = new PresenceTracker(vertx, database, parts.events(), widget.presenceGrace());
        this.typing = new TypingRelay(vertx, parts.listener(), parts.feed());
    }

    public void start() {
        hub.start();
        presence.start();
        long heartbeat = config.widget().heartbeat().toMillis();
        timers.add(vertx.setPeriodic(heartbeat, t -> sweepSockets(3 * heartbeat)));
        timers.add(vertx.setPeriodic(60_000, t -> VirtualThreads.call("widget-sweep", () -> {
            visitors.sweep();
            messages.sweep();
            uploads.sweep();
            typing.sweep();
            signals.sweep();
            sites.sweep();
            WidgetRoutes mounted = routes;
            if (mounted != null) {
                mounted.sweep();
            }
            return null;
        })));
        timers.add(vertx.setPeriodic(3_600_000, t -> VirtualThreads.call("widget-forget", this::forgetIdle)
                .onFailure(e -> log.warn("forgetting idle widget visitors failed: {}", e.toString()))));
        log.info("widget channel started webSocket={}", config.widget().webSocket());
    }

    /**
     * Answers the long polls, closes the visitor sockets and stops presence and typing: the first step of a
     * shutdown, before the HTTP drain, which they would otherwise hold for their wait. Polls and sockets that come
     * during the drain are refused with 503 ({@link #stopping()}).
     */
    public void stop() {
        stopping = true;
        timers.forEach(vertx::cancelTimer);
        for (VisitorStream stream : List.copyOf(hub.streams())) {
            if (stream instanceof SocketStream socket) {
                socket.close((short) 1001, "server shutting down: reconnect");
            } else {
                // A long poll is answered now, with what it has: left waiting, it held the HTTP drain for its wait.
                stream.reconnect();
            }
        }
        hub.stop();
        presence.stop();
        executor.shutdown();
    }

    /** Whether the server is shutting down: new long polls and sockets are refused, to try again elsewhere. */
    boolean stopping() {
        return stopping;
    }

    /** Mounts the widget's public routes, its agent routes and its assets. Called once, on the event loop. */
    public void mount(Router router, Endpoints endpoints) {
        ClientAddress clients = new ClientAddress(config.http().trustProxy());
        new WidgetAssets(sites, clients, publicUrl).mount(router, endpoints);
        routes = new WidgetRoutes(this, clients, config.http().maxBodySize(), config.dataDir().resolve("tmp"));
        routes.mount(router, endpoints);
        new WidgetAgentRoutes(this).mount(router, endpoints);
    }

    /** Presence and receipts of widget visitors, for the email fallback. */
    public VisitorActivity activity() {
        return presence;
    }

    /** Visitor connections open on this node (for /health and the benchmark). */
    public int connections() {
        return hub.connections();
    }

    public JsonObject health() {
        return new JsonObject().put("status", "up").put("connections", hub.connections());
    }

    /** Takes one of the visitor's signals (429 beyond). */
    void signal(Viewer viewer) {
        signals.acquire(Long.toString(viewer.visitor().id()), "too many requests from this chat; wait a moment");
    }

    /** Whether the visitor may send one more signal; over the limit, a socket frame is dropped silently. */
    boolean allowSignal(Viewer viewer) {
        return signals.tryAcquire(Long.toString(viewer.visitor().id()));
    }

    /** A visitor typed (or stopped): agents' streams show it; other nodes hear it through the relay. */
    void visitorTyping(Viewer viewer, boolean isTyping) {
        Long conversation = viewer.conversationId();
        if (conversation == null) {
            return;
        }
        typing.typing("visitor:" + viewer.visitor().id(), viewer.workspaceId(), EventType.VISITOR_TYPING,
                new JsonObject().put("conversationId", conversation).put("visitorId", viewer.publicId()), isTyping);
    }

    /**
     * An agent typed a reply (or stopped): the open tabs of the visitor it is for show it. A reply goes to whoever
     * wrote last ({@link ReplyRouter#lastSender}); a visitor who only sees its own messages of a merged thread is
     * not told that an agent is typing to someone else. One who sees the whole thread always is.
     */
    void agentTyping(long workspaceId, long conversationId, long agentId, String agentName, boolean isTyping) {
        String replyTo = ReplyRouter.lastSender(database.sql(), workspaceId, conversationId)
                .filter(sender -> sender.kind() == IdentityKind.WIDGET_VISITOR).map(Recipient::value).orElse(null);
        typing.typing("agent:" + agentId + ":" + conversationId, workspaceId, EventType.AGENT_TYPING,
                new JsonObject().put("conversationId", conversationId).put("visitorId", replyTo)
                        .put("agent", new JsonObject().put("id", agentId).put("name", agentName)), isTyping);
    }

    /**
     * Closes the sockets whose client went silent, and ends those of signed-in visitors whose proof lapsed while
     * they were open ({@code widget.identifiedTokenTtl}): their token is refused then, and so is the socket, or one
     * opened with a token copied off a shared computer would stream the customer's whole thread for as long as it
     * stayed open. The client starts a session again, which the page signs in anew (a copied token alone cannot).
     */
    private void sweepSockets(long silentLimitMs) {
        long limitNanos = silentLimitMs * 1_000_000;
        Instant now = clock.instant();
        Duration ttl = config.widget().identifiedTokenTtl();
        for (VisitorStream stream : hub.streams()) {
            if (!(stream instanceof SocketStream socket)) {
                continue;
            }
            if (socket.silentForNanos() > limitNanos) {
                socket.close(SocketStream.SILENT, "no ping for " + silentLimitMs / 1000 + "s");
            } else if (socket.viewer.visitor().proofLapsed(now, ttl)) {
                log.info("widget socket of a signed-in visitor ended, not proven for {} visitor={}", ttl,
                        socket.viewer.visitor().id());
                socket.end();
            }
        }
    }

    /** Forgets visitors who never wrote and have been away longer than {@code widget.forgetVisitorsAfter}. */
    int forgetIdle() {
        Instant cutoff = Instant.now().minus(config.widget().forgetVisitorsAfter());
        int total = 0;
        int batch;
        do {
            batch = repository.forgetIdle(database.sql(), cutoff, 1_000);
            total += batch;
        } while (batch == 1_000);
        if (total > 0) {
            log.info("idle widget visitors forgotten count={}", total);
        }
        return total;
    }

    /** The seq up to which the hub has routed every event: where a fresh client starts. */
    private long routed() {
        return hub.routed();
    }

    long heartbeatSeconds() {
        return Math.max(1, config.widget().heartbeat().toSeconds());
    }

    ThroughlineConfig.Widget settings() {
        return config.widget();
    }

    Supplier<URI> publicUrl() {
        return publicUrl;
    }

    SiteDirectory sites() {
        return sites;
    }

    VisitorService visitors() {
        return visitors;
    }

    VisitorMessages messages() {
        return messages;
    }

    Uploads uploads() {
        return uploads;
    }

    VisitorReceipts receipts() {
        return receipts;
    }

    PresenceTracker presence() {
        return presence;
    }

    WidgetHub hub() {
        return hub;
    }

    ConversationRepository conversations() {
        return conversations;
    }

    Database database() {
        return database;
    }

    ExecutorService executor() {
        return executor;
    }
}
