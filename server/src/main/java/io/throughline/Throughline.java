package io.throughline;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.throughline.agent.AgentRepository;
import io.throughline.agent.AgentService;
import io.throughline.agent.AuthService;
import io.throughline.agent.SessionRepository;
import io.throughline.agent.WorkspaceService;
import io.throughline.apichannel.ApiConnector;
import io.throughline.attachment.AttachmentRepository;
import io.throughline.attachment.AttachmentService;
import io.throughline.attachment.FileStore;
import io.throughline.config.ThroughlineConfig;
import io.throughline.connector.ChannelConnector;
import io.throughline.contact.ContactLinks;
import io.throughline.contact.ContactRepository;
import io.throughline.contact.ContactService;
import io.throughline.contact.DeepLinks;
import io.throughline.contact.IdentityResolver;
import io.throughline.contact.MergeService;
import io.throughline.contact.MessageMover;
import io.throughline.conversation.ConversationQueries;
import io.throughline.conversation.ConversationRepository;
import io.throughline.conversation.ConversationService;
import io.throughline.conversation.MessageRedactor;
import io.throughline.conversation.MessageRepository;
import io.throughline.conversation.MessageView;
import io.throughline.conversation.ReplyRouter;
import io.throughline.conversation.ReplyTokens;
import io.throughline.delivery.DeliveryRepository;
import io.throughline.delivery.Dispatcher;
import io.throughline.delivery.LiveChannels;
import io.throughline.delivery.OutboundAssembler;
import io.throughline.delivery.ReplyFallbacks;
import io.throughline.demo.DemoData;
import io.throughline.demo.DemoPage;
import io.throughline.failure.ThroughlineException;
import io.throughline.http.DeepLinkRoutes;
import io.throughline.http.Endpoints;
import io.throughline.http.HttpApi;
import io.throughline.http.MessageRoutes;
import io.throughline.http.Authenticator;
import io.throughline.inbox.ConnectorRegistry;
import io.throughline.inbox.InboxRepository;
import io.throughline.inbox.InboxService;
import io.throughline.inbox.InboxSupervisor;
import io.throughline.ingest.AutoReplies;
import io.throughline.ingest.ConversationFinder;
import io.throughline.ingest.HtmlSanitizer;
import io.throughline.ingest.IngestService;
import io.throughline.realtime.Doorbell;
import io.throughline.realtime.Event;
import io.throughline.realtime.EventFeed;
import io.throughline.realtime.EventListener;
import io.throughline.realtime.EventLog;
import io.throughline.realtime.EventRetention;
import io.throughline.realtime.EventType;
import io.throughline.realtime.PgListener;
import io.throughline.realtime.Subscription;
import io.throughline.search.SearchIndex;
import io.throughline.search.SearchService;
import io.throughline.store.Database;
import io.throughline.store.EmbeddedDatabase;
import io.throughline.store.Migrations;
import io.throughline.store.PostgresServer;
import io.throughline.store.ServerSecrets;
import io.throughline.widget.SiteDirectory;
import io.throughline.widget.VisitorActivity;
import io.throughline.widget.WidgetChannel;
import io.throughline.widget.WidgetConnector;
import io.throughline.widget.WidgetLiveChannels;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bootstrap: builds every component from the config and passes dependencies through constructors (wired in
 * one place; no statics, no service locator), starts them in order, and stops them in reverse on close.
 */
