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
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.HdrHistogram.Histogram;

/**
 * {@code ./throughline bench search}: a fixed-seed multilingual corpus (1M messages in 100k conversations by
 * default) loaded into the embedded PostgreSQL, indexed by the same online rebuild {@code ./throughline reindex}
 * uses, then a fixed query mix (one word, two words, a phrase, filtered, sorted by date, a word's prefix, an order
 * number's prefix) through the HTTP API while 100 messages/s are ingested, against the same queries on the same
 * PostgreSQL as ILIKE with a pg_trgm GIN index and as tsvector with a GIN index: each query on the three in turn,
 * the same number of times. Recall is measured against the corpus's own truth on inflected forms.
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
                  --passes N            timed passes over the query mix, each query on every engine (default 5)
                  --warm-up-passes N    untimed passes first over another mix, the same for every engine (default 3)
                  --recall-queries N    queries of the recall set (default 40)
                  --ingest-rate N       messages per second ingested while querying (default 100)
                  --seed N              corpus seed (default 42)
                """;
    }

    /** The options of one run. */
    private record Plan(int messages, int conversations, int passes, int warmUpPasses, int recallQueries,
                        int ingestRate, long seed) {
    }

    /** What the preparation measured: load and index build times. */
    private record Preparation(SearchLoad.Truth truth, double loadSeconds, JsonObject build, double trigramSeconds,
                               double tsvectorSeconds) {
    }

    /** What the measurement found: latencies by engine and query type, recall, and the conditions. */
    private record Measurement(Map<SearchMix.Type, Histogram> lucene, Map<SearchMix.Type, Histogram> trigram,
                               Map<SearchMix.Type, Histogram> tsvector, double luceneRecall, double trigramRecall,
                               double tsvectorRecall, long expectedMessages, double ingested, String loadBefore,
                               String loadAfter, List<SearchMix.Query> mix) {
    }

    @Override
    public void run(BenchArgs args, PrintStream out) throws Exception {
        int messages = args.integer("messages", 1_000_000);
        Plan plan = new Plan(messages, Math.max(1, messages / 10), args.integer("passes", 5),
                args.atLeast("warm-up-passes", 3, 0), args.integer("recall-queries", 40),
                args.integer("ingest-rate", 100), args.atLeast("seed", 42, Integer.MIN_VALUE));
        SearchCorpus corpus = new SearchCorpus();
        try (BenchServer server = BenchServer.start(Map.of())) {
            Preparation preparation = prepare(server, corpus, plan, out);
            Measurement measurement = measure(server, corpus, plan, preparation.truth(), out);
            report(plan, preparation, measurement).finish(out);
        }
    }

    /** Loads the corpus, builds the search index through the operator endpoint, then the two baselines. */
    private static Preparation prepare(BenchServer server, SearchCorpus corpus, Plan plan, PrintStream out)
            throws Exception {
        Database database = server.throughline().database();
        out.printf("loading %,d messages in %,d conversations into the embedded PostgreSQL...%n", plan.messages(),
                plan.conversations());
        long started = System.nanoTime();
        SearchLoad.Truth truth = SearchLoad.load(database, corpus, plan.messages(), plan.conversations(),
                new Random(plan.seed()));
        double loadSeconds = seconds(started);
        out.printf("  loaded in %.1f s%n", loadSeconds);

        out.println("building the search index (the online rebuild of ./throughline reindex)...");
        JsonObject build = Operator.of(server.dataDir()).rebuild();
        out.printf("  %,d messages at %,d msg/s%n", build.getLong("messagesIndexed"),
                build.getLong("messagesPerSecond"));

        out.println("building the PostgreSQL baselines (tsvector column and GIN, pg_trgm GIN)...");
        // The stored tsvector column first: adding it rewrites the table and every index on it.
        started = System.nanoTime();
        SearchBaselines.createTsvectorIndex(database);
        double tsvectorSeconds = seconds(started);
        started = System.nanoTime();
        SearchBaselines.createTrigramIndex(database);
        double trigramSeconds = seconds(started);
        // The rewritten table's visibility map and hint bits, set as after a bulk import, so the baselines' first
        // reads do not pay for them (the API's warm-up would have paid for its own).
        database.sql().rows("VACUUM (FREEZE, ANALYZE) messages");
        out.printf("  tsvector column and GIN %.1f s, pg_trgm GIN %.1f s%n", tsvectorSeconds, trigramSeconds);
        return new Preparation(truth, loadSeconds, build, trigramSeconds, tsvectorSeconds);
    }

    /** Times the mix on each engine while messages are ingested, then measures recall. */
    private static Measurement measure(BenchServer server, SearchCorpus corpus, Plan plan, SearchLoad.Truth truth,
                                       PrintStream out) throws Exception {
        Database database = server.throughline().database();
        String token = login(server.url());
        SearchIngest ingest = SearchIngest.start(server.url(), token, corpus, plan.ingestRate(), plan.seed());
        List<SearchMix.Query> mix = SearchMix.generate(corpus, new Random(plan.seed() + 1));
        SearchMix.Client api = new SearchMix.Client(server.url(), token);
        out.printf("querying while ingesting %d msg/s: %d queries x %d passes (after %d untimed) on each engine,"
                + " in turn...%n", plan.ingestRate(), mix.size(), plan.passes(), plan.warmUpPasses());
        String loadBefore = loadAverage();
        List<SearchMix.Query> warmUp = SearchMix.generate(corpus, new Random(plan.seed() + 3));
        List<Map<SearchMix.Type, Histogram>> timed = SearchMix.interleaved(warmUp, plan.warmUpPasses(), mix,
                plan.passes(),
                List.of(api::search, q -> SearchBaselines.ilike(database, q),
                        q -> SearchBaselines.tsvector(database, q)));
        Map<SearchMix.Type, Histogram> lucene = timed.get(0);
        Map<SearchMix.Type, Histogram> trigram = timed.get(1);
        Map<SearchMix.Type, Histogram> tsvector = timed.get(2);
        double ingested = ingest.stop();
        String loadAfter = loadAverage();
        out.printf("  ingested %.0f msg/s meanwhile%n", ingested);

        out.printf("measuring recall on %d inflected-form queries...%n", plan.recallQueries());
        SearchRecall recall = new SearchRecall(corpus, truth, new Random(plan.seed() + 2), plan.recallQueries());
        return new Measurement(lucene, trigram, tsvector, recall.measure(q -> api.allIds(q.luceneQuery())),
                recall.measure(q -> SearchBaselines.ilikeAll(database, q)),
                recall.measure(q -> SearchBaselines.tsvectorAll(database, q)), recall.expectedTotal(), ingested,
                loadBefore, loadAfter, mix);
    }

    private static ResultTable report(Plan plan, Preparation preparation, Measurement m) {
        Histogram lucene = SearchMix.merge(m.lucene());
        Histogram trigram = SearchMix.merge(m.trigram());
        Histogram tsvector = SearchMix.merge(m.tsvector());
        ResultTable table = new ResultTable("search", List.of("engine (" + String.format("%,d", plan.messages())
                + " messages)", "p50 ms", "p99 ms", "recall", "p99 vs Throughline"));
        table.row("Throughline search API (Lucene)", ms(lucene, 50), ms(lucene, 99), percent(m.luceneRecall()), "1x");
        table.row("PostgreSQL ILIKE + pg_trgm GIN", ms(trigram, 50), ms(trigram, 99), percent(m.trigramRecall()),
                ratio(trigram, lucene));
        table.row("PostgreSQL tsvector + GIN", ms(tsvector, 50), ms(tsvector, 99), percent(m.tsvectorRecall()),
                ratio(tsvector, lucene));
        for (SearchMix.Type type : SearchMix.Type.values()) {
            table.note(String.format("%-12s p50/p99 ms (%d each)  Throughline %s/%s  ILIKE+trgm %s/%s"
                            + "  tsvector %s/%s", type.label(), m.lucene().get(type).getTotalCount(),
                    ms(m.lucene().get(type), 50), ms(m.lucene().get(type), 99),
                    ms(m.trigram().get(type), 50), ms(m.trigram().get(type), 99), ms(m.tsvector().get(type), 50),
                    ms(m.tsvector().get(type), 99)));
        }
        JsonObject build = preparation.build();
        table.note(String.format("index build: %,d msg/s (%.1f s); corpus load %.1f s; pg_trgm GIN %.1f s;"
                        + " tsvector column and GIN %.1f s; ingest during queries %.0f msg/s",
                build.getLong("messagesPerSecond"), build.getLong("messagesIndexed")
                        / (double) Math.max(1, build.getLong("messagesPerSecond")),
                preparation.loadSeconds(), preparation.trigramSeconds(), preparation.tsvectorSeconds(), m.ingested()));
        table.note("latency is measured by the client through HTTP for Throughline, and as the SQL round trip"
                + " for the baselines (no HTTP, no JSON); one query at a time, each query on the three engines in"
                + " turn (the first rotating), " + plan.passes() + " timed passes over the mix after "
                + plan.warmUpPasses() + " untimed ones over another mix: every engine the same queries the same"
                + " number of times");
        table.note("machine load average (1/5/15 min) before the queries: " + m.loadBefore() + "; after: "
                + m.loadAfter());
        table.json().put("details", new JsonObject()
                .put("messages", plan.messages()).put("conversations", plan.conversations()).put("seed", plan.seed())
                .put("passes", plan.passes()).put("warmUpPasses", plan.warmUpPasses())
                .put("samplesPerEngine", lucene.getTotalCount())
                .put("ingestRateTarget", plan.ingestRate()).put("ingestRateAchieved", m.ingested())
                .put("loadSeconds", preparation.loadSeconds()).put("indexBuild", build)
                .put("loadAverageBefore", m.loadBefore()).put("loadAverageAfter", m.loadAfter())
                .put("trigramIndexSeconds", preparation.trigramSeconds())
                .put("tsvectorIndexSeconds", preparation.tsvectorSeconds())
                .put("recall", new JsonObject().put("throughline", m.luceneRecall())
                        .put("ilikeTrigram", m.trigramRecall()).put("tsvector", m.tsvectorRecall())
                        .put("queries", plan.recallQueries()).put("expectedMessages", m.expectedMessages()))
                .put("latencyMs", new JsonObject()
                        .put("throughline", SearchMix.json(m.lucene(), lucene))
                        .put("ilikeTrigram", SearchMix.json(m.trigram(), trigram))
                        .put("tsvector", SearchMix.json(m.tsvector(), tsvector)))
                .put("ratiosP99", new JsonObject()
                        .put("ilikeTrigram", p99(trigram) / p99(lucene))
                        .put("tsvector", p99(tsvector) / p99(lucene)))
                .put("mix", new JsonArray(m.mix().stream().map(SearchMix.Query::toJson).toList())));
        return table;
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
        double ratio = p99(baseline) / p99(ours);
        return ratio >= 1 ? String.format("%.1fx slower", ratio) : String.format("%.1fx faster", 1 / ratio);
    }

    private static String login(String url) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(url + "/api/v1/auth/login")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("email", BenchServer.ADMIN_EMAIL)
                        .put("password", BenchServer.ADMIN_PASSWORD).encode())).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("the benchmark's login was refused: " + response.statusCode() + " "
                    + response.body());
        }
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
            long deadline = System.nanoTime() + Duration.ofHours(1).toNanos();
            while (true) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the index rebuild did not finish within an hour");
                }
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
