package io.throughline.contact;

import io.throughline.agent.Caller;
import io.throughline.conversation.Conversation;
import io.throughline.conversation.ConversationPatch;
import io.throughline.conversation.ConversationRepository;
import io.throughline.conversation.MessageRepository;
import io.throughline.conversation.Status;
import io.throughline.failure.Conflict;
import io.throughline.failure.Invalid;
import io.throughline.failure.NotFound;
import io.throughline.realtime.EventLog;
import io.throughline.realtime.EventType;
import io.throughline.store.Database;
import io.throughline.store.Sql;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merges two contacts into one thread, and undoes it (ARCHITECTURE.md rule 2: every merge is an event with its
 * evidence, and can be undone).
 *
 * <p>A merge moves the source's identities and messages to the target and marks the source contact and
 * conversation as merged into the target. Messages keep {@code origin_conversation_id}, so an unmerge moves back
 * exactly the messages that first landed in the source (or in anything merged into it), and with them what the
 * source's customer wrote into the merged thread since, and the replies to it (by the identities given back): the
 * target's thread keeps its own customer's story, and replies default to them again.
 */
public final class MergeService {

    private static final Logger log = LoggerFactory.getLogger(MergeService.class);

    private final Database database;
    private final ContactRepository contacts;
    private final ConversationRepository conversations;
    private final MessageRepository messages;
    private final ContactService views;
    private final EventLog events;

    public MergeService(Database database, ContactRepository contacts, ConversationRepository conversations,
                        MessageRepository messages, ContactService views, EventLog events) {
        this.database = database;
        this.contacts = contacts;
        this.conversations = conversations;
        this.messages = messages;
        this.views = views;
        this.events = events;
    }

