package io.throughline.failure;

import io.vertx.core.json.JsonObject;

/**
 * A failure the client can act on. Each subclass fixes the HTTP status and problem type; the message is the
 * problem's {@code detail}, written for the API user, and must not contain secrets.
 */
public abstract sealed class ThroughlineException extends RuntimeException
        permits NotFound, Conflict, Invalid, Forbidden, Unauthorized, TooManyRequests, PayloadTooLarge,
        UnsupportedMediaType, Unavailable, PreconditionFailed {

    protected ThroughlineException(String detail) {
        super(detail);
    }

    public abstract int status();

    /** A short, stable slug for the problem {@code type}: {@code /problems/<slug>}. */
    public abstract String slug();

    public abstract String title();

    /** Extension members of the problem object, e.g. the field errors of {@link Invalid}. */
    public JsonObject extensions() {
        return new JsonObject();
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        // Client errors are logged without a stack trace (as Eclipse Hono does); capturing one is wasted work.
        return this;
    }
}