public final class Throughline implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Throughline.class);
    private static final long UPLOAD_LIMIT = 25L * 1024 * 1024;

    /**
     * The first admin's login, when this start created it (or took up a first start that failed before showing
     * it: {@code recovered}); the password is null when it came from the config.
     */
    public record FirstStart(long workspaceId, String adminEmail, String generatedPassword, boolean recovered) {
    }

    /** The advisory lock key nodes take turns on for the first start ("tl-first" as a number). */
    private static final long FIRST_START_LOCK = 0x746c2d6669727374L;
    /** The advisory lock key nodes take turns on to create the config file's inboxes ("tl-seeds"). */
    private static final long SEED_LOCK = 0x746c2d7365656473L;

    private final ThroughlineConfig config;
    private final Clock clock;
    private final List<Long> timers = new ArrayList<>();
    private final List<HttpServer> servers = new ArrayList<>();
    private final AtomicInteger streamsConnected = new AtomicInteger();
    private final String metricsRegistry = "throughline-" + System.identityHashCode(this);

    private PrometheusMeterRegistry meters;
    private Vertx vertx;
    private EmbeddedDatabase embedded;
    private Database database;
    private EventFeed feed;
    private EventRetention eventRetention;
    private EventLog events;
    private PgListener listener;
    private Doorbell doorbell;
    private InboxSupervisor supervisor;
    private ConnectorRegistry connectors;
    private Dispatcher dispatcher;
    private Endpoints endpoints;
    private volatile Subscription inboxChanges;
    private volatile boolean stopping;
    private SearchIndex searchIndex;
    private volatile URI publicUrl;
    private int port;
    private FirstStart firstStart;

    private IngestService ingest;
    private AttachmentService attachmentService;
    private InboxService inboxService;
    private ConversationService conversationService;
    private WorkspaceService workspaces;
    /** Held from the first start's bootstrap until that start finishes: see bootstrapWorkspace. */
    private PgConnection firstStartLock;

    // The website chat widget (issue 3): open widget inboxes register in the site directory.
    private SiteDirectory widgetSites;
    private WidgetChannel widget;

    private Throughline(ThroughlineConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
    }

    /** Starts everything; blocks until the server answers HTTP. */
    public static Throughline start(ThroughlineConfig config) {
        return start(config, Clock.systemUTC());
    }

    /**
     * Starts everything with this node's clock (a node's clock may run apart from the database's: tests start one
     * that does); blocks until the server answers HTTP.
     */
    public static Throughline start(ThroughlineConfig config, Clock clock) {
        Throughline throughline = startShowing(config, clock);
        throughline.firstStartShown();
        return throughline;
    }

    /**
     * Starts as {@link #start(ThroughlineConfig, Clock)}, but a first start is finished only by
     * {@link #firstStartShown}, once its generated password is on screen: the launcher calls it after printing the
     * banner, so a failure in between leaves the first start to be taken up again (its password set anew and
     * shown) rather than marked done with a password nobody saw.
     */
    public static Throughline startShowing(ThroughlineConfig config, Clock clock) {
        Throughline throughline = new Throughline(config, clock);
        try {
            throughline.boot();
            return throughline;
        } catch (RuntimeException | Error e) {
            throughline.close();
            throw e;
        }
    }

    /**
     * The caller's shutdown (one that runs {@link #close()}) is in place: it stops the embedded PostgreSQL, last,
     * and the JVM's exit no longer does (it would stop it under the drain).
     */
    public void shutdownHandedOver() {
        if (embedded != null) {
            embedded.leaveStopToOwner();
        }
    }

    /** The first start's admin and password were shown: it is done, and other nodes may start. */
    public void firstStartShown() {
        if (firstStart != null && firstStartLock != null) {
            workspaces.markReady(firstStart.workspaceId());
            releaseFirstStartLock();
        }
    }

    private void boot() {
        applyLogLevel(config.logLevel());
        long started = System.nanoTime();
        prepareDataDirectory(config);
        meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Gauge.builder("throughline.agent.streams", streamsConnected, AtomicInteger::get)
                .description("Agent realtime streams open on this node").register(meters);
        vertx = Vertx.builder()
                .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
                        .setJvmMetricsEnabled(true).setRegistryName(metricsRegistry)))
                .withMetrics(new MicrometerMetricsFactory(meters))
                .build();

        // Stopped by the JVM's exit until the caller's shutdown takes over (shutdownHandedOver): the embedded server
        // runs in a session of its own, so a Ctrl+C during this start would otherwise leave it running.
        PostgresServer postgres = PostgresServer.resolve(vertx, config, true);
        embedded = postgres.embedded();
        PgConnectOptions connectOptions = postgres.options();
        database = new Database(vertx, connectOptions, config.database().poolSize());
        Migrations migrations = Migrations.fromClasspath();
        migrations.migrate(database);

        FileStore files = new FileStore(config.attachmentsDir());
        ReplyTokens replyTokens = new ReplyTokens(ServerSecrets.getOrCreate(database.sql(), "reply-token", 32));

        feed = new EventFeed(vertx, database.pool(), config.realtime().pollInterval().toMillis(),
                config.realtime().maxPendingEvents(), config.realtime().gapTimeout().toMillis());
        listener = new PgListener(vertx, connectOptions);
        doorbell = new Doorbell(vertx, listener, feed);
        events = new EventLog(() -> {
            feed.wake();
            doorbell.ring();
        });
        within(feed.start(), 60, "the event feed to start");
        listener.start();

        AgentRepository agentRepository = new AgentRepository();
        SessionRepository sessions = new SessionRepository();
        ContactRepository contacts = new ContactRepository();
        ConversationRepository conversations = new ConversationRepository();
        MessageRepository messages = new MessageRepository();
        AttachmentRepository attachments = new AttachmentRepository();
        DeliveryRepository deliveries = new DeliveryRepository();
        InboxRepository inboxes = new InboxRepository();
        MessageView views = new MessageView(attachments);

        workspaces = new WorkspaceService(database, agentRepository);
        AuthService auth = new AuthService(database, agentRepository, sessions, config.auth(),
                ServerSecrets.getOrCreate(database.sql(), "login-throttle", 32), clock);
        AgentService agents = new AgentService(database, agentRepository, sessions, events);
        widgetSites = new SiteDirectory(database::sql);
        ConnectorRegistry registry = new ConnectorRegistry(builtInConnectors());
        inboxService = new InboxService(database, inboxes, registry, events, () -> supervisor, () -> publicUrl,
                () -> dispatcher.wake(), config.http().webhookPrivateNetworks());
        // --- Chat-to-email continuity (issue 4): a reply on the website chat gets a conditional email fallback,
        // sent when the visitor stays away past the email inbox's offlineEmailAfter without seeing it. ---
        LiveChannels liveChannels = new WidgetLiveChannels(() -> widget.activity());
        ReplyFallbacks replyFallbacks = new ReplyFallbacks(inboxes, deliveries, registry, liveChannels, events,
                () -> dispatcher.wake(), clock);
        conversationService = new ConversationService(database, conversations, new ConversationQueries(), messages,
                views, attachments, deliveries, agentRepository, new ReplyRouter(inboxService), events,
                () -> dispatcher.wake(), clock, replyFallbacks);
        IdentityResolver resolver = new IdentityResolver(contacts);
        // --- Telegram channel (issue 5): deep links that join a channel account to a contact, and the bot's
        // automatic answers (the /start greeting), which ingest stores and the outbox delivers.
        ContactLinks contactLinks = new ContactLinks(ServerSecrets.getOrCreate(database.sql(), "contact-link", 32),
                config.telegram().deepLinkTtl(), clock);
        AutoReplies autoReplies = new AutoReplies(messages, views, deliveries, events, () -> {
            if (dispatcher != null) {
                dispatcher.wake();
            }
        });
        DeepLinks deepLinks = new DeepLinks(database, contactLinks, inboxes, registry);
        // --- end Telegram channel
        ingest = new IngestService(database, messages, conversations, contacts, resolver,
                new ConversationFinder(replyTokens, messages, conversations), attachments, deliveries, views, events,
                new HtmlSanitizer(), clock, contactLinks, autoReplies);
        ContactService contactService = new ContactService(database, contacts, conversations, events);
        MergeService merges = new MergeService(database, contacts, conversations, messages, contactService, events);
        attachmentService = new AttachmentService(database, attachments, files, UPLOAD_LIMIT);

        firstStart = bootstrapWorkspace(connectOptions);

        // --- Search (issue 6): the Lucene index follows the event feed from the seq of its last commit, or is built
        // from PostgreSQL in the background when there is none; ./throughline reindex reaches it through the
        // operator file it publishes once the HTTP port is known.
        searchIndex = new SearchIndex(config.search(), config.indexDir(), database, feed);
        searchIndex.start();
        SearchService search = new SearchService(searchIndex, database);

        // ---- The website chat widget (issue 3): sessions, visitor sockets, presence, typing, its routes. ----
        widget = new WidgetChannel(new WidgetChannel.Parts(vertx, database, feed, events, ingest, attachments,
                attachmentService, files, conversations, widgetSites, config, () -> publicUrl, clock, listener));
        widget.start();
        DemoPage demoPage = new DemoPage(database, () -> publicUrl);

        endpoints = new Endpoints(new Authenticator(auth));
        HttpApi.Services services = new HttpApi.Services(config, database, migrations, auth, agents,
                conversationService, contactService, merges, inboxService, inboxes, registry, () -> supervisor,
                ingest, attachmentService, feed, () -> publicUrl, meters, streamsConnected,
                config.dataDir().resolve("tmp"),
                () -> new JsonObject().put("search", searchIndex.health()).put("widget", widget.health()),
                search, searchIndex, listener);
        // --- Email threading correction (issue 4): agents move a wrongly threaded message to its own contact. ---
        MessageMover messageMover = new MessageMover(database, contacts, conversations, messages, resolver, views,
                events);
        MessageRedactor messageRedactor = new MessageRedactor(database, messages, conversations, views, attachments, deliveries,
                events);
        BodyHandler extensionBody = BodyHandler.create(false).setBodyLimit(config.http().maxBodySize());
        Router router = HttpApi.router(vertx, services, endpoints, r -> {
            new DeepLinkRoutes(deepLinks).mount(r, endpoints, extensionBody);
            widget.mount(r, endpoints);
            if (config.demo()) {
                // Off on a public server by default: the page's chat writes into the real workspace.
                demoPage.mount(r);
            }
            new MessageRoutes(messageMover, messageRedactor).mount(r, endpoints, config.http().maxBodySize());
        });
        listen(router);
        searchIndex.publishControl(localUrl());

        supervisor = new InboxSupervisor(vertx, database, inboxes, registry, ingest, files, publicUrl,
                ServerSecrets.getOrCreate(database.sql(), "inbox-signing", 32), clock);
        supervisor.start();
        // --- Connectors' node services (issue 4: the email SMTP listener), with the options under their kind. ---
        connectors = registry;
        registry.startAll(vertx, Map.of("email", config.email().settings(), "telegram", config.telegram().settings()));
        subscribeInboxChanges(feed.position());
        seedInboxes();
        // A first start taken up again after a failure seeds the demo only if it had not got that far.
        if (firstStart != null && config.demo() && (!firstStart.recovered()
                || inboxes.list(database.sql(), firstStart.workspaceId()).isEmpty())) {
            new DemoData(inboxService, ingest, publicUrl).seed(firstStart.workspaceId());
        }

        dispatcher = new Dispatcher(database, deliveries, new OutboundAssembler(replyTokens, files), supervisor,
                events, messages, views, config.outbox(), liveChannels, clock);
        dispatcher.start();
        timers.add(vertx.setPeriodic(15_000, t -> VirtualThreads.call("snooze-wake", conversationService::wakeSnoozed)
                .onFailure(e -> log.warn("waking snoozed conversations failed: {}", e.getMessage()))));
        timers.add(vertx.setPeriodic(3_600_000, t -> VirtualThreads.call("housekeeping", () -> {
            int sessionsGone = sessions.deleteExpired(database.sql());
            int keysGone = conversationService.expireIdempotencyKeys();
            int uploadsGone = attachmentService.dropUnclaimedUploads();
            int attemptsGone = auth.forgetOldLoginAttempts();
            int temporaryGone = sweepUploadFiles();
            log.info("housekeeping sessions={} idempotencyKeys={} uploads={} loginAttempts={} temporaryFiles={}",
                    sessionsGone, keysGone, uploadsGone, attemptsGone, temporaryGone);
            return null;
        }).onFailure(e -> log.warn("housekeeping failed: {}", e.getMessage()))));
        // The event log: hourly (and once soon after a start), so it holds realtime.eventRetention of events.
        eventRetention = new EventRetention(database, config.realtime().eventRetention());
        timers.add(vertx.setPeriodic(300_000, 3_600_000, t -> VirtualThreads.call("event-pruning",
                eventRetention::prune).onFailure(e -> log.warn("event log pruning failed: {}", e.getMessage()))));
        // Unused stored files: daily, as it reads the whole store (and once soon after a start).
        timers.add(vertx.setPeriodic(600_000, 86_400_000, t -> VirtualThreads.call("file-sweep", () -> {
            int gone = attachmentService.sweepFiles();
            log.info("attachment store swept files={}", gone);
            return gone;
        }).onFailure(e -> log.warn("attachment store sweep failed: {}", e.getMessage()))));
        log.info("throughline started url={} port={} database={} ms={}", publicUrl, port,
                embedded == null ? "external" : "embedded", (System.nanoTime() - started) / 1_000_000);
    }

    /** Request bodies of uploads whose client hung up mid-way, or that a crash left behind. */
    private int sweepUploadFiles() {
        try {
            return FileStore.sweepTemporary(config.dataDir().resolve("tmp"), AttachmentService.TEMPORARY_FILES_LIVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot sweep " + config.dataDir().resolve("tmp"), e);
        }
    }

    /** Built-in connectors that need server internals; the others (telegram) come through ServiceLoader. */
    private List<ChannelConnector> builtInConnectors() {
        return List.of(new ApiConnector(config.http().webhookPrivateNetworks()),
                new WidgetConnector(widgetSites, database::sql));
    }

    /**
     * The data directory holds every message's text (the search index stores it) and every file: created for its
     * owner only, and a warning when an existing one lets other users of the machine in (its group's or anyone's).
     * The commands run it too: one run before the first start made the directory with the umask's permissions.
     */
    public static void prepareDataDirectory(ThroughlineConfig config) {
        try {
            Path data = config.dataDir();
            if (Files.isDirectory(data)) {
                warnIfShared(data);
            }
            List<Path> directories = List.of(data, data.resolve("tmp"), data.resolve("index"), config.attachmentsDir());
            for (Path directory : directories) {
                if (!Files.isDirectory(directory)) {
                    createPrivate(directory);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data directory " + config.dataDir(), e);
        }
    }

    private static void createPrivate(Path directory) throws IOException {
        try {
            Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
            Files.createDirectories(directory); // not a POSIX file system: its own access rules
        }
    }

    private static void warnIfShared(Path directory) {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(directory);
            if (permissions.contains(PosixFilePermission.OTHERS_READ)
                    || permissions.contains(PosixFilePermission.OTHERS_EXECUTE)
                    || permissions.contains(PosixFilePermission.GROUP_READ)
                    || permissions.contains(PosixFilePermission.GROUP_EXECUTE)) {
                log.warn("the data directory {} is open to other users of this machine ({}): it holds every"
                        + " message's text and file; chmod 700 it", directory,
                        PosixFilePermissions.toString(permissions));
            }
        } catch (UnsupportedOperationException | IOException e) {
            log.debug("cannot read the data directory's permissions: {}", e.toString());
        }
    }

    /**
     * The first workspace and its admin, on the very first start; the password again after a first start that
     * stopped before showing it. Nodes starting together on a new database take turns (an advisory lock held
     * until the start finishes, or its process dies): the second finds the first's workspace ready.
     */
    private FirstStart bootstrapWorkspace(PgConnectOptions connectOptions) {
        firstStartLock = VirtualThreads.await(PgConnection.connect(vertx, connectOptions));
        firstStartLock.query("SELECT pg_advisory_lock(" + FIRST_START_LOCK + ")").execute().await();
        var admin = config.admin();
        Optional<Long> existing = workspaces.first();
        FirstStart first;
        if (existing.isEmpty()) {
            WorkspaceService.Created created = workspaces.createFirst("Default", admin.email(), "Admin",
                    admin.password());
            log.info("first start: workspace and admin created workspace={} admin={}", created.workspaceId(),
                    admin.email());
            first = new FirstStart(created.workspaceId(), admin.email(), created.generatedPassword(), false);
        } else if (!workspaces.ready(existing.get())) {
            // The first start stopped before its banner (a taken port, a bad inbox in the config, Ctrl+C): the
            // generated password was never shown. Set it again, and show it this time.
            WorkspaceService.Created reset = workspaces.resetFirstAdmin(existing.get(), admin.password());
            log.warn("the first start did not finish: the first admin's password is set again admin={}",
                    reset.admin().email());
            first = new FirstStart(existing.get(), reset.admin().email(), reset.generatedPassword(), true);
        } else {
            first = null;
        }
        if (first == null) {
            releaseFirstStartLock();
        }
        return first;
    }

    private void releaseFirstStartLock() {
        PgConnection lock = firstStartLock;
        firstStartLock = null;
        if (lock != null) {
            quietly("first-start lock", () -> lock.close().await(5, TimeUnit.SECONDS));
        }
    }

    /**
     * Inbox changes made on other nodes reopen the inbox here. A subscription the feed ends (this node fell
     * behind, or a history read failed) is taken up again from where it was; late events count as well. The
     * supervisor's periodic reconcile covers anything missed all the same.
     */
    private void subscribeInboxChanges(long from) {
        inboxChanges = feed.subscribe(from, null, new EventListener() {
            private long seen = from;

            @Override
            public void onEvents(List<Event> events) {
                events.forEach(this::take);
                seen = events.getLast().seq();
            }

            @Override
            public void onLateEvents(List<Event> events) {
                events.forEach(this::take);
            }

            @Override
            public void onOverflow(long lastDeliveredSeq) {
                again(lastDeliveredSeq, "overflow");
            }

            @Override
            public void onError(Throwable cause) {
                again(seen, cause.toString());
            }

            private void take(Event event) {
                if (EventType.INBOX_CHANGED.equals(event.type())) {
                    supervisor.refreshLater(event.data().getLong("inboxId"));
                }
            }

            private void again(long seq, String why) {
                if (!stopping) {
                    log.warn("inbox change subscription ended, subscribing again seq={} reason={}", seq, why);
                    vertx.setTimer(1_000, t -> subscribeInboxChanges(seq));
                }
            }
        });
    }

    /**
     * Creates the config file's inboxes that do not exist yet. Nodes starting together take turns, so one bot
     * is never provisioned twice at once (each provisioning points the bot's webhook at its own new inbox, and
     * the node that then lost the insert would leave it pointing at nothing).
     */
    private void seedInboxes() {
        if (config.inboxes().isEmpty()) {
            return;
        }
        PgConnection lock = VirtualThreads.await(PgConnection.connect(vertx, database.connectOptions()));
        try {
            lock.query("SELECT pg_advisory_lock(" + SEED_LOCK + ")").execute().await();
            long workspaceId = workspaces.first().orElseThrow();
            List<ThroughlineConfig.InboxSeed> seeds = config.inboxes();
            for (int i = 0; i < seeds.size(); i++) {
                ThroughlineConfig.InboxSeed seed = seeds.get(i);
                try {
                    inboxService.seed(workspaceId, seed.kind(), seed.name(), seed.config());
                } catch (ThroughlineException e) {
                    // The file may list many: which one, by its place and name, not only what is wrong with it.
                    throw new IllegalStateException("the config file's inboxes[" + i + "] (" + seed.kind() + " '"
                            + seed.name() + "'): " + e.getMessage(), e);
                }
            }
        } finally {
            quietly("inbox seed lock", () -> lock.close().await(5, TimeUnit.SECONDS));
        }
    }

    private void listen(Router router) {
        HttpServerOptions options = new HttpServerOptions().setHost(config.http().host())
                .setCompressionSupported(true).setMaxWebSocketFrameSize(64 * 1024)
                // A request the framework stopped reading (a multipart part naming an illegal charset makes
                // Netty's decoder throw where nothing answers) would otherwise hold its connection for good.
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS).setIdleTimeout((int) Math.min(Integer.MAX_VALUE,
                        config.http().idleTimeout().toMillis()));
        // Vert.x shares one listening socket between servers on the same host and port and spreads connections
        // over their event loops; it cannot share port 0, so a free port is chosen first.
        port = config.http().port() == 0 ? freePort(config.http().host()) : config.http().port();
        int count = Math.max(1, Runtime.getRuntime().availableProcessors());
        for (int i = 0; i < count; i++) {
            try {
                servers.add(within(vertx.createHttpServer(options).requestHandler(router)
                        .listen(port, config.http().host()), 30, "HTTP port " + port));
            } catch (Exception e) {
                // Vert.x rethrows the bind failure as it is, a checked BindException.
                throw new IllegalStateException("cannot listen on " + config.http().host() + ":" + port
                        + " (set THROUGHLINE_HTTP_PORT to another port)", e);
            }
        }
        publicUrl = config.http().publicUrlFor(port);
    }

    /** The URL of this node's own listener, for tools on the same machine (not the public URL). */
    private String localUrl() {
        String host = config.http().host();
        if (host.isBlank() || host.equals("0.0.0.0") || host.equals("::")) {
            host = "127.0.0.1";
        } else if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return "http://" + host + ":" + port;
    }

    private static int freePort(String host) {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port on " + host, e);
        }
    }

    public int port() {
        return port;
    }

    public URI publicUrl() {
        return publicUrl;
    }

    /** Set only on the start that created the first workspace and admin. */
    public FirstStart firstStart() {
        return firstStart;
    }

    public ThroughlineConfig config() {
        return config;
    }

    public boolean embeddedDatabase() {
        return embedded != null;
    }

    /** The conversation service, for tests and tools that run its housekeeping (snooze wake-ups) themselves. */
    public ConversationService conversations() {
        return conversationService;
    }

    /** The ingest path, for tests and tools that feed messages as a connector would. */
    public IngestService ingest() {
        return ingest;
    }

    /** Uploads, downloads and the attachment store's sweep. */
    public AttachmentService attachments() {
        return attachmentService;
    }

    public WorkspaceService workspaces() {
        return workspaces;
    }

    public Database database() {
        return database;
    }

    /** The event log and this node's feed, for tools and tests that append or follow events directly. */
    public EventLog eventLog() {
        return events;
    }

    public InboxSupervisor supervisor() {
        return supervisor;
    }

    public EventFeed eventFeed() {
        return feed;
    }

    /** The pruning of the event log to {@code realtime.eventRetention}, for tests and tools. */
    public EventRetention eventRetention() {
        return eventRetention;
    }

    /** Whether widget visitors are online and what they have seen (the email fallback reads it). */
    public VisitorActivity visitorActivity() {
        return widget.activity();
    }

    /** The widget channel, for the benchmark's connection count. */
    public WidgetChannel widget() {
        return widget;
    }

    /** The demo shop page with the chat widget, when the demo widget inbox exists. */
    public Optional<URI> demoUrl() {
        return config.demo() ? DemoPage.siteKey(database.sql()).map(key -> URI.create(publicUrl + DemoPage.PATH))
                : Optional.empty();
    }

    /**
     * Graceful shutdown: stop claiming replies and end the widget's waits, stop accepting and drain HTTP, let the
     * outbox's sends finish, stop the inboxes, the realtime feed, the search index, the pool, Vert.x, and last the
     * embedded PostgreSQL.
     */
    @Override
    public void close() {
        stopping = true;
        releaseFirstStartLock();
        Duration grace = config.http().shutdownGrace();
        // Before the drain: no send starts that the end of the grace could cut off, and the widget's long polls
        // and sockets end now rather than hold the drain for their whole wait.
        if (dispatcher != null) {
            dispatcher.stopClaiming();
        }
        if (widget != null) {
            quietly("widget", widget::stop);
        }
        // All servers drain at once, within one grace: one after another took a grace each (a long poll holds its
        // server that long), past what container runtimes wait before they kill the process mid-send.
        List<Future<Void>> draining = servers.stream()
                .map(server -> server.shutdown(grace.toMillis(), TimeUnit.MILLISECONDS)).toList();
        quietly("http", () -> Future.all(draining).await(grace.toMillis() + 5_000, TimeUnit.MILLISECONDS));
        if (vertx != null) {
            timers.forEach(vertx::cancelTimer);
        }
        if (dispatcher != null) {
            quietly("outbox", () -> dispatcher.stop(grace));
        }
        if (connectors != null) {
            quietly("connector services", connectors::stopAll);
        }
        if (supervisor != null) {
            quietly("inboxes", supervisor::stop);
        }
        if (inboxChanges != null) {
            inboxChanges.cancel();
        }
        if (endpoints != null) {
            endpoints.close();
        }
        if (listener != null) {
            quietly("notification listener", listener::stop);
        }
        // The feed before the search index: once stopped it hands no late event over, so the index's last commit
        // names every seq still awaited.
        if (feed != null) {
            quietly("event feed", () -> feed.stop().await(5, TimeUnit.SECONDS));
        }
        if (searchIndex != null) {
            quietly("search index", searchIndex::close);
        }
        if (database != null) {
            quietly("database pool", database::close);
        }
        if (vertx != null) {
            quietly("vert.x", () -> vertx.close().await(10, TimeUnit.SECONDS));
        }
        if (meters != null) {
            meters.close();
        }
        if (embedded != null) {
            quietly("embedded postgresql", embedded::close);
        }
        log.info("throughline stopped");
    }

    private static <T> T within(Future<T> future, long seconds, String what) {
        try {
            return future.await(seconds, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out after " + seconds + "s waiting for " + what, e);
        }
    }

    private static void quietly(String what, ThrowingRunnable action) {
        try {
            action.run();
        } catch (Exception e) {
            log.warn("shutdown step failed step={}: {}", what, e.toString());
        }
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static void applyLogLevel(String level) {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.getLogger("io.throughline").setLevel(Level.toLevel(level, Level.INFO));
        }
    }
}
