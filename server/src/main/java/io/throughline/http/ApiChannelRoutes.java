package io.throughline.http;

import io.throughline.apichannel.ApiConnector;
import io.throughline.attachment.AttachmentService;
import io.throughline.connector.Identity;
import io.throughline.connector.IdentityKind;
import io.throughline.connector.InboundMessage;
import io.throughline.connector.IngestReceipt;
import io.throughline.connector.Sender;
import io.throughline.contact.Identities;
import io.throughline.failure.Conflict;
import io.throughline.failure.Invalid;
import io.throughline.failure.NotFound;
import io.throughline.failure.Unauthorized;
import io.throughline.failure.Unavailable;
import io.throughline.inbox.Inbox;
import io.throughline.inbox.InboxRepository;
import io.throughline.ingest.IngestService;
import io.throughline.store.Database;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The API channel's endpoints, authenticated by the inbox token: {@code POST /api/v1/inboxes/{id}/inbound}
 * ingests a customer message from another system, and the attachments of replies can be fetched with the same
 * token.
 */
final class ApiChannelRoutes {

    private static final int MAX_IDENTITIES = 10;
    /** How deeply an inbound message's metadata may nest. */
    private static final int MAX_METADATA_DEPTH = 32;
    /** When a paused inbox's sender is told to try again. */
    private static final Duration PAUSED_RETRY = Duration.ofMinutes(1);

    private final Database database;
    private final InboxRepository inboxes;
    private final IngestService ingest;
    private final AttachmentService attachments;

    ApiChannelRoutes(Database database, InboxRepository inboxes, IngestService ingest,
                     AttachmentService attachments) {
        this.database = database;
        this.inboxes = inboxes;
        this.ingest = ingest;
        this.attachments = attachments;
    }

    void mount(Router router, Endpoints endpoints, BodyHandler body) {
        router.post("/api/v1/inboxes/:id/inbound").handler(body).handler(endpoints.open(rc -> {
            Inbox inbox = authenticate(rc);
            InboundMessage message = message(JsonBody.withoutNul(rc));
            IngestReceipt receipt = ingest.accept(inbox.ref(), message);
            if (receipt.outcome() == IngestReceipt.Outcome.DUPLICATE) {
                requireSameMessage(inbox.workspaceId(), receipt.messageId(), message);
            }
            JsonObject answer = new JsonObject()
                    .put("outcome", receipt.outcome().name().toLowerCase(Locale.ROOT))
                    .put("duplicate", receipt.duplicate())
                    .put("messageId", receipt.messageId() == 0 ? null : receipt.messageId())
                    .put("conversationId", receipt.conversationId() == 0 ? null : receipt.conversationId())
                    .put("contactId", receipt.contactId() == 0 ? null : receipt.contactId());
            return receipt.outcome() == IngestReceipt.Outcome.STORED ? Reply.created(answer) : Reply.ok(answer);
        }));
        router.get("/api/v1/inboxes/:id/attachments/:attachmentId").handler(endpoints.open(rc -> {
            Inbox inbox = authenticate(rc);
            long attachmentId = Params.pathId(rc, "attachmentId");
            boolean related = database.sql().one("""
                    SELECT 1 FROM attachments a JOIN messages m ON m.id = a.message_id
                    WHERE a.workspace_id = $1 AND a.id = $2
                      AND (m.inbox_id = $3 OR EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id
                                                      AND d.inbox_id = $3))""",
                    inbox.workspaceId(), attachmentId, inbox.id()).isPresent();
            if (!related) {
                throw new NotFound("no attachment " + attachmentId + " in this inbox");
            }
            return AttachmentRoutes.fileReply(attachments.download(inbox.workspaceId(), attachmentId),
                    rc.request().getHeader("Range"), rc.request().getHeader("If-None-Match"));
        }));
    }

    /**
     * A repeated {@code externalId} must carry the message stored under it, from the same sender: a sender
     * numbering messages wrongly (one id per order, say) would otherwise see each later message answered as stored,
     * and lose it, even a "Thanks!" another customer wrote. A message an agent removed since (its text is gone) is
     * taken as the same; one stored before messages recorded their sender is compared by its text.
     */
    private void requireSameMessage(long workspaceId, long messageId, InboundMessage message) {
        database.sql().one("SELECT body, redacted_at IS NOT NULL AS redacted, metadata -> 'from' AS sender"
                + " FROM messages WHERE workspace_id = $1 AND id = $2", workspaceId, messageId).ifPresent(stored -> {
                    if (stored.getBoolean("redacted")) {
                        return;
                    }
                    // Stored as sent: the body's limit here is below ingest's cap, and NUL is refused before. The
                    // sender is stored by its first identity, normalized as ingest normalizes it; a retry built
                    // again from the sender's data may name the same identities in another order, or one more.
                    Object from = stored.getValue("sender");
                    boolean sameSender = !(from instanceof JsonObject sender) || message.sender().identities()
                            .stream().map(Identities::normalize)
                            .anyMatch(i -> i.kind().wireName().equals(sender.getString("kind"))
                                    && i.value().equals(sender.getString("value")));
                    if (!sameSender || !stored.getString("body").equals(message.text())) {
                        throw new Conflict("externalId " + message.externalId() + " names another message already"
                                + " stored in this inbox: give each message its own externalId");
                    }
                });
    }

