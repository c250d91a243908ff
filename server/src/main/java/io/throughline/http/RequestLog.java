package io.throughline.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives every request an id (the caller's {@code X-Request-Id} when it looks sane, else a new one), echoes it in
 * the answer, and writes one access line per request: at INFO for client and server errors, DEBUG otherwise.
 */
public final class RequestLog implements Handler<RoutingContext> {

    private static final Logger log = LoggerFactory.getLogger("io.throughline.http.access");
    private static final String KEY = "requestId";
    private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    @Override
    public void handle(RoutingContext rc) {
        String given = rc.request().getHeader("X-Request-Id");
        String id = given != null && SANE.matcher(given).matches() ? given : UUID.randomUUID().toString();
        rc.put(KEY, id);
        rc.response().putHeader("X-Request-Id", id);
        long started = System.nanoTime();
        rc.addBodyEndHandler(v -> {
            int status = rc.response().getStatusCode();
            long ms = (System.nanoTime() - started) / 1_000_000;
            String path = rc.request().path();
            if (status >= 500) {
                log.warn("http method={} path={} status={} ms={} request={}", rc.request().method(), path, status,
                        ms, id);
            } else if (status >= 400) {
                log.info("http method={} path={} status={} ms={} request={}", rc.request().method(), path, status,
                        ms, id);
            } else if (log.isDebugEnabled()) {
                log.debug("http method={} path={} status={} ms={} request={}", rc.request().method(), path, status,
                        ms, id);
            }
        });
        rc.next();
    }

    public static String id(RoutingContext rc) {
        String id = rc.get(KEY);
        return id == null ? "-" : id;
    }
}
