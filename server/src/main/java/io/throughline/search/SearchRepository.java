package io.throughline.search;

import io.throughline.store.Sql;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The SQL of a search: what a hit shows (read from PostgreSQL, never from the index) and filter lookups. */
final class SearchRepository {

    /** More contacts than this for one {@code contact:} value is a query too vague to be useful. */
    static final int MAX_CONTACTS = 1_000;

    /** One hit's details. {@code nextId} is the message after it in its thread (null when it is the newest). */
    record HitRow(long id, long conversationId, String channel, String kind, String subject, Instant createdAt,
                  String authorType, String authorName, long contactId, String contactName, String identityKind,
                  String identityValue, Long nextId) {
    }

    private static final String HITS = """
            SELECT m.id, m.conversation_id, m.channel, m.kind, m.subject, m.created_at, m.author_type,
                   ag.name AS agent_name, au.name AS author_contact_name,
                   c.contact_id, ct.name AS contact_name, idn.kind AS identity_kind, idn.value AS identity_value,
                   nx.id AS next_id
            FROM messages m
            JOIN conversations c ON c.id = m.conversation_id
            JOIN contacts ct ON ct.id = c.contact_id
            LEFT JOIN agents ag ON ag.id = m.author_agent_id
            LEFT JOIN contacts au ON au.id = m.author_contact_id
            LEFT JOIN LATERAL (
                SELECT i.kind, i.value FROM identities i WHERE i.contact_id = c.contact_id
                ORDER BY i.proven DESC,
                         CASE i.kind WHEN 'email' THEN 0 WHEN 'phone' THEN 1 WHEN 'telegram' THEN 2 ELSE 3 END, i.id
                LIMIT 1) idn ON true
            LEFT JOIN LATERAL (
                SELECT n.id FROM messages n
                WHERE n.conversation_id = m.conversation_id AND (n.created_at, n.id) > (m.created_at, m.id)
                ORDER BY n.created_at, n.id LIMIT 1) nx ON true
            WHERE m.workspace_id = $1 AND m.id = ANY($2) AND m.redacted_at IS NULL""";

    /** Details of the hits that still exist in this workspace, by message id. */
    Map<Long, HitRow> hits(Sql sql, long workspaceId, Collection<Long> messageIds) {
        Map<Long, HitRow> out = new HashMap<>();
        if (messageIds.isEmpty()) {
            return out;
        }
        for (Row row : sql.rows(HITS, workspaceId, messageIds.toArray(new Long[0]))) {
            String authorType = row.getString("author_type");
            String authorName = switch (authorType) {
                case "agent" -> row.getString("agent_name");
                case "contact" -> row.getString("author_contact_name");
                default -> "Throughline";
            };
            out.put(row.getLong("id"), new HitRow(row.getLong("id"), row.getLong("conversation_id"),
                    row.getString("channel"), row.getString("kind"), row.getString("subject"),
                    row.getOffsetDateTime("created_at").toInstant(), authorType, authorName,
                    row.getLong("contact_id"), row.getString("contact_name"), row.getString("identity_kind"),
                    row.getString("identity_value"), row.getLong("next_id")));
        }
        return out;
    }

    Optional<Long> agentByEmail(Sql sql, long workspaceId, String email) {
        return sql.one("SELECT id FROM agents WHERE workspace_id = $1 AND lower(email) = lower($2)", workspaceId,
                email).map(r -> r.getLong("id"));
    }

    /**
     * Contacts a {@code contact:} value names: its id, an identity (email, phone in any format, Telegram or
     * external id) or part of its name. A merged contact stands for the one it was merged into, since its
     * messages now live in that contact's conversation.
     */
    List<Long> contacts(Sql sql, long workspaceId, String value) {
        String trimmed = value.strip();
        Long id = trimmed.matches("\\d{1,18}") ? Long.valueOf(trimmed) : null;
        List<String> identities = new ArrayList<>();
        identities.add(trimmed);
        identities.add(trimmed.toLowerCase(Locale.ROOT));
        String phoneKey = null;
        Optional<ExactTokens.Match> phone = ExactTokens.phoneAt(trimmed, 0)
                .filter(m -> m.end() == trimmed.length());
        if (phone.isPresent()) {
            phoneKey = phone.get().key();
        }
        // Folded by PostgreSQL on both sides (lower() under the database's locale, as the stored name is), not by
        // Java: the two fold some letters differently, and a database with an ASCII-only locale none but ASCII.
        String namePattern = "%" + trimmed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
        return sql.list("""
                WITH RECURSIVE matched AS (
                    SELECT ct.id, ct.merged_into_id FROM contacts ct
                    WHERE ct.workspace_id = $1 AND (
                        ct.id = $2::bigint
                        OR lower(normalize(ct.name, NFC)) LIKE lower($3)
                        OR EXISTS (SELECT 1 FROM identities i
                                   WHERE i.workspace_id = $1 AND i.contact_id = ct.id
                                     AND (i.value = ANY($4::text[])
                                          OR ($5::text IS NOT NULL AND i.kind = 'phone'
                                              AND right(regexp_replace(i.value, '[^0-9]', '', 'g'), 9) = $5))))
                    UNION
                    SELECT t.id, t.merged_into_id FROM contacts t JOIN matched mm ON t.id = mm.merged_into_id
                    WHERE t.workspace_id = $1
                )
                SELECT DISTINCT id FROM matched WHERE merged_into_id IS NULL LIMIT $6""",
                row -> row.getLong("id"), workspaceId, id, namePattern, identities.toArray(new String[0]),
                phoneKey, MAX_CONTACTS + 1);
    }
}
