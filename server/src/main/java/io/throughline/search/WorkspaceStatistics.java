package io.throughline.search;

import java.io.IOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import org.apache.lucene.index.FieldInfo;
import org.apache.lucene.index.FieldInvertState;
import org.apache.lucene.index.IndexOptions;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.CollectionStatistics;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.TermStatistics;
import org.apache.lucene.search.similarities.Similarity;
import org.apache.lucene.util.BytesRef;
import org.apache.lucene.util.FixedBitSet;
import org.apache.lucene.util.packed.PackedInts;

/**
 * The term and collection statistics of one workspace's messages, so a message scores the same whatever the other
 * workspaces of the index hold. BM25 weighs a word by the share of messages holding it and a field by the average
 * length; with the index-wide figures, an agent comparing scores could estimate how many messages of all
 * workspaces contain a word.
 *
 * <p>An index whose every segment holds the searching workspace's messages alone (a single-workspace installation)
 * scores with Lucene's own figures, which are then the workspace's. Otherwise a segment holding one workspace's
 * messages answers from Lucene's per-segment figures. For a segment several workspaces share, the collection
 * figures (messages, and per field: messages holding it, their postings, their tokens) are counted once by walking
 * its postings, and kept until the segment closes: segments never change (deletions count until a merge drops
 * them, as in Lucene's own figures). {@link #warm} counts them ahead of the first search, in the merge that wrote
 * the segment or the refresh that opened it. A term's figures are counted when a query asks for them: by walking
 * the term's postings and looking up each message's workspace, or, for a workspace holding few of the segment's
 * messages, by walking the workspace's messages and skipping through the term's postings to them. The last
 * {@value #TERMS_KEPT} terms counted in a segment are kept with it, so a word searched again costs a lookup.
 *
 * <p>What stays shared: deletions count until a merge drops them, and merges follow every workspace's writes, so
 * a workspace whose messages were edited or deleted may see its scores move a little when another workspace's
 * writes set off a merge (that a merge happened, never what another workspace holds).
 */
final class WorkspaceStatistics {

    /**
     * A term whose postings outnumber a workspace's messages in the segment this many times is counted by walking
     * the workspace's messages instead (skipping through the term's postings costs more per message than reading
     * them in a row, so the walk pays only when it is much shorter).
     */
    private static final int SKIP_RATIO = 8;

    /** Figures in a segment's arrays, per workspace: messages holding the field, postings, tokens. */
    private static final int DOCS = 0;
    private static final int POSTINGS = 1;
    private static final int TOKENS = 2;

    /**
     * Counted term figures a shared segment keeps, for all its workspaces and fields together (the least recently
     * used go first).
     */
    static final int TERMS_KEPT = 1024;

    private final Map<IndexReader.CacheKey, Segment> segments = new ConcurrentHashMap<>();
    private final LongAdder termsCounted = new LongAdder();
    private final int termsKept;

    WorkspaceStatistics() {
        this(TERMS_KEPT);
    }

    /**
     * @param termsKept counted term figures a shared segment keeps ({@value #TERMS_KEPT} in the server; 0 counts
     *     every term each time it is asked for, as the benchmark's baseline for the kept ones)
     */
    WorkspaceStatistics(int termsKept) {
        this.termsKept = termsKept;
    }

    /** Counts a segment's figures ahead of the first search that needs them. */
    void warm(LeafReader leaf) throws IOException {
        segment(leaf);
    }

    /** Segments whose figures are kept (for tests: closed segments must not stay). */
    int segmentsKept() {
        return segments.size();
    }

    /** How many times a term's figures were counted in a shared segment (for tests: a kept count is not redone). */
    long termsCounted() {
        return termsCounted.sum();
    }

    /** A searcher over the same reader whose statistics are those of one workspace's messages. */
    IndexSearcher scoped(IndexSearcher searcher, long workspaceId, Executor executor) {
        return new Scoped(searcher, new BytesRef(Long.toString(workspaceId)), executor);
    }

