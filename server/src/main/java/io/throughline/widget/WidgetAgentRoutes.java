package io.throughline.widget;

import io.throughline.agent.Caller;
import io.throughline.conversation.Conversation;
import io.throughline.failure.NotFound;
import io.throughline.http.Endpoints;
import io.throughline.http.JsonBody;
import io.throughline.http.Reply;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Instant;
import java.util.List;

/**
 * What agents and admins do with the widget: see whether a conversation's visitor is online and how far they have
 * read, tell the visitor they are typing, and get a widget inbox's snippet again.
 */
final class WidgetAgentRoutes {

    private final WidgetChannel channel;

    WidgetAgentRoutes(WidgetChannel channel) {
        this.channel = channel;
    }

    void mount(Router router, Endpoints endpoints) {
        BodyHandler body = BodyHandler.create(false).setBodyLimit(4096);
        router.get("/api/v1/conversations/:id/visitors").handler(endpoints.agent(call ->
                Reply.ok(visitors(call.caller(), call.pathId("id")))));
        router.post("/api/v1/conversations/:id/typing").handler(body).handler(endpoints.agent(call -> {
            Conversation conversation = conversation(call.caller(), call.pathId("id"));
            JsonBody json = call.body();
            Boolean typing = json.optionalBoolean("typing");
            if (typing == null) {
                json.error("typing", "is required: true or false");
            }
            json.validate();
            channel.agentTyping(conversation.workspaceId(), conversation.id(), call.caller().agentId(),
                    call.caller().name(), typing);
            return Reply.noContent();
        }));
        router.get("/api/v1/inboxes/:id/widget").handler(endpoints.agent(call -> {
            call.caller().requireAdmin();
            long id = call.pathId("id");
            String siteKey = channel.database().sql().one("SELECT config ->> 'siteKey' AS site_key FROM inboxes"
                    + " WHERE workspace_id = $1 AND id = $2 AND kind = 'widget' AND deleted_at IS NULL",
                    call.caller().workspaceId(), id).map(r -> r.getString("site_key"))
                    .orElseThrow(() -> new NotFound("no widget inbox " + id + " in this workspace"));
            String base = channel.publicUrl().get().toString();
            return Reply.ok(new JsonObject().put("inboxId", id).put("siteKey", siteKey)
                    .put("snippet", WidgetConnector.snippet(channel.publicUrl().get(), siteKey))
                    .put("loaderUrl", base + "/widget.js")
                    .put("frameUrl", base + "/widget/v1/frame?siteKey=" + siteKey));
        }));
    }

    private Conversation conversation(Caller caller, long id) {
        return channel.conversations().find(channel.database().sql(), caller.workspaceId(), id)
                .orElseThrow(() -> new NotFound("no conversation " + id + " in this workspace"));
    }

    /** The conversation's widget visitors (one per browser), newest first, and their presence taken together. */
    private JsonObject visitors(Caller caller, long id) {
        Conversation conversation = conversation(caller, id);
        // Driven by the contact's identities, each half by its own index: an OR of the two subqueries made
        // PostgreSQL test every visitor of the workspace (90 days of them) each time a conversation opened.
        List<Visitor> visitors = channel.database().sql().list("SELECT " + Visitor.COLUMNS + """
                 FROM widget_visitors v
                WHERE v.id IN (SELECT w.id FROM identities i
                                 JOIN widget_visitors w ON w.workspace_id = i.workspace_id AND w.public_id = i.value
                               WHERE i.workspace_id = $1 AND i.contact_id = $2 AND i.kind = 'widget_visitor'
                               UNION ALL
                               SELECT w.id FROM identities i
                                 JOIN widget_visitors w ON w.workspace_id = i.workspace_id
                                                       AND w.principal_kind = i.kind AND w.principal_value = i.value
                               WHERE i.workspace_id = $1 AND i.contact_id = $2 AND i.proven
                                 AND i.kind <> 'widget_visitor')
                ORDER BY v.last_seen_at DESC NULLS LAST, v.id DESC LIMIT 20""", Visitor::from,
                caller.workspaceId(), conversation.contactId());
        JsonArray list = new JsonArray();
        boolean online = false;
        Instant lastSeenAt = null;
        Long lastSeenMessageId = null;
        for (Visitor v : visitors) {
            online |= v.online();
            if (v.lastSeenAt() != null && (lastSeenAt == null || v.lastSeenAt().isAfter(lastSeenAt))) {
                lastSeenAt = v.lastSeenAt();
            }
            if (v.lastReadMessageId() != null
                    && (lastSeenMessageId == null || v.lastReadMessageId() > lastSeenMessageId)) {
                lastSeenMessageId = v.lastReadMessageId();
            }
            JsonObject context = v.context();
            list.add(new JsonObject()
                    .put("visitorId", v.publicId())
                    .put("online", v.online())
                    .put("lastSeenAt", text(v.lastSeenAt()))
                    .put("lastSeenMessageId", v.lastReadMessageId())
                    .put("lastSeenMessageAt", text(v.lastReadAt()))
                    .put("identified", v.identified())
                    .put("name", v.name())
                    .put("email", v.identified() ? v.identity().getString("email") : v.profile().getString("email"))
                    .put("page", new JsonObject().put("url", context.getString("pageUrl"))
                            .put("title", context.getString("pageTitle")))
                    .put("locale", context.getString("locale"))
                    .put("userAgent", context.getString("userAgent"))
                    .put("ip", context.getString("ip"))
                    .put("createdAt", text(v.createdAt())));
        }
        return new JsonObject().put("online", online).put("lastSeenAt", text(lastSeenAt))
                .put("lastSeenMessageId", lastSeenMessageId).put("visitors", list);
    }

    private static String text(Instant value) {
        return value == null ? null : value.toString();
    }
}
