package io.throughline.bench;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Recall on inflected forms, against the corpus's truth: each query is one form of a word, limited to one day
 * so its answer is small enough to read in full; the messages it must find are those of that day holding the
 * word in any of its forms ({@link SearchCorpus#mentions}).
 */
final class SearchRecall {

    /** A recall query and the messages it must find. */
    record Query(String form, LocalDate day, Set<Long> expected) {
        String luceneQuery() {
            return form + " from:" + day + " to:" + day;
        }
    }

    /** Finds the messages of a recall query, on one engine. */
    @FunctionalInterface
    interface Engine {
        Set<Long> find(Query query) throws Exception;
    }

    private final List<Query> queries = new ArrayList<>();

    SearchRecall(SearchCorpus corpus, SearchLoad.Truth truth, Random random, int count) {
        int messages = truth.ids().length;
        for (int i = 0; i < count; i++) {
            int sample = random.nextInt(messages);
            int lemma = truth.lemmaA()[sample];
            LocalDate day = LocalDate.ofInstant(Instant.ofEpochMilli(truth.createdAt()[sample]), ZoneOffset.UTC);
            long from = day.atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli();
            long to = day.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli();
            Set<Long> expected = new HashSet<>();
            for (int j = 0; j < messages; j++) {
                long at = truth.createdAt()[j];
                if (at >= from && at < to
                        && corpus.mentions(lemma, truth.lemmaA()[j], truth.lemmaB()[j], truth.collocation()[j])) {
                    expected.add(truth.ids()[j]);
                }
            }
            queries.add(new Query(SearchCorpus.form(corpus.lemma(lemma), random), day, expected));
        }
    }

    long expectedTotal() {
        return queries.stream().mapToLong(q -> q.expected().size()).sum();
    }

    /** The share of the expected messages the engine found, over all queries. */
    double measure(Engine engine) throws Exception {
        long found = 0;
        long expected = 0;
        for (Query query : queries) {
            Set<Long> answer = engine.find(query);
            expected += query.expected().size();
            found += query.expected().stream().filter(answer::contains).count();
        }
        return expected == 0 ? 0 : found / (double) expected;
    }
}
