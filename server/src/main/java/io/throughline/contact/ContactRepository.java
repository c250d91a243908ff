package io.throughline.contact;

import io.throughline.connector.Identity;
import io.throughline.connector.IdentityKind;
import io.throughline.store.Sql;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

/** SQL for contacts, identities and merge suggestions. Every statement is scoped by workspace. */
public final class ContactRepository {

    public Contact insert(Sql sql, long workspaceId, String name) {
        return Contact.from(sql.single("INSERT INTO contacts (workspace_id, name) VALUES ($1, $2) RETURNING "
                + Contact.COLUMNS, workspaceId, name));
    }

    /** The other contacts holding an identity that a new claim of it suggests merging with. */
    static final int MAX_SUGGESTED = 10;
    /** The newest open suggestions a contact panel shows. */
    static final int MAX_SHOWN_SUGGESTIONS = 20;

    public Optional<Contact> find(Sql sql, long workspaceId, long id) {
        return sql.one("SELECT " + Contact.COLUMNS + " FROM contacts WHERE workspace_id = $1 AND id = $2",
                workspaceId, id).map(Contact::from);
    }

    /**
     * Locks the contacts in id order, so that two merges of the same pair cannot deadlock. A merge changes no key,
     * so the lock leaves a message's foreign key to the contact free: a message that changed one of the contact's
     * identities, which the merge then waits for, can still be written and commit.
     */
    public List<Contact> lock(Sql sql, long workspaceId, long a, long b) {
        return sql.list("SELECT " + Contact.COLUMNS + " FROM contacts WHERE workspace_id = $1 AND id IN ($2, $3)"
                + " ORDER BY id FOR NO KEY UPDATE", Contact::from, workspaceId, a, b);
    }

    /**
     * Whether the contact is proven by an identity other than a widget visitor's (a signed-in customer's id or
     * email, a Telegram account): someone who can see the whole thread, in the widget or their own channel.
     */
    public boolean provenBeyondWidget(Sql sql, long workspaceId, long id) {
        return sql.one("""
                SELECT 1 FROM identities
                WHERE workspace_id = $1 AND contact_id = $2 AND proven AND kind <> 'widget_visitor' LIMIT 1""",
                workspaceId, id).isPresent();
    }

    /** True when the contact had no name and now has this one. */
    public boolean setNameIfMissing(Sql sql, long workspaceId, long id, String name) {
        return sql.update("UPDATE contacts SET name = $3, updated_at = now() WHERE workspace_id = $1 AND id = $2"
                + " AND (name IS NULL OR name = '')", workspaceId, id, name) == 1;
    }

    public void setMergedInto(Sql sql, long workspaceId, long id, Long targetId) {
        sql.update("UPDATE contacts SET merged_into_id = $3, updated_at = now() WHERE workspace_id = $1 AND id = $2",
                workspaceId, id, targetId);
    }

    public List<ContactIdentity> identities(Sql sql, long workspaceId, long contactId) {
        return sql.list("SELECT " + ContactIdentity.COLUMNS + " FROM identities WHERE workspace_id = $1"
                + " AND contact_id = $2 ORDER BY id", ContactIdentity::from, workspaceId, contactId);
    }

    /**
     * Both contacts' identities, locked in id order: a message that made one of them proven commits before the
     * merge reads it (see {@link #lock}), or waits for the merge to commit and is then placed again.
     */
    public List<ContactIdentity> lockIdentities(Sql sql, long workspaceId, long a, long b) {
        return sql.list("SELECT " + ContactIdentity.COLUMNS + " FROM identities WHERE workspace_id = $1"
                + " AND contact_id IN ($2, $3) ORDER BY id FOR UPDATE", ContactIdentity::from, workspaceId, a, b);
    }

    /** What ingest needs about a returning customer: {@code c} is the contact, the caller adds the rest. */
    private static final String KNOWN = """
            SELECT c.id, c.name, c.blocked, c.merged_into_id, v.id AS conversation_id,
                   (SELECT json_agg(json_build_object('kind', x.kind, 'value', x.value, 'proven', x.proven))
                    FROM identities x WHERE x.contact_id = c.id) AS identities
            """;

