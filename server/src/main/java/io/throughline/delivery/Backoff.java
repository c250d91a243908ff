package io.throughline.delivery;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with ±20% jitter, so retries of many deliveries to one dead endpoint spread out. */
public record Backoff(Duration initial, Duration max) {

    /** The wait after the given attempt (1 = the first attempt failed). */
    public Duration after(int attempt) {
        double base = initial.toMillis() * Math.pow(2, Math.max(0, attempt - 1));
        double capped = Math.min(base, max.toMillis());
        double jitter = 0.8 + ThreadLocalRandom.current().nextDouble() * 0.4;
        return Duration.ofMillis(Math.max(1, Math.round(capped * jitter)));
    }
}
