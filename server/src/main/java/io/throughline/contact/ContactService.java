package io.throughline.contact;

import io.throughline.agent.Caller;
import io.throughline.conversation.ConversationRepository;
import io.throughline.failure.Conflict;
import io.throughline.failure.NotFound;
import io.throughline.realtime.EventLog;
import io.throughline.realtime.EventType;
import io.throughline.store.Database;
import io.throughline.store.Sql;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The contact panel: a contact with its identities, merge suggestions and merges. */
public final class ContactService {

    private static final Logger log = LoggerFactory.getLogger(ContactService.class);

    private final Database database;
    private final ContactRepository contacts;
    private final ConversationRepository conversations;
    private final EventLog events;

    public ContactService(Database database, ContactRepository contacts, ConversationRepository conversations,
                          EventLog events) {
        this.database = database;
        this.contacts = contacts;
        this.conversations = conversations;
        this.events = events;
    }

    public JsonObject get(Caller caller, long id) {
        return view(database.sql(), caller.workspaceId(), id);
    }

    /**
     * Renames or blocks (unblocks) a contact. A blocked contact's new messages, on any channel, are refused before
     * anything is stored (the ingest path checks it); what is in the thread stays. A contact merged away is
     * changed through the one it was merged into.
     *
     * @param name the new name, or null to keep it
     * @param blocked the new state, or null to keep it
     */
    public JsonObject update(Caller caller, long id, String name, Boolean blocked) {
        long workspaceId = caller.workspaceId();
        // Retried as merges and undos are: a block locks the contact, then its merges' rows, which an undo takes in
        // the other order, and PostgreSQL breaks the deadlock by failing one of the two.
        return database.txWithRetry(3, tx -> {
            Contact contact = contacts.find(tx, workspaceId, id)
                    .orElseThrow(() -> new NotFound("no contact " + id + " in this workspace"));
            if (contact.mergedIntoId() != null) {
                throw new Conflict("contact " + id + " was merged into contact " + contact.mergedIntoId()
                        + ": change that one");
            }
            // Re-checked in the write: a merge committing since the read would leave the change on a contact
            // merged away (and the customer, now the target's, unchanged).
            if (tx.update("""
                    UPDATE contacts SET name = coalesce($3, name), blocked = coalesce($4, blocked), updated_at = now()
                    WHERE workspace_id = $1 AND id = $2 AND merged_into_id IS NULL""",
                    workspaceId, id, name, blocked) == 0) {
                throw new Conflict("contact " + id + " was merged into another contact meanwhile: change that one");
            }
            if (blocked != null) {
                // An agent's own decision: undoing a merge no longer lifts a block that merge had brought.
                tx.update("UPDATE contact_merges SET blocked_target = false WHERE workspace_id = $1"
                        + " AND target_contact_id = $2 AND undone_at IS NULL AND blocked_target", workspaceId, id);
            }
            JsonObject change = new JsonObject().put("contactId", id).put("byAgentId", caller.agentId())
                    .put("contact", new JsonObject().put("id", id).put("name", name != null ? name : contact.name()));
            if (blocked != null && blocked != contact.blocked()) {
                change.put("reason", blocked ? "blocked" : "unblocked");
            } else {
                change.put("reason", "renamed");
            }
            events.append(tx, workspaceId, EventType.CONTACT_UPDATED, change);
            return view(tx, workspaceId, id);
        });
    }