    /**
     * The contact that proves one of these identities (the first in the given order that has an owner), with its
     * name, blocked flag, conversation and every identity: all that ingest needs about a returning customer, in one
     * query. A proven row held by a contact merged away is followed to the contact in use (see {@link #live}).
     */
    public Optional<KnownContact> provenOwnerOfAny(Sql sql, long workspaceId, List<Identity> identities) {
        for (Identity identity : identities) {
            if (!identity.proven()) {
                continue;
            }
            Optional<Row> holder = sql.one(KNOWN + """
                    FROM identities i
                    JOIN contacts c ON c.id = i.contact_id
                    LEFT JOIN conversations v ON v.contact_id = c.id
                    WHERE i.workspace_id = $1 AND i.kind = $2 AND i.value = $3 AND i.proven""",
                    workspaceId, identity.kind().wireName(), identity.value());
            if (holder.isPresent() && holder.get().getLong("merged_into_id") == null) {
                return Optional.of(KnownContact.from(holder.get(), identity));
            }
            Optional<KnownContact> followed = holder.flatMap(row -> live(sql, workspaceId, row.getLong("id")))
                    .flatMap(live -> sql.one(KNOWN + """
                            FROM contacts c
                            LEFT JOIN conversations v ON v.contact_id = c.id
                            WHERE c.workspace_id = $1 AND c.id = $2""", workspaceId, live)
                            .map(row -> KnownContact.from(row, identity)));
            if (followed.isPresent()) {
                return followed;
            }
        }
        return Optional.empty();
    }

    /** The contact holding this proven identity, or the one it was merged into (see {@link #live}). */
    public Optional<Long> provenOwner(Sql sql, long workspaceId, IdentityKind kind, String value) {
        return sql.one("""
                SELECT c.id, c.merged_into_id FROM identities i JOIN contacts c ON c.id = i.contact_id
                WHERE i.workspace_id = $1 AND i.kind = $2 AND i.value = $3 AND i.proven""",
                workspaceId, kind.wireName(), value)
                .flatMap(r -> r.getLong("merged_into_id") == null ? Optional.of(r.getLong("id"))
                        : live(sql, workspaceId, r.getLong("id")));
    }

    /**
     * A blocked contact (merges followed) proving any of these identities, if there is one: one query for them all,
     * and a lookup more only for an owner merged away.
     */
    public Optional<Long> blockedProvenOwner(Sql sql, long workspaceId, List<Identity> identities) {
        List<Identity> proven = identities.stream().filter(Identity::proven).toList();
        if (proven.isEmpty()) {
            return Optional.empty();
        }
        for (Row owner : sql.rows("""
                SELECT c.id, c.merged_into_id, c.blocked FROM unnest($2::text[], $3::text[]) AS s(kind, value)
                JOIN identities i ON i.workspace_id = $1 AND i.kind = s.kind AND i.value = s.value AND i.proven
                JOIN contacts c ON c.id = i.contact_id""", workspaceId,
                proven.stream().map(i -> i.kind().wireName()).toArray(String[]::new),
                proven.stream().map(Identity::value).toArray(String[]::new))) {
            if (owner.getLong("merged_into_id") == null) {
                if (owner.getBoolean("blocked")) {
                    return Optional.of(owner.getLong("id"));
                }
                continue;
            }
            Optional<Long> live = live(sql, workspaceId, owner.getLong("id"))
                    .filter(id -> find(sql, workspaceId, id).map(Contact::blocked).orElse(false));
            if (live.isPresent()) {
                return live;
            }
        }
        return Optional.empty();
    }

    /**
     * The contact in use for one that may have been merged away, following merges. A proven identity normally moves
     * with its merge, but a merge that raced the message proving it can leave the proven row with the contact merged
     * away (the merge had read that contact's identities before the proof committed): its customer belongs where
     * the merge put that contact. Only looked up when a contact is merged: the usual lookup stays one query. Empty
     * for a chain of merges longer than 32.
     */
    public Optional<Long> live(Sql sql, long workspaceId, long contactId) {
        return ContactLinks.activeContactIfAny(sql, workspaceId, contactId);
    }

    /** Active (not merged away) contacts other than {@code exceptContactId} holding this identity in any form. */
    public List<ContactIdentity> holders(Sql sql, long workspaceId, IdentityKind kind, String value,
                                         long exceptContactId) {
        // The proven holder first, then the newest claims, and no more than MAX_SUGGESTED: every new visitor typing
        // one address (a script, a shared office address) would otherwise suggest a merge with each earlier one.
        return sql.list("""
                SELECT i.id, i.contact_id, i.kind, i.value, i.proven, i.source_inbox_id, i.created_at
                FROM identities i JOIN contacts c ON c.id = i.contact_id
                WHERE i.workspace_id = $1 AND i.kind = $2 AND i.value = $3 AND i.contact_id <> $4
                  AND c.merged_into_id IS NULL
                ORDER BY i.proven DESC, i.id DESC LIMIT $5""", ContactIdentity::from, workspaceId, kind.wireName(),
                value, exceptContactId, MAX_SUGGESTED);
    }

