package io.throughline.http;

import io.throughline.failure.ThroughlineException;
import io.throughline.failure.TooManyRequests;
import io.throughline.failure.Unavailable;
import io.throughline.store.Database;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The one place failures become answers: RFC 9457 {@code application/problem+json}. Client errors are logged at
 * debug without a stack trace; server errors at error with one, and the client sees only the request id.
 */
public final class ProblemHandler implements Handler<RoutingContext> {

    private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);
    private static final Map<Integer, String> TITLES = Map.of(
            400, "Bad request",
            401, "Authentication required",
            403, "Forbidden",
            404, "Not found",
            405, "Method not allowed",
            413, "Payload too large",
            415, "Unsupported media type",
            429, "Too many requests",
            500, "Internal server error",
            503, "Service unavailable");

    /** When a request that failed on the database should be tried again. */
    private static final int TRANSIENT_RETRY_SECONDS = 2;

    @Override
    public void handle(RoutingContext rc) {
        handle(rc, rc.statusCode());
    }

    /**
     * The handler for the router's error status {@code status}: the router calls it without setting the status
     * when the request failed before any route (a malformed escape in the path answers 400 that way).
     */
    Handler<RoutingContext> forStatus(int status) {
        return rc -> handle(rc, rc.statusCode() > 0 ? rc.statusCode() : status);
    }

    private void handle(RoutingContext rc, int status) {
        HttpServerResponse response = rc.response();
        if (response.ended() || response.closed()) {
            return;
        }
        Throwable failure = rc.failure();
        String requestId = RequestLog.id(rc);
        JsonObject problem;
        if (failure instanceof ThroughlineException e) {
            problem = problem(e.status(), e.slug(), e.title(), e.getMessage()).mergeIn(e.extensions());
            if (e instanceof TooManyRequests limited) {
                response.putHeader("Retry-After", String.valueOf(limited.retryAfterSeconds()));
            } else if (e instanceof Unavailable unavailable) {
                response.putHeader("Retry-After", String.valueOf(unavailable.retryAfterSeconds()));
            }
            log.debug("request refused status={} detail={} request={}", e.status(), e.getMessage(), requestId);
        } else if (failure instanceof DecodeException) {
            problem = problem(400, "invalid-json", "Bad request", "the body is not valid JSON");
        } else if (failure instanceof HttpException http && (http.getStatusCode() < 500
                || http.getStatusCode() == 503)) {
            // A connector's route (which cannot see our failure types) says what went wrong in the payload.
            problem = generic(http.getStatusCode());
            if (http.getPayload() != null && !http.getPayload().isBlank()) {
                problem.put("detail", http.getPayload());
            }
        } else if (status >= 400 && status < 500) {
            // The framework refused the request itself (a malformed path escape, no Host header, a multipart
            // body it cannot decode), with its own exception as the cause: the client's error all the same.
            problem = generic(status);
            log.debug("request refused by the framework status={} request={}: {}", status, requestId,
                    failure == null ? "-" : failure.toString());
        } else if (Database.isMoment(failure)) {
            // The database's moment, not the request's fault nor a bug (a deadlock broken, a statement cancelled, a
            // failover, no connection free in time): the same request may well pass when tried again.
            log.warn("request failed on the database, answered 503 method={} path={} request={}: {}",
                    rc.request().method(), rc.request().path(), requestId, failure.toString());
            problem = problem(503, "unavailable", TITLES.get(503),
                    "the database could not complete this request; try again in a moment");
            problem.put("retryAfterSeconds", TRANSIENT_RETRY_SECONDS);
            response.putHeader("Retry-After", String.valueOf(TRANSIENT_RETRY_SECONDS));
        } else {
            MDC.put("request", requestId);
            log.error("request failed method={} path={}", rc.request().method(), rc.request().path(), failure);
            MDC.remove("request");
            problem = problem(500, "internal-error", "Internal server error",
                    "something went wrong on our side; quote request id " + requestId + " when reporting it");
        }
        problem.put("instance", rc.request().path()).put("requestId", requestId);
        if (problem.getInteger("status") == 401) {
            // RFC 9110 asks a 401 to name its scheme (RFC 6750's for a token that was given and refused). A browser
            // asks for no password on Bearer: the inbox's sign-in form stays the only one.
            response.putHeader("WWW-Authenticate", rc.request().getHeader("Authorization") == null
                    ? "Bearer realm=\"throughline\"" : "Bearer realm=\"throughline\", error=\"invalid_token\"");
        }
        response.setStatusCode(problem.getInteger("status"))
                .putHeader("Content-Type", "application/problem+json")
                .putHeader("Cache-Control", "no-store")
                .end(problem.toBuffer());
    }

    private static JsonObject generic(int status) {
        String title = TITLES.getOrDefault(status, "Error");
        String detail = switch (status) {
            case 404 -> "there is no such resource";
            case 405 -> "this resource does not accept that method";
            case 413 -> "the request body is larger than allowed";
            case 415 -> "send the body as application/json";
            default -> title;
        };
        return problem(status, title.toLowerCase(Locale.ROOT).replace(' ', '-'), title, detail);
    }

    static JsonObject problem(int status, String slug, String title, String detail) {
        return new JsonObject()
                .put("type", "urn:throughline:problem:" + slug)
                .put("title", title)
                .put("status", status)
                .put("detail", detail);
    }
}