    /** Merges {@code otherId} into {@code targetId}; returns the target contact's view. */
    public JsonObject merge(Caller caller, long targetId, long otherId) {
        if (targetId == otherId) {
            throw Invalid.field("otherContactId", "a contact cannot be merged into itself");
        }
        long workspaceId = caller.workspaceId();
        JsonObject view = database.txWithRetry(3, tx -> {
            List<Contact> locked = contacts.lock(tx, workspaceId, targetId, otherId);
            Contact target = locked.stream().filter(c -> c.id() == targetId).findFirst()
                    .orElseThrow(() -> new NotFound("no contact " + targetId + " in this workspace"));
            Contact source = locked.stream().filter(c -> c.id() == otherId).findFirst()
                    .orElseThrow(() -> new NotFound("no contact " + otherId + " in this workspace"));
            if (target.mergedIntoId() != null || source.mergedIntoId() != null) {
                throw new Conflict("one of the contacts is already merged into another");
            }
            List<Long> moved = new ArrayList<>();
            List<Long> movedClaimed = new ArrayList<>();
            List<Long> swapped = new ArrayList<>();
            List<ContactIdentity> held = contacts.lockIdentities(tx, workspaceId, targetId, otherId);
            List<ContactIdentity> targetIdentities = held.stream().filter(i -> i.contactId() == targetId).toList();
            for (ContactIdentity identity : held.stream().filter(i -> i.contactId() == otherId).toList()) {
                Optional<ContactIdentity> twin = targetIdentities.stream()
                        .filter(t -> t.kind() == identity.kind() && t.value().equals(identity.value())).findFirst();
                if (twin.isEmpty()) {
                    moved.add(identity.id());
                    if (!identity.proven()) {
                        movedClaimed.add(identity.id());
                    }
                } else if (identity.proven() && !twin.get().proven()) {
                    // The source proved what the target only claimed: the proven row moves over, the claimed one
                    // goes to the source, and an unmerge swaps them back.
                    swapped.add(twin.get().id());
                    moved.add(identity.id());
                }
            }
            contacts.exchangeIdentities(tx, workspaceId, moved, targetId, swapped, otherId);
            List<Conversation> both = conversations.lockBoth(tx, workspaceId,
                    conversations.ensureFor(tx, workspaceId, targetId).conversation().id(),
                    conversations.ensureFor(tx, workspaceId, otherId).conversation().id());
            Conversation targetConversation = both.get(0);
            Conversation sourceConversation = both.get(1);
            int movedMessages = messages.moveAll(tx, workspaceId, sourceConversation.id(), targetConversation.id());
            conversations.setMergedInto(tx, workspaceId, sourceConversation.id(), targetConversation.id());
            // The suggestions between the two, each side with the contacts merged into it before.
            JsonObject evidence = evidence(tx, workspaceId, targetId, otherId);
            contacts.closeSuggestions(tx, workspaceId, targetId, otherId, "open", "merged");
            contacts.setMergedInto(tx, workspaceId, otherId, targetId);
            // One person now: blocked if either was (merging a blocked spammer's duplicate must not let them in).
            boolean blockedTarget = tx.update("""
                    UPDATE contacts SET blocked = true, updated_at = now()
                    WHERE workspace_id = $1 AND id = $2 AND NOT blocked
                      AND EXISTS (SELECT 1 FROM contacts s WHERE s.workspace_id = $1 AND s.id = $3 AND s.blocked)""",
                    workspaceId, targetId, otherId) == 1;
            Conversation joined = conversations.refresh(tx, workspaceId, targetConversation.id());
            Conversation refreshed = carryOver(tx, caller, joined, sourceConversation);
            JsonObject carried = state(joined).equals(state(refreshed)) ? null
                    : new JsonObject().put("before", state(joined)).put("after", state(refreshed));
            long mergeId = tx.single("""
                    INSERT INTO contact_merges (workspace_id, target_contact_id, source_contact_id,
                                                moved_identity_ids, swapped_identity_ids, evidence, merged_by_agent_id,
                                                carried_over, moved_claimed_ids, blocked_target)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id""", workspaceId, targetId, otherId,
                    moved.toArray(new Long[0]), swapped.toArray(new Long[0]), evidence, caller.agentId(), carried,
                    movedClaimed.toArray(new Long[0]), blockedTarget)
                    .getLong("id");
            events.append(tx, workspaceId, EventType.CONTACT_MERGED, new JsonObject()
                    .put("mergeId", mergeId).put("contactId", targetId).put("sourceContactId", otherId)
                    .put("conversationId", targetConversation.id())
                    .put("sourceConversationId", sourceConversation.id())
                    .put("movedMessages", movedMessages).put("evidence", evidence)
                    .put("byAgentId", caller.agentId()).put("conversation", refreshed.toJson()));
            log.info("contacts merged merge={} contact={} source={} messages={} agent={}", mergeId, targetId,
                    otherId, movedMessages, caller.agentId());
            return views.view(tx, workspaceId, targetId);
        });
        return view;
    }

