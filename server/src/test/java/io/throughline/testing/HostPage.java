package io.throughline.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

/**
 * A customer's website on another origin than Throughline (its own HTTP server, on 127.0.0.1 while Throughline is
 * reached as localhost: another site to the browser, so the chat frame runs as a third-party frame). Its pages
 * carry deliberately hostile CSS, to show that the widget is not at the mercy of the page.
 */
public final class HostPage implements AutoCloseable {

    private final HttpServer server;
    private final Map<String, String> pages = new ConcurrentHashMap<>();

    public HostPage() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> {
            String html = pages.get(exchange.getRequestURI().getPath());
            byte[] body = (html == null ? "not found" : html).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", html == null ? "text/plain" : "text/html; charset=utf-8");
            exchange.sendResponseHeaders(html == null ? 404 : 200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    /** The origin the browser sees for this site. */
    public String origin() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public String url(String path) {
        return origin() + path;
    }

    /** Publishes a page embedding the widget snippet; {@code script} runs before the loader (identify calls). */
    public String embed(String path, String throughlineUrl, String siteKey, String script) {
        pages.put(path, """
                <!doctype html>
                <html lang="en">
                <head>
                <meta charset="utf-8">
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <title>Acme Garden Supplies</title>
                <style>
                  /* A careless site: global rules that would wreck an embedded widget that did not isolate itself. */
                  * { font-family: "Comic Sans MS", cursive !important; box-sizing: content-box !important; }
                  button { background: hotpink !important; border: 4px dashed black !important; }
                  iframe { display: none !important; }
                  div { transform: rotate(1deg); }
                  body { margin: 0; padding: 40px; background: #f5f5dc; }
                </style>
                </head>
                <body>
                <h1>Acme Garden Supplies</h1>
                <p>Seeds, tools and advice since 1987.</p>
                <button type="button">Add to cart</button>
                <script>
                  window.Throughline = window.Throughline || function () {
                    (window.Throughline.q = window.Throughline.q || []).push(arguments);
                  };
                  %s
                </script>
                <script src="%s/widget.js" data-site-key="%s" async></script>
                </body>
                </html>
                """.formatted(script == null ? "" : script, throughlineUrl, siteKey));
        return url(path);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
