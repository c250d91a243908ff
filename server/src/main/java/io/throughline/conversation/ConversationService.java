package io.throughline.conversation;

import io.throughline.agent.AgentRepository;
import io.throughline.agent.Caller;
import io.throughline.agent.Tokens;
import io.throughline.attachment.AttachmentRepository;
import io.throughline.delivery.DeliveryRepository;
import io.throughline.delivery.ReplyFallbacks;
import io.throughline.failure.Conflict;
import io.throughline.failure.PreconditionFailed;
import io.throughline.failure.Invalid;
import io.throughline.failure.NotFound;
import io.throughline.realtime.EventLog;
import io.throughline.realtime.EventType;
import io.throughline.store.Database;
import io.throughline.store.Sql;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What agents do with conversations: list, read, change, reply and note. Every method is scoped to the caller's
 * workspace; an id from another workspace is simply not found.
 */
public final class ConversationService {

    private static final int WAKE_BATCH = 100;
    private static final int MAX_WAKE_BATCHES = 50;

    private static final Logger log = LoggerFactory.getLogger(ConversationService.class);
    /** The request hash of a withdrawn Idempotency-Key: never a SHA-256 in hex, so no request matches it. */
    private static final String WITHDRAWN = "withdrawn";

    private final Database database;
    private final ConversationRepository conversations;
    private final ConversationQueries queries;
    private final MessageRepository messages;
    private final MessageView views;
    private final AttachmentRepository attachments;
    private final DeliveryRepository deliveries;
    private final AgentRepository agents;
    private final ReplyRouter router;
    private final EventLog events;
    private final Runnable outboxWake;
    private final Clock clock;
    private final ReplyFallbacks fallbacks;

    public ConversationService(Database database, ConversationRepository conversations, ConversationQueries queries,
                               MessageRepository messages, MessageView views, AttachmentRepository attachments,
                               DeliveryRepository deliveries, AgentRepository agents, ReplyRouter router,
                               EventLog events, Runnable outboxWake, Clock clock, ReplyFallbacks fallbacks) {
        this.database = database;
        this.conversations = conversations;
        this.queries = queries;
        this.messages = messages;
        this.views = views;
        this.attachments = attachments;
        this.deliveries = deliveries;
        this.agents = agents;
        this.router = router;
        this.events = events;
        this.outboxWake = outboxWake;
        this.clock = clock;
        this.fallbacks = fallbacks;
    }

    /** A posted message, and whether it was a replay of an earlier request with the same Idempotency-Key. */
    public record Posted(JsonObject message, boolean replayed) {
    }

    /**
     * What withdrawing a request by its Idempotency-Key found.
     *
     * @param withdrawn true when nothing had been stored under the key: nothing is, ever (a late copy of the request
     *     is refused)
     * @param message the message stored under the key, when it was (then nothing is withdrawn: it is sent or in
     *     the outbox), else null
     */
    public record Withdrawal(boolean withdrawn, JsonObject message) {
    }

    public JsonObject list(Caller caller, ConversationFilter filter) {
        ConversationQueries.Page page = queries.list(database.sql(), caller.workspaceId(), caller.agentId(), filter);
        return new JsonObject()
                .put("conversations", new JsonArray(page.conversations()))
                .put("nextCursor", page.next() == null ? null : page.next().encode());
    }

    public JsonObject get(Caller caller, long id) {
        return queries.get(database.sql(), caller.workspaceId(), id).orElseThrow(() -> notFound(id));
    }

    public JsonObject messages(Caller caller, long id, Long before, int limit) {
        Sql sql = database.sql();
        conversations.find(sql, caller.workspaceId(), id).orElseThrow(() -> notFound(id));
        if (before != null) {
            requireCursor(sql, caller.workspaceId(), before);
        }
        List<Row> rows = new ArrayList<>(messages.page(sql, caller.workspaceId(), id, before, limit + 1));
        boolean more = rows.size() > limit;
        if (more) {
            rows = rows.subList(0, limit);
        }
        List<JsonObject> page = new ArrayList<>(views.render(sql, caller.workspaceId(), rows));
        Collections.reverse(page);
        return new JsonObject()
                .put("messages", new JsonArray(page))
                .put("nextBefore", more ? page.getFirst().getLong("id") : null);
    }

