package io.throughline.http;

import io.throughline.inbox.InboxService;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.regex.Pattern;

/** {@code /api/v1/inboxes} for admins: create (secrets shown once), read, change, delete, test the connection. */
final class InboxRoutes {

    private static final Pattern KIND = Pattern.compile("[a-z][a-z0-9_]{0,31}");
    private static final int MAX_NAME = 120;

    private final InboxService inboxes;

    InboxRoutes(InboxService inboxes) {
        this.inboxes = inboxes;
    }

    void mount(Router router, Endpoints endpoints, BodyHandler body) {
        router.get("/api/v1/inboxes").handler(endpoints.agent(call ->
                Reply.ok(new JsonObject().put("inboxes", inboxes.list(call.caller())))));
        router.post("/api/v1/inboxes").handler(body).handler(endpoints.agent(call -> {
            call.caller().requireAdmin();
            JsonBody json = call.body();
            String kind = json.requiredString("kind", 32);
            String name = json.requiredString("name", MAX_NAME);
            JsonObject config = json.optionalObject("config");
            if (kind != null && !KIND.matcher(kind).matches()) {
                json.error("kind", "must be an inbox kind such as api, widget, email or telegram");
            }
            json.validate();
            InboxService.Created created = inboxes.create(call.caller(), kind, name.strip(),
                    config == null ? new JsonObject() : config);
            JsonObject answer = created.inbox().copy();
            created.minted().forEach(answer::put);
            return Reply.created(answer).header("Cache-Control", "no-store");
        }));
        router.get("/api/v1/inboxes/:id").handler(endpoints.agent(call ->
                Reply.ok(inboxes.get(call.caller(), call.pathId("id")))));
        router.patch("/api/v1/inboxes/:id").handler(body).handler(endpoints.agent(call -> {
            call.caller().requireAdmin();
            JsonBody json = call.body();
            String name = json.optionalNonBlank("name", MAX_NAME);
            JsonObject config = json.optionalObject("config");
            Boolean enabled = json.optionalBoolean("enabled");
            json.validate();
            return Reply.ok(inboxes.update(call.caller(), call.pathId("id"),
                    new InboxService.Change(name == null ? null : name.strip(), config, enabled)))
                    .header("Cache-Control", "no-store");
        }));
        router.delete("/api/v1/inboxes/:id").handler(endpoints.agent(call -> {
            inboxes.delete(call.caller(), call.pathId("id"));
            return Reply.noContent();
        }));
        router.post("/api/v1/inboxes/:id/test").handler(body).handler(endpoints.agent(call -> {
            call.caller().requireAdmin();
            JsonObject candidate = null;
            if (call.rc().body() != null && call.rc().body().length() > 0) {
                JsonBody json = call.body();
                candidate = json.optionalObject("config");
                json.validate();
            }
            return Reply.ok(inboxes.testConnection(call.caller(), call.pathId("id"), candidate));
        }));
    }
}
