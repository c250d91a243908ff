package io.throughline.widget;

import io.throughline.attachment.Attachment;
import io.throughline.attachment.AttachmentRepository;
import io.throughline.attachment.AttachmentService;
import io.throughline.config.ThroughlineConfig;
import io.throughline.connector.Identity;
import io.throughline.connector.IdentityKind;
import io.throughline.connector.InboundAttachment;
import io.throughline.connector.InboundMessage;
import io.throughline.connector.IngestReceipt;
import io.throughline.connector.Sender;
import io.throughline.connector.StoredFile;
import io.throughline.failure.Conflict;
import io.throughline.failure.Forbidden;
import io.throughline.failure.Invalid;
import io.throughline.failure.NotFound;
import io.throughline.failure.PayloadTooLarge;
import io.throughline.http.ClientAddress;
import io.throughline.http.JsonBody;
import io.throughline.ingest.IngestService;
import io.throughline.store.Database;
import io.throughline.store.Sql;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a visitor writes and reads. Every message goes through {@link IngestService} (the single ingest path) with
 * the frame's client UUID as its external id, so a resend after a lost ack stores nothing twice; the answer (the
 * ack) is given only after the commit.
 */
final class VisitorMessages {

    private static final Logger log = LoggerFactory.getLogger(VisitorMessages.class);
    static final int MAX_ATTACHMENTS = 10;
    private static final int MAX_PAGE = 100;

    private final Database database;
    private final IngestService ingest;
    private final VisitorRepository visitors;
    private final AttachmentRepository attachments;
    private final AttachmentService files;
    private final ThroughlineConfig.Widget config;
    private final RateLimiter perVisitor;
    private final RateLimiter perIp;
    private final LongSupplier position;
    private final SiteDirectory sites;

    VisitorMessages(Database database, IngestService ingest, VisitorRepository visitors,
                    AttachmentRepository attachments, AttachmentService files, ThroughlineConfig.Widget config,
                    SiteDirectory sites, LongSupplier position, Clock clock) {
        this.database = database;
        this.sites = sites;
        this.ingest = ingest;
        this.visitors = visitors;
        this.attachments = attachments;
        this.files = files;
        this.config = config;
        this.perVisitor = new RateLimiter(clock, config.messagesPerVisitor(), config.rateWindow());
        this.perIp = new RateLimiter(clock, config.messagesPerIp(), config.rateWindow());
        this.position = position;
    }

    /** A message as the visitor's frame sends it. */
    /**
     * @param clientId the client's UUID in its canonical lower-case form, which the message is stored and shown with
     * @param asSent the client's UUID as it sent it, which its ack carries back: a client matching acks by the exact
     *     text (an upper-case UUID) clears its outbox
     */
    record Outgoing(String clientId, String asSent, String body, List<Long> attachmentIds) {
    }

    /** The committed result, which the frame takes as the ack. */
    record Ack(String clientId, long messageId, long conversationId, boolean duplicate) {
        JsonObject toJson() {
            return new JsonObject().put("clientId", clientId).put("messageId", messageId)
                    .put("status", duplicate ? "duplicate" : "stored");
        }
    }

    /** Reads and checks a message's fields, every problem at once. */
    Outgoing parse(JsonObject json) {
        List<Invalid.FieldError> errors = new ArrayList<>();
        String clientId = clientId(json.getValue("clientId"), errors);
        Object bodyValue = json.getValue("body");
        String body = "";
        if (bodyValue != null && !(bodyValue instanceof String)) {
            errors.add(new Invalid.FieldError("body", "must be a string"));
        } else if (bodyValue != null && ((String) bodyValue).indexOf('\0') >= 0) {
            // Taken out at ingest, a body of NULs would be stored empty (the HTTP body is refused for them whole).
            errors.add(new Invalid.FieldError("body", "must not contain NUL characters"));
        } else if (bodyValue != null) {
            body = ((String) bodyValue).strip();
        }
        List<Long> ids = new ArrayList<>();
        Object list = json.getValue("attachmentIds");
        if (list != null) {
            if (!(list instanceof JsonArray array) || array.size() > MAX_ATTACHMENTS) {
                errors.add(new Invalid.FieldError("attachmentIds", "must be a list of at most " + MAX_ATTACHMENTS
                        + " upload ids"));
            } else {
                for (Object value : array) {
                    Long id = JsonBody.exactLong(value);
                    if (id != null && id > 0) {
                        if (!ids.contains(id)) {
                            ids.add(id);
                        }
                    } else {
                        errors.add(new Invalid.FieldError("attachmentIds", "must hold upload ids"));
                        break;
                    }
                }
            }
        }
        if (errors.isEmpty() && body.isEmpty() && ids.isEmpty()) {
            errors.add(new Invalid.FieldError("body", "is required (or attach a file)"));
        }
        if (!errors.isEmpty()) {
            throw new Invalid("the message is invalid: " + errors.stream().map(e -> e.field() + " " + e.message())
                    .reduce((a, b) -> a + "; " + b).orElse(""), errors);
        }
        if (body.length() > config.maxMessageChars()) {
            throw new PayloadTooLarge("the message is longer than " + config.maxMessageChars() + " characters");
        }
        return new Outgoing(clientId, (String) json.getValue("clientId"), body, List.copyOf(ids));
    }

