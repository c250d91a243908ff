package io.throughline.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.throughline.inbox.InboxSupervisor;
import io.throughline.realtime.EventFeed;
import io.throughline.store.Database;
import io.throughline.store.Migrations;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.util.function.Supplier;

/** {@code GET /health} (liveness plus database, migrations, event feed and inboxes) and {@code GET /metrics}. */
final class OpsRoutes {

    private final Database database;
    private final Migrations migrations;
    private final EventFeed feed;
    private final Supplier<InboxSupervisor> inboxes;
    private final PrometheusMeterRegistry meters;
    private final Supplier<JsonObject> extraChecks;

    OpsRoutes(Database database, Migrations migrations, EventFeed feed, Supplier<InboxSupervisor> inboxes,
              PrometheusMeterRegistry meters, Supplier<JsonObject> extraChecks) {
        this.database = database;
        this.migrations = migrations;
        this.feed = feed;
        this.inboxes = inboxes;
        this.meters = meters;
        this.extraChecks = extraChecks;
    }

    void mount(Router router, Endpoints endpoints) {
        router.get("/health").handler(endpoints.open(rc -> {
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
                checks.put("database", new JsonObject().put("status", "down").put("detail", e.getMessage()));
            }
            checks.put("eventFeed", new JsonObject().put("status", "up").put("seq", feed.position()));
            InboxSupervisor supervisor = inboxes.get();
            JsonArray connectors = supervisor == null ? new JsonArray() : supervisor.health();
            checks.put("connectors", connectors);
            for (Object connector : connectors) {
                if ("down".equals(((JsonObject) connector).getString("status"))) {
                    up = false;
                }
            }
            JsonObject extra = extraChecks.get();
            for (String name : extra.fieldNames()) {
                JsonObject check = extra.getJsonObject(name);
                checks.put(name, check);
                up &= !"down".equals(check.getString("status"));
            }
            return Reply.status(up ? 200 : 503, new JsonObject().put("status", up ? "up" : "down")
                    .put("checks", checks)).header("Cache-Control", "no-store");
        }));
        router.get("/metrics").handler(PrometheusScrapingHandler.create(meters));
    }
}
