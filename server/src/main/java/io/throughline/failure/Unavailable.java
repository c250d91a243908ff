package io.throughline.failure;

import io.vertx.core.json.JsonObject;
import java.time.Duration;

/** HTTP 503: a part of the server is not ready yet (the search index being built); the answer has Retry-After. */
public final class Unavailable extends ThroughlineException {

    private final Duration retryAfter;

    public Unavailable(String detail, Duration retryAfter) {
        super(detail);
        this.retryAfter = retryAfter;
    }

    /** Whole seconds, at least 1, as the Retry-After header wants them. */
    public long retryAfterSeconds() {
        return Math.max(1, (retryAfter.toMillis() + 999) / 1000);
    }

    @Override
    public int status() {
        return 503;
    }

    @Override
    public String slug() {
        return "unavailable";
    }

    @Override
    public String title() {
        return "Service unavailable";
    }

    @Override
    public JsonObject extensions() {
        return new JsonObject().put("retryAfterSeconds", retryAfterSeconds());
    }
}
