package io.throughline.widget;

import io.throughline.agent.Tokens;
import io.throughline.connector.IdentityKind;
import io.throughline.contact.ContactRepository;
import io.throughline.store.Sql;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** SQL for widget visitors and their pending uploads. */
final class VisitorRepository {

    /** A contact {@code ct} and its open conversation, for {@link #thread}: the caller adds the rest. */
    private static final String THREAD = """
            SELECT ct.id AS contact_id, ct.blocked, ct.merged_into_id, c.id AS conversation_id
            """;

    /** Where a visitor's thread is: the contact that owns its principal identity, and that contact's conversation. */
    record Thread(long contactId, Long conversationId, boolean blocked) {
    }

    /** A file a visitor uploaded and may attach to a message. */
    record Upload(long id, String sha256, long size, String filename, String contentType) {
    }

    /** @param provenWith the site's {@link WidgetSettings#proofKey()}, kept with a signed identity */
    Visitor insert(Sql sql, long workspaceId, long inboxId, String publicId, byte[] tokenHash, IdentityKind kind,
                   String value, JsonObject identity, JsonObject profile, JsonObject context, String previous,
                   String provenWith) {
        return Visitor.from(sql.single("""
                INSERT INTO widget_visitors (workspace_id, inbox_id, public_id, token_hash, principal_kind,
                                             principal_value, identity, profile, context, previous_public_id,
                                             proven_at, proven_with)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $7::jsonb IS NULL THEN NULL ELSE now() END,
                        CASE WHEN $7::jsonb IS NULL THEN NULL ELSE $11 END)
                RETURNING""" + " " + Visitor.COLUMNS, workspaceId, inboxId, publicId,
                Buffer.buffer(tokenHash), kind.wireName(), value, identity, profile, context,
                previous, provenWith));
    }

    Optional<Visitor> byToken(Sql sql, byte[] tokenHash) {
        return sql.one("SELECT " + Visitor.COLUMNS + " FROM widget_visitors WHERE token_hash = $1",
                Buffer.buffer(tokenHash)).map(Visitor::from);
    }

    /**
     * A token that can no longer be resumed (its visitor identified, logged out, or is someone else now) stops
     * working: a copy of it left in a shared browser or a backup must not keep opening that visitor's thread.
     */
    void retireToken(Sql sql, long visitorId) {
        sql.update("UPDATE widget_visitors SET token_hash = $2 WHERE id = $1", visitorId,
                Buffer.buffer(Tokens.sha256("retired:" + Tokens.random(32))));
    }

    /** A visitor and the hash of its current token (a retired token's is random). */
    record WithToken(Visitor visitor, byte[] tokenHash) {
    }

    Optional<WithToken> byIdWithToken(Sql sql, long id) {
        return sql.one("SELECT " + Visitor.COLUMNS + ", token_hash FROM widget_visitors WHERE id = $1", id)
                .map(row -> new WithToken(Visitor.from(row), row.getBuffer("token_hash").getBytes()));
    }

    /**
     * The visitor as stored now: a socket holds the row it read at connect, and the pre-chat form, a proof of the
     * identity again or another tab may have changed it since.
     */
    Visitor current(Sql sql, Visitor visitor) {
        return sql.one("SELECT " + Visitor.COLUMNS + " FROM widget_visitors WHERE workspace_id = $1 AND id = $2",
                visitor.workspaceId(), visitor.id()).map(Visitor::from).orElse(visitor);
    }

    /** Records where the visitor is now (page, locale, user agent, IP) and that the token was used. */
    Visitor touch(Sql sql, long workspaceId, long id, JsonObject context) {
        return Visitor.from(sql.single("UPDATE widget_visitors SET context = context || $3, last_active_at = now()"
                + " WHERE workspace_id = $1 AND id = $2 RETURNING " + Visitor.COLUMNS, workspaceId, id, context));
    }

    /** The site proved the visitor's identity again (it may carry a new name or email). */
    Visitor proven(Sql sql, long workspaceId, long id, JsonObject identity, String provenWith) {
        return Visitor.from(sql.single("UPDATE widget_visitors SET identity = $3, proven_at = now(), proven_with = $4"
                + " WHERE workspace_id = $1 AND id = $2 RETURNING " + Visitor.COLUMNS, workspaceId, id, identity,
                provenWith));
    }

    Visitor mergeProfile(Sql sql, long workspaceId, long id, JsonObject profile) {
        return Visitor.from(sql.single("UPDATE widget_visitors SET profile = profile || $3"
                + " WHERE workspace_id = $1 AND id = $2 RETURNING " + Visitor.COLUMNS, workspaceId, id, profile));
    }

