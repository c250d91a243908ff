package io.throughline.bench;

import io.throughline.search.ScoringProbe;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * {@code ./throughline bench search-tenants}: what scoring with one workspace's statistics costs on an index many
 * workspaces share. The search corpus's messages go round-robin to N workspaces (every segment then holds them
 * all: the worst case; one workspace costs nothing), in one in-process Lucene index written exactly as the
 * server writes it. The search mix of {@code bench search} then runs for workspace 1, each query both with
 * Lucene's index-wide statistics (the baseline, which let scores tell about other workspaces) and with the
 * workspace's own, alternating which goes first. No HTTP and no PostgreSQL: the difference is the statistics.
 */
public final class SearchTenantsBenchmark implements Benchmark {

    private static final int WARM_UP_PASSES = 5;

    @Override
    public String name() {
        return "search-tenants";
    }

    @Override
    public String description() {
        return "search with per-workspace scoring statistics vs Lucene's index-wide ones, on one shared index";
    }

    @Override
    public String usage() {
        return """
                  --messages N          corpus size (default 1000000)
                  --workspaces N        workspaces sharing the index, messages round-robin (default 10)
                  --queries N           timed queries each way (default 2000)
                  --seed N              corpus seed (default 42)
                """;
    }

    @Override
    public void run(BenchArgs args, PrintStream out) throws Exception {
        int messages = args.integer("messages", 1_000_000);
        int workspaces = Math.max(1, args.integer("workspaces", 10));
        int queries = args.integer("queries", 2_000);
        long seed = args.integer("seed", 42);
        SearchCorpus corpus = new SearchCorpus();
        Path dir = Files.createTempDirectory("throughline-bench-tenants");
        try (ScoringProbe probe = ScoringProbe.create(dir)) {
            out.printf("indexing %,d messages in %d workspaces...%n", messages, workspaces);
            Random random = new Random(seed);
            Instant start = Instant.parse("2024-01-01T00:00:00Z");
            long started = System.nanoTime();
            for (int i = 0; i < messages; i++) {
                SearchCorpus.Message message = corpus.message(random, i);
                probe.add(i + 1, 1 + i % workspaces, message.channel(), SearchCorpus.status(random),
                        start.plusSeconds(30L * i), message.text());
            }
            probe.open();
            double indexSeconds = (System.nanoTime() - started) / 1e9;
            double countMs = probe.countSegments() / 1e6;
            out.printf("  %.1f s; %d segments, %d shared; per-workspace figures counted in %.0f ms%n", indexSeconds,
                    probe.segments(), probe.sharedSegments(), countMs);

            List<SearchMix.Query> mix = SearchMix.generate(corpus, new Random(seed + 1));
            out.printf("querying workspace 1: %d queries each way, after %d warm-up passes over the mix...%n",
                    queries, WARM_UP_PASSES);
            for (int i = 0; i < WARM_UP_PASSES * mix.size(); i++) {
                SearchMix.Query query = mix.get(i % mix.size());
                search(probe, query, false);
                search(probe, query, true);
            }
            Histogram wide = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
            Histogram scoped = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
            Map<SearchMix.Type, Histogram[]> byType = new EnumMap<>(SearchMix.Type.class);
            for (SearchMix.Type type : SearchMix.Type.values()) {
                byType.put(type, new Histogram[] {new Histogram(TimeUnit.MINUTES.toMicros(5), 3),
                    new Histogram(TimeUnit.MINUTES.toMicros(5), 3)});
            }
            for (int i = 0; i < queries; i++) {
                SearchMix.Query query = mix.get(i % mix.size());
                boolean scopedFirst = i % 2 == 1;
                for (boolean isScoped : new boolean[] {scopedFirst, !scopedFirst}) {
                    long micros = search(probe, query, isScoped);
                    (isScoped ? scoped : wide).recordValue(micros);
                    byType.get(query.type())[isScoped ? 1 : 0].recordValue(micros);
                }
            }
            report(messages, workspaces, queries, indexSeconds, countMs, probe, wide, scoped, byType).finish(out);
        } finally {
            delete(dir);
        }
    }

    /** One query, timed in microseconds. */
    private static long search(ScoringProbe probe, SearchMix.Query query, boolean scoped) throws IOException {
        long started = System.nanoTime();
        probe.search(1, query.q(), query.type() == SearchMix.Type.BY_DATE, scoped);
        return TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - started);
    }

    private static ResultTable report(int messages, int workspaces, int queries, double indexSeconds, double countMs,
                                      ScoringProbe probe, Histogram wide, Histogram scoped,
                                      Map<SearchMix.Type, Histogram[]> byType) throws IOException {
        ResultTable table = new ResultTable("search-tenants", List.of("statistics (" + String.format("%,d", messages)
                + " messages, " + workspaces + " workspaces)", "p50 ms", "p99 ms", "p50 / p99 vs index-wide"));
        table.row("Lucene's index-wide (baseline; scores tell about other workspaces)", ms(wide, 50), ms(wide, 99),
                "1x / 1x");
        table.row("the workspace's own (what the search API uses)", ms(scoped, 50), ms(scoped, 99),
                ratio(scoped, wide, 50) + " / " + ratio(scoped, wide, 99));
        for (Map.Entry<SearchMix.Type, Histogram[]> entry : byType.entrySet()) {
            Histogram[] pair = entry.getValue();
            table.note(String.format("%-10s p50/p99 ms  index-wide %s/%s  workspace %s/%s", entry.getKey().label(),
                    ms(pair[0], 50), ms(pair[0], 99), ms(pair[1], 50), ms(pair[1], 99)));
        }
        table.note(String.format("index: %.1f s to write, %d segments (%d holding several workspaces); counting"
                + " their per-workspace figures took %.0f ms (done once per segment, when a merge writes it or a"
                + " refresh opens it)", indexSeconds, probe.segments(), probe.sharedSegments(), countMs));
        table.note("in-process Lucene, segments searched in parallel on one thread per core as in the server; one"
                + " query at a time, both ways per query, alternating which goes first; the search API adds HTTP,"
                + " JSON, snippets and the PostgreSQL read of the hits to both");
        table.json().put("details", new JsonObject().put("messages", messages).put("workspaces", workspaces)
                .put("queries", queries).put("indexSeconds", indexSeconds).put("segments", probe.segments())
                .put("sharedSegments", probe.sharedSegments()).put("countMs", countMs)
                .put("p50Ratio", percentile(scoped, 50) / percentile(wide, 50))
                .put("p99Ratio", percentile(scoped, 99) / percentile(wide, 99)));
        return table;
    }

    private static double percentile(Histogram histogram, double percentile) {
        return histogram.getValueAtPercentile(percentile) / 1000.0;
    }

    private static String ms(Histogram histogram, double percentile) {
        return String.format("%.2f", percentile(histogram, percentile));
    }

    private static String ratio(Histogram measured, Histogram baseline, double percentile) {
        return String.format("%.2fx", percentile(measured, percentile) / percentile(baseline, percentile));
    }

    private static void delete(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