    /** Undoes a merge into this contact: the given one, or the newest one (a conflict once it is undone). */
    public JsonObject unmerge(Caller caller, long targetId, Long mergeId) {
        long workspaceId = caller.workspaceId();
        return database.txWithRetry(3, tx -> {
            contacts.find(tx, workspaceId, targetId)
                    .orElseThrow(() -> new NotFound("no contact " + targetId + " in this workspace"));
            // Without an id, the newest merge: when it is undone already (a double submit, a retry after a lost
            // answer), that is a conflict, never a reason to undo the one before it.
            Row merge = tx.one("""
                    SELECT id, source_contact_id, moved_identity_ids, swapped_identity_ids, carried_over, created_at,
                           undone_at, moved_claimed_ids, blocked_target
                    FROM contact_merges
                    WHERE workspace_id = $1 AND target_contact_id = $2 AND ($3::bigint IS NULL OR id = $3)
                    ORDER BY id DESC LIMIT 1 FOR UPDATE""", workspaceId, targetId, mergeId)
                    .orElseThrow(() -> new Conflict("contact " + targetId + " has no merge to undo"
                            + (mergeId == null ? "" : " with id " + mergeId)));
            if (merge.getValue("undone_at") != null) {
                throw new Conflict("merge " + merge.getLong("id") + " into contact " + targetId
                        + " was undone already");
            }
            long sourceId = merge.getLong("source_contact_id");
            Contact target = contacts.lock(tx, workspaceId, targetId, sourceId).stream()
                    .filter(c -> c.id() == targetId).findFirst().orElseThrow();
            // As in a merge: a message proving one of them commits before they are read (see lockIdentities).
            List<ContactIdentity> held = contacts.lockIdentities(tx, workspaceId, targetId, sourceId);
            if (target.mergedIntoId() != null) {
                // The absorbed messages and identities now sit with the later target: undo that merge first.
                throw new Conflict("contact " + targetId + " was itself merged into contact " + target.mergedIntoId()
                        + " since: undo that merge first");
            }
            // An identity the source only claimed, proven since (by a message in the merged thread, which stays
            // with the target): the proof stays with the target too, and the source gets its claim back. Proven by
            // the source's own customer instead, it goes back with their message (returnAddedBy, below).
            List<Long> movedClaimed = merge.getValue("moved_claimed_ids") == null ? List.of()
                    : Arrays.asList(merge.getArrayOfLongs("moved_claimed_ids"));
            List<ContactIdentity> provenSince = held.stream().filter(i -> i.contactId() == targetId && i.proven()
                    && movedClaimed.contains(i.id())).toList();
            List<Long> givenBack = new ArrayList<>(Arrays.asList(merge.getArrayOfLongs("moved_identity_ids")));
            provenSince.forEach(identity -> givenBack.remove(Long.valueOf(identity.id())));
            List<Long> takenBack = Arrays.asList(merge.getArrayOfLongs("swapped_identity_ids"));
            requireWhereTheMergeLeft(tx, workspaceId, merge.getLong("id"), targetId, givenBack, sourceId, takenBack);
            contacts.exchangeIdentities(tx, workspaceId, takenBack, targetId, givenBack, sourceId);
            for (ContactIdentity identity : provenSince) {
                contacts.attach(tx, workspaceId, sourceId, identity.kind(), identity.value(), false,
                        identity.sourceInboxId());
            }
            List<Conversation> both = conversations.lockBoth(tx, workspaceId,
                    conversations.forContact(tx, workspaceId, targetId).orElseThrow().id(),
                    conversations.forContact(tx, workspaceId, sourceId).orElseThrow().id());
            Conversation targetConversation = both.get(0);
            Conversation sourceConversation = both.get(1);
            conversations.setMergedInto(tx, workspaceId, sourceConversation.id(), null);
            Instant mergedAt = merge.getOffsetDateTime("created_at").toInstant();
            int movedBack = messages.moveBack(tx, workspaceId, targetConversation.id(), sourceConversation.id());
            contacts.setMergedInto(tx, workspaceId, sourceId, null);
            // What the source's customer wrote since, and the identities they brought in it (an address a shop
            // asserted with their message, a browser new to a signed-in customer): left on the target, its later
            // mail and replies would go astray. An identity given back brings back the messages written from it, or
            // sent to it, which may bring more: until nothing moves.
            int returned = 0;
            int moved;
            int given;
            do {
                moved = messages.moveBackSince(tx, workspaceId, targetConversation.id(), sourceConversation.id(),
                        sourceId, targetId, mergedAt);
                given = contacts.returnAddedBy(tx, workspaceId, targetId, sourceId, sourceConversation.id(),
                        mergedAt);
                movedBack += moved;
                returned += given;
            } while (moved + given > 0);
            if (returned > 0) {
                log.info("unmerge gave back identities the source's messages brought merge={} contact={} source={}"
                        + " identities={}", merge.getLong("id"), targetId, sourceId, returned);
            }
            // Undone: an agent found them two people, so the suggestion that led to the merge counts as dismissed
            // (a merge by hand later records no evidence of it).
            contacts.closeSuggestions(tx, workspaceId, targetId, sourceId, "merged", "dismissed");
            if (merge.getBoolean("blocked_target")) {
                liftBlock(tx, workspaceId, targetId, merge.getLong("id"));
            }
            Conversation refreshedTarget = giveBack(tx, caller,
                    conversations.refresh(tx, workspaceId, targetConversation.id()), merge.getLong("id"),
                    merge.getJsonObject("carried_over"), mergedAt);
            Conversation refreshedSource = reopenIfAskedSince(tx, caller,
                    conversations.refresh(tx, workspaceId, sourceConversation.id()), targetConversation, mergedAt);
            tx.update("UPDATE contact_merges SET undone_at = now(), undone_by_agent_id = $2 WHERE id = $1",
                    merge.getLong("id"), caller.agentId());
            events.append(tx, workspaceId, EventType.CONTACT_UNMERGED, new JsonObject()
                    .put("mergeId", merge.getLong("id")).put("contactId", targetId).put("restoredContactId", sourceId)
                    .put("conversationId", targetConversation.id())
                    .put("restoredConversationId", sourceConversation.id()).put("movedMessages", movedBack)
                    .put("byAgentId", caller.agentId()).put("conversation", refreshedTarget.toJson())
                    .put("restoredConversation", refreshedSource.toJson()));
            log.info("contacts unmerged merge={} contact={} restored={} messages={} agent={}", merge.getLong("id"),
                    targetId, sourceId, movedBack, caller.agentId());
            return views.view(tx, workspaceId, targetId).put("restoredContactId", sourceId);
        });
    }

