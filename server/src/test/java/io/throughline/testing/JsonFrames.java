package io.throughline.testing;

import io.vertx.core.json.JsonObject;
import java.net.http.WebSocket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.BooleanSupplier;

/**
 * A WebSocket listener that queues each text message as a JSON object and completes {@link #closed()} with the close
 * code (-1 on an error). It asks for the next frame only while {@code reading} says so, so a test can play a client
 * that stopped reading.
 */
final class JsonFrames implements WebSocket.Listener {

    private final BlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final StringBuilder partial = new StringBuilder();
    private final BooleanSupplier reading;

    JsonFrames(BooleanSupplier reading) {
        this.reading = reading;
    }

    BlockingQueue<JsonObject> frames() {
        return frames;
    }

    CompletableFuture<Integer> closed() {
        return closed;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
        webSocket.request(1);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
        partial.append(data);
        if (last) {
            frames.add(new JsonObject(partial.toString()));
            partial.setLength(0);
        }
        if (reading.getAsBoolean()) {
            webSocket.request(1);
        }
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
        closed.complete(statusCode);
        return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
        closed.complete(-1);
    }
}