    /** The page of a thread right after a message, oldest first; {@code nextAfter} continues it. */
    public JsonObject messagesAfter(Caller caller, long id, long after, int limit) {
        Sql sql = database.sql();
        conversations.find(sql, caller.workspaceId(), id).orElseThrow(() -> notFound(id));
        requireCursor(sql, caller.workspaceId(), after);
        List<Row> rows = new ArrayList<>(messages.pageAfter(sql, caller.workspaceId(), id, after, limit + 1));
        boolean more = rows.size() > limit;
        List<JsonObject> page = views.render(sql, caller.workspaceId(), more ? rows.subList(0, limit) : rows);
        return new JsonObject()
                .put("messages", new JsonArray(page))
                .put("nextAfter", more ? page.getLast().getLong("id") : null);
    }

    /**
     * A page's cursor names a message of the workspace; one that names none read as the thread's end (an empty page
     * with no cursor on), which a client takes for "nothing older". A message moved to another thread since (a merge)
     * still places the page by its time.
     */
    private void requireCursor(Sql sql, long workspaceId, long messageId) {
        if (messages.find(sql, workspaceId, messageId).isEmpty()) {
            throw new NotFound("no message " + messageId + " in this workspace to page from");
        }
    }

    /**
     * A page of a thread centred on one message (a search hit opens the thread there), with cursors to read on in
     * both directions.
     */
    public JsonObject messagesAround(Caller caller, long id, long around, int limit) {
        Sql sql = database.sql();
        long workspaceId = caller.workspaceId();
        conversations.find(sql, workspaceId, id).orElseThrow(() -> notFound(id));
        Message centre = messages.find(sql, workspaceId, around).filter(m -> m.conversationId() == id)
                .orElseThrow(() -> new NotFound("no message " + around + " in conversation " + id));
        int olderWanted = (limit - 1) / 2;
        int newerWanted = limit - 1 - olderWanted;
        List<Row> older = new ArrayList<>(messages.page(sql, workspaceId, id, centre.id(), olderWanted + 1));
        boolean moreOlder = older.size() > olderWanted;
        if (moreOlder) {
            older = older.subList(0, olderWanted);
        }
        List<Row> newer = new ArrayList<>(messages.pageAfter(sql, workspaceId, id, centre.id(), newerWanted + 1));
        boolean moreNewer = newer.size() > newerWanted;
        if (moreNewer) {
            newer = newer.subList(0, newerWanted);
        }
        List<Row> rows = new ArrayList<>(older);
        Collections.reverse(rows);
        rows.add(messages.viewRow(sql, workspaceId, centre.id()).orElseThrow());
        rows.addAll(newer);
        List<JsonObject> page = views.render(sql, workspaceId, rows);
        return new JsonObject()
                .put("messages", new JsonArray(page))
                .put("nextBefore", moreOlder ? page.getFirst().getLong("id") : null)
                .put("nextAfter", moreNewer ? page.getLast().getLong("id") : null);
    }

    /**
     * Where a reply would go now (the routing rule's choice) and every channel the agent may pick instead, each
     * with the address or chat it reaches, or why it cannot be used. The composer shows it before sending.
     */
    public JsonObject replyOptions(Caller caller, long id) {
        Sql sql = database.sql();
        long workspaceId = caller.workspaceId();
        Conversation conversation = conversations.find(sql, workspaceId, id).orElseThrow(() -> notFound(id));
        JsonObject answer = new JsonObject();
        try {
            answer.put("default", routeJson(sql, workspaceId, router.replyChannelFor(sql, conversation, null)));
        } catch (Invalid e) {
            answer.put("default", null).put("defaultProblem", reason(e));
        }
        JsonArray options = new JsonArray();
        sql.rows("SELECT DISTINCT kind FROM inboxes WHERE workspace_id = $1 AND enabled AND deleted_at IS NULL"
                + " ORDER BY kind", workspaceId).forEach(row -> {
                    String channel = row.getString("kind");
                    try {
                        options.add(routeJson(sql, workspaceId, router.replyChannelFor(sql, conversation, channel))
                                .put("available", true));
                    } catch (Invalid e) {
                        options.add(new JsonObject().put("channel", channel).put("available", false)
                                .put("reason", reason(e)));
                    }
                });
        return answer.put("options", options);
    }