    /**
     * Lifts the block an undone merge brought from its blocked source: the target's customer was never blocked for
     * themselves. Another merge into the target whose source is blocked too (a second spammer) keeps it blocked,
     * and takes the block over, so undoing that one lifts it.
     */
    private static void liftBlock(Sql tx, long workspaceId, long targetId, long mergeId) {
        Optional<Long> heir = tx.one("""
                SELECT m.id FROM contact_merges m
                JOIN contacts s ON s.workspace_id = m.workspace_id AND s.id = m.source_contact_id
                WHERE m.workspace_id = $1 AND m.target_contact_id = $2 AND m.undone_at IS NULL AND m.id <> $3
                  AND s.blocked
                ORDER BY m.id LIMIT 1""", workspaceId, targetId, mergeId).map(r -> r.getLong("id"));
        if (heir.isPresent()) {
            tx.update("UPDATE contact_merges SET blocked_target = true WHERE workspace_id = $1 AND id = $2",
                    workspaceId, heir.get());
            log.info("unmerge kept the block another blocked source's merge brings merge={} contact={} kept_by={}",
                    mergeId, targetId, heir.get());
        } else if (tx.update("""
                UPDATE contacts SET blocked = false, updated_at = now()
                WHERE workspace_id = $1 AND id = $2 AND blocked""", workspaceId, targetId) == 1) {
            log.info("unmerge unblocked the contact the merge had blocked merge={} contact={}", mergeId, targetId);
        }
    }

    /**
     * Refuses to undo a merge whose identities have moved since: a later merge into the same target can swap one
     * this merge brought to the target (a claimed copy giving way to the later source's proof of the same address).
     * Moving it back by its id would take it from that later source and leave the target holding, once that merge
     * is undone too, a copy of an address another customer proved: its email replies would go to that customer.
     * An identity deleted since (a claim wrong threading attached) is simply not moved.
     */
    private static void requireWhereTheMergeLeft(Sql tx, long workspaceId, long mergeId, long targetId,
                                                 List<Long> onTarget, long sourceId, List<Long> onSource) {
        List<Long> ids = new ArrayList<>(onTarget);
        ids.addAll(onSource);
        if (ids.isEmpty()) {
            return;
        }
        List<Long> holders = tx.list("""
                SELECT DISTINCT contact_id FROM identities
                WHERE workspace_id = $1 AND id = ANY($2)
                  AND contact_id <> CASE WHEN id = ANY($3) THEN $4::bigint ELSE $5::bigint END""",
                row -> row.getLong("contact_id"), workspaceId, ids.toArray(new Long[0]),
                onTarget.toArray(new Long[0]), targetId, sourceId);
        if (!holders.isEmpty()) {
            throw new Conflict("an identity merge " + mergeId + " brought to contact " + targetId + " has moved to"
                    + " contact " + holders.getFirst() + " since, by a later merge: undo the later merges into"
                    + " contact " + targetId + " first");
        }
    }

