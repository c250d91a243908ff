package io.throughline.search;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where a rebuild stands, for the health check, {@code GET /api/v1/ops/search/rebuild} and the progress bar of
 * {@code ./throughline reindex}. Updated by the build's threads, read by anyone.
 */
public final class RebuildProgress {

    /** The steps of a rebuild, in order; the last three are final. */
    public enum Phase {
        /** Reading every message from PostgreSQL into the new generation. */
        SCANNING,
        /** Applying the events committed during the scan. */
        CATCHING_UP,
        /** Putting the new generation in service. */
        SWAPPING,
        DONE,
        FAILED,
        CANCELLED;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public boolean finished() {
            return this == DONE || this == FAILED || this == CANCELLED;
        }
    }

    private final String generation;
    private final String reason;
    private final Instant startedAt = Instant.now();
    private final long startedNanos = System.nanoTime();
    private final AtomicLong indexed = new AtomicLong();
    private volatile long total;
    private volatile Phase phase = Phase.SCANNING;
    private volatile long scanNanos;
    private volatile Instant finishedAt;
    private volatile String error;

    RebuildProgress(String generation, String reason) {
        this.generation = generation;
        this.reason = reason;
    }

    void total(long messages) {
        total = messages;
    }

    void indexed(long messages) {
        indexed.addAndGet(messages);
    }

    void phase(Phase next) {
        if (phase == Phase.SCANNING && next != Phase.SCANNING) {
            scanNanos = System.nanoTime() - startedNanos;
        }
        phase = next;
        if (next.finished()) {
            finishedAt = Instant.now();
        }
    }

    void failed(String message) {
        error = message;
        phase(Phase.FAILED);
    }

    public Phase phase() {
        return phase;
    }

    public String generation() {
        return generation;
    }

    public long indexed() {
        return indexed.get();
    }

    public long total() {
        return Math.max(total, indexed.get());
    }

    public String error() {
        return error;
    }

    /** Messages indexed per second during the scan. */
    public double rate() {
        long nanos = phase == Phase.SCANNING ? System.nanoTime() - startedNanos : scanNanos;
        return nanos <= 0 ? 0 : indexed.get() * 1e9 / nanos;
    }

    /** Seconds until the scan ends at the current rate; -1 when unknown. */
    public long etaSeconds() {
        double rate = rate();
        if (phase != Phase.SCANNING) {
            return 0;
        }
        if (rate <= 0) {
            return -1;
        }
        return (long) Math.ceil((total() - indexed.get()) / rate);
    }

    public JsonObject toJson() {
        long all = total();
        return new JsonObject()
                .put("generation", generation)
                .put("reason", reason)
                .put("state", phase.finished() ? phase.wireName() : "running")
                .put("phase", phase.wireName())
                .put("startedAt", startedAt.toString())
                .put("finishedAt", finishedAt == null ? null : finishedAt.toString())
                .put("messagesIndexed", indexed.get())
                .put("messagesTotal", all)
                .put("percent", all == 0 ? (phase == Phase.SCANNING ? 0 : 100) : Math.min(100, indexed.get() * 100 / all))
                .put("messagesPerSecond", Math.round(rate()))
                .put("etaSeconds", etaSeconds())
                .put("error", error);
    }
}