    /**
     * Adds an identity to a contact, or upgrades its claimed copy to proven. Returns the row when something
     * changed, empty when the contact already had it as strong.
     */
    public Optional<ContactIdentity> attach(Sql sql, long workspaceId, long contactId, IdentityKind kind,
                                            String value, boolean proven, Long sourceInboxId) {
        return sql.one("""
                INSERT INTO identities (workspace_id, contact_id, kind, value, proven, source_inbox_id, proven_at)
                VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $5 THEN now() END)
                ON CONFLICT (contact_id, kind, value) DO UPDATE SET proven = true, proven_at = now()
                    WHERE $5 AND NOT identities.proven
                RETURNING id, contact_id, kind, value, proven, source_inbox_id, created_at""",
                workspaceId, contactId, kind.wireName(), value, proven, sourceInboxId).map(ContactIdentity::from);
    }

    /**
     * Notes the message whose arrival attached these identities (the ones this transaction inserted) or proved them
     * (a claimed one this transaction upgraded).
     */
    public void addedBy(Sql tx, long workspaceId, List<ContactIdentity> added, long messageId) {
        tx.update("""
                UPDATE identities
                SET added_by_message_id = CASE WHEN created_at = now() AND added_by_message_id IS NULL THEN $3
                                               ELSE added_by_message_id END,
                    proven_by_message_id = CASE WHEN proven AND proven_at = now() THEN $3
                                                ELSE proven_by_message_id END
                WHERE workspace_id = $1 AND id = ANY($2)""",
                workspaceId, added.stream().map(ContactIdentity::id).toArray(Long[]::new), messageId);
    }

    /**
     * Notes the contact's identity that attached these outside a message ({@code by}: a visitor that typed them into
     * the chat's form), for an unmerge to give them back with it ({@link #returnAddedBy}).
     */
    public void addedByIdentity(Sql tx, long workspaceId, List<ContactIdentity> added, long contactId, Identity by) {
        if (added.isEmpty() || by == null) {
            return;
        }
        tx.update("""
                UPDATE identities SET added_by_identity_id = (
                    SELECT b.id FROM identities b WHERE b.workspace_id = $1 AND b.contact_id = $3 AND b.kind = $4
                      AND b.value = $5)
                WHERE workspace_id = $1 AND id = ANY($2)""",
                workspaceId, added.stream().map(ContactIdentity::id).toArray(Long[]::new), contactId,
                by.kind().wireName(), by.value());
    }

    /**
     * Gives a contact back the identities its own messages attached to another contact while the two were merged:
     * those on {@code fromContactId} attached since {@code mergedAt} by a message that now sits in
     * {@code conversationId}, the restored contact's (what the merge itself moved is given back by its own record),
     * and those proven since by such a message (a claim the merge moved, which the restored contact's customer
     * proved while merged), and those its own identities attached outside a message since (an address its visitor
     * typed into the chat's form). Where the restored contact holds the same identity already, the better of the two
     * stays with it (proven over claimed). Returns how many left the target (moved, or dropped as a copy the restored
     * contact holds as well).
     */
    public int returnAddedBy(Sql tx, long workspaceId, long fromContactId, long toContactId, long conversationId,
                             Instant mergedAt) {
        Long[] ids = tx.list("""
                SELECT i.id FROM identities i
                WHERE i.workspace_id = $1 AND i.contact_id = $2
                  AND (i.created_at > $4 AND EXISTS (SELECT 1 FROM messages m WHERE m.workspace_id = $1
                                                      AND m.id = i.added_by_message_id AND m.conversation_id = $3)
                       OR i.proven AND i.proven_at > $4
                          AND EXISTS (SELECT 1 FROM messages m WHERE m.workspace_id = $1
                                      AND m.id = i.proven_by_message_id AND m.conversation_id = $3)
                       OR i.created_at > $4 AND EXISTS (SELECT 1 FROM identities b WHERE b.workspace_id = $1
                                                         AND b.id = i.added_by_identity_id AND b.contact_id = $5))
                FOR UPDATE OF i""", row -> row.getLong("id"), workspaceId, fromContactId, conversationId,
                mergedAt.atOffset(ZoneOffset.UTC), toContactId).toArray(new Long[0]);
        if (ids.length == 0) {
            return 0;
        }
        // Held as well or better by the restored contact: this copy goes. Held worse (claimed, this one proven):
        // that copy goes, and this one moves.
        tx.update("""
                DELETE FROM identities i USING identities c
                WHERE i.workspace_id = $1 AND i.id = ANY($2) AND c.workspace_id = $1 AND c.contact_id = $3
                  AND c.kind = i.kind AND c.value = i.value AND (c.proven OR NOT i.proven)""",
                workspaceId, ids, toContactId);
        tx.update("""
                DELETE FROM identities c USING identities i
                WHERE c.workspace_id = $1 AND c.contact_id = $3 AND NOT c.proven
                  AND i.workspace_id = $1 AND i.id = ANY($2) AND i.proven AND c.kind = i.kind AND c.value = i.value""",
                workspaceId, ids, toContactId);
        tx.update("UPDATE identities SET contact_id = $3 WHERE workspace_id = $1 AND id = ANY($2)",
                workspaceId, ids, toContactId);
        // Each left the target, moved or dropped as a copy: either way, messages from it may now move back.
        return ids.length;
    }

