package io.throughline.demo;

import io.throughline.store.Database;
import io.throughline.store.Sql;
import io.throughline.widget.WidgetConnector;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code GET /demo}: a sample shop page with the chat widget embedded, so a newcomer sees the whole loop at once:
 * write as a customer here, answer as an agent in the inbox.
 */
public final class DemoPage {

    public static final String PATH = "/demo";
    /** The widget inbox the first start creates for this page. */
    public static final String WIDGET_INBOX = "Demo shop website";
    private static final String TEMPLATE = "demo/shop.html";

    private final Database database;
    private final Supplier<URI> publicUrl;
    private final String template;

    public DemoPage(Database database, Supplier<URI> publicUrl) {
        this.database = database;
        this.publicUrl = publicUrl;
        this.template = read();
    }

    /** The demo widget inbox's site key, while it exists and is enabled. */
    public static Optional<String> siteKey(Sql sql) {
        return sql.one("""
                SELECT config ->> 'siteKey' AS site_key FROM inboxes
                WHERE workspace_id = (SELECT min(id) FROM workspaces) AND kind = 'widget' AND name = $1
                  AND enabled AND deleted_at IS NULL
                ORDER BY id LIMIT 1""", WIDGET_INBOX).map(r -> r.getString("site_key"));
    }

    public void mount(Router router) {
        router.get(PATH).handler(rc -> {
            Context context = Vertx.currentContext();
            Thread.ofVirtual().name("demo-page").start(() -> {
                Optional<String> key;
                try {
                    key = siteKey(database.sql());
                } catch (RuntimeException e) {
                    context.runOnContext(v -> rc.fail(e));
                    return;
                }
                context.runOnContext(v -> render(rc, key));
            });
        });
    }

    private void render(RoutingContext rc, Optional<String> siteKey) {
        String widget = siteKey.map(key -> WidgetConnector.snippet(publicUrl.get(), key))
                .orElse("<p class=\"notice\">The demo widget inbox (\"" + WIDGET_INBOX + "\") was removed or"
                        + " disabled. Create a widget inbox that allows this origin and paste its snippet into any"
                        + " page.</p>");
        rc.response().putHeader("Content-Type", "text/html; charset=utf-8").putHeader("Cache-Control", "no-store")
                .end(Buffer.buffer(template.replace("<!-- throughline-widget -->", widget)
                        .replace("{{INBOX_URL}}", publicUrl.get() + "/"), "UTF-8"));
    }

    private static String read() {
        try (InputStream in = DemoPage.class.getClassLoader().getResourceAsStream(TEMPLATE)) {
            if (in == null) {
                throw new IllegalStateException(TEMPLATE + " is missing from the classpath (build the web-ui module)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + TEMPLATE, e);
        }
    }
}
