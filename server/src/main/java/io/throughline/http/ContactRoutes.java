package io.throughline.http;

import io.throughline.connector.Texts;
import io.throughline.contact.ContactService;
import io.throughline.contact.MergeService;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;

/** {@code /api/v1/contacts}: the contact panel, renaming and blocking, merge and unmerge. */
final class ContactRoutes {

    /** As long as a name a channel gives (Telegram's first and last name, an email's display name) is kept. */
    private static final int MAX_NAME = 200;

    private final ContactService contacts;
    private final MergeService merges;

    ContactRoutes(ContactService contacts, MergeService merges) {
        this.contacts = contacts;
        this.merges = merges;
    }

    void mount(Router router, Endpoints endpoints, BodyHandler body) {
        router.get("/api/v1/contacts/:id").handler(endpoints.agent(call ->
                Reply.ok(contacts.get(call.caller(), call.pathId("id")))));
        router.patch("/api/v1/contacts/:id").handler(body).handler(endpoints.agent(call -> {
            JsonBody json = call.body();
            // On one line, as a name that comes with a message is: it reaches mail headers, events and the inbox.
            String name = Texts.oneLine(json.optionalString("name", MAX_NAME));
            if (json.has("name") && (name == null || name.isEmpty()) && !json.hasError("name")) {
                json.error("name", "must not be empty");
                name = null;
            }
            Boolean blocked = json.optionalBoolean("blocked");
            if (name == null && blocked == null && !json.hasError("name") && !json.hasError("blocked")) {
                json.error("blocked", "give name or blocked (or both)");
            }
            json.validate();
            return Reply.ok(contacts.update(call.caller(), call.pathId("id"), name, blocked));
        }));
        router.post("/api/v1/contacts/:id/merge").handler(body).handler(endpoints.agent(call -> {
            JsonBody json = call.body();
            Long other = json.optionalLong("otherContactId");
            if (other == null && json.raw().getValue("otherContactId") == null) {
                json.error("otherContactId", "is required");
            }
            json.validate();
            return Reply.ok(merges.merge(call.caller(), call.pathId("id"), other));
        }));
        router.post("/api/v1/contacts/:id/suggestions/:suggestionId/dismiss").handler(endpoints.agent(call ->
                Reply.ok(contacts.dismissSuggestion(call.caller(), call.pathId("id"), call.pathId("suggestionId")))));
        router.post("/api/v1/contacts/:id/unmerge").handler(body).handler(endpoints.agent(call -> {
            Long mergeId = null;
            if (call.rc().body() != null && call.rc().body().length() > 0) {
                JsonBody json = call.body();
                mergeId = json.optionalLong("mergeId");
                json.validate();
            }
            return Reply.ok(merges.unmerge(call.caller(), call.pathId("id"), mergeId));
        }));
    }
}
