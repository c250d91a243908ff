package io.throughline.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.TestServer;
import io.vertx.sqlclient.Row;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The relevance set (test resources): a fixed corpus of support messages in en, uk, ru and pl, and queries
 * typed in another inflected form than the messages use, each with the messages it must return. Every query
 * goes through the real search API and must return all of them; the same queries run as PostgreSQL ILIKE
 * (what most inboxes do), and both recalls are printed.
 */
class SearchRelevanceIT {

    private record Query(String language, String text, Set<String> expected) {
    }

    private static TestServer server;
    private static SearchFixture shop;
    private static final Map<String, Long> MESSAGE_IDS = new HashMap<>();

    @BeforeAll
    static void load() throws IOException {
        server = TestServer.start();
        shop = SearchFixture.create(server, server.admin(), "Relevance");
        for (String[] row : rows("/search/relevance/corpus.tsv")) {
            MESSAGE_IDS.put(row[0], shop.customerWrites(row[0], "Customer " + row[0], row[1]).getLong("messageId"));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> shop.allMessageIds("q", "channel:api").size()
                == MESSAGE_IDS.size());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void everyQueryFindsEveryMessageItMustAndBeatsIlike() throws IOException {
        List<Query> queries = queries();
        assertThat(queries).hasSizeGreaterThanOrEqualTo(40);
        assertThat(queries.stream().map(Query::language).distinct()).contains("en", "uk", "ru", "pl");
        Map<String, int[]> byLanguage = new LinkedHashMap<>();
        int expectedTotal = 0;
        int foundByLucene = 0;
        int foundByIlike = 0;
        int returnedByLucene = 0;
        List<String> misses = new ArrayList<>();
        System.out.printf("%-8s %-24s %8s %8s%n", "lang", "query", "lucene", "ilike");
        for (Query query : queries) {
            Set<Long> expected = new HashSet<>();
            query.expected().forEach(key -> expected.add(MESSAGE_IDS.get(key)));
            List<Long> lucene = shop.allMessageIds("q", query.text());
            Set<Long> ilike = ilike(query.text());
            int luceneHits = (int) expected.stream().filter(lucene::contains).count();
            int ilikeHits = (int) expected.stream().filter(ilike::contains).count();
            expectedTotal += expected.size();
            foundByLucene += luceneHits;
            foundByIlike += ilikeHits;
            returnedByLucene += lucene.size();
            int[] counts = byLanguage.computeIfAbsent(query.language(), l -> new int[3]);
            counts[0] += expected.size();
            counts[1] += luceneHits;
            counts[2] += ilikeHits;
            System.out.printf("%-8s %-24s %4d/%-3d %4d/%-3d%n", query.language(), query.text(), luceneHits,
                    expected.size(), ilikeHits, expected.size());
            if (luceneHits < expected.size()) {
                misses.add(query.text() + " missed " + expected.stream().filter(id -> !lucene.contains(id)).toList());
            }
        }
        System.out.printf("%nrecall over %d queries, %d expected messages: Lucene %.1f%%, ILIKE %.1f%%"
                        + " (Lucene returned %d messages in all)%n", queries.size(), expectedTotal,
                100.0 * foundByLucene / expectedTotal, 100.0 * foundByIlike / expectedTotal, returnedByLucene);
        byLanguage.forEach((language, counts) -> System.out.printf("  %-6s Lucene %5.1f%%   ILIKE %5.1f%%%n",
                language, 100.0 * counts[1] / counts[0], 100.0 * counts[2] / counts[0]));
        assertThat(misses).as("messages a query must return").isEmpty();
        // Recall alone would pass a search that returned everything: what it returns beyond the expected messages
        // (related forms, other messages on the same subject) stays a small share of it.
        assertThat(returnedByLucene).as("messages Lucene returned in all, for %d expected", expectedTotal)
                .isLessThanOrEqualTo(expectedTotal * 6 / 5);
        assertThat(foundByIlike).as("ILIKE recall, for comparison").isLessThan(foundByLucene);
    }

    /** The query as an ILIKE search would run it: every term a substring of subject or body, '-' negated. */
    private static Set<Long> ilike(String q) {
        List<String> conditions = new ArrayList<>();
        List<Object> params = new ArrayList<>();
        params.add(1L);
        for (SearchQuery.Term term : QuerySyntax.parse(q).terms()) {
            String text = switch (term.clause()) {
                case SearchQuery.Word word -> word.text();
                case SearchQuery.Phrase phrase -> phrase.text();
                case SearchQuery.Exact exact -> exact.raw();
                case SearchQuery.Prefix prefix -> prefix.text();
                case SearchQuery.AnyOf any -> throw new IllegalArgumentException("no OR in the relevance set");
            };
            params.add("%" + text.replace("%", "\\%").replace("_", "\\_") + "%");
            conditions.add((term.negated() ? "NOT " : "") + "(coalesce(subject, '') || ' ' || body) ILIKE $"
                    + params.size());
        }
        Set<Long> ids = new HashSet<>();
        for (Row row : server.throughline().database().sql().rows("SELECT id FROM messages WHERE workspace_id = $1"
                + " AND " + String.join(" AND ", conditions), params.toArray())) {
            ids.add(row.getLong("id"));
        }
        return ids;
    }

    private static List<Query> queries() throws IOException {
        List<Query> queries = new ArrayList<>();
        for (String[] row : rows("/search/relevance/queries.tsv")) {
            queries.add(new Query(row[0], row[1], Set.of(row[2].split(" "))));
        }
        return queries;
    }

    private static List<String[]> rows(String resource) throws IOException {
        List<String[]> rows = new ArrayList<>();
        try (InputStream in = SearchRelevanceIT.class.getResourceAsStream(resource)) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    rows.add(line.split("\t"));
                }
            }
        }
        return rows;
    }
}
