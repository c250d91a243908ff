package io.throughline.http;

import io.throughline.failure.Invalid;
import io.throughline.failure.NotFound;
import io.throughline.failure.Unauthorized;
import io.throughline.search.RebuildProgress;
import io.throughline.search.SearchIndex;
import io.throughline.search.SearchRequest;
import io.throughline.search.SearchService;
import io.throughline.search.SearchSort;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code GET /api/v1/search} for agents, and {@code /api/v1/ops/search/reindex} for {@code ./throughline reindex}
 * on the server's machine (authenticated by the operator token of {@code <data>/index/control.json}).
 */
final class SearchRoutes {

    private static final int DEFAULT_LIMIT = 20;
    private static final int MAX_LIMIT = 100;

    private final SearchService search;
    private final SearchIndex index;

    SearchRoutes(SearchService search, SearchIndex index) {
        this.search = search;
        this.index = index;
    }

    void mount(Router router, Endpoints endpoints) {
        router.get("/api/v1/search").handler(endpoints.agent(call -> {
            RoutingContext rc = call.rc();
            Map<String, String> filters = new HashMap<>();
            for (String name : SearchRequest.FILTER_PARAMETERS) {
                String value = Params.query(rc, name);
                if (value != null) {
                    filters.put(name, value);
                }
            }
            String sortText = Params.query(rc, "sort");
            SearchSort sort = sortText == null ? null : SearchSort.fromWireName(sortText)
                    .orElseThrow(() -> Invalid.field("sort", "must be relevance or date"));
            String q = rc.queryParams().get("q");
            if (q != null && q.indexOf('\u0000') >= 0) {
                throw Invalid.field("q", "must not contain the NUL character (U+0000)");
            }
            SearchRequest request = new SearchRequest(q, filters, sort,
                    Params.query(rc, "cursor"), Params.queryInt(rc, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT));
            return Reply.ok(search.search(call.caller(), request));
        }));
        router.post("/api/v1/ops/search/reindex").handler(endpoints.open(rc -> {
            requireOperator(rc);
            RebuildProgress progress = index.startRebuild("requested by ./throughline reindex");
            return Reply.status(202, progress.toJson());
        }));
        router.get("/api/v1/ops/search/reindex").handler(endpoints.open(rc -> {
            requireOperator(rc);
            return Reply.ok(index.rebuildProgress().map(RebuildProgress::toJson)
                    .orElseThrow(() -> new NotFound("no rebuild of the search index has run since the server started")));
        }));
    }

    private void requireOperator(RoutingContext rc) {
        if (!BearerToken.of(rc.request().getHeader("Authorization")).filter(index::isOperator).isPresent()) {
            throw new Unauthorized("this endpoint takes the operator token of the server's data directory"
                    + " (index/control.json), as ./throughline reindex sends it");
        }
    }
}