    /** Stores the message (once per client id) and returns after the commit. */
    Ack send(Viewer viewer, Outgoing message, String ip) {
        // A message stored already and sent again (every tab resends the shared outbox after a drop) costs the
        // visitor no token: counted, the copies would push its next real messages over the limit. The address
        // still pays for each request, so a script repeating one stored id is held back as any other.
        perIp.acquire(ClientAddress.limitKey(ip), "too many messages from this address; wait a moment");
        boolean storedBefore = !ingest.sinkFor(viewer.site().inbox()).stored(List.of(message.clientId())).isEmpty();
        if (!storedBefore) {
            perVisitor.acquire(viewer.visitor().publicId(), "you are sending messages too fast; wait a moment");
        }
        // The name and email of a form filled after the socket opened go with this message.
        Visitor visitor = visitors.current(database.sql(), viewer.visitor());
        InboundMessage.Builder builder = InboundMessage.builder(message.clientId(), sender(visitor))
                .text(message.body())
                .metadata(new JsonObject().put("widget", new JsonObject()
                        .put("visitorId", visitor.publicId())
                        .put("pageUrl", visitor.context().getString("pageUrl"))
                        .put("pageTitle", visitor.context().getString("pageTitle"))));
        if (!message.attachmentIds().isEmpty()) {
            // The site's settings now: a socket keeps the site it opened with, across a settings save.
            Site site = sites.byInbox(viewer.site().inbox().id()).orElse(viewer.site());
            if (!site.settings().attachments() && !storedBefore) {
                // Turned off since the files were uploaded (abuse, say): the uploads made before do not go out.
                throw new Forbidden("this chat does not accept attachments");
            }
            List<VisitorRepository.Upload> uploads = visitors.uploads(database.sql(), visitor,
                    message.attachmentIds());
            if (uploads.size() != message.attachmentIds().size()) {
                // A resend of a message stored before (its uploads cleared since) is acknowledged below as such.
                if (!storedBefore) {
                    throw Invalid.field("attachmentIds", "unknown upload ids: upload each file first");
                }
                uploads = List.of();
            }
            for (VisitorRepository.Upload upload : uploads) {
                builder.attachment(InboundAttachment.of(new StoredFile(upload.sha256(), upload.size(),
                        upload.filename(), upload.contentType())));
            }
        }
        IngestReceipt receipt = ingest.accept(viewer.site().inbox(), builder.build());
        return switch (receipt.outcome()) {
            case STORED -> {
                viewer.adopt(receipt.conversationId(), receipt.contactId());
                yield new Ack(message.asSent(), receipt.messageId(), receipt.conversationId(), false);
            }
            case DUPLICATE -> {
                // The visitor a sign-in replaced sent it: acked, but its conversation is not this visitor's to
                // follow (it may have been merged into someone else's thread since).
                boolean own = requireOwn(viewer, receipt.messageId());
                yield new Ack(message.asSent(), receipt.messageId(), own ? receipt.conversationId() : 0, true);
            }
            case BLOCKED -> throw new Forbidden("this conversation is closed");
            case NOT_FOUND -> throw new IllegalStateException("ingest answered NOT_FOUND to a new message");
        };
    }

    /**
     * An email or phone the visitor typed into the form after writing joins its contact at once, as claimed: a
     * reply it misses in the chat can then reach it by email (rule 4), without the claim opening any other thread.
     */
    void claimProfile(Viewer viewer, String email, String phone) {
        Long contact = viewer.contactId();
        if (contact == null) {
            return;
        }
        List<Identity> identities = new ArrayList<>();
        claimed(identities, IdentityKind.EMAIL, email);
        claimed(identities, IdentityKind.PHONE, phone);
        ingest.claim(viewer.site().inbox(), contact, identities,
                Identity.proven(IdentityKind.WIDGET_VISITOR, viewer.visitor().publicId()));
    }