    /**
     * The merged thread keeps the target's state, except what would hide the source's open work: an open or
     * pending source reopens a snoozed or resolved target, a snoozed source's reminder snoozes a resolved target
     * (or wakes a snoozed one at the earlier time), its assignee stays when the target has none, and the labels
     * join. Returns the target conversation as it now stands.
     */
    private Conversation carryOver(Sql tx, Caller caller, Conversation target, Conversation source) {
        Status status = target.status();
        Instant snoozedUntil = target.snoozedUntil();
        if ((source.status() == Status.OPEN || source.status() == Status.PENDING)
                && (status == Status.SNOOZED || status == Status.RESOLVED)) {
            status = source.status();
            snoozedUntil = null;
        } else if (source.status() == Status.SNOOZED && source.snoozedUntil() != null
                && (status == Status.RESOLVED || status == Status.SNOOZED && (snoozedUntil == null
                        || source.snoozedUntil().isBefore(snoozedUntil)))) {
            status = Status.SNOOZED;
            snoozedUntil = source.snoozedUntil();
        }
        // The target's first, then the source's, within a conversation's limit (merges in a chain grew past it, and
        // every label added afterwards was refused until an agent removed some).
        Set<String> labels = new LinkedHashSet<>(target.labels());
        for (String label : source.labels()) {
            if (labels.size() >= ConversationPatch.MAX_LABELS) {
                break;
            }
            labels.add(label);
        }
        return change(tx, caller, target, status, snoozedUntil,
                target.assigneeId() != null ? target.assigneeId() : source.assigneeId(), List.copyOf(labels),
                "merged");
    }

    /**
     * Gives back what a merge carried over to the target (see {@link #carryOver}), field by field, where nobody
     * has changed it since: a status an agent set after the merge stays, and so does the open state when the
     * customer has written in the target's thread since (their question must not be hidden again). Labels the
     * merge added leave; labels added since stay. Returns the target conversation as it now stands.
     */
    private Conversation giveBack(Sql tx, Caller caller, Conversation target, long mergeId, JsonObject carried,
                                  Instant mergedAt) {
        if (carried == null) {
            return target;
        }
        JsonObject before = carried.getJsonObject("before");
        JsonObject after = carried.getJsonObject("after");
        Status status = target.status();
        Instant snoozedUntil = target.snoozedUntil();
        boolean statusAsMerged = status.wireName().equals(after.getString("status"))
                && Objects.equals(instant(after, "snoozedUntil"), snoozedUntil);
        boolean askedSince = target.lastInboundAt() != null && target.lastInboundAt().isAfter(mergedAt);
        if (statusAsMerged && !askedSince) {
            status = Status.fromWireName(before.getString("status")).orElseThrow();
            snoozedUntil = instant(before, "snoozedUntil");
        }
        Long assignee = Objects.equals(target.assigneeId(), after.getLong("assigneeId"))
                ? before.getLong("assigneeId") : target.assigneeId();
        Set<String> added = new LinkedHashSet<>(strings(after.getJsonArray("labels")));
        added.removeAll(strings(before.getJsonArray("labels")));
        // A label another merge still in effect brought (its source conversation has it) stays.
        added.removeAll(tx.list("""
                SELECT DISTINCT unnest(c.labels) AS label FROM contact_merges m
                JOIN conversations c ON c.workspace_id = m.workspace_id AND c.contact_id = m.source_contact_id
                WHERE m.workspace_id = $1 AND m.target_contact_id = $2 AND m.undone_at IS NULL AND m.id <> $3""",
                row -> row.getString("label"), target.workspaceId(), target.contactId(), mergeId));
        List<String> labels = target.labels().stream().filter(label -> !added.contains(label)).toList();
        return change(tx, caller, target, status, snoozedUntil, assignee, labels, "unmerged");
    }

