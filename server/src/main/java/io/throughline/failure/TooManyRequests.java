package io.throughline.failure;

import io.vertx.core.json.JsonObject;
import java.time.Duration;

/** HTTP 429: a rate limit was hit; the answer carries {@code Retry-After}. */
public final class TooManyRequests extends ThroughlineException {

    private final Duration retryAfter;

    public TooManyRequests(String detail, Duration retryAfter) {
        super(detail);
        this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
        return retryAfter;
    }

    /** Whole seconds, at least 1, as the Retry-After header wants them. */
    public long retryAfterSeconds() {
        return Math.max(1, (retryAfter.toMillis() + 999) / 1000);
    }

    @Override
    public int status() {
        return 429;
    }

    @Override
    public String slug() {
        return "rate-limited";
    }

    @Override
    public String title() {
        return "Too many requests";
    }

    @Override
    public JsonObject extensions() {
        return new JsonObject().put("retryAfterSeconds", retryAfterSeconds());
    }
}
