package io.throughline.http;

import io.throughline.cannedresponse.CannedResponseRepository;
import io.throughline.cannedresponse.CannedResponseService;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server side of the agent inbox (the {@code web-ui} module): its API (canned responses, read state and the
 * other small views it needs), its libraries from webjars under {@code /vendor/}, and the headers of the app
 * itself: a strict Content-Security-Policy (scripts only from this origin, plus the hash of the inline import
 * map, which the browser cannot load from a file) and revalidation of the unversioned app files.
 */
final class WebUiRoutes {

    private static final String INDEX = "webroot/index.html";
    private static final Pattern IMPORT_MAP = Pattern.compile(
            "<script type=\"importmap\">(.*?)</script>", Pattern.DOTALL);

    private final HttpApi.Services services;
    private final String contentSecurityPolicy;

    WebUiRoutes(HttpApi.Services services) {
        this.services = services;
        this.contentSecurityPolicy = "default-src 'none'; script-src 'self' '" + importMapHash() + "';"
                + " style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; font-src 'self';"
                + " connect-src 'self'; frame-src 'self'; manifest-src 'self'; base-uri 'none';"
                + " form-action 'self'; object-src 'none'; frame-ancestors 'none'";
    }

    /** The paths of the app's own document, which has its own policy. */
    static final Set<String> APP_DOCUMENTS = Set.of("/", "/index.html");

    void mount(Router router, Endpoints endpoints, BodyHandler body) {
        new CannedResponseRoutes(new CannedResponseService(services.database(), new CannedResponseRepository()))
                .mount(router, endpoints, body);
        new InboxViewRoutes(services.database(), services.conversations(), services.connectors(),
                services.publicUrl(), services.attachments().maxBytes()).mount(router, endpoints, body);

        // Webjar paths carry their version, so a browser may keep them for a year.
        router.get("/vendor/*").handler(StaticHandler.create("META-INF/resources/webjars")
                .setDirectoryListing(false).setMaxAgeSeconds(365L * 24 * 3600).setSendVaryHeader(false));
        for (String document : APP_DOCUMENTS) {
            router.route(document).method(HttpMethod.GET).method(HttpMethod.HEAD).handler(this::appDocument);
        }
        router.route("/app/*").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(WebUiRoutes::revalidate);
    }

    private void appDocument(RoutingContext rc) {
        rc.addHeadersEndHandler(v -> rc.response().headers()
                .set("Content-Security-Policy", contentSecurityPolicy)
                .set("X-Frame-Options", "DENY")
                .set("Cross-Origin-Opener-Policy", "same-origin")
                .set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
                .set("Cache-Control", "no-cache"));
        rc.next();
    }

    /** App modules are not versioned in their paths: the browser revalidates them (a 304 when unchanged). */
    private static void revalidate(RoutingContext rc) {
        rc.addHeadersEndHandler(v -> rc.response().headers().set("Cache-Control", "no-cache"));
        rc.next();
    }

    /** The CSP source for the inline import map, computed from the shipped index.html so the two never drift. */
    private static String importMapHash() {
        try (InputStream in = WebUiRoutes.class.getClassLoader().getResourceAsStream(INDEX)) {
            if (in == null) {
                throw new IllegalStateException(INDEX + " is missing from the classpath (the web-ui module)");
            }
            Matcher matcher = IMPORT_MAP.matcher(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            if (!matcher.find()) {
                throw new IllegalStateException(INDEX + " has no <script type=\"importmap\">");
            }
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(matcher.group(1).getBytes(StandardCharsets.UTF_8));
            return "sha256-" + Base64.getEncoder().encodeToString(digest);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + INDEX, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
