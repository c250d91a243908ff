package io.throughline.http;

import io.throughline.contact.ContactService;
import io.throughline.contact.MergeService;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;

/** {@code /api/v1/contacts}: the contact panel, merge and unmerge. */
final class ContactRoutes {

    private final ContactService contacts;
    private final MergeService merges;

    ContactRoutes(ContactService contacts, MergeService merges) {
        this.contacts = contacts;
        this.merges = merges;
    }

    void mount(Router router, Endpoints endpoints, BodyHandler body) {
        router.get("/api/v1/contacts/:id").handler(endpoints.agent(call ->
                Reply.ok(contacts.get(call.caller(), call.pathId("id")))));
        router.post("/api/v1/contacts/:id/merge").handler(body).handler(endpoints.agent(call -> {
            JsonBody json = call.body();
            Long other = json.optionalLong("otherContactId");
            if (other == null && json.raw().getValue("otherContactId") == null) {
                json.error("otherContactId", "is required");
            }
            json.validate();
            return Reply.ok(merges.merge(call.caller(), call.pathId("id"), other));
        }));
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
