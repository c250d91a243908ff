package io.throughline.bench;

import io.throughline.store.Database;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Loads the generated corpus straight into PostgreSQL, as an import of old history would: contacts, one
 * conversation each, and messages spread over the two years before yesterday, in batches of multi-row inserts.
 */
final class SearchLoad {

    private static final int BATCH = 5_000;
    private static final long HISTORY_MS = 730L * 24 * 3600 * 1000;

    /** What the corpus holds, by generator index: the stored id, the date, the lemmas and collocation of each. */
    record Truth(long[] ids, long[] createdAt, int[] lemmaA, int[] lemmaB, int[] collocation) {
    }

    private SearchLoad() {
    }

    static Truth load(Database database, SearchCorpus corpus, int messages, int conversations, Random random) {
        database.tx(tx -> {
            tx.rows("SELECT setseed(0.42)");
            tx.update("INSERT INTO contacts (workspace_id, name) SELECT 1, 'Customer ' || g"
                    + " FROM generate_series(1, $1) g", conversations);
            tx.update("""
                    INSERT INTO conversations (workspace_id, contact_id, status)
                    SELECT 1, c.id, CASE WHEN r < 0.30 THEN 'open' WHEN r < 0.40 THEN 'pending'
                                         WHEN r < 0.45 THEN 'snoozed' ELSE 'resolved' END
                    FROM (SELECT id, random() AS r FROM contacts WHERE workspace_id = 1) c""");
            return null;
        });
        List<long[]> threads = new ArrayList<>();
        for (Row row : database.sql().rows("SELECT id, contact_id FROM conversations WHERE workspace_id = 1"
                + " ORDER BY id")) {
            threads.add(new long[] {row.getLong("id"), row.getLong("contact_id")});
        }
        long[] ids = new long[messages];
        long[] createdAt = new long[messages];
        int[] lemmaA = new int[messages];
        int[] lemmaB = new int[messages];
        int[] collocation = new int[messages];
        long end = Instant.now().minusSeconds(86_400).toEpochMilli();
        for (int start = 0; start < messages; start += BATCH) {
            int size = Math.min(BATCH, messages - start);
            Long[] conversation = new Long[size];
            Long[] contact = new Long[size];
            String[] channel = new String[size];
            String[] body = new String[size];
            OffsetDateTime[] at = new OffsetDateTime[size];
            for (int i = 0; i < size; i++) {
                int index = start + i;
                long[] thread = threads.get(random.nextInt(threads.size()));
                SearchCorpus.Message message = corpus.message(random, index);
                conversation[i] = thread[0];
                contact[i] = thread[1];
                channel[i] = message.channel();
                body[i] = message.text();
                createdAt[index] = end - (long) (random.nextDouble() * HISTORY_MS);
                at[i] = OffsetDateTime.ofInstant(Instant.ofEpochMilli(createdAt[index]), ZoneOffset.UTC);
                lemmaA[index] = message.lemmaA();
                lemmaB[index] = message.lemmaB();
                collocation[index] = message.collocation();
            }
            int offset = start;
            database.tx(tx -> {
                int i = 0;
                for (Row row : tx.rows("""
                        INSERT INTO messages (workspace_id, conversation_id, origin_conversation_id, channel, kind,
                                              author_type, author_contact_id, body, created_at)
                        SELECT 1, u.c, u.c, u.ch, 'in', 'contact', u.ct, u.b, u.t
                        FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::timestamptz[])
                             WITH ORDINALITY AS u(c, ct, ch, b, t, n)
                        ORDER BY u.n
                        RETURNING id""", conversation, contact, channel, body, at)) {
                    ids[offset + i++] = row.getLong("id");
                }
                if (i != size) {
                    throw new IllegalStateException("inserted " + i + " of " + size);
                }
                return null;
            });
        }
        database.sql().update("""
                UPDATE conversations c SET last_message_id = l.id, last_activity_at = l.created_at,
                       channels = ARRAY[l.channel]
                FROM (SELECT DISTINCT ON (conversation_id) conversation_id, id, created_at, channel FROM messages
                      WHERE workspace_id = 1 ORDER BY conversation_id, created_at DESC) l
                WHERE c.id = l.conversation_id""");
        // What an operator runs after a bulk import, and what autovacuum would otherwise do in the middle of the
        // timed queries (a million new rows cross its insert threshold): set the visibility map and the statistics.
        database.sql().rows("VACUUM (ANALYZE)");
        return new Truth(ids, createdAt, lemmaA, lemmaB, collocation);
    }
}