    /** A route as the composer shows it: a disabled inbox's reply waits in the outbox until it is enabled. */
    private static JsonObject routeJson(Sql sql, long workspaceId, ReplyRouter.Route route) {
        Optional<Row> inbox = sql.one("SELECT name, enabled FROM inboxes WHERE workspace_id = $1 AND id = $2",
                workspaceId, route.inboxId());
        return new JsonObject().put("channel", route.channel()).put("inboxId", route.inboxId())
                .put("inboxName", inbox.map(r -> r.getString("name")).orElse(null))
                .put("inboxEnabled", inbox.map(r -> r.getBoolean("enabled")).orElse(true))
                .put("to", route.targetJson());
    }

    private static String reason(Invalid e) {
        return e.errors().isEmpty() ? e.getMessage() : e.errors().getFirst().message();
    }

    public JsonObject update(Caller caller, long id, ConversationPatch patch) {
        return update(caller, id, patch, null);
    }

    /**
     * Changes a conversation; with {@code ifMatch} (an {@code If-Match} header), only the version it names: an agent
     * resolving what they read must not resolve a new customer message they never saw (412 instead).
     */
    public JsonObject update(Caller caller, long id, ConversationPatch patch, String ifMatch) {
        long workspaceId = caller.workspaceId();
        ConversationRepository.Changed changed = database.tx(tx -> {
            Conversation current = conversations.lock(tx, workspaceId, id).orElseThrow(() -> notFound(id));
            if (current.mergedIntoId() != null) {
                throw new Conflict("conversation " + id + " was merged into " + current.mergedIntoId());
            }
            if (ifMatch != null && !current.matches(ifMatch)) {
                throw new PreconditionFailed("conversation " + id + " changed since the version in If-Match (it is"
                        + " " + current.etag() + " now): read it again, then decide");
            }
            Long assignee = patch.assigneeSet() ? patch.assigneeId() : current.assigneeId();
            if (patch.assigneeSet() && assignee != null) {
                agents.find(tx, workspaceId, assignee).filter(a -> a.active())
                        .orElseThrow(() -> Invalid.field("assigneeId", "no active agent " + assignee
                                + " in this workspace"));
            }
            Status status = patch.status() == null ? current.status() : patch.status();
            Instant snoozedUntil = patch.snoozedUntilSet() ? patch.snoozedUntil() : current.snoozedUntil();
            // Checked when asked for: a snooze that ran out and waits for the next wake-up (every 15 s) must not
            // make an edit of the assignee or the labels fail.
            boolean snoozing = patch.snoozedUntilSet() || current.status() != Status.SNOOZED;
            if (status != Status.SNOOZED) {
                if (patch.snoozedUntilSet() && patch.snoozedUntil() != null) {
                    // Dropped without a word, it read as a snooze set.
                    throw Invalid.field("snoozedUntil", "only a snoozed conversation has one: send it with"
                            + " \"status\": \"snoozed\"");
                }
                snoozedUntil = null;
            } else if (snoozing && snoozedUntil == null) {
                // A snooze without an end is never woken by the clock (a customer's message still reopens it).
                throw Invalid.field("snoozedUntil", "is required to snooze: the time it wakes up");
            } else if (snoozing && !snoozedUntil.isAfter(Instant.now(clock))) {
                throw Invalid.field("snoozedUntil", "must be in the future");
            }
            Priority priority = patch.priority() == null ? current.priority() : patch.priority();
            List<String> labels = patch.labelsOver(current.labels());
            if (status == current.status() && Objects.equals(assignee, current.assigneeId())
                    && priority == current.priority() && labels.equals(current.labels())
                    && Objects.equals(snoozedUntil, current.snoozedUntil())) {
                // Nothing changes: the version stays, or every other tab's If-Match would fail on a change that
                // no event tells them of.
                return new ConversationRepository.Changed(current, current.status());
            }
            ConversationRepository.Changed result = conversations.update(tx, workspaceId, id, status, assignee,
                    priority, labels, snoozedUntil);
            appendChangeEvents(tx, caller, current, result);
            return result;
        });
        log.info("conversation updated conversation={} status={} assignee={}", id,
                changed.conversation().status().wireName(), changed.conversation().assigneeId());
        return get(caller, id);
    }

