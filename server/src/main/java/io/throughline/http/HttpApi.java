package io.throughline.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.throughline.agent.AgentService;
import io.throughline.agent.AuthService;
import io.throughline.attachment.AttachmentService;
import io.throughline.config.ThroughlineConfig;
import io.throughline.connector.ChannelConnector;
import io.throughline.connector.ChannelInbox;
import io.throughline.connector.InboxDirectory;
import io.throughline.contact.ContactService;
import io.throughline.contact.MergeService;
import io.throughline.conversation.ConversationService;
import io.throughline.inbox.ConnectorRegistry;
import io.throughline.inbox.InboxRepository;
import io.throughline.inbox.InboxService;
import io.throughline.inbox.InboxSupervisor;
import io.throughline.ingest.IngestService;
import io.throughline.realtime.EventFeed;
import io.throughline.realtime.PgListener;
import io.throughline.search.SearchIndex;
import io.throughline.search.SearchService;
import io.throughline.store.Database;
import io.throughline.store.Migrations;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** Builds the whole HTTP surface in one place: every route of the public contract and the connectors' routes. */
public final class HttpApi {

    /** Everything the routes call into. */
    public record Services(
            ThroughlineConfig config,
            Database database,
            Migrations migrations,
            AuthService auth,
            AgentService agents,
            ConversationService conversations,
            ContactService contacts,
            MergeService merges,
            InboxService inboxes,
            InboxRepository inboxRepository,
            ConnectorRegistry connectors,
            Supplier<InboxSupervisor> supervisor,
            IngestService ingest,
            AttachmentService attachments,
            EventFeed feed,
            Supplier<URI> publicUrl,
            PrometheusMeterRegistry meters,
            AtomicInteger streamsConnected,
            Path uploadDir,
            Supplier<JsonObject> extraHealthChecks,
            SearchService search,
            SearchIndex searchIndex,
            PgListener listener) {
    }

    private HttpApi() {
    }

    /**
     * The router. {@code extensions} lets other parts of the server (the widget channel) mount their routes before
     * the static files and the final 404.
     */
    public static Router router(Vertx vertx, Services s, Endpoints endpoints, Consumer<Router> extensions) {
        Router router = Router.router(vertx);
        ClientAddress clients = new ClientAddress(s.config().http().trustProxy());
        BodyHandler body = BodyHandler.create(false).setBodyLimit(s.config().http().maxBodySize());

        router.route().handler(new RequestLog());
        router.route().handler(rc -> {
            rc.response().putHeader("X-Content-Type-Options", "nosniff")
                    .putHeader("Referrer-Policy", "strict-origin-when-cross-origin")
                    .putHeader("X-Frame-Options", "DENY");
            rc.next();
        });
        router.route("/api/*").handler(rc -> {
            rc.response().putHeader("Cache-Control", "no-store");
            rc.next();
        });

        new AuthRoutes(s.auth(), clients, s.publicUrl()).mount(router, endpoints, body);
        new ConversationRoutes(s.conversations()).mount(router, endpoints, body);
        new ContactRoutes(s.contacts(), s.merges()).mount(router, endpoints, body);
        new ApiChannelRoutes(s.database(), s.inboxRepository(), s.ingest(), s.attachments())
                .mount(router, endpoints, body);
        new InboxRoutes(s.inboxes()).mount(router, endpoints, body);
        new AgentRoutes(s.agents()).mount(router, endpoints, body);
        new AttachmentRoutes(s.attachments()).mount(router, endpoints, s.uploadDir());
        new SearchRoutes(s.search(), s.searchIndex()).mount(router, endpoints);
        new WebUiRoutes(s).mount(router, endpoints, body);
        new StreamRoutes(s.feed(), s.config().realtime(), s.publicUrl(), s.streamsConnected(), clients,
                s.listener()).mount(router, endpoints);
        new OpsRoutes(s.database(), s.migrations(), s.feed(), s.supervisor(), s.meters(),
                s.extraHealthChecks(), s.searchIndex()::isOperator).mount(router, endpoints);
        for (ChannelConnector connector : s.connectors().all()) {
            connector.routes(router, new LazyDirectory(s.supervisor()));
        }
        extensions.accept(router);

        // GET and HEAD only, so that a wrong method on an API path still answers 405 rather than 404.
        StaticHandler files = StaticHandler.create("webroot").setIndexPage("index.html")
                .setDefaultContentEncoding("UTF-8");
        router.route().method(HttpMethod.GET).method(HttpMethod.HEAD).handler(HttpApi::documentsSandboxed)
                .handler(files);

        ProblemHandler problems = new ProblemHandler();
        router.route().failureHandler(problems);
        for (int status : new int[] {400, 404, 405, 413, 415, 500}) {
            router.errorHandler(status, problems.forStatus(status));
        }
        return router;
    }

    /** Resolves the supervisor when a connector route runs, as it starts after the router is built. */
    private record LazyDirectory(Supplier<InboxSupervisor> supervisor) implements InboxDirectory {
        @Override
        public <T extends ChannelInbox> Optional<T> find(long inboxId, Class<T> type) {
            InboxSupervisor current = supervisor.get();
            return current == null ? Optional.empty() : current.find(inboxId, type);
        }
    }

    /**
     * A document that can run script (HTML, XHTML, SVG) served as a plain file, other than the app's own document
     * (which has its policy): sandboxed, so a page that ends up among the files, or the icon opened on its own, can
     * run nothing on the app's origin.
     */
    private static void documentsSandboxed(RoutingContext rc) {
        if (WebUiRoutes.APP_DOCUMENTS.contains(rc.normalizedPath())) {
            rc.next();
            return;
        }
        rc.addHeadersEndHandler(v -> {
            String type = rc.response().headers().get("Content-Type");
            if (type != null && (type.startsWith("text/html") || type.startsWith("application/xhtml+xml")
                    || type.startsWith("image/svg+xml"))
                    && !rc.response().headers().contains("Content-Security-Policy")) {
                rc.response().headers().set("Content-Security-Policy", "sandbox; default-src 'none'");
            }
        });
        rc.next();
    }
}
