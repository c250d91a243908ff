package io.throughline.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Random;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/** Customer messages at a steady rate through an API inbox (the real ingest path), while the queries run. */
final class SearchIngest {

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong sent = new AtomicLong();
    private final Semaphore inFlight = new Semaphore(64);
    private final long startedNanos = System.nanoTime();
    private Thread thread;

    private SearchIngest() {
    }

    static SearchIngest start(String url, String agentToken, SearchCorpus corpus, int rate, long seed)
            throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        JsonObject inbox = new JsonObject(http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/inboxes"))
                .header("Authorization", "Bearer " + agentToken).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("kind", "api").put("name", "Bench")
                        .put("config", new JsonObject().put("webhookUrl", "http://127.0.0.1:9/unused")).encode()))
                .build(), HttpResponse.BodyHandlers.ofString()).body());
        String endpoint = url + "/api/v1/inboxes/" + inbox.getLong("id") + "/inbound";
        String token = inbox.getString("token");
        SearchIngest ingest = new SearchIngest();
        long interval = TimeUnit.SECONDS.toNanos(1) / Math.max(1, rate);
        Random random = new Random(seed + 7);
        ingest.thread = Thread.ofPlatform().daemon().name("bench-ingest").start(() -> {
            long next = System.nanoTime();
            for (int i = 0; ingest.running.get(); i++) {
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                next += interval;
                String body = corpus.message(random, i).text();
                JsonObject message = new JsonObject().put("externalId", "live-" + i).put("body", body)
                        .put("contact", new JsonObject().put("name", "Live " + (i % 1000)).put("identities",
                                new JsonArray().add(new JsonObject().put("kind", "external_id")
                                        .put("value", "live-" + (i % 1000)))));
                // Open loop: the next message leaves on time even while earlier ones are still being stored.
                try {
                    ingest.inFlight.acquire();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                http.sendAsync(HttpRequest.newBuilder(URI.create(endpoint)).header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(message.encode())).build(),
                        HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
                            ingest.inFlight.release();
                            if (error == null && response.statusCode() < 300) {
                                ingest.sent.incrementAndGet();
                            } else if (ingest.running.get()) {
                                System.err.println("ingest failed: " + (error != null ? error : response.statusCode()));
                            }
                        });
            }
        });
        return ingest;
    }

    /** Stops; returns the rate achieved, in messages per second. */
    double stop() throws InterruptedException {
        running.set(false);
        thread.join();
        inFlight.acquire(64);
        return sent.get() / ((System.nanoTime() - startedNanos) / 1e9);
    }
}
