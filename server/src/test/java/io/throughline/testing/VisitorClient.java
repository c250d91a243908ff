package io.throughline.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A widget visitor at the protocol level, as the chat frame speaks it: sessions, the WebSocket, and the HTTP
 * fallback. It sends the Origin a browser would, so origin rules apply to it.
 */
public final class VisitorClient {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final String baseUrl;
    private final String siteKey;
    private final String origin;
    private JsonObject session;

    public VisitorClient(String baseUrl, String siteKey, String origin) {
        this.baseUrl = baseUrl;
        this.siteKey = siteKey;
        this.origin = origin;
    }

    /** Starts a session (or resumes this client's) and expects success. */
    public VisitorClient start() {
        return start(null);
    }

    public VisitorClient start(JsonObject identity) {
        ApiClient.Response response = session(identity, token());
        if (response.status() != 200 && response.status() != 201) {
            throw new AssertionError("session refused: " + response.status() + " " + response.body());
        }
        session = response.json();
        return this;
    }

    /** A raw session request: {siteKey, visitorToken?, identity?} with this client's Origin. */
    public ApiClient.Response session(JsonObject identity, String visitorToken) {
        JsonObject body = new JsonObject().put("siteKey", siteKey).put("pageUrl", origin + "/pricing")
                .put("pageTitle", "Pricing").put("locale", "en-US");
        if (identity != null) {
            body.put("identity", identity);
        }
        if (visitorToken != null) {
            body.put("visitorToken", visitorToken);
        }
        return post("/widget/v1/sessions", body, false);
    }

    public JsonObject session() {
        return session;
    }

    public String token() {
        return session == null ? null : session.getString("visitorToken");
    }

    public String visitorId() {
        return session.getJsonObject("visitor").getString("id");
    }

    public long seq() {
        return session.getLong("seq");
    }

    public Socket connect(Long since) {
        return connect(session.getJsonObject("socket").getString("token"), since);
    }

    public Socket connect(String ticket, Long since) {
        String url = baseUrl.replaceFirst("^http", "ws") + "/widget/v1/ws?token=" + ticket
                + (since == null ? "" : "&since=" + since);
        return new Socket(url, origin);
    }

    public ApiClient.Response send(String clientId, String body) {
        return post("/widget/v1/messages", new JsonObject().put("clientId", clientId).put("body", body), true);
    }

    public ApiClient.Response send(JsonObject message) {
        return post("/widget/v1/messages", message, true);
    }

    public JsonArray history() {
        ApiClient.Response response = get("/widget/v1/messages").expect(200);
        return response.json().getJsonArray("messages");
    }

    public ApiClient.Response get(String path) {
        return request(builder(path, true).GET());
    }

    public ApiClient.Response post(String path, JsonObject body, boolean authenticated) {
        return request(builder(path, authenticated).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.encode())));
    }

    /** A request with a raw body, for malformed input. */
    public ApiClient.Response raw(String method, String path, String contentType, String body) {
        return request(builder(path, true).header("Content-Type", contentType)
                .method(method, HttpRequest.BodyPublishers.ofString(body)));
    }

    /** A multipart upload of one file. */
    public ApiClient.Response upload(byte[] content, String filename, String contentType) {
        ApiClient.Multipart body = ApiClient.Multipart.of(filename, contentType, content);
        return request(builder("/widget/v1/uploads", true).header("Content-Type", body.contentType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes())));
    }

    private HttpRequest.Builder builder(String path, boolean authenticated) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(Duration.ofSeconds(90)).header("Origin", origin);
        if (authenticated && token() != null) {
            builder.header("Authorization", "Bearer " + token());
        }
        return builder;
    }

    private static ApiClient.Response request(HttpRequest.Builder builder) {
        try {
            HttpResponse<String> response = HTTP.send(builder.build(), HttpResponse.BodyHandlers.ofString());
            return new ApiClient.Response(response.statusCode(), response.headers(), response.body());
        } catch (IOException e) {
            throw new IllegalStateException("request failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** One visitor WebSocket: every frame it receives, and how it was closed. */
    public static final class Socket implements AutoCloseable {
        private final JsonFrames listener = new JsonFrames(() -> true);
        private final BlockingQueue<JsonObject> frames = listener.frames();
        private final List<JsonObject> seen = new ArrayList<>();
        private final CompletableFuture<Integer> closed = listener.closed();
        private final WebSocket socket;

        Socket(String url, String origin) {
            this.socket = HttpClient.newHttpClient().newWebSocketBuilder()
                    .header("Origin", origin)
                    .connectTimeout(Duration.ofSeconds(5))
                    .buildAsync(URI.create(url), listener).join();
        }

        public void send(JsonObject frame) {
            sendText(frame.encode());
        }

        public void sendText(String text) {
            socket.sendText(text, true).join();
        }

        /** Sends a message frame and returns its client id. */
        public String message(String body) {
            String clientId = UUID.randomUUID().toString();
            send(new JsonObject().put("type", "message").put("clientId", clientId).put("body", body));
            return clientId;
        }

        /** The next frame matching the filter; frames skipped on the way are kept for {@link #received()}. */
        public JsonObject next(Predicate<JsonObject> filter, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                long left = deadline - System.nanoTime();
                JsonObject frame;
                try {
                    frame = left <= 0 ? null : frames.poll(left, TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
                if (frame == null) {
                    throw new AssertionError("no matching frame within " + timeout + "; got " + seen);
                }
                synchronized (seen) {
                    seen.add(frame);
                }
                if (filter.test(frame)) {
                    return frame;
                }
            }
        }

        /** Waits until a frame of each type has arrived, in any order; answers them by type. */
        public Map<String, JsonObject> collect(Duration timeout, String... types) {
            Map<String, JsonObject> found = new HashMap<>();
            Set<String> wanted = Set.of(types);
            next(f -> {
                String type = f.getString("type");
                if (wanted.contains(type)) {
                    found.putIfAbsent(type, f);
                }
                return found.keySet().containsAll(wanted);
            }, timeout);
            return found;
        }

        public JsonObject next(String type, Duration timeout) {
            return next(f -> type.equals(f.getString("type")), timeout);
        }

        /** Frames that arrive within the window (to show nothing else comes). */
        public List<JsonObject> drain(Duration window) {
            List<JsonObject> out = new ArrayList<>();
            long deadline = System.nanoTime() + window.toNanos();
            try {
                while (true) {
                    long left = deadline - System.nanoTime();
                    JsonObject frame = left <= 0 ? null : frames.poll(left, TimeUnit.NANOSECONDS);
                    if (frame == null) {
                        return out;
                    }
                    out.add(frame);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return out;
            }
        }

        public List<JsonObject> received() {
            synchronized (seen) {
                return List.copyOf(seen);
            }
        }

        /** Whether the server closed the socket. */
        public boolean closedByServer() {
            return closed.isDone();
        }

        public int awaitClose(Duration timeout) {
            return closed.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).join();
        }

        @Override
        public void close() {
            if (!socket.isOutputClosed()) {
                socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
            }
            socket.abort();
        }
    }
}