    /**
     * The visitor's identities for ingest. Its own widget identity comes first: ingest records it as the message's
     * sender, so a reply goes back to this visitor. A proven identity then joins the customer's contact; claimed
     * ones (the pre-chat form) are only attached, and at most suggest a merge to agents.
     */
    private static Sender sender(Visitor visitor) {
        List<Identity> identities = new ArrayList<>();
        identities.add(Identity.proven(IdentityKind.WIDGET_VISITOR, visitor.publicId()));
        JsonObject identity = visitor.identity();
        if (identity != null) {
            if (identity.getString("externalId") != null) {
                identities.add(Identity.proven(IdentityKind.EXTERNAL_ID, identity.getString("externalId")));
            }
            if (identity.getString("email") != null) {
                identities.add(Identity.proven(IdentityKind.EMAIL, identity.getString("email")));
            }
        }
        JsonObject profile = visitor.profile();
        claimed(identities, IdentityKind.EMAIL, profile.getString("email"));
        claimed(identities, IdentityKind.PHONE, profile.getString("phone"));
        claimed(identities, IdentityKind.EXTERNAL_ID, profile.getString("externalId"));
        // The anonymous visitor this browser was before it identified: the agent may merge the two threads.
        claimed(identities, IdentityKind.WIDGET_VISITOR, visitor.previousPublicId());
        return new Sender(visitor.name(), identities);
    }

    private static void claimed(List<Identity> identities, IdentityKind kind, String value) {
        if (value != null && identities.stream().noneMatch(i -> i.kind() == kind && i.value().equals(value))) {
            identities.add(Identity.claimed(kind, value));
        }
    }

    /**
     * A client id can only be replayed by the visitor that first used it, or by the one that replaced it in the same
     * browser (a sign-in): the frame sends again what the previous visitor queued and never got acknowledged.
     * True when this visitor sent it.
     */
    private boolean requireOwn(Viewer viewer, long messageId) {
        String previous = viewer.visitor().previousPublicId();
        Optional<String> sender = database.sql().one("""
                SELECT metadata -> 'from' ->> 'value' AS visitor FROM messages WHERE workspace_id = $1 AND id = $2
                  AND metadata -> 'from' ->> 'kind' = 'widget_visitor'
                  AND metadata -> 'from' ->> 'value' IN ($3, $4)""",
                viewer.workspaceId(), messageId, viewer.publicId(), previous == null ? viewer.publicId() : previous)
                .map(r -> r.getString("visitor"));
        if (sender.isEmpty()) {
            log.info("widget client id reused by another visitor inbox={} visitor={}", viewer.site().inbox().id(),
                    viewer.visitor().id());
            throw new Conflict("this clientId was already used: send each message with a fresh UUID");
        }
        return sender.get().equals(viewer.publicId());
    }

    /**
     * The visitor's view of its thread, newest page first in the database and oldest first in the answer, with
     * the seq to resume the live stream from. The seq is read before the messages: anything committed in between
     * arrives again through the stream, and the frame keeps each message once by id.
     */
    JsonObject history(Viewer viewer, Long before, int limit) {
        long seq = position.getAsLong();
        int size = Math.max(1, Math.min(MAX_PAGE, limit));
        Long conversation = viewer.conversationId();
        JsonArray out = new JsonArray();
        boolean more = false;
        if (conversation != null) {
            Sql sql = database.sql();
            List<Row> rows = new ArrayList<>(page(sql, viewer, conversation, before, size + 1));
            more = rows.size() > size;
            if (more) {
                rows = rows.subList(0, size);
            }
            Map<Long, List<Attachment>> files = attachments.forMessages(sql, viewer.workspaceId(),
                    rows.stream().map(r -> r.getLong("id")).toList());
            List<JsonObject> messages = new ArrayList<>();
            for (Row row : rows) {
                messages.add(VisitorView.message(agentShape(row, files.getOrDefault(row.getLong("id"), List.of())),
                        viewer));
            }
            Collections.reverse(messages);
            messages.forEach(out::add);
        }
        return new JsonObject().put("messages", out).put("seq", seq)
                .put("nextBefore", more && !out.isEmpty() ? out.getJsonObject(0).getLong("id") : null)
                .put("seenUpTo", viewer.seenUpTo() == 0 ? null : viewer.seenUpTo());
    }

