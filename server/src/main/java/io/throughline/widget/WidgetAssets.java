package io.throughline.widget;

import io.throughline.http.ClientAddress;
import io.throughline.http.Endpoints;
import io.throughline.http.Params;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The widget's files: {@code /widget.js} (the loader a site embeds), the chat frame's page
 * {@code /widget/v1/frame?siteKey=} and its scripts under {@code /widget/assets/}.
 *
 * <p>The frame is the only page of this server that may be framed, and only by the widget's allowed origins: its
 * CSP {@code frame-ancestors} names them, and the {@code X-Frame-Options: DENY} every other answer carries is
 * removed from it.
 */
final class WidgetAssets {

    private static final String LOADER = "webroot/widget.js";
    private static final String FRAME = "widget/frame.html";

    private final SiteDirectory sites;
    private final ClientAddress clients;
    private final Supplier<URI> publicUrl;
    private final Buffer loader;
    private final Buffer frame;

    WidgetAssets(SiteDirectory sites, ClientAddress clients, Supplier<URI> publicUrl) {
        this.sites = sites;
        this.clients = clients;
        this.publicUrl = publicUrl;
        this.loader = resource(LOADER);
        this.frame = resource(FRAME);
    }

    void mount(Router router, Endpoints endpoints) {
        router.get("/widget.js").handler(rc -> rc.response()
                .putHeader("Content-Type", "text/javascript; charset=utf-8")
                .putHeader("Cache-Control", "public, max-age=300")
                .putHeader("Access-Control-Allow-Origin", "*")
                .end(loader));
        // The handler looks a file up below its root by the path after the route's "/widget/assets/".
        router.get("/widget/assets/*").handler(StaticHandler.create("webroot/widget/assets").setMaxAgeSeconds(300)
                .setDefaultContentEncoding("UTF-8"));
        router.get("/widget/v1/frame").handler(rc -> {
            String siteKey = Params.query(rc, "siteKey");
            Context context = Vertx.currentContext();
            String ip = clients.ip(rc.request());
            endpoints.blocking(rc, () -> {
                try {
                    Optional<Site> site = siteKey == null ? Optional.empty() : sites.bySiteKey(siteKey, ip);
                    context.runOnContext(v -> frame(rc, site));
                } catch (RuntimeException e) {
                    // A 429 or a database outage: answered as a problem, never a request left hanging.
                    context.runOnContext(v -> rc.fail(e));
                }
            });
        });
    }

    private void frame(RoutingContext rc, Optional<Site> site) {
        HttpServerResponse response = rc.response();
        response.headers().remove("X-Frame-Options");
        if (site.isEmpty()) {
            response.setStatusCode(404).putHeader("Content-Type", "text/plain; charset=utf-8")
                    .putHeader("X-Frame-Options", "DENY")
                    .end("This chat is not available: the widget's site key is unknown or the widget is disabled.");
            return;
        }
        String ancestors = site.get().settings().allowedOrigins().stream().map(OriginPattern::toString)
                .collect(Collectors.joining(" "));
        String host = rc.request().getHeader("Host");
        String sockets = host == null ? "" : " ws://" + host + " wss://" + host;
        response.putHeader("Content-Type", "text/html; charset=utf-8")
                .putHeader("Cache-Control", "no-store")
                .putHeader("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self';"
                        + " img-src 'self' blob: data:; connect-src 'self'" + sockets + "; base-uri 'none';"
                        + " form-action 'none'; frame-ancestors 'self' " + ancestors)
                .end(frame);
    }

    private static Buffer resource(String path) {
        try (InputStream in = WidgetAssets.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("the widget's " + path + " is missing from the classpath"
                        + " (build the web-ui module)");
            }
            return Buffer.buffer(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }
}
