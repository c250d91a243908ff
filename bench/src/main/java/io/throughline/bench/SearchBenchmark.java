package io.throughline.bench;

import io.throughline.store.Database;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.HdrHistogram.Histogram;

/**
 * {@code ./throughline bench search}: a fixed-seed multilingual corpus (1M messages in 100k conversations by
 * default) loaded into the embedded PostgreSQL, indexed by the same online rebuild {@code ./throughline reindex}
 * uses, then a fixed query mix (one word, two words, a phrase, filtered, sorted by date) through the HTTP API
 * while 100 messages/s are ingested, against the same queries on the same PostgreSQL as ILIKE with a pg_trgm GIN
 * index and as tsvector with a GIN index. Recall is measured against the corpus's own truth on inflected forms.
 */
public final class SearchBenchmark implements Benchmark {

    @Override
    public String name() {
        return "search";
    }

    @Override
    public String description() {
        return "search p50/p99 and recall through the API vs PostgreSQL ILIKE+pg_trgm and tsvector+GIN";
    }

    @Override
    public String usage() {
        return """
                  --messages N          corpus size (default 1000000; conversations are a tenth of it)
                  --queries N           timed queries through the search API (default 2000)
                  --baseline-queries N  timed queries per query type for each PostgreSQL baseline (default 20)
                  --recall-queries N    queries of the recall set (default 40)
                  --ingest-rate N       messages per second ingested while querying (default 100)
                  --seed N              corpus seed (default 42)
                """;
    }

    @Override
    public void run(BenchArgs args, PrintStream out) throws Exception {
        int messages = args.integer("messages", 1_000_000);
        int conversations = Math.max(1, messages / 10);
        int queries = args.integer("queries", 2_000);
        int baselineQueries = args.integer("baseline-queries", 20);
        int recallQueries = args.integer("recall-queries", 40);
        int ingestRate = args.integer("ingest-rate", 100);
        long seed = args.integer("seed", 42);
        SearchCorpus corpus = new SearchCorpus();
        JsonObject details = new JsonObject();

        try (BenchServer server = BenchServer.start(Map.of("search.commitInterval", "30s"))) {
            Database database = server.throughline().database();
            out.printf("loading %,d messages in %,d conversations into the embedded PostgreSQL...%n", messages,
                    conversations);
            long started = System.nanoTime();
            SearchLoad.Truth truth = SearchLoad.load(database, corpus, messages, conversations, new Random(seed));
            double loadSeconds = seconds(started);
            out.printf("  loaded in %.1f s%n", loadSeconds);

            Operator operator = Operator.of(server.dataDir());
            out.println("building the search index (the online rebuild of ./throughline reindex)...");
            JsonObject build = operator.rebuild();
            out.printf("  %,d messages at %,d msg/s%n", build.getLong("messagesIndexed"),
                    build.getLong("messagesPerSecond"));

            out.println("building the PostgreSQL baselines (pg_trgm GIN, tsvector GIN)...");
            started = System.nanoTime();
            SearchBaselines.createTrigramIndex(database);
            double trigramSeconds = seconds(started);
            started = System.nanoTime();
            SearchBaselines.createTsvectorIndex(database);
            double tsvectorSeconds = seconds(started);
            out.printf("  pg_trgm GIN %.1f s, tsvector GIN %.1f s%n", trigramSeconds, tsvectorSeconds);

            String token = login(server.url());
            SearchIngest ingest = SearchIngest.start(server.url(), token, corpus, ingestRate, seed);
            List<SearchMix.Query> mix = SearchMix.generate(corpus, new Random(seed + 1));
            SearchMix.Client api = new SearchMix.Client(server.url(), token);
            out.printf("querying while ingesting %d msg/s: %d through the API, %d per type per baseline...%n",
                    ingestRate, queries, baselineQueries);
            String loadBefore = loadAverage();
            for (int i = 0; i < 300; i++) {
                api.search(mix.get(i % mix.size()));
            }
            Map<SearchMix.Type, Histogram> lucene = SearchMix.run(mix, queries, api::search);
            Map<SearchMix.Type, Histogram> trigram = SearchMix.runPerType(mix, baselineQueries,
                    q -> SearchBaselines.ilike(database, q));
            Map<SearchMix.Type, Histogram> tsvector = SearchMix.runPerType(mix, baselineQueries,
                    q -> SearchBaselines.tsvector(database, q));
            double ingested = ingest.stop();
            String loadAfter = loadAverage();
            out.printf("  ingested %.0f msg/s meanwhile%n", ingested);

            out.printf("measuring recall on %d inflected-form queries...%n", recallQueries);
            SearchRecall recall = new SearchRecall(corpus, truth, new Random(seed + 2), recallQueries);
            double luceneRecall = recall.measure(q -> api.allIds(q.luceneQuery()));
            double trigramRecall = recall.measure(q -> SearchBaselines.ilikeAll(database, q));
            double tsvectorRecall = recall.measure(q -> SearchBaselines.tsvectorAll(database, q));

            Histogram luceneAll = SearchMix.merge(lucene);
            Histogram trigramAll = SearchMix.merge(trigram);
            Histogram tsvectorAll = SearchMix.merge(tsvector);
            ResultTable table = new ResultTable("search", List.of("engine (" + String.format("%,d", messages)
                    + " messages)", "p50 ms", "p99 ms", "recall", "p99 vs Throughline"));
            table.row("Throughline search API (Lucene)", ms(luceneAll, 50), ms(luceneAll, 99), percent(luceneRecall),
                    "1x");
            table.row("PostgreSQL ILIKE + pg_trgm GIN", ms(trigramAll, 50), ms(trigramAll, 99),
                    percent(trigramRecall), ratio(trigramAll, luceneAll));
            table.row("PostgreSQL tsvector + GIN", ms(tsvectorAll, 50), ms(tsvectorAll, 99), percent(tsvectorRecall),
                    ratio(tsvectorAll, luceneAll));
            for (SearchMix.Type type : SearchMix.Type.values()) {
                table.note(String.format("%-10s p50/p99 ms  Throughline %s/%s  ILIKE+trgm %s/%s  tsvector %s/%s",
                        type.label(), ms(lucene.get(type), 50), ms(lucene.get(type), 99), ms(trigram.get(type), 50),
                        ms(trigram.get(type), 99), ms(tsvector.get(type), 50), ms(tsvector.get(type), 99)));
            }
            table.note(String.format("index build: %,d msg/s (%.1f s); corpus load %.1f s; pg_trgm GIN %.1f s;"
                            + " tsvector GIN %.1f s; ingest during queries %.0f msg/s",
                    build.getLong("messagesPerSecond"), build.getLong("messagesIndexed")
                            / (double) Math.max(1, build.getLong("messagesPerSecond")),
                    loadSeconds, trigramSeconds, tsvectorSeconds, ingested));
            table.note("latency is measured by the client through HTTP for Throughline, and as the SQL round trip"
                    + " for the baselines (no HTTP, no JSON); one query at a time");
            table.note("machine load average (1/5/15 min) before the queries: " + loadBefore + "; after: "
                    + loadAfter);

            details.put("messages", messages).put("conversations", conversations).put("seed", seed)
                    .put("queries", queries).put("baselineQueriesPerType", baselineQueries)
                    .put("ingestRateTarget", ingestRate).put("ingestRateAchieved", ingested)
                    .put("loadSeconds", loadSeconds).put("indexBuild", build)
                    .put("loadAverageBefore", loadBefore).put("loadAverageAfter", loadAfter)
                    .put("trigramIndexSeconds", trigramSeconds).put("tsvectorIndexSeconds", tsvectorSeconds)
                    .put("recall", new JsonObject().put("throughline", luceneRecall).put("ilikeTrigram", trigramRecall)
                            .put("tsvector", tsvectorRecall).put("queries", recallQueries)
                            .put("expectedMessages", recall.expectedTotal()))
                    .put("latencyMs", new JsonObject()
                            .put("throughline", SearchMix.json(lucene, luceneAll))
                            .put("ilikeTrigram", SearchMix.json(trigram, trigramAll))
                            .put("tsvector", SearchMix.json(tsvector, tsvectorAll)))
                    .put("ratiosP99", new JsonObject()
                            .put("ilikeTrigram", p99(trigramAll) / p99(luceneAll))
                            .put("tsvector", p99(tsvectorAll) / p99(luceneAll)))
                    .put("mix", new JsonArray(mix.stream().map(SearchMix.Query::toJson).toList()));
            table.json().put("details", details);
            table.finish(out);
        }
    }