    private void appendChangeEvents(Sql tx, Caller caller, Conversation before,
                                    ConversationRepository.Changed result) {
        Conversation after = result.conversation();
        JsonObject base = new JsonObject().put("conversation", after.toJson()).put("byAgentId", caller.agentId());
        if (result.statusChanged()) {
            events.append(tx, after.workspaceId(), EventType.CONVERSATION_STATUS_CHANGED,
                    base.copy().put("previousStatus", result.previousStatus().wireName()));
        }
        if (!Objects.equals(before.assigneeId(), after.assigneeId())) {
            events.append(tx, after.workspaceId(), EventType.ASSIGNEE_CHANGED,
                    base.copy().put("previousAssigneeId", before.assigneeId()));
        }
        if (before.priority() != after.priority() || !before.labels().equals(after.labels())
                || !Objects.equals(before.snoozedUntil(), after.snoozedUntil())) {
            events.append(tx, after.workspaceId(), EventType.CONVERSATION_UPDATED, base);
        }
    }

    /**
     * Posts a reply (committed together with its delivery row: the outbox) or a private note. With an
     * Idempotency-Key, a repeated request returns the first message instead of sending twice.
     */
    public Posted post(Caller caller, long id, AgentMessage reply, String idempotencyKey) {
        String requestHash = Tokens.sha256Hex(id + "\n" + reply);
        Posted posted = database.txWithRetry(3, tx -> {
            if (idempotencyKey != null) {
                Optional<Posted> replay = claimKey(tx, caller, id, idempotencyKey, requestHash);
                if (replay.isPresent()) {
                    return replay.get();
                }
            }
            Conversation conversation = conversations.lock(tx, caller.workspaceId(), id)
                    .orElseThrow(() -> notFound(id));
            if (conversation.mergedIntoId() != null) {
                throw new Conflict("conversation " + id + " was merged into " + conversation.mergedIntoId()
                        + "; post there");
            }
            Message message = reply.note() ? insertNote(tx, caller, conversation, reply)
                    : insertReply(tx, caller, conversation, reply);
            if (!reply.attachmentIds().isEmpty()) {
                int claimed = attachments.claim(tx, caller.workspaceId(), caller.agentId(), reply.attachmentIds(),
                        message.id()).size();
                if (claimed != reply.attachmentIds().size()) {
                    throw Invalid.field("attachments", "unknown or already used attachment ids (an upload not yet"
                            + " sent is its uploader's)");
                }
            }
            Conversation updated = conversations.recordOutbound(tx, caller.workspaceId(), id, message.id(),
                    reply.note(), message.createdAt());
            if (idempotencyKey != null) {
                tx.update("UPDATE idempotency_keys SET message_id = $4 WHERE workspace_id = $1 AND agent_id = $2"
                        + " AND key = $3", caller.workspaceId(), caller.agentId(), idempotencyKey, message.id());
            }
            JsonObject json = views.render(tx, caller.workspaceId(),
                    messages.viewRow(tx, caller.workspaceId(), message.id()).orElseThrow());
            events.append(tx, caller.workspaceId(), EventType.MESSAGE_CREATED, new JsonObject()
                    .put("conversationId", id).put("message", json).put("conversation", updated.toJson()));
            if (!reply.note()) {
                tx.afterCommit(outboxWake);
            }
            return new Posted(json, false);
        });
        if (!posted.replayed()) {
            log.info("agent message posted conversation={} message={} kind={} agent={}", id,
                    posted.message().getLong("id"), posted.message().getString("kind"), caller.agentId());
        }
        return posted;
    }

