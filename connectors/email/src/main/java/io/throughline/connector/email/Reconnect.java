package io.throughline.connector.email;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Reconnect waits: 1s doubling to 5 minutes, ±20% so many inboxes on one dead server do not retry in step. */
final class Reconnect {

    private static final Duration FIRST = Duration.ofSeconds(1);
    private static final Duration MAX = Duration.ofMinutes(5);

    private Reconnect() {
    }

    static Duration after(int failures) {
        double base = FIRST.toMillis() * Math.pow(2, Math.min(20, Math.max(0, failures - 1)));
        double capped = Math.min(base, MAX.toMillis());
        return Duration.ofMillis(Math.round(capped * (0.8 + ThreadLocalRandom.current().nextDouble() * 0.4)));
    }
}