    private static double seconds(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1e9;
    }

    private static double p99(Histogram histogram) {
        return histogram.getValueAtPercentile(99) / 1000.0;
    }

    static String ms(Histogram histogram, double percentile) {
        return String.format("%.2f", histogram.getValueAtPercentile(percentile) / 1000.0);
    }

    private static String percent(double value) {
        return String.format("%.1f%%", value * 100);
    }

    private static String ratio(Histogram baseline, Histogram ours) {
        return String.format("%.0fx slower", p99(baseline) / p99(ours));
    }

    private static String login(String url) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(url + "/api/v1/auth/login")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("email", BenchServer.ADMIN_EMAIL)
                        .put("password", BenchServer.ADMIN_PASSWORD).encode())).build(),
                HttpResponse.BodyHandlers.ofString());
        return new JsonObject(response.body()).getString("token");
    }

    /** The operator endpoint of the server, as ./throughline reindex reaches it. */
    private record Operator(String url, String token) {
        static Operator of(Path dataDir) throws Exception {
            JsonObject control = new JsonObject(Files.readString(dataDir.resolve("index/control.json")));
            return new Operator(control.getString("url"), control.getString("token"));
        }

        JsonObject rebuild() throws Exception {
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> started = http.send(request("POST"), HttpResponse.BodyHandlers.ofString());
            if (started.statusCode() != 202) {
                throw new IllegalStateException("rebuild refused: " + started.body());
            }
            while (true) {
                JsonObject status = new JsonObject(http.send(request("GET"), HttpResponse.BodyHandlers.ofString())
                        .body());
                if (!"running".equals(status.getString("state"))) {
                    if (!"done".equals(status.getString("state"))) {
                        throw new IllegalStateException("rebuild " + status.encode());
                    }
                    return status;
                }
                Thread.sleep(500);
            }
        }

        private HttpRequest request(String method) {
            return HttpRequest.newBuilder(URI.create(url + "/api/v1/ops/search/reindex"))
                    .header("Authorization", "Bearer " + token)
                    .method(method, HttpRequest.BodyPublishers.noBody()).build();
        }
    }

    /** The machine's load average: benchmarks on a shared machine say how busy it was. */
    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (java.io.IOException | RuntimeException e) {
            return "unknown";
        }
    }

    static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }
}