    private Optional<Posted> claimKey(Sql tx, Caller caller, long conversationId, String key, String requestHash) {
        Optional<Row> taken = takeKey(tx, caller, key, requestHash);
        if (taken.isEmpty()) {
            return Optional.empty();
        }
        Row existing = taken.get();
        if (existing.getString("request_hash").equals(WITHDRAWN)) {
            throw new Conflict("this request was withdrawn before it was stored (its Idempotency-Key is spent):"
                    + " nothing was sent; send it again under a new key");
        }
        // A key whose message was removed since no longer knows its request: it answers with what it stored.
        if (!existing.getString("request_hash").equals(requestHash)
                && !existing.getString("request_hash").equals(MessageRepository.REDACTED_REQUEST)) {
            throw new Conflict("this Idempotency-Key was already used for a different request");
        }
        long messageId = existing.getLong("message_id");
        JsonObject json = views.render(tx, caller.workspaceId(),
                messages.viewRow(tx, caller.workspaceId(), messageId).orElseThrow());
        if (existing.getString("request_hash").equals(MessageRepository.REDACTED_REQUEST)) {
            // What the request was is gone with the text, but not where it went: a key reused for another
            // conversation is refused (a reply the client believes sent would be dropped), its own (or the one
            // it was merged into since) gets the removed message.
            long now = json.getLong("conversationId");
            if (now != conversationId && conversations.find(tx, caller.workspaceId(), conversationId)
                    .map(Conversation::mergedIntoId).filter(into -> into == now).isEmpty()) {
                throw new Conflict("this Idempotency-Key was already used for a reply in another conversation");
            }
        }
        return Optional.of(new Posted(json, true));
    }

    /**
     * Takes an agent's Idempotency-Key for a request ({@code requestHash}, or {@link #WITHDRAWN}): empty when it was
     * free and is now taken, else the row that holds it (its request hash and message). An insert waits for a
     * transaction holding the same key to end, so the row read is the committed one.
     */
    private static Optional<Row> takeKey(Sql tx, Caller caller, String key, String requestHash) {
        boolean taken = tx.one("""
                INSERT INTO idempotency_keys (workspace_id, agent_id, key, request_hash) VALUES ($1, $2, $3, $4)
                ON CONFLICT DO NOTHING RETURNING key""", caller.workspaceId(), caller.agentId(), key, requestHash)
                .isPresent();
        return taken ? Optional.empty() : Optional.of(tx.single("SELECT request_hash, message_id FROM idempotency_keys"
                + " WHERE workspace_id = $1 AND agent_id = $2 AND key = $3", caller.workspaceId(), caller.agentId(),
                key));
    }

    private Message insertNote(Sql tx, Caller caller, Conversation conversation, AgentMessage reply) {
        return messages.insert(tx, new NewMessage(caller.workspaceId(), conversation.id(), null, null,
                MessageKind.NOTE, "agent", null, caller.agentId(), reply.body(), null, null, null, null, null,
                List.of(), null)).orElseThrow();
    }

    private Message insertReply(Sql tx, Caller caller, Conversation conversation, AgentMessage reply) {
        ReplyRouter.Route route = router.replyChannelFor(tx, conversation, reply.channel());
        Message message = messages.insert(tx, new NewMessage(caller.workspaceId(), conversation.id(),
                route.inboxId(), route.channel(), MessageKind.OUT, "agent", null, caller.agentId(), reply.body(),
                null, null, null, null, new JsonObject().put("to", route.targetJson()), List.of(), null))
                .orElseThrow();
        deliveries.insert(tx, caller.workspaceId(), message.id(), route.inboxId(), route.channel(),
                route.targetJson());
        // Rule 4: a reply on a live channel the customer left falls back to email unless seen in time.
        fallbacks.afterReply(tx, caller.workspaceId(), conversation.id(), conversation.contactId(), message.id(),
                route.channel());
        return message;
    }

