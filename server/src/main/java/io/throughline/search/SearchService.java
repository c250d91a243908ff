package io.throughline.search;

import io.throughline.agent.Caller;
import io.throughline.failure.Invalid;
import io.throughline.store.Database;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.FieldDoc;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.TopFieldCollectorManager;
import org.apache.lucene.search.TopFieldDocs;
import org.apache.lucene.search.TotalHits;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/v1/search}: parses the query, asks the index for one page of message ids (the workspace is a
 * filter inside the Lucene query), highlights their snippets from the index, and reads what each hit shows from
 * PostgreSQL, the source of truth, again scoped to the workspace.
 */
public final class SearchService {

    private static final Logger log = LoggerFactory.getLogger(SearchService.class);
    /** Hits are counted exactly up to this many; beyond it the total is a lower bound. */
    static final int TOTAL_HITS_THRESHOLD = 1_000;
    static final Sort BY_RELEVANCE = new Sort(SortField.FIELD_SCORE,
            new SortField(SearchFields.ID, SortField.Type.LONG, true));

    private final SearchIndex index;
    private final Database database;
    private final SearchRepository repository = new SearchRepository();
    private final MessageQueries queries;
    private final Snippets snippets;
    private final Executor hydration = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("search-hits-", 0).factory());

    public SearchService(SearchIndex index, Database database) {
        this.index = index;
        this.database = database;
        this.queries = new MessageQueries(index.analyzer());
        this.snippets = new Snippets(index.indexAnalyzer());
    }

    public JsonObject search(Caller caller, SearchRequest request) {
        long started = System.nanoTime();
        SearchQuery parsed = QuerySyntax.parse(request.q());
        List<SearchQuery.Filter> filters = new ArrayList<>(parsed.filters());
        Map<String, String> params = new TreeMap<>();
        for (SearchQuery.FilterKind kind : SearchQuery.FilterKind.values()) {
            String value = request.filters().get(kind.keyword());
            if (value != null && !value.isBlank()) {
                params.put(kind.keyword(), value.strip());
                filters.add(QuerySyntax.parameter(kind, value));
            }
        }
        if (QuerySyntax.filterValues(filters) > QuerySyntax.MAX_FILTER_VALUES) {
            throw Invalid.field("q", "the search and its filter parameters name more than "
                    + QuerySyntax.MAX_FILTER_VALUES + " filter values together");
        }
        SearchQuery query = new SearchQuery(parsed.terms(), filters);
        if (query.terms().isEmpty() && filters.isEmpty()) {
            throw Invalid.field("q", "type words to search for, or give at least one filter (channel, status,"
                    + " assignee, from, to or contact)");
        }
        checkDates(filters);
        Query lucene = queries.build(caller.workspaceId(), query, new Resolver(caller));
        if (lucene == null) {
            throw Invalid.field("q", "has nothing to search for: use letters or digits, or a filter");
        }
        // Relevance needs words that became a query: "!!! status:open" analyses to its filter alone, every score 0,
        // and sorted by relevance would come in message id order, not newest first.
        boolean scored = scores(lucene);
        SearchSort sort = request.sort() == null || !scored
                ? (scored ? SearchSort.RELEVANCE : SearchSort.DATE) : request.sort();
        String fingerprint = fingerprint(request.q(), params, sort);
        SearchCursor cursor = request.cursor() == null ? null : SearchCursor.decode(request.cursor(), fingerprint);
        Page page = page(lucene, sort, cursor, request.limit(), caller.workspaceId());
        Map<Long, SearchRepository.HitRow> rows;
        try {
            rows = page.rows().join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException cause ? cause : e;
        }
        JsonArray hits = new JsonArray();
        for (int i = 0; i < page.messageIds().size(); i++) {
            SearchRepository.HitRow row = rows.get(page.messageIds().get(i));
            if (row != null) {
                hits.add(hit(row, page.snippets()[i], sort == SearchSort.RELEVANCE ? page.scores().get(i) : null));
            }
        }
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        log.debug("search done workspace={} hits={} total={} sort={} ms={}", caller.workspaceId(), hits.size(),
                page.total().value(), sort.wireName(), tookMs);
        return new JsonObject()
                .put("hits", hits)
                .put("total", new JsonObject().put("value", page.total().value())
                        .put("relation", page.total().relation() == TotalHits.Relation.EQUAL_TO ? "eq" : "gte"))
                .put("sort", sort.wireName())
                .put("nextCursor", page.next() == null ? null
                        : new SearchCursor(sort, page.next()[0], page.next()[1], fingerprint, page.pin()).encode())
                .put("tookMs", tookMs);
    }

    /** One page from the index: message ids in order, their scores and snippets, and the next cursor values. */
    private record Page(List<Long> messageIds, List<Float> scores, String[] snippets, TotalHits total, long[] next,
                        SearchCursor.Pin pin, CompletableFuture<Map<Long, SearchRepository.HitRow>> rows) {
    }

    /**
     * One page from the index. What each hit shows is read from PostgreSQL on another virtual thread as soon as
     * the ids are known, while this one highlights the snippets.
     */
    private Page page(Query lucene, SearchSort sort, SearchCursor cursor, int limit, long workspaceId) {
        Sort luceneSort = sort == SearchSort.RELEVANCE ? BY_RELEVANCE : LiveIndex.INDEX_SORT;
        FieldDoc after = null;
        if (cursor != null) {
            after = sort == SearchSort.RELEVANCE
                    ? new FieldDoc(Integer.MAX_VALUE, cursor.score(), new Object[] {cursor.score(), cursor.messageId()})
                    : new FieldDoc(Integer.MAX_VALUE, Float.NaN, new Object[] {cursor.value(), cursor.messageId()});
        }
        SearchCursor.Pin pinned = cursor == null ? null : cursor.pin();
        try (SearchIndex.Lease lease = pinned == null ? index.acquire()
                : index.acquire(pinned.generation(), pinned.version())) {
            IndexSearcher searcher = lease.searcher(workspaceId);
            if (sort == SearchSort.RELEVANCE && lease.pinLost()) {
                after = reanchored(searcher, lucene, cursor, after);
            }
            TopFieldDocs top = searcher.search(lucene,
                    new TopFieldCollectorManager(luceneSort, limit + 1, after, TOTAL_HITS_THRESHOLD));
            int count = Math.min(limit, top.scoreDocs.length);
            List<Long> ids = new ArrayList<>(count);
            List<Float> scores = new ArrayList<>(count);
            int[] docIds = new int[count];
            long[] next = null;
            for (int i = 0; i < count; i++) {
                FieldDoc doc = (FieldDoc) top.scoreDocs[i];
                docIds[i] = doc.doc;
                ids.add((Long) doc.fields[1]);
                scores.add(sort == SearchSort.RELEVANCE ? (Float) doc.fields[0] : null);
            }
            if (top.scoreDocs.length > limit && count > 0) {
                FieldDoc last = (FieldDoc) top.scoreDocs[count - 1];
                long value = sort == SearchSort.RELEVANCE ? Float.floatToIntBits((Float) last.fields[0])
                        : (Long) last.fields[0];
                next = new long[] {value, (Long) last.fields[1]};
            }
            CompletableFuture<Map<Long, SearchRepository.HitRow>> rows = CompletableFuture.supplyAsync(
                    () -> repository.hits(database.sql(), workspaceId, ids), hydration);
            String[] highlighted = snippets.highlight(searcher, lucene, docIds);
            // By relevance, the next page reads from this same searcher (by date, the sort keys never move).
            SearchCursor.Pin pin = next != null && sort == SearchSort.RELEVANCE ? lease.pin() : null;
            return new Page(ids, scores, highlighted, top.totalHits, next, pin, rows);
        } catch (IndexSearcher.TooManyClauses e) {
            // The prefixes share a budget below Lucene's limit (MessageQueries); this stays the user's to fix.
            log.info("search refused, too many clauses workspace={}: {}", workspaceId, e.getMessage());
            throw Invalid.field("q", "matches too many words at once: make its prefixes (word*) longer");
        } catch (IOException e) {
            throw new UncheckedIOException("search failed", e);
        }
    }

    /**
     * The cursor of a relevance page whose searcher was let go (32 are kept across the index, ten minutes at most),
     * resumed on the newest one: its score there, not the old one. Scores move with the index's statistics (a word
     * grown rarer raises every hit's), so the old score would skip the hits now above it or repeat those below; the
     * cursor's own message, scored again, is where this ranking left off. One no longer found (edited, deleted)
     * keeps the old score.
     */
    private static FieldDoc reanchored(IndexSearcher searcher, Query lucene, SearchCursor cursor, FieldDoc after)
            throws IOException {
        Query itself = new BooleanQuery.Builder().add(lucene, BooleanClause.Occur.MUST)
                .add(new TermQuery(MessageDocuments.idTerm(cursor.messageId())), BooleanClause.Occur.FILTER).build();
        TopDocs found = searcher.search(itself, 1);
        if (found.scoreDocs.length == 0) {
            return after;
        }
        float score = found.scoreDocs[0].score;
        return new FieldDoc(Integer.MAX_VALUE, score, new Object[] {score, cursor.messageId()});
    }

    private static JsonObject hit(SearchRepository.HitRow row, String snippet, Float score) {
        JsonObject contact = new JsonObject().put("id", row.contactId()).put("name", row.contactName());
        if (row.identityKind() != null) {
            contact.put("identity", new JsonObject().put("kind", row.identityKind()).put("value", row.identityValue()));
        }
        return new JsonObject()
                .put("messageId", row.id())
                .put("conversationId", row.conversationId())
                .put("score", score == null ? null : (double) score)
                .put("snippet", snippet)
                .put("channel", row.channel())
                .put("kind", row.kind())
                .put("subject", row.subject())
                .put("createdAt", row.createdAt().toString())
                .put("contact", contact)
                .put("author", new JsonObject().put("type", row.authorType()).put("name", row.authorName()))
                .put("threadBefore", row.nextId());
    }

    private static void checkDates(List<SearchQuery.Filter> filters) {
        Instant from = null;
        Instant to = null;
        for (SearchQuery.Filter filter : filters) {
            if (filter.from() != null && (from == null || filter.from().isAfter(from))) {
                from = filter.from();
            }
            if (filter.to() != null && (to == null || filter.to().isBefore(to))) {
                to = filter.to();
            }
        }
        if (from != null && to != null && !from.isBefore(to)) {
            throw Invalid.field("to", "the dates exclude each other: from " + from + " is not before to " + to);
        }
    }

    /** Whether the query scores: a word or phrase of it searches (the rest are filters and exclusions). */
    private static boolean scores(Query query) {
        return query instanceof BooleanQuery bool && bool.clauses().stream().anyMatch(clause ->
                clause.occur() == BooleanClause.Occur.MUST || clause.occur() == BooleanClause.Occur.SHOULD);
    }

    private static String fingerprint(String q, Map<String, String> params, SearchSort sort) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update((q == null ? "" : q.strip()).getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(params.toString().getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(sort.wireName().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest.digest(), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Resolves agent emails and contacts for the filters, within the caller's workspace. */
    private final class Resolver implements MessageQueries.FilterValues {
        private final Caller caller;

        Resolver(Caller caller) {
            this.caller = caller;
        }

        @Override
        public List<Long> assignees(List<String> values) {
            List<Long> ids = new ArrayList<>();
            for (String value : values) {
                if (value.equals("me")) {
                    ids.add(caller.agentId());
                } else if (value.equals("none")) {
                    ids.add(0L);
                } else if (value.matches("\\d+")) {
                    ids.add(Long.parseLong(value));
                } else {
                    ids.add(repository.agentByEmail(database.sql(), caller.workspaceId(), value).orElseThrow(() ->
                            Invalid.field("assignee", "no agent with the email " + value + " in this workspace")));
                }
            }
            return ids;
        }

        @Override
        public List<Long> contacts(String value) {
            List<Long> ids = repository.contacts(database.sql(), caller.workspaceId(), value);
            if (ids.size() > SearchRepository.MAX_CONTACTS) {
                throw Invalid.field("contact", "\"" + value + "\" matches more than " + SearchRepository.MAX_CONTACTS
                        + " contacts; give an email, a phone number or more of the name");
            }
            return ids;
        }
    }
}