    /**
     * A page of the thread as this viewer sees it. The {@code before} cursor counts only when it is a message the
     * page could show: any other id gives an empty page, so an id's answer tells nothing of another customer's
     * messages (whether it exists, or when it was written).
     */
    private static List<Row> page(Sql sql, Viewer viewer, long conversation, Long before, int limit) {
        List<Row> rows = new ArrayList<>();
        sql.rows("""
                SELECT m.id, m.conversation_id, m.kind, m.channel, m.author_type, m.body, m.external_id, m.metadata,
                       m.created_at, m.edited_at, m.redacted_at, ag.name AS agent_name, ct.name AS contact_name
                FROM messages m
                LEFT JOIN agents ag ON ag.id = m.author_agent_id
                LEFT JOIN contacts ct ON ct.id = m.author_contact_id
                WHERE m.workspace_id = $1 AND m.conversation_id = $2 AND m.kind IN ('in', 'out')
                  AND ($3::bigint IS NULL OR (m.created_at, m.id) < (SELECT b.created_at, b.id FROM messages b
                                                                     WHERE b.workspace_id = $1 AND b.id = $3
                                                                       AND b.conversation_id = $2
                                                                       AND b.kind IN ('in', 'out')"""
                + own(viewer, "b") + "))" + own(viewer, "m") + " ORDER BY m.created_at DESC, m.id DESC LIMIT $4",
                viewer.wholeThread() ? new Object[] {viewer.workspaceId(), conversation, before, limit}
                        : new Object[] {viewer.workspaceId(), conversation, before, limit, viewer.publicId()})
                .forEach(rows::add);
        return rows;
    }

    /** What a viewer who is not shown the whole thread sees of it: their own chat, {@code $5} their public id. */
    private static String own(Viewer viewer, String alias) {
        return viewer.wholeThread() ? "" : """
                 AND %1$s.channel = 'widget'
                 AND ((%1$s.kind = 'in' AND %1$s.metadata -> 'from' ->> 'kind' = 'widget_visitor'
                       AND %1$s.metadata -> 'from' ->> 'value' = $5)
                   OR (%1$s.kind = 'out' AND %1$s.metadata -> 'to' ->> 'kind' = 'widget_visitor'
                       AND %1$s.metadata -> 'to' ->> 'value' = $5))""".formatted(alias);
    }

    private static JsonObject agentShape(Row row, List<Attachment> files) {
        JsonArray attachmentJson = new JsonArray();
        files.forEach(a -> attachmentJson.add(a.toJson()));
        String authorType = row.getString("author_type");
        return new JsonObject()
                .put("id", row.getLong("id"))
                .put("kind", row.getString("kind"))
                .put("channel", row.getString("channel"))
                .put("externalId", row.getString("external_id"))
                .put("metadata", row.getJsonObject("metadata"))
                .put("author", new JsonObject().put("type", authorType).put("name",
                        "agent".equals(authorType) ? row.getString("agent_name") : row.getString("contact_name")))
                .put("body", row.getString("body"))
                .put("attachments", attachmentJson)
                .put("createdAt", Visitor.instant(row.getOffsetDateTime("created_at")).toString())
                .put("editedAt", Objects.toString(Visitor.instant(row.getOffsetDateTime("edited_at")), null))
                .put("redactedAt", Objects.toString(Visitor.instant(row.getOffsetDateTime("redacted_at")), null));
    }

    /** A file of a message this visitor may see; 404 for any other (its existence is not revealed). */
    AttachmentService.Download attachment(Viewer viewer, long id) {
        Row row = database.sql().one("""
                SELECT m.conversation_id, m.kind, m.channel, m.metadata
                FROM attachments a JOIN messages m ON m.id = a.message_id
                WHERE a.workspace_id = $1 AND a.id = $2""", viewer.workspaceId(), id)
                .orElseThrow(() -> new NotFound("no attachment " + id));
        JsonObject message = new JsonObject().put("kind", row.getString("kind")).put("channel", row.getString("channel"))
                .put("metadata", row.getJsonObject("metadata"));
        if (!viewer.sees(row.getLong("conversation_id"), message)) {
            throw new NotFound("no attachment " + id);
        }
        return files.download(viewer.workspaceId(), id);
    }

    /** Validates a client id: a UUID, kept in its canonical lower-case form. */
    private static String clientId(Object value, List<Invalid.FieldError> errors) {
        if (!(value instanceof String text) || text.length() != 36) {
            errors.add(new Invalid.FieldError("clientId", "must be a UUID the frame generated for this message"));
            return null;
        }
        try {
            return UUID.fromString(text).toString().toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            errors.add(new Invalid.FieldError("clientId", "must be a UUID the frame generated for this message"));
            return null;
        }
    }

    void sweep() {
        perVisitor.sweep();
        perIp.sweep();
    }
}
