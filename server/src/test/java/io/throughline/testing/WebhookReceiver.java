package io.throughline.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP endpoint standing in for another system's webhook: it records every request and answers with the
 * status the test sets (503 while "down").
 */
public final class WebhookReceiver implements AutoCloseable {

    /** One received request. */
    public record Received(Map<String, List<String>> headers, String body) {
        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().getFirst()).findFirst().orElse(null);
        }
    }

    private final HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger status = new AtomicInteger(200);
    private volatile String retryAfter;
    private volatile String answerBody = "{\"id\":\"ext-1\"}";
    private final Object gate = new Object();
    private boolean holding;
    private volatile boolean trickling;

    public WebhookReceiver() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.setExecutor(Executors.newCachedThreadPool());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            received.add(new Received(Map.copyOf(exchange.getRequestHeaders()),
                    new String(body, StandardCharsets.UTF_8)));
            synchronized (gate) {
                while (holding) {
                    try {
                        gate.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
            if (trickling) {
                // An answer that never ends: a byte every half second, each soon enough to keep the line alive.
                exchange.sendResponseHeaders(200, 0);
                try (var out = exchange.getResponseBody()) {
                    for (int i = 0; i < 240 && trickling; i++) {
                        out.write(' ');
                        out.flush();
                        Thread.sleep(500);
                    }
                } catch (IOException | InterruptedException e) {
                    // the sender gave up: that is the point
                }
                exchange.close();
                return;
            }
            byte[] answer = answerBody.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            String wait = retryAfter;
            if (wait != null) {
                exchange.getResponseHeaders().add("Retry-After", wait);
            }
            exchange.sendResponseHeaders(status.get(), answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    public void respondWith(int code) {
        respondWith(code, null);
    }

    /** Answers with this status and, unless null, a {@code Retry-After} header of this value. */
    public void respondWith(int code, String retryAfterValue) {
        retryAfter = retryAfterValue;
        status.set(code);
    }

    /** Answers with this body from now on ({@code {"id":"ext-1"}} until told otherwise). */
    public void answerWith(String answer) {
        answerBody = answer;
    }

    /** While holding, requests are recorded but not answered: the sender hangs mid-request, as on a crash. */
    public void holdResponses(boolean hold) {
        synchronized (gate) {
            holding = hold;
            gate.notifyAll();
        }
    }

    /** While trickling, an answer starts at once and then never ends, a byte at a time. */
    public void trickle(boolean on) {
        trickling = on;
    }

    public List<Received> received() {
        return List.copyOf(received);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
