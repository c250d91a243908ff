package io.throughline.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The fixed query mix: one word, two words, a phrase, filtered, sorted by date, a word's prefix ("refun*") and an
 * order number's ("#A-123*", the words-split prefix); and how it is timed.
 */
final class SearchMix {

    /** The kinds of query in the mix. */
    enum Type {
        ONE_WORD, TWO_WORDS, PHRASE, FILTERED, BY_DATE, PREFIX, ORDER_PREFIX;

        String label() {
            return name().toLowerCase(Locale.ROOT).replace('_', ' ');
        }
    }

    /** One query of the mix: its words (a phrase is one entry) and the text an agent types for it. */
    record Query(Type type, String language, List<String> words, String q) {
        JsonObject toJson() {
            return new JsonObject().put("type", type.label()).put("language", language).put("q", q);
        }
    }

    /** Runs one query on one engine. */
    @FunctionalInterface
    interface Engine {
        void run(Query query) throws Exception;
    }

    private static final int PER_TYPE = 40;

    private SearchMix() {
    }

    static List<Query> generate(SearchCorpus corpus, Random random) {
        List<Query> mix = new ArrayList<>();
        for (int i = 0; i < PER_TYPE; i++) {
            for (Type type : Type.values()) {
                SearchCorpus.Language language = corpus.pickLanguage(random);
                String word = SearchCorpus.form(corpus.pickLemma(language, random), random);
                mix.add(switch (type) {
                    case ONE_WORD, BY_DATE -> new Query(type, language.code(), List.of(word), word);
                    case TWO_WORDS -> {
                        String other = word;
                        while (other.equals(word)) {
                            other = SearchCorpus.form(corpus.pickLemma(language, random), random);
                        }
                        yield new Query(type, language.code(), List.of(word, other), word + " " + other);
                    }
                    case PHRASE -> {
                        String phrase = SearchCorpus.pick(language.collocations(), random);
                        yield new Query(type, language.code(), List.of(phrase), "\"" + phrase + "\"");
                    }
                    case FILTERED -> new Query(type, language.code(), List.of(word),
                            word + " channel:email status:open");
                    case PREFIX -> {
                        String stem = word.substring(0, Math.min(word.length(), Math.max(3, word.length() - 3)));
                        yield new Query(type, language.code(), List.of(stem), stem + "*");
                    }
                    case ORDER_PREFIX -> {
                        // The corpus's order numbers run #A-10000 to #A-99999: three digits start a hundred of them.
                        String order = "#A-" + (100 + random.nextInt(900));
                        yield new Query(type, language.code(), List.of(order), order + "*");
                    }
                });
            }
        }
        return mix;
    }

    /**
     * Times every engine on the same queries, the same number of times: {@code passes} passes over the mix after
     * {@code warmUpPasses} untimed ones over another mix of the same kinds (a running server's JIT and caches, not
     * the timed queries' own answers), each query run on every engine in turn, the engine that goes first rotating
     * from query to query (no engine always meets the caches another just warmed). Latencies in microseconds, by
     * engine (in the order given) and type.
     */
    static List<Map<Type, Histogram>> interleaved(List<Query> warmUp, int warmUpPasses, List<Query> mix, int passes,
                                                  List<Engine> engines) throws Exception {
        List<Map<Type, Histogram>> out = new ArrayList<>();
        for (int e = 0; e < engines.size(); e++) {
            out.add(histograms());
        }
        int turn = 0;
        for (int pass = 0; pass < warmUpPasses + passes; pass++) {
            boolean timed = pass >= warmUpPasses;
            for (Query query : timed ? mix : warmUp) {
                for (int k = 0; k < engines.size(); k++) {
                    int e = (turn + k) % engines.size();
                    long started = System.nanoTime();
                    engines.get(e).run(query);
                    if (timed) {
                        out.get(e).get(query.type())
                                .recordValue(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - started));
                    }
                }
                turn++;
            }
        }
        return out;
    }

    private static Map<Type, Histogram> histograms() {
        Map<Type, Histogram> histograms = new EnumMap<>(Type.class);
        for (Type type : Type.values()) {
            // Auto-resizing: one baseline query slower than any fixed bound (10M messages, a loaded machine) would
            // throw, after the whole corpus load, instead of being counted.
            histograms.put(type, new Histogram(3));
        }
        return histograms;
    }

    static Histogram merge(Map<Type, Histogram> byType) {
        Histogram all = new Histogram(3);
        byType.values().forEach(all::add);
        return all;
    }

    static JsonObject json(Map<Type, Histogram> byType, Histogram all) {
        JsonObject json = new JsonObject().put("all", figures(all));
        byType.forEach((type, histogram) -> json.put(type.label(), figures(histogram)));
        return json;
    }

    private static JsonObject figures(Histogram histogram) {
        return new JsonObject().put("count", histogram.getTotalCount())
                .put("p50", histogram.getValueAtPercentile(50) / 1000.0)
                .put("p99", histogram.getValueAtPercentile(99) / 1000.0)
                .put("max", histogram.getMaxValue() / 1000.0);
    }

    /** The search API, called as the inbox calls it. */
    static final class Client {
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        private final String url;
        private final String token;

        Client(String url, String token) {
            this.url = url;
            this.token = token;
        }

        void search(Query query) throws Exception {
            String params = "q=" + SearchBenchmark.encode(query.q()) + "&limit=20"
                    + (query.type() == Type.BY_DATE ? "&sort=date" : "");
            HttpResponse<String> response = get(params);
            if (response.statusCode() != 200) {
                throw new IllegalStateException("search answered " + response.statusCode() + ": " + response.body());
            }
        }

        /** Every message id a query finds, page after page. */
        Set<Long> allIds(String q) throws Exception {
            Set<Long> ids = new HashSet<>();
            String cursor = null;
            do {
                JsonObject page = new JsonObject(get("q=" + SearchBenchmark.encode(q) + "&sort=date&limit=100"
                        + (cursor == null ? "" : "&cursor=" + cursor)).body());
                JsonArray hits = page.getJsonArray("hits");
                for (Object hit : hits) {
                    ids.add(((JsonObject) hit).getLong("messageId"));
                }
                cursor = page.getString("nextCursor");
            } while (cursor != null);
            return ids;
        }

        private HttpResponse<String> get(String params) throws Exception {
            return http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/search?" + params))
                    .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(60)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }
}