    /**
     * The restored conversation, resolved or snoozed when it was merged away, opens when its customer's question
     * written during the merge came back with it and is its newest message: the question reopened the target as it
     * came, and would otherwise wait unseen among the resolved (or until the snooze ends). A target an agent resolved
     * or snoozed since (the question opened it) was dealt with there: the restored one stays as it is.
     */
    private Conversation reopenIfAskedSince(Sql tx, Caller caller, Conversation restored, Conversation target,
                                            Instant mergedAt) {
        boolean dealtWith = target.status() == Status.RESOLVED || target.status() == Status.SNOOZED;
        boolean waiting = !dealtWith && (restored.status() == Status.RESOLVED || restored.status() == Status.SNOOZED);
        Long question = restored.lastInboundMessageId();
        if (!waiting || question == null || !question.equals(restored.lastMessageId())
                || restored.lastInboundAt() == null || !restored.lastInboundAt().isAfter(mergedAt)) {
            return restored;
        }
        boolean automatic = messages.find(tx, restored.workspaceId(), question)
                .map(m -> m.flags().contains(MessageRepository.AUTO_REPLY_FLAG)).orElse(true);
        return automatic ? restored : change(tx, caller, restored, Status.OPEN, null, restored.assigneeId(),
                restored.labels(), "unmerged");
    }

    /** Sets a conversation's status, assignee and labels for a merge or unmerge, with the events agents see. */
    private Conversation change(Sql tx, Caller caller, Conversation target, Status status, Instant snoozedUntil,
                                Long assignee, List<String> labels, String reason) {
        long workspaceId = target.workspaceId();
        if (status == target.status() && Objects.equals(snoozedUntil, target.snoozedUntil())
                && Objects.equals(assignee, target.assigneeId()) && labels.equals(target.labels())) {
            return target;
        }
        ConversationRepository.Changed changed = conversations.update(tx, workspaceId, target.id(), status, assignee,
                target.priority(), labels, snoozedUntil);
        Conversation after = changed.conversation();
        JsonObject base = new JsonObject().put("conversation", after.toJson()).put("byAgentId", caller.agentId())
                .put("reason", reason);
        if (changed.statusChanged()) {
            events.append(tx, workspaceId, EventType.CONVERSATION_STATUS_CHANGED,
                    base.copy().put("previousStatus", changed.previousStatus().wireName()));
        }
        if (!Objects.equals(assignee, target.assigneeId())) {
            events.append(tx, workspaceId, EventType.ASSIGNEE_CHANGED,
                    base.copy().put("previousAssigneeId", target.assigneeId()));
        }
        if (!labels.equals(target.labels())) {
            events.append(tx, workspaceId, EventType.CONVERSATION_UPDATED, base);
        }
        return after;
    }

    /** The part of a conversation's state a merge may carry over, as recorded with the merge. */
    private static JsonObject state(Conversation conversation) {
        return new JsonObject().put("status", conversation.status().wireName())
                .put("snoozedUntil", conversation.snoozedUntil() == null ? null
                        : conversation.snoozedUntil().toString())
                .put("assigneeId", conversation.assigneeId()).put("labels", new JsonArray(conversation.labels()));
    }

    private static Instant instant(JsonObject state, String field) {
        String value = state.getString(field);
        return value == null ? null : Instant.parse(value);
    }

    private static List<String> strings(JsonArray array) {
        return array.stream().map(String.class::cast).toList();
    }

    /**
     * Why these two were merged: the open suggestion's evidence when there is one, else "by hand" (also after a
     * suggestion was dismissed, or merged and undone). Locked, so a dismissal racing the merge either lands first
     * (the merge is then by hand) or waits and finds the suggestion merged (409).
     */
    private JsonObject evidence(Sql tx, long workspaceId, long a, long b) {
        return tx.one(ContactRepository.suggestionsBetween("'open'") + """
                SELECT s.evidence FROM merge_suggestions s
                WHERE s.workspace_id = $1 AND s.id IN (SELECT id FROM pairs)
                ORDER BY s.id DESC LIMIT 1
                FOR UPDATE OF s""", workspaceId, a, b)
                .map(r -> r.getJsonObject("evidence").put("source", "suggestion"))
                .orElse(new JsonObject().put("source", "agent").put("reason", "merged by an agent"));
    }
}
