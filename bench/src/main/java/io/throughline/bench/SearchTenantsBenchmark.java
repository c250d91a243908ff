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
 * server writes it. The search mix of {@code bench search} then runs for workspace 1, each query three ways, in
 * turns: with Lucene's index-wide statistics (the baseline, which let scores tell about other workspaces), with
 * the workspace's own as the server computes them (a shared segment keeps the words counted last, so a word
 * searched again is not counted again), and with the workspace's own counting every word afresh. No HTTP and no
 * PostgreSQL: the difference is the statistics.
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
        long seed = args.atLeast("seed", 42, Integer.MIN_VALUE);
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
                for (Way way : Way.values()) {
                    search(probe, query, way);
                }
            }
            Histogram[] all = histograms();
            Map<SearchMix.Type, Histogram[]> byType = new EnumMap<>(SearchMix.Type.class);
            for (SearchMix.Type type : SearchMix.Type.values()) {
                byType.put(type, histograms());
            }
            Way[] ways = Way.values();
            for (int i = 0; i < queries; i++) {
                SearchMix.Query query = mix.get(i % mix.size());
                for (int turn = 0; turn < ways.length; turn++) {
                    Way way = ways[(i + turn) % ways.length];
                    long micros = search(probe, query, way);
                    all[way.ordinal()].recordValue(micros);
                    byType.get(query.type())[way.ordinal()].recordValue(micros);
                }
            }
            report(messages, workspaces, queries, indexSeconds, countMs, probe, all, byType).finish(out);
        } finally {
            delete(dir);
        }
    }

    /** The three ways a query runs: the baseline, and the workspace's statistics with counted words kept or not. */
    private enum Way {
        INDEX_WIDE, WORDS_KEPT, WORDS_COUNTED
    }

    private static Histogram[] histograms() {
        Histogram[] out = new Histogram[Way.values().length];
        for (int i = 0; i < out.length; i++) {
            out[i] = new Histogram(3); // auto-resizing: a slow query is counted, never thrown on
        }
        return out;
    }

    /** One query, timed in microseconds. */
    private static long search(ScoringProbe probe, SearchMix.Query query, Way way) throws IOException {
        long started = System.nanoTime();
        probe.search(1, query.q(), query.type() == SearchMix.Type.BY_DATE, way != Way.INDEX_WIDE,
                way == Way.WORDS_KEPT);
        return TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - started);
    }

    private static ResultTable report(int messages, int workspaces, int queries, double indexSeconds, double countMs,
                                      ScoringProbe probe, Histogram[] all, Map<SearchMix.Type, Histogram[]> byType)
            throws IOException {
        Histogram wide = all[Way.INDEX_WIDE.ordinal()];
        Histogram kept = all[Way.WORDS_KEPT.ordinal()];
        Histogram counted = all[Way.WORDS_COUNTED.ordinal()];
        ResultTable table = new ResultTable("search-tenants", List.of("statistics (" + String.format("%,d", messages)
                + " messages, " + workspaces + " workspaces)", "p50 ms", "p99 ms", "p50 / p99 vs index-wide"));
        table.row("Lucene's index-wide (baseline; scores tell about other workspaces)", ms(wide, 50), ms(wide, 99),
                "1x / 1x");
        table.row("the workspace's own, as the search API uses them (counted words kept)", ms(kept, 50), ms(kept, 99),
                ratio(kept, wide, 50) + " / " + ratio(kept, wide, 99));
        table.row("the workspace's own, every word counted afresh", ms(counted, 50), ms(counted, 99),
                ratio(counted, wide, 50) + " / " + ratio(counted, wide, 99));
        for (Map.Entry<SearchMix.Type, Histogram[]> entry : byType.entrySet()) {
            Histogram[] ways = entry.getValue();
            table.note(String.format("%-10s p50/p99 ms  index-wide %s/%s  words kept %s/%s  counted %s/%s",
                    entry.getKey().label(), ms(ways[0], 50), ms(ways[0], 99), ms(ways[1], 50), ms(ways[1], 99),
                    ms(ways[2], 50), ms(ways[2], 99)));
        }
        table.note(String.format("index: %.1f s to write, %d segments (%d holding several workspaces); counting"
                + " their per-workspace figures took %.0f ms (done once per segment, when a merge writes it or a"
                + " refresh opens it)", indexSeconds, probe.segments(), probe.sharedSegments(), countMs));
        table.note("in-process Lucene, segments searched in parallel on one thread per core as in the server; one"
                + " query at a time, the three ways per query in turns; the search API adds HTTP,"
                + " JSON, snippets and the PostgreSQL read of the hits to both");
        table.json().put("details", new JsonObject().put("messages", messages).put("workspaces", workspaces)
                .put("queries", queries).put("indexSeconds", indexSeconds).put("segments", probe.segments())
                .put("sharedSegments", probe.sharedSegments()).put("countMs", countMs)
                .put("p50Ratio", percentile(kept, 50) / percentile(wide, 50))
                .put("p99Ratio", percentile(kept, 99) / percentile(wide, 99))
                .put("countedP50Ratio", percentile(counted, 50) / percentile(wide, 50))
                .put("countedP99Ratio", percentile(counted, 99) / percentile(wide, 99)));
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
