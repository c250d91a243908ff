package io.throughline.http;

import io.throughline.connector.ChannelConnector;
import io.throughline.conversation.ConversationService;
import io.throughline.conversation.MessageHtml;
import io.throughline.conversation.ReadState;
import io.throughline.failure.Invalid;
import io.throughline.inbox.ConnectorRegistry;
import io.throughline.store.Database;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.function.Supplier;

/**
 * Small read endpoints the agent inbox needs beside the public contract: what this server offers, per-agent read
 * state (unread markers), where a reply would go, and a message's HTML as a sandboxed document.
 */
final class InboxViewRoutes {

    private static final int MAX_IDS = 200;

    private final Database database;
    private final ConversationService conversations;
    private final ConnectorRegistry connectors;
    private final Supplier<URI> publicUrl;
    private final long maxUploadBytes;
    private final ReadState reads;
    private final MessageHtml html;

    InboxViewRoutes(Database database, ConversationService conversations, ConnectorRegistry connectors,
                    Supplier<URI> publicUrl, long maxUploadBytes) {
        this.database = database;
        this.conversations = conversations;
        this.connectors = connectors;
        this.publicUrl = publicUrl;
        this.maxUploadBytes = maxUploadBytes;
        this.reads = new ReadState(database);
        this.html = new MessageHtml(database);
    }

    void mount(Router router, Endpoints endpoints, BodyHandler body) {
        router.get("/api/v1/server-info").handler(endpoints.agent(call -> {
            JsonArray kinds = new JsonArray();
            connectors.all().stream().map(ChannelConnector::kind).sorted().forEach(kinds::add);
            JsonArray channels = new JsonArray();
            database.sql().rows("SELECT DISTINCT kind FROM inboxes WHERE workspace_id = $1 AND deleted_at IS NULL"
                    + " ORDER BY kind", call.caller().workspaceId()).forEach(r -> channels.add(r.getString("kind")));
            return Reply.ok(new JsonObject()
                    .put("publicUrl", publicUrl.get().toString())
                    .put("inboxKinds", kinds)
                    .put("channels", channels)
                    .put("maxUploadBytes", maxUploadBytes));
        }));
        router.get("/api/v1/read-state").handler(endpoints.agent(call -> Reply.ok(new JsonObject()
                .put("readState", reads.of(call.caller(), ids(Params.query(call.rc(), "conversations")))))));
        router.post("/api/v1/conversations/:id/read").handler(body).handler(endpoints.agent(call -> {
            Long messageId = null;
            if (call.rc().body() != null && call.rc().body().length() > 0) {
                JsonBody json = call.body();
                messageId = json.optionalLong("messageId");
                json.validate();
            }
            return Reply.ok(reads.markRead(call.caller(), call.pathId("id"), messageId));
        }));
        router.get("/api/v1/conversations/:id/reply-options").handler(endpoints.agent(call ->
                Reply.ok(conversations.replyOptions(call.caller(), call.pathId("id")))));
        router.get("/api/v1/messages/:id/html").handler(endpoints.agent(call -> {
            boolean remote = "true".equals(Params.query(call.rc(), "remoteImages"));
            String page = html.render(call.caller(), call.pathId("id"), remote);
            return Reply.text(200, "text/html; charset=utf-8", page)
                    .header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'"
                            + " data:" + (remote ? " https: http:" : "") + "; base-uri 'none'; form-action 'none';"
                            + " frame-ancestors 'self'; sandbox allow-same-origin allow-popups"
                            + " allow-popups-to-escape-sandbox")
                    .header("X-Frame-Options", "SAMEORIGIN")
                    .header("Cache-Control", "private, no-cache");
        }));
    }

    /** A comma-separated list of conversation ids. */
    private static List<Long> ids(String text) {
        if (text == null) {
            throw Invalid.field("conversations", "is required: a comma-separated list of conversation ids");
        }
        LinkedHashSet<Long> ids = new LinkedHashSet<>();
        for (String part : text.split(",")) {
            try {
                long id = Long.parseLong(part.strip());
                if (id <= 0) {
                    throw new NumberFormatException();
                }
                ids.add(id);
            } catch (NumberFormatException e) {
                throw Invalid.field("conversations", "must be a comma-separated list of conversation ids");
            }
        }
        if (ids.size() > MAX_IDS) {
            throw Invalid.field("conversations", "at most " + MAX_IDS + " ids at once");
        }
        return new ArrayList<>(ids);
    }
}
