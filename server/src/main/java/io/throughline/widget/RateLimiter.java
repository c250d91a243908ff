package io.throughline.widget;

import io.throughline.failure.TooManyRequests;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A token bucket per key ({@code limit} per {@code window}, refilled continuously): constant memory per key even
 * for the high limits a load test sets, and an exact Retry-After. Kept per node, like the login throttle: N nodes
 * give a client N times the budget, which still bounds abuse.
 */
final class RateLimiter {

    private final Clock clock;
    private final double capacity;
    private final double perMilli;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    private static final class Bucket {
        double tokens;
        long at;

        Bucket(double tokens, long at) {
            this.tokens = tokens;
            this.at = at;
        }
    }

    RateLimiter(Clock clock, int limit, Duration window) {
        this.clock = clock;
        this.capacity = limit;
        this.perMilli = limit / (double) Math.max(1, window.toMillis());
    }

    /** Takes one token for {@code key}, or throws {@link TooManyRequests} saying when the next one is due. */
    void acquire(String key, String detail) {
        long wait = take(key);
        if (wait > 0) {
            throw new TooManyRequests(detail, Duration.ofMillis(wait));
        }
    }

    /** Takes one token for {@code key} if there is one. */
    boolean tryAcquire(String key) {
        return take(key) == 0;
    }

    /** 0 when a token was taken, else the milliseconds until the next one. */
    private long take(String key) {
        long now = clock.millis();
        Bucket bucket = buckets.computeIfAbsent(key, k -> new Bucket(capacity, now));
        synchronized (bucket) {
            refill(bucket, now);
            if (bucket.tokens >= 1) {
                bucket.tokens -= 1;
                return 0;
            }
            return Math.max(1, (long) Math.ceil((1 - bucket.tokens) / perMilli));
        }
    }

    /** Forgets full buckets, so idle keys cost nothing; called periodically. */
    void sweep() {
        long now = clock.millis();
        buckets.entrySet().removeIf(e -> {
            synchronized (e.getValue()) {
                refill(e.getValue(), now);
                return e.getValue().tokens >= capacity;
            }
        });
    }

    private void refill(Bucket bucket, long now) {
        if (now > bucket.at) {
            bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.at) * perMilli);
            bucket.at = now;
        }
    }
}