    /** The agent's retry button: a failed delivery goes back in the outbox with a fresh attempt budget. */
    public JsonObject retry(Caller caller, long messageId) {
        JsonObject json = database.tx(tx -> {
            Message message = messages.lockShared(tx, caller.workspaceId(), messageId)
                    .orElseThrow(() -> new NotFound("no message " + messageId + " in this workspace"));
            if (message.redactedAt() != null) {
                throw new Conflict("message " + messageId + " was removed: there is nothing to send");
            }
            if (deliveries.retry(tx, caller.workspaceId(), messageId).isEmpty()) {
                if (!deliveries.waiting(tx, caller.workspaceId(), messageId)) {
                    throw new Conflict("message " + messageId + " has no failed delivery to retry");
                }
                // Retried already (a second click, or a client's retry after a lost answer): as it is.
                return views.render(tx, caller.workspaceId(),
                        messages.viewRowForEvent(tx, caller.workspaceId(), messageId).orElseThrow());
            }
            JsonObject view = views.render(tx, caller.workspaceId(),
                    messages.viewRowForEvent(tx, caller.workspaceId(), messageId).orElseThrow());
            events.append(tx, caller.workspaceId(), EventType.DELIVERY_UPDATED,
                    MessageView.deliveryUpdated(message.conversationId(), messageId, view));
            tx.afterCommit(outboxWake);
            return view;
        });
        log.info("delivery retry requested message={} agent={}", messageId, caller.agentId());
        return json;
    }

    /**
     * Withdraws the request an agent sent under an Idempotency-Key and never heard back about (the answer was lost):
     * when nothing was stored under the key, the key is spent, so the request, should it still arrive, is refused
     * and nothing is ever sent; when it was stored, nothing changes and the stored message is returned. Either way
     * the agent knows, instead of guessing whether sending again would send twice. Withdrawing twice answers the
     * same. The key's row waits for a post holding it to commit or roll back, so the answer is never a guess.
     */
    public Withdrawal withdraw(Caller caller, String key) {
        Withdrawal withdrawal = database.tx(tx -> {
            Optional<Row> existing = takeKey(tx, caller, key, WITHDRAWN);
            if (existing.isEmpty() || existing.get().getString("request_hash").equals(WITHDRAWN)) {
                return new Withdrawal(true, null);
            }
            return new Withdrawal(false, views.render(tx, caller.workspaceId(),
                    messages.viewRow(tx, caller.workspaceId(), existing.get().getLong("message_id")).orElseThrow()));
        });
        log.info("agent request withdrawn agent={} withdrawn={} message={}", caller.agentId(),
                withdrawal.withdrawn(), withdrawal.message() == null ? null : withdrawal.message().getLong("id"));
        return withdrawal;
    }

    /**
     * Forgets Idempotency-Keys (and withdrawn ones) after 35 days: longer than the web UI keeps an unconfirmed
     * reply to send again or withdraw (30 days), so neither ever meets a key already forgotten.
     */
    public int expireIdempotencyKeys() {
        return database.sql().update("DELETE FROM idempotency_keys WHERE created_at < now() - interval '35 days'");
    }

    /**
     * Reopens snoozed conversations whose time has come, a hundred per transaction, until none is left (at most
     * {@value #MAX_WAKE_BATCHES} batches a run); called periodically. A snooze preset ("tomorrow at 9") puts many
     * on one instant: a hundred per run would wake a thousand over two and a half minutes.
     */
    public int wakeSnoozed() {
        int woken = 0;
        for (int batch = 0; batch < MAX_WAKE_BATCHES; batch++) {
            int done = wakeSnoozedBatch();
            woken += done;
            if (done < WAKE_BATCH) {
                break;
            }
        }
        return woken;
    }

    private int wakeSnoozedBatch() {
        return database.tx(tx -> {
            List<Conversation> due = conversations.dueSnoozed(tx, WAKE_BATCH);
            for (Conversation conversation : due) {
                ConversationRepository.Changed changed = conversations.update(tx, conversation.workspaceId(),
                        conversation.id(), Status.OPEN, conversation.assigneeId(), conversation.priority(),
                        conversation.labels(), null);
                events.append(tx, conversation.workspaceId(), EventType.CONVERSATION_STATUS_CHANGED,
                        new JsonObject().put("conversation", changed.conversation().toJson())
                                .put("previousStatus", Status.SNOOZED.wireName()).put("reason", "snooze ended"));
            }
            return due.size();
        });
    }

    private static NotFound notFound(long id) {
        return new NotFound("no conversation " + id + " in this workspace");
    }
}
