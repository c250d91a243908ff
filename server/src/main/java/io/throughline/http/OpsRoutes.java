package io.throughline.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.throughline.agent.Caller;
import io.throughline.inbox.InboxSupervisor;
import io.throughline.realtime.EventFeed;
import io.throughline.store.Database;
import io.throughline.store.Migrations;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * {@code GET /health} (liveness plus database, migrations, event feed and inboxes, each inbox in detail only for
 * those allowed to see it) and {@code GET /metrics}.
 */
final class OpsRoutes {

    private final Database database;
    private final Migrations migrations;
    private final EventFeed feed;
    private final Supplier<InboxSupervisor> inboxes;
    private final PrometheusMeterRegistry meters;
    private final Supplier<JsonObject> extraChecks;
    private final Predicate<String> operator;

    OpsRoutes(Database database, Migrations migrations, EventFeed feed, Supplier<InboxSupervisor> inboxes,
              PrometheusMeterRegistry meters, Supplier<JsonObject> extraChecks, Predicate<String> operator) {
        this.database = database;
        this.migrations = migrations;
        this.feed = feed;
        this.inboxes = inboxes;
        this.meters = meters;
        this.extraChecks = extraChecks;
        this.operator = operator;
    }

    void mount(Router router, Endpoints endpoints) {
        router.get("/health").handler(endpoints.open(rc -> {
            Viewer viewer = viewer(rc, endpoints.authenticator());
            JsonObject checks = new JsonObject();
            boolean up = true;
            long started = System.nanoTime();
            try {
                database.sql().single("SELECT 1 AS ok");
                checks.put("database", new JsonObject().put("status", "up")
                        .put("latencyMs", (System.nanoTime() - started) / 1_000_000));
                Migrations.Status status = migrations.status(database.sql());
                checks.put("migrations", new JsonObject().put("status", status.upToDate() ? "up" : "down")
                        .put("applied", status.applied()).put("latestVersion", status.latestVersion())
                        .put("pending", new JsonArray(status.pending())));
                up = status.upToDate();
            } catch (RuntimeException e) {
                up = false;
                // The driver's message may name the database host and user: for those who run the server only.
                checks.put("database", viewer.operator()
                        ? new JsonObject().put("status", "down").put("detail", e.getMessage())
                        : new JsonObject().put("status", "down"));
            }
            checks.put("eventFeed", new JsonObject().put("status", "up").put("seq", feed.position())
                    .put("prunedThrough", feed.prunedThrough()));
            InboxSupervisor supervisor = inboxes.get();
            JsonArray connectors = new JsonArray();
            for (InboxSupervisor.InboxHealth inbox : supervisor == null ? List.<InboxSupervisor.InboxHealth>of()
                    : supervisor.health()) {
                up &= inbox.health().up();
                connectors.add(viewer.sees(inbox.inbox().workspaceId()) ? new JsonObject()
                        .put("inboxId", inbox.inbox().id())
                        .put("kind", inbox.inbox().kind())
                        .put("name", inbox.inbox().name())
                        .put("receivingHere", inbox.receivingHere())
                        .put("status", inbox.health().up() ? "up" : "down")
                        .put("detail", inbox.health().detail())
                        : new JsonObject().put("kind", inbox.inbox().kind())
                        .put("status", inbox.health().up() ? "up" : "down"));
            }
            checks.put("connectors", connectors);
            JsonObject extra = extraChecks.get();
            for (String name : extra.fieldNames()) {
                JsonObject check = extra.getJsonObject(name);
                // Installation-wide (documents of every workspace, a failure's text naming paths and hosts): its
                // detail is the operator's, as the database's is.
                checks.put(name, viewer.operator() ? check : new JsonObject().put("status", check.getString("status")));
                up &= !"down".equals(check.getString("status"));
            }
            return Reply.status(up ? 200 : 503, new JsonObject().put("status", up ? "up" : "down")
                    .put("checks", checks)).header("Cache-Control", "no-store");
        }));
        router.get("/metrics").handler(PrometheusScrapingHandler.create(meters));
    }

    /**
     * Who asks: an inbox's name and detail (hosts, the last refusal, which can name a customer's address) are for
     * the operator (the token of the data directory, as {@code ./throughline} sends it) and for the admins of its
     * workspace. Anyone else, a load balancer included, sees each inbox's kind and state.
     */
    private Viewer viewer(RoutingContext rc, Authenticator authenticator) {
        Optional<String> bearer = BearerToken.of(rc.request().getHeader("Authorization"));
        if (bearer.isPresent() && operator.test(bearer.get())) {
            return new Viewer(true, null);
        }
        if (bearer.isEmpty() && rc.request().getCookie(Authenticator.SESSION_COOKIE) == null) {
            return new Viewer(false, null);
        }
        try {
            return new Viewer(false, authenticator.find(rc.request()).filter(Caller::admin)
                    .map(Caller::workspaceId).orElse(null));
        } catch (RuntimeException e) {
            // The session lookup needs the database, which may be what is down: the check goes on, anonymously.
            return new Viewer(false, null);
        }
    }

    private record Viewer(boolean operator, Long workspaceId) {
        boolean sees(long workspace) {
            return operator || workspaceId != null && workspaceId == workspace;
        }
    }
}