    private Segment segment(LeafReader leaf) throws IOException {
        IndexReader.CacheHelper helper = leaf.getCoreCacheHelper();
        if (helper == null) {
            return count(leaf);
        }
        Segment known = segments.get(helper.getKey());
        if (known != null) {
            return known;
        }
        // Two searches may count the same new segment at once; both get the same figures.
        Segment counted = count(leaf);
        if (segments.putIfAbsent(helper.getKey(), counted) == null) {
            helper.addClosedListener(segments::remove);
        }
        return counted;
    }

    private Segment count(LeafReader leaf) throws IOException {
        Terms workspaces = leaf.terms(SearchFields.WORKSPACE);
        if (workspaces == null) {
            return new Segment(Map.of(), null, null, Map.of(), null);
        }
        if (workspaces.size() == 1) {
            // One workspace's segment: Lucene's figures are its own, nothing to count.
            BytesRef only = workspaces.iterator().next();
            return new Segment(Map.of(BytesRef.deepCopyOf(only), 1), null, null, Map.of(), null);
        }
        int maxDoc = leaf.maxDoc();
        Map<BytesRef, Integer> slots = new HashMap<>();
        // Each message's workspace, as its slot from 1 (0: a document without one, counted for none).
        long known = workspaces.size();
        PackedInts.Mutable owner = PackedInts.getMutable(maxDoc, known > 0 ? PackedInts.bitsRequired(known) : 31,
                PackedInts.FASTEST);
        TermsEnum terms = workspaces.iterator();
        PostingsEnum docs = null;
        for (BytesRef id = terms.next(); id != null; id = terms.next()) {
            int slot = slots.size() + 1;
            slots.put(BytesRef.deepCopyOf(id), slot);
            docs = terms.postings(docs, PostingsEnum.NONE);
            for (int doc = docs.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = docs.nextDoc()) {
                owner.set(doc, slot);
            }
        }
        if (slots.size() <= 1) {
            return new Segment(slots, null, null, Map.of(), null);
        }
        long[] messages = new long[slots.size() + 1];
        for (int doc = 0; doc < maxDoc; doc++) {
            messages[(int) owner.get(doc)]++;
        }
        Map<String, long[][]> fields = new HashMap<>();
        for (FieldInfo info : leaf.getFieldInfos()) {
            // Fields indexed with frequencies are the scored ones (the text fields); ids and filters are not.
            Terms fieldTerms = info.getIndexOptions().compareTo(IndexOptions.DOCS_AND_FREQS) >= 0
                    ? leaf.terms(info.name) : null;
            if (fieldTerms == null) {
                continue;
            }
            long[][] figures = new long[3][slots.size() + 1];
            FixedBitSet holding = new FixedBitSet(maxDoc);
            TermsEnum fieldEnum = fieldTerms.iterator();
            PostingsEnum postings = null;
            while (fieldEnum.next() != null) {
                postings = fieldEnum.postings(postings, PostingsEnum.FREQS);
                for (int doc = postings.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = postings.nextDoc()) {
                    int slot = (int) owner.get(doc);
                    figures[POSTINGS][slot]++;
                    figures[TOKENS][slot] += postings.freq();
                    if (!holding.getAndSet(doc)) {
                        figures[DOCS][slot]++;
                    }
                }
            }
            fields.put(info.name, figures);
        }
        return new Segment(slots, owner, messages, fields, Collections.synchronizedMap(new LinkedHashMap<>(64,
                0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Counted, long[]> eldest) {
                return size() > termsKept;
            }
        }));
    }

    /** A term counted in a shared segment, for one workspace (its slot there). */
    private record Counted(String field, BytesRef term, int slot) {
    }

    /**
     * One segment's figures: which workspaces it holds (each a slot from 1) and, when it holds several, each
     * message's workspace slot, each workspace's messages, its per-field figures (indexed by slot) and the terms
     * counted last (messages holding the term, and its occurrences); null and empty for a segment of one workspace.
     */
    private record Segment(Map<BytesRef, Integer> slots, PackedInts.Reader owner, long[] messages,
                           Map<String, long[][]> fields, Map<Counted, long[]> terms) {

        boolean holds(BytesRef workspace) {
            return slots.containsKey(workspace);
        }

        boolean shared() {
            return messages != null;
        }
    }

    private final class Scoped extends IndexSearcher {

        private final BytesRef workspace;
        /** Whether every segment holds this workspace's messages alone (then Lucene's figures are its own). */
        private Boolean alone;
        /** The figures this search gave for terms only other workspaces hold (told apart by identity). */
        private final Set<TermStatistics> unheld = Collections.synchronizedSet(
                Collections.newSetFromMap(new IdentityHashMap<>()));

        Scoped(IndexSearcher searcher, BytesRef workspace, Executor executor) {
            super(searcher.getTopReaderContext(), executor);
            setSimilarity(new HeldTermsOnly(searcher.getSimilarity(), unheld));
            setQueryCache(searcher.getQueryCache());
            setQueryCachingPolicy(searcher.getQueryCachingPolicy());
            this.workspace = workspace;
        }

        @Override
        public CollectionStatistics collectionStatistics(String field) throws IOException {
            if (alone()) {
                return super.collectionStatistics(field);
            }
            long messages = 0;
            long holding = 0;
            long postings = 0;
            long tokens = 0;
            for (LeafReaderContext context : leaves()) {
                LeafReader leaf = context.reader();
                Segment segment = segment(leaf);
                if (!segment.holds(workspace)) {
                    continue;
                }
                if (!segment.shared()) {
                    messages += leaf.maxDoc();
                    Terms terms = leaf.terms(field);
                    if (terms != null) {
                        holding += terms.getDocCount();
                        postings += terms.getSumDocFreq();
                        tokens += terms.getSumTotalTermFreq();
                    }
                    continue;
                }
                int slot = segment.slots().get(workspace);
                messages += segment.messages()[slot];
                long[][] figures = segment.fields().get(field);
                if (figures != null) {
                    holding += figures[DOCS][slot];
                    postings += figures[POSTINGS][slot];
                    tokens += figures[TOKENS][slot];
                } else if (leaf.terms(field) != null) {
                    // A field without frequencies is never scored (a filter); the segment's figures keep any
                    // scoring of it valid (they bound the workspace's).
                    Terms terms = leaf.terms(field);
                    holding += terms.getDocCount();
                    postings += terms.getSumDocFreq();
                    tokens += terms.getSumTotalTermFreq();
                }
            }
            if (holding == 0) {
                // No message of this workspace has the field, so none matches a term in it: any valid figures do.
                return new CollectionStatistics(field, Math.max(messages, 1), 1, 1, 1);
            }
            return new CollectionStatistics(field, messages, holding, tokens, postings);
        }

        @Override
        public TermStatistics termStatistics(Term term, int docFreq, long totalTermFreq) throws IOException {
            if (alone()) {
                return super.termStatistics(term, docFreq, totalTermFreq);
            }
            long holding = 0;
            long occurrences = 0;
            for (LeafReaderContext context : leaves()) {
                LeafReader leaf = context.reader();
                Segment segment = segment(leaf);
                if (!segment.holds(workspace)) {
                    continue;
                }
                if (!segment.shared()) {
                    Terms terms = leaf.terms(term.field());
                    TermsEnum termsEnum = terms == null ? null : terms.iterator();
                    if (termsEnum != null && termsEnum.seekExact(term.bytes())) {
                        holding += termsEnum.docFreq();
                        occurrences += termsEnum.totalTermFreq();
                    }
                    continue;
                }
                int slot = segment.slots().get(workspace);
                long[] counted = segment.terms().get(new Counted(term.field(), term.bytes(), slot));
                if (counted == null) {
                    counted = count(leaf, segment, slot, term);
                    segment.terms().put(new Counted(term.field(), BytesRef.deepCopyOf(term.bytes()), slot), counted);
                    termsCounted.increment();
                }
                holding += counted[0];
                occurrences += counted[1];
            }
            if (holding == 0) {
                // A term only other workspaces hold matches none of this one's messages: any valid figures do for
                // a query of it alone, and a query of several (a prefix's words, a word's forms in a phrase) leaves
                // them out of its weight (HeldTermsOnly), which would otherwise grow with each such term.
                TermStatistics none = new TermStatistics(term.bytes(), 1, 1);
                unheld.add(none);
                return none;
            }
            return new TermStatistics(term.bytes(), holding, occurrences);
        }

        /** The messages of one workspace (its slot) holding a term in a shared segment, and the term's occurrences. */
        private long[] count(LeafReader leaf, Segment segment, int slot, Term term) throws IOException {
            long holding = 0;
            long occurrences = 0;
            Terms terms = leaf.terms(term.field());
            TermsEnum termsEnum = terms == null ? null : terms.iterator();
            if (termsEnum == null || !termsEnum.seekExact(term.bytes())) {
                return new long[] {0, 0};
            }
            PostingsEnum withTerm = termsEnum.postings(null, PostingsEnum.FREQS);
            if (segment.messages()[slot] * SKIP_RATIO < termsEnum.docFreq()) {
                PostingsEnum ours = leaf.postings(new Term(SearchFields.WORKSPACE, workspace), PostingsEnum.NONE);
                int doc = ours.nextDoc();
                while (doc != DocIdSetIterator.NO_MORE_DOCS) {
                    int at = withTerm.docID() < doc ? withTerm.advance(doc) : withTerm.docID();
                    if (at == DocIdSetIterator.NO_MORE_DOCS) {
                        break;
                    }
                    if (at == doc) {
                        holding++;
                        occurrences += withTerm.freq();
                        doc = ours.nextDoc();
                    } else {
                        doc = ours.advance(at);
                    }
                }
                return new long[] {holding, occurrences};
            }
            for (int doc = withTerm.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = withTerm.nextDoc()) {
                if (segment.owner().get(doc) == slot) {
                    holding++;
                    occurrences += withTerm.freq();
                }
            }
            return new long[] {holding, occurrences};
        }

        /** The index holds this workspace's messages only (a single-workspace installation): nothing to count. */
        private boolean alone() throws IOException {
            if (alone == null) {
                boolean only = true;
                for (LeafReaderContext context : leaves()) {
                    Segment segment = segment(context.reader());
                    only &= !segment.shared() && segment.holds(workspace);
                }
                alone = only;
            }
            return alone;
        }

        private List<LeafReaderContext> leaves() {
            return getIndexReader().leaves();
        }
    }

    /**
     * The searcher's similarity, weighing a query of several terms by the ones the workspace holds: Lucene adds up
     * every term's weight (BM25's idf), so a prefix expanded over the whole index's words ("zq-ol*") scored higher
     * for each word starting so that only other workspaces hold, and a score told how many there were.
     */
    private static final class HeldTermsOnly extends Similarity {

        private final Similarity scoring;
        private final Set<TermStatistics> unheld;

        HeldTermsOnly(Similarity scoring, Set<TermStatistics> unheld) {
            this.scoring = scoring;
            this.unheld = unheld;
        }

        @Override
        public long computeNorm(FieldInvertState state) {
            return scoring.computeNorm(state);
        }

        @Override
        public SimScorer scorer(float boost, CollectionStatistics collectionStats, TermStatistics... termStats) {
            if (unheld.isEmpty()) {
                return scoring.scorer(boost, collectionStats, termStats);
            }
            return scoring.scorer(boost, collectionStats,
                    Arrays.stream(termStats).filter(t -> !unheld.contains(t)).toArray(TermStatistics[]::new));
        }
    }
}