    /**
     * An agent says the two contacts of a merge suggestion are not the same person: the suggestion leaves both
     * panels, and the same evidence never suggests them again (the pair keeps one suggestion row). A suggestion
     * that was merged is undone by undoing the merge; dismissing one already dismissed answers the same.
     */
    public JsonObject dismissSuggestion(Caller caller, long contactId, long suggestionId) {
        long workspaceId = caller.workspaceId();
        return database.tx(tx -> {
            contacts.find(tx, workspaceId, contactId)
                    .orElseThrow(() -> new NotFound("no contact " + contactId + " in this workspace"));
            // The panel shows the suggestions of the contacts merged into this one too: those are its own.
            Row suggestion = tx.one("WITH RECURSIVE " + ContactRepository.membersOf("members", "$3") + """

                    SELECT s.status, CASE WHEN s.contact_id IN (SELECT id FROM members) THEN s.other_contact_id
                                          ELSE s.contact_id END AS far_id
                    FROM merge_suggestions s
                    WHERE s.workspace_id = $1 AND s.id = $2
                      AND (s.contact_id IN (SELECT id FROM members) OR s.other_contact_id IN (SELECT id FROM members))
                    FOR UPDATE OF s""", workspaceId, suggestionId, contactId)
                    .orElseThrow(() -> new NotFound("no merge suggestion " + suggestionId + " for contact "
                            + contactId));
            String status = suggestion.getString("status");
            if ("merged".equals(status)) {
                throw new Conflict("merge suggestion " + suggestionId + " was merged: undo the merge instead");
            }
            if ("open".equals(status)) {
                tx.update("UPDATE merge_suggestions SET status = 'dismissed' WHERE workspace_id = $1 AND id = $2",
                        workspaceId, suggestionId);
                long far = suggestion.getLong("far_id");
                long other = ContactLinks.activeContactIfAny(tx, workspaceId, far).orElse(far);
                // The panel shows one suggestion per pair of contacts as they stand: the others between the same
                // two go with it, or the next would take its place.
                if (other != contactId) {
                    contacts.closeSuggestions(tx, workspaceId, contactId, other, "open", "dismissed");
                }
                events.append(tx, workspaceId, EventType.CONTACT_UPDATED, new JsonObject().put("contactId", contactId)
                        .put("otherContactId", other).put("reason", "suggestion_dismissed")
                        .put("suggestionId", suggestionId).put("byAgentId", caller.agentId()));
                log.info("merge suggestion dismissed suggestion={} contact={} other={} agent={}", suggestionId,
                        contactId, other, caller.agentId());
            }
            return view(tx, workspaceId, contactId);
        });
    }

    JsonObject view(Sql sql, long workspaceId, long id) {
        Contact contact = contacts.find(sql, workspaceId, id)
                .orElseThrow(() -> new NotFound("no contact " + id + " in this workspace"));
        JsonArray identities = new JsonArray();
        contacts.identities(sql, workspaceId, id).forEach(i -> identities.add(i.toJson()));
        JsonArray merges = new JsonArray();
        sql.rows("""
                SELECT m.id, m.source_contact_id, c.name, m.evidence, m.created_at, m.undone_at
                FROM contact_merges m JOIN contacts c ON c.id = m.source_contact_id
                WHERE m.workspace_id = $1 AND m.target_contact_id = $2 ORDER BY m.id DESC""", workspaceId, id)
                .forEach(row -> merges.add(new JsonObject()
                        .put("id", row.getLong("id"))
                        .put("sourceContactId", row.getLong("source_contact_id"))
                        .put("sourceContactName", row.getString("name"))
                        .put("evidence", row.getJsonObject("evidence"))
                        .put("createdAt", row.getOffsetDateTime("created_at").toInstant().toString())
                        .put("undone", row.getOffsetDateTime("undone_at") != null)));
        return new JsonObject()
                .put("id", contact.id())
                .put("name", contact.name())
                .put("attributes", contact.attributes())
                .put("blocked", contact.blocked())
                .put("mergedIntoId", contact.mergedIntoId())
                .put("createdAt", contact.createdAt().toString())
                .put("conversationId", conversations.forContact(sql, workspaceId, id).map(c -> c.id()).orElse(null))
                .put("identities", identities)
                .put("mergeSuggestions", new JsonArray(contacts.openSuggestions(sql, workspaceId, id)))
                .put("merges", merges);
    }
}