    /**
     * The contact that proves the visitor's identity (followed through merges) and its conversation: the one holding
     * its principal, else, for a site that signs an id and an email, the one holding the email (a customer known so
     * far by the address only, from their mail, whom the visitor's first message joins, as ingest does).
     */
    Optional<Thread> thread(Sql sql, Visitor visitor) {
        Optional<Row> held = holder(sql, visitor.workspaceId(), visitor.principalKind(), visitor.principalValue());
        String signedEmail = visitor.identity() == null ? null : visitor.identity().getString("email");
        if (held.isEmpty() && visitor.principalKind() == IdentityKind.EXTERNAL_ID && signedEmail != null) {
            held = holder(sql, visitor.workspaceId(), IdentityKind.EMAIL, signedEmail);
        }
        if (held.isPresent() && held.get().getLong("merged_into_id") != null) {
            held = new ContactRepository().live(sql, visitor.workspaceId(), held.get().getLong("contact_id"))
                    .flatMap(live -> sql.one(THREAD + """
                            FROM contacts ct
                            LEFT JOIN conversations c ON c.contact_id = ct.id AND c.merged_into_id IS NULL
                            WHERE ct.workspace_id = $1 AND ct.id = $2""", visitor.workspaceId(), live));
        }
        return held.map(r -> new Thread(r.getLong("contact_id"), r.getLong("conversation_id"),
                r.getBoolean("blocked")));
    }

    private static Optional<Row> holder(Sql sql, long workspaceId, IdentityKind kind, String value) {
        return sql.one(THREAD + """
                FROM identities i
                JOIN contacts ct ON ct.id = i.contact_id
                LEFT JOIN conversations c ON c.contact_id = ct.id AND c.merged_into_id IS NULL
                WHERE i.workspace_id = $1 AND i.kind = $2 AND i.value = $3 AND i.proven""",
                workspaceId, kind.wireName(), value);
    }

    /**
     * Deletes up to {@code limit} visitors that never wrote (no contact holds their widget identity), are offline,
     * and have had no session since {@code cutoff}; their pending uploads and presence rows go with them. Also
     * deletes uploads no message took within a day. Spans every workspace: it is housekeeping, not tenant reads.
     */
    int forgetIdle(Sql sql, Instant cutoff, int limit) {
        int visitors = sql.update("""
                DELETE FROM widget_visitors WHERE id IN (
                    SELECT v.id FROM widget_visitors v
                    WHERE v.last_active_at < $1 AND NOT v.online
                      AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.workspace_id = v.workspace_id
                                      AND i.kind = 'widget_visitor' AND i.value = v.public_id)
                    LIMIT $2)""", cutoff, limit);
        sql.update("DELETE FROM widget_uploads WHERE created_at < now() - interval '1 day'");
        return visitors;
    }

    /** The bytes the visitor uploaded in the last day (the rows kept). */
    long uploadedToday(Sql sql, Visitor visitor) {
        return sql.single("""
                SELECT coalesce(sum(size), 0) AS bytes FROM widget_uploads
                WHERE visitor_id = $1 AND created_at >= now() - interval '1 day'""", visitor.id()).getLong("bytes");
    }

    /**
     * Records an upload, unless the visitor's uploads of the last day (the rows kept) would then pass {@code budget}
     * bytes: empty then. Two uploads racing may pass it by one file each.
     */
    Optional<Upload> insertUpload(Sql sql, Visitor visitor, String sha256, long size, String filename,
                                  String contentType, long budget) {
        return sql.one("""
                INSERT INTO widget_uploads (workspace_id, visitor_id, sha256, size, filename, content_type)
                SELECT $1, $2, $3, $4, $5, $6
                WHERE (SELECT coalesce(sum(size), 0) FROM widget_uploads
                       WHERE visitor_id = $2 AND created_at >= now() - interval '1 day') + $4 <= $7
                RETURNING id""", visitor.workspaceId(), visitor.id(), sha256, size, filename, contentType, budget)
                .map(row -> new Upload(row.getLong("id"), sha256, size, filename, contentType));
    }

    /**
     * The visitor's uploads of these ids, and those of the visitor a sign-in replaced in this browser: the frame
     * hands over what that one left unsent, files included. An upload no message took within a day is not taken
     * (housekeeping removes it within the hour).
     */
    List<Upload> uploads(Sql sql, Visitor visitor, List<Long> ids) {
        return sql.list("""
                SELECT id, sha256, size, filename, content_type FROM widget_uploads
                WHERE workspace_id = $1 AND id = ANY($3) AND created_at >= now() - interval '1 day'
                  AND (visitor_id = $2 OR visitor_id = (SELECT v.id FROM widget_visitors v
                                                        WHERE v.workspace_id = $1 AND v.public_id = $4))
                ORDER BY id""",
                r -> new Upload(r.getLong("id"), r.getString("sha256"), r.getLong("size"), r.getString("filename"),
                        r.getString("content_type")), visitor.workspaceId(), visitor.id(), ids.toArray(new Long[0]),
                visitor.previousPublicId());
    }
}