    /** Removes a contact's claimed copy of an identity (one that wrong threading attached); proven ones stay. */
    public boolean removeClaimed(Sql sql, long workspaceId, long contactId, IdentityKind kind, String value) {
        return sql.update("DELETE FROM identities WHERE workspace_id = $1 AND contact_id = $2 AND kind = $3"
                + " AND value = $4 AND NOT proven", workspaceId, contactId, kind.wireName(), value) == 1;
    }

    public void moveIdentities(Sql sql, long workspaceId, List<Long> identityIds, long toContactId) {
        if (!identityIds.isEmpty()) {
            sql.update("UPDATE identities SET contact_id = $3 WHERE workspace_id = $1 AND id = ANY($2)",
                    workspaceId, identityIds.toArray(new Long[0]), toContactId);
        }
    }

    /**
     * Moves identities both ways between two contacts in one step. A proven identity replacing its claimed copy
     * means two rows with the same (kind, value) cross each other, and the unique index on (contact, kind, value)
     * is checked row by row, so the rows going to the source are parked under a value no identity has, and get
     * their own value back once both sides have moved.
     */
    public void exchangeIdentities(Sql sql, long workspaceId, List<Long> toTarget, long targetId,
                                   List<Long> toSource, long sourceId) {
        Long[] parked = toSource.toArray(new Long[0]);
        List<Row> values = parked.length == 0 ? List.of() : sql.list("SELECT id, value FROM identities"
                + " WHERE workspace_id = $1 AND id = ANY($2)", row -> row, workspaceId, parked);
        if (parked.length > 0) {
            sql.update("UPDATE identities SET value = 'parked:' || id WHERE workspace_id = $1 AND id = ANY($2)",
                    workspaceId, parked);
        }
        moveIdentities(sql, workspaceId, toTarget, targetId);
        moveIdentities(sql, workspaceId, toSource, sourceId);
        for (Row row : values) {
            sql.update("UPDATE identities SET value = $3 WHERE workspace_id = $1 AND id = $2", workspaceId,
                    row.getLong("id"), row.getString("value"));
        }
    }

    /**
     * Records a merge suggestion once per pair, whichever way round (a unique index on the pair: a transaction
     * recording it while another one does waits for that one, then records nothing); returns its id when it is new.
     */
    public Optional<Long> suggestMerge(Sql sql, long workspaceId, long contactId, long otherContactId,
                                       JsonObject evidence) {
        return sql.one("""
                INSERT INTO merge_suggestions (workspace_id, contact_id, other_contact_id, evidence)
                VALUES ($1, $2, $3, $4)
                ON CONFLICT DO NOTHING
                RETURNING id""", workspaceId, contactId, otherContactId, evidence).map(r -> r.getLong("id"));
    }

    /**
     * Whether a reply reached this address while one of the two contacts was merged into the other, a merge
     * undone since: a reply from the conversation (any of the two contacts' conversations, as the undo may have
     * moved it back) when {@code externalId} is null, else the reply with that Message-ID.
     */
    public boolean repliedWhileMerged(Sql sql, long workspaceId, long a, long b, String kind, String value,
                                      String externalId) {
        return sql.one("""
                SELECT 1 AS found FROM contact_merges cm
                JOIN conversations c ON c.workspace_id = cm.workspace_id AND c.contact_id IN ($2, $3)
                JOIN messages m ON m.conversation_id = c.id
                JOIN deliveries d ON d.message_id = m.id
                WHERE cm.workspace_id = $1 AND cm.undone_at IS NOT NULL
                  AND ((cm.target_contact_id = $2 AND cm.source_contact_id = $3)
                    OR (cm.target_contact_id = $3 AND cm.source_contact_id = $2))
                  AND m.created_at BETWEEN cm.created_at AND cm.undone_at
                  AND d.target ->> 'kind' = $4 AND d.target ->> 'value' = $5 AND d.status IN ('sent', 'delivered')
                  AND ($6::text IS NULL OR d.external_id = $6)
                LIMIT 1""", workspaceId, a, b, kind, value, externalId).isPresent();
    }

