package io.throughline.bench;

import io.throughline.store.Database;
import io.vertx.sqlclient.Row;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The PostgreSQL baselines on the same database: ILIKE served by a pg_trgm GIN index (what Chatwoot does), and a
 * stored tsvector with a GIN index. The tsvector uses the {@code russian} configuration, the strongest one
 * PostgreSQL ships for this corpus: Snowball Russian for Cyrillic words and the English stemmer for ASCII words
 * (PostgreSQL has no Ukrainian or Polish configuration).
 */
final class SearchBaselines {

    private static final String TS_CONFIG = "russian";

    private SearchBaselines() {
    }

    static void createTrigramIndex(Database database) {
        database.tx(tx -> {
            tx.rows("SET LOCAL maintenance_work_mem = '1GB'");
            tx.rows("CREATE EXTENSION IF NOT EXISTS pg_trgm");
            tx.rows("CREATE INDEX messages_body_trgm ON messages USING gin (body gin_trgm_ops)");
            return null;
        });
        database.sql().rows("ANALYZE messages");
    }

    static void createTsvectorIndex(Database database) {
        database.tx(tx -> {
            tx.rows("SET LOCAL maintenance_work_mem = '1GB'");
            tx.rows("ALTER TABLE messages ADD COLUMN body_tsv tsvector GENERATED ALWAYS AS (to_tsvector('"
                    + TS_CONFIG + "', body)) STORED");
            tx.rows("CREATE INDEX messages_body_tsv ON messages USING gin (body_tsv)");
            return null;
        });
        database.sql().rows("ANALYZE messages");
    }

    /** One page as an ILIKE inbox shows it: every word a substring, newest first. */
    static void ilike(Database database, SearchMix.Query query) {
        List<Object> params = new ArrayList<>();
        StringBuilder where = new StringBuilder("m.workspace_id = 1");
        for (String word : query.words()) {
            params.add(pattern(word));
            where.append(" AND m.body ILIKE $").append(params.size());
        }
        String join = "";
        if (query.type() == SearchMix.Type.FILTERED) {
            join = " JOIN conversations c ON c.id = m.conversation_id";
            where.append(" AND m.channel = 'email' AND c.status = 'open'");
        }
        database.sql().rows("SELECT m.id FROM messages m" + join + " WHERE " + where
                + " ORDER BY m.created_at DESC LIMIT 20", params.toArray());
    }

    /** One page from the tsvector: best rank first (newest first for the date-sorted query). */
    static void tsvector(Database database, SearchMix.Query query) {
        String text = String.join(" ", query.words());
        String tsquery = switch (query.type()) {
            case PHRASE -> "phraseto_tsquery('" + TS_CONFIG + "', $1)";
            // The lexeme's prefix: the parser lowercases "#A-123" to the hyphenated word "a-123".
            case PREFIX, ORDER_PREFIX -> "to_tsquery('" + TS_CONFIG + "', quote_literal(lower($1)) || ':*')";
            default -> "plainto_tsquery('" + TS_CONFIG + "', $1)";
        };
        if (query.type() == SearchMix.Type.ORDER_PREFIX) {
            text = text.substring(1);
        }
        String join = "";
        String filter = "";
        if (query.type() == SearchMix.Type.FILTERED) {
            join = " JOIN conversations c ON c.id = m.conversation_id";
            filter = " AND m.channel = 'email' AND c.status = 'open'";
        }
        String order = query.type() == SearchMix.Type.BY_DATE ? "m.created_at DESC"
                : "ts_rank(m.body_tsv, " + tsquery + ") DESC";
        database.sql().rows("SELECT m.id FROM messages m" + join + " WHERE m.workspace_id = 1 AND m.body_tsv @@ "
                + tsquery + filter + " ORDER BY " + order + " LIMIT 20", text);
    }

    /** Every message ILIKE finds for a recall query (no page limit). */
    static Set<Long> ilikeAll(Database database, SearchRecall.Query query) {
        return ids(database, "SELECT id FROM messages WHERE workspace_id = 1 AND body ILIKE $1"
                + " AND created_at >= $2 AND created_at < $3", pattern(query.form()), query);
    }

    /** Every message the tsvector finds for a recall query (no page limit). */
    static Set<Long> tsvectorAll(Database database, SearchRecall.Query query) {
        return ids(database, "SELECT id FROM messages WHERE workspace_id = 1 AND body_tsv @@ plainto_tsquery('"
                + TS_CONFIG + "', $1) AND created_at >= $2 AND created_at < $3", query.form(), query);
    }

    private static Set<Long> ids(Database database, String sql, String text, SearchRecall.Query query) {
        Set<Long> ids = new HashSet<>();
        for (Row row : database.sql().rows(sql, text, query.day().atStartOfDay().atOffset(ZoneOffset.UTC),
                query.day().plusDays(1).atStartOfDay().atOffset(ZoneOffset.UTC))) {
            ids.add(row.getLong("id"));
        }
        return ids;
    }

    private static String pattern(String text) {
        return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
    }
}
