package io.throughline.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;

/** The baseline: a bare Vert.x WebSocket server that echoes every text frame, with nothing behind it. */
final class EchoServer implements AutoCloseable {

    private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(
            Runtime.getRuntime().availableProcessors()));
    private final HttpServer server;

    EchoServer() {
        server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setIdleTimeout(0))
                .webSocketHandler(ws -> ws.textMessageHandler(ws::writeTextMessage))
                .listen(0).await();
    }

    String url() {
        return "ws://127.0.0.1:" + server.actualPort() + "/echo";
    }

    @Override
    public void close() {
        vertx.close().await();
    }
}