    /**
     * The contacts a contact stands for now: itself and those merged into it, along chains of merges. A suggestion
     * stays with the two contacts it was made for; a merge makes it the live contact's.
     */
    static String membersOf(String name, String contactParam) {
        return name + """
                (id) AS (
                    SELECT %s::bigint
                    UNION
                    SELECT c.id FROM contacts c JOIN %s m ON c.merged_into_id = m.id WHERE c.workspace_id = $1
                )""".formatted(contactParam, name);
    }

    /**
     * The suggestions in status {@code status} (a parameter or a literal) between two contacts as they stand, {@code
     * $2} and {@code $3} each with the contacts merged into it: a CTE {@code pairs(id)}. Joined on each side's own
     * index, not tested row by row.
     */
    static String suggestionsBetween(String status) {
        return "WITH RECURSIVE " + membersOf("a_side", "$2") + ", " + membersOf("b_side", "$3") + """
                , pairs AS (
                    SELECT s.id FROM merge_suggestions s
                    JOIN a_side a ON s.contact_id = a.id JOIN b_side b ON s.other_contact_id = b.id
                    WHERE s.workspace_id = $1 AND s.status = %1$s
                    UNION ALL
                    SELECT s.id FROM merge_suggestions s
                    JOIN b_side b ON s.contact_id = b.id JOIN a_side a ON s.other_contact_id = a.id
                    WHERE s.workspace_id = $1 AND s.status = %1$s
                )
                """.formatted(status);
    }

    /**
     * Open suggestions for the contact or one merged into it, each shown at the contact its other side lives in
     * now (the newest per contact), with that contact's name. One made for a contact merged away meanwhile stays
     * in sight; one whose two sides are one contact now is not shown.
     */
    public List<JsonObject> openSuggestions(Sql sql, long workspaceId, long contactId) {
        return sql.list("WITH RECURSIVE " + membersOf("members", "$2") + """
                , candidates AS (
                    SELECT s.id, s.evidence, s.created_at, s.other_contact_id AS far_id
                    FROM merge_suggestions s JOIN members m ON s.contact_id = m.id
                    WHERE s.workspace_id = $1 AND s.status = 'open'
                    UNION ALL
                    SELECT s.id, s.evidence, s.created_at, s.contact_id AS far_id
                    FROM merge_suggestions s JOIN members m ON s.other_contact_id = m.id
                    WHERE s.workspace_id = $1 AND s.status = 'open'
                ), up (suggestion_id, far_id, id, merged_into_id, depth) AS (
                    SELECT c.id, c.far_id, o.id, o.merged_into_id, 0 FROM candidates c JOIN contacts o ON o.id = c.far_id
                    UNION ALL
                    SELECT up.suggestion_id, up.far_id, o.id, o.merged_into_id, up.depth + 1
                    FROM up JOIN contacts o ON o.id = up.merged_into_id WHERE up.depth < 32
                ), shown AS (
                    SELECT DISTINCT ON (up.id) c.id, c.evidence, c.created_at, up.id AS other_id
                    FROM candidates c
                    JOIN up ON up.suggestion_id = c.id AND up.far_id = c.far_id AND up.merged_into_id IS NULL
                    WHERE up.id NOT IN (SELECT id FROM members)
                    ORDER BY up.id, c.id DESC
                )
                SELECT shown.*, o.name AS other_name FROM shown JOIN contacts o ON o.id = shown.other_id
                ORDER BY shown.id DESC LIMIT $3""", row -> new JsonObject()
                        .put("id", row.getLong("id"))
                        .put("otherContactId", row.getLong("other_id"))
                        .put("otherContactName", row.getString("other_name"))
                        .put("evidence", row.getJsonObject("evidence"))
                        .put("createdAt", row.getOffsetDateTime("created_at").toInstant().toString()),
                workspaceId, contactId, MAX_SHOWN_SUGGESTIONS).reversed();
    }

    /**
     * Sets to {@code status} the suggestions that are {@code from} now ('open', or 'merged' on undo) between the two
     * contacts as they stand (each with those merged into it). Called while the two are apart: before a merge joins
     * them, after an unmerge parts them.
     */
    public void closeSuggestions(Sql sql, long workspaceId, long a, long b, String from, String status) {
        sql.update(suggestionsBetween("$5") + """
                UPDATE merge_suggestions SET status = $4
                WHERE workspace_id = $1 AND id IN (SELECT id FROM pairs)""",
                workspaceId, a, b, status, from);
    }
}