    private Inbox authenticate(RoutingContext rc) {
        long id = Params.pathId(rc, "id");
        String token = BearerToken.of(rc.request().getHeader("Authorization")).orElse(null);
        if (token == null) {
            throw new Unauthorized("send the inbox token as Authorization: Bearer <token>");
        }
        Inbox inbox = inboxes.findAnyWorkspace(database.sql(), id)
                .filter(i -> ApiConnector.KIND.equals(i.kind()))
                .orElseThrow(() -> new Unauthorized("the token does not open this inbox"));
        if (!ApiConnector.tokenMatches(inbox.config(), token)) {
            throw new Unauthorized("the token does not open this inbox");
        }
        if (!inbox.enabled()) {
            // A pause, not a conflict: a sender retries a 503 (with Retry-After), and drops a 409 as a duplicate.
            throw new Unavailable("inbox " + id + " is paused: it takes messages again once an admin enables it",
                    PAUSED_RETRY);
        }
        return inbox;
    }

    /** How deeply objects and arrays nest in a JSON value (a scalar is 0). */
    static int depth(Object value) {
        int deepest = 0;
        if (value instanceof JsonObject object) {
            for (Map.Entry<String, Object> member : object) {
                deepest = Math.max(deepest, depth(member.getValue()));
            }
            return deepest + 1;
        }
        if (value instanceof JsonArray array) {
            for (Object item : array) {
                deepest = Math.max(deepest, depth(item));
            }
            return deepest + 1;
        }
        return 0;
    }

    private static InboundMessage message(JsonBody json) {
        String externalId = json.requiredString("externalId", 255);
        String text = json.requiredString("body", ConversationRoutes.MAX_BODY_CHARS);
        String subject = json.optionalString("subject", 998);
        var sentAt = json.optionalInstant("sentAt");
        JsonObject metadata = json.optionalObject("metadata");
        JsonObject contact = json.optionalObject("contact");
        Sender sender = null;
        if (contact == null) {
            if (!json.hasError("contact")) {
                json.error("contact", "is required, with at least one identity");
            }
        } else {
            JsonBody contactJson = JsonBody.wrap(contact);
            sender = sender(contactJson);
            json.absorb("contact.", contactJson);
        }
        if (metadata != null && metadata.encode().length() > 16_384) {
            json.error("metadata", "must be at most 16 KB of JSON");
        } else if (metadata != null && depth(metadata) > MAX_METADATA_DEPTH) {
            // Messages and events wrap it a few levels deeper, and JSON writers stop at a thousand.
            json.error("metadata", "must nest at most " + MAX_METADATA_DEPTH + " levels deep");
        }
        json.validate();
        return InboundMessage.builder(externalId, sender).text(text).subject(subject).sentAt(sentAt)
                .metadata(metadata == null ? new JsonObject() : new JsonObject().put("api", metadata)).build();
    }

    private static Sender sender(JsonBody contact) {
        String name = contact.optionalString("name", 200);
        JsonArray list = contact.optionalArray("identities", MAX_IDENTITIES);
        List<Identity> identities = new ArrayList<>();
        if (list == null || list.isEmpty()) {
            contact.error("identities", "needs at least one {kind, value}");
            return null;
        }
        for (int i = 0; i < list.size(); i++) {
            String field = "identities[" + i + "]";
            if (!(list.getValue(i) instanceof JsonObject item)) {
                contact.error(field, "must be an object {kind, value}");
                continue;
            }
            JsonBody entry = JsonBody.wrap(item);
            String kindText = entry.requiredString("kind", 32);
            String value = entry.requiredString("value", 320);
            Boolean proven = entry.optionalBoolean("proven");
            contact.absorb(field + ".", entry);
            IdentityKind kind = kindText == null ? null : IdentityKind.fromWireName(kindText).orElse(null);
            if (kindText != null && kind == null) {
                contact.error(field + ".kind", "must be one of email, telegram, widget_visitor, phone, external_id");
            }
            if (kind != null && value != null) {
                try {
                    // The calling system authenticated with the inbox token: what it asserts counts as proven,
                    // unless it says the customer only typed it. A Telegram account or a widget visitor is proven
                    // by its own channel only: another system naming one (someone else's, by mistake or not)
                    // would otherwise put its message in that customer's thread, and in their chat window.
                    boolean ownChannelOnly = kind == IdentityKind.TELEGRAM || kind == IdentityKind.WIDGET_VISITOR;
                    identities.add(new Identity(kind, Identities.normalize(kind, value),
                            !ownChannelOnly && (proven == null || proven)));
                } catch (Invalid e) {
                    contact.error(field + ".value", e.getMessage());
                }
            }
        }
        return identities.isEmpty() ? null : new Sender(name, identities);
    }
}
