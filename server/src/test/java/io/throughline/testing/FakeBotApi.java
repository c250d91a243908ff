package io.throughline.testing;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Telegram Bot API server for tests, speaking the real wire format, so the real TelegramBots client talks to it
 * unchanged (through {@code apiUrl}):
 * <ul>
 *   <li>{@code POST /bot<token>/<method>} with JSON, urlencoded or multipart parameters; method names match
 *       case-insensitively, as TelegramBots sends some in lower case;</li>
 *   <li>answers {@code {ok:true, result}} or {@code {ok:false, error_code, description, parameters:{retry_after}}}
 *       with the error code as HTTP status;</li>
 *   <li>getUpdates confirms everything below {@code offset} and parks for {@code timeout} seconds when nothing is
 *       waiting; a second concurrent getUpdates ends the first with 409, as Telegram does;</li>
 *   <li>setWebhook / deleteWebhook / getWebhookInfo, and webhook delivery one update at a time with the
 *       {@code X-Telegram-Bot-Api-Secret-Token} header, repeating an update until it gets a 2xx;</li>
 *   <li>getFile and {@code GET /file/bot<token>/<path>} downloads, with the 20 MB limit;</li>
 *   <li>sendMessage (validating HTML parse mode like Telegram), sendPhoto, sendDocument.</li>
 * </ul>
 * Tests script failures (an error answer, a dropped connection), block the bot for a user, and hold downloads.
 */
public final class FakeBotApi implements AutoCloseable {

    static final long FILE_LIMIT = 20L * 1024 * 1024;

    private final Vertx vertx = Vertx.vertx();
    private final HttpServer server;
    private final HttpClient webhookClient;
    private final Map<String, FakeBot> bots = new ConcurrentHashMap<>();
    private final Path uploads;

    private FakeBotApi() {
        uploads = Scratch.dir("fake-bot-api");
        Router router = Router.router(vertx);
        router.route().handler(BodyHandler.create(uploads.toString()).setHandleFileUploads(true)
                .setDeleteUploadedFilesOnEnd(true).setBodyLimit(60L * 1024 * 1024));
        router.getWithRegex("/file/bot([^/]+)/(.+)").handler(this::download);
        router.routeWithRegex("/bot([^/]+)/([A-Za-z]+)").handler(this::method);
        router.route().handler(rc -> error(rc, 404, "Not Found", null));
        server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1").await();
        webhookClient = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(2_000));
    }

    public static FakeBotApi start() {
        return new FakeBotApi();
    }

    /** The base URL to put in a telegram inbox's {@code apiUrl}. */
    public String apiUrl() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    public FakeBot addBot(String token, long id, String username) {
        FakeBot bot = new FakeBot(vertx, webhookClient, token, id, username);
        bots.put(token, bot);
        return bot;
    }

    @Override
    public void close() {
        vertx.close().await();
    }

    // ---------------------------------------------------------------- the Bot API

    private void method(RoutingContext rc) {
        FakeBot bot = bots.get(rc.pathParam("param0"));
        if (bot == null) {
            error(rc, 401, "Unauthorized", null);
            return;
        }
        String method = rc.pathParam("param1").toLowerCase(Locale.ROOT);
        JsonObject params = params(rc);
        Failure failure = bot.called(method);
        if (failure != null) {
            if (failure.code() == 0) {
                rc.request().connection().close();
            } else {
                error(rc, failure.code(), failure.description(), failure.retryAfter());
            }
            return;
        }
        switch (method) {
            case "getme" -> ok(rc, bot.user());
            case "getupdates" -> bot.getUpdates(rc, params);
            case "deletewebhook" -> bot.deleteWebhook(rc, params);
            case "setwebhook" -> bot.setWebhook(rc, params);
            case "getwebhookinfo" -> bot.webhookInfo(rc);
            case "sendmessage" -> bot.sendMessage(rc, params);
            case "sendphoto" -> bot.sendFile(rc, params, "photo");
            case "senddocument" -> bot.sendFile(rc, params, "document");
            case "getfile" -> bot.getFile(rc, params);
            default -> error(rc, 404, "Not Found: method not found", null);
        }
    }

    private void download(RoutingContext rc) {
        FakeBot bot = bots.get(rc.pathParam("param0"));
        if (bot == null) {
            error(rc, 401, "Unauthorized", null);
            return;
        }
        bot.download(rc, rc.pathParam("param1"));
    }

    /** Query, form and multipart fields, or the JSON body: Telegram takes parameters all four ways. */
    private static JsonObject params(RoutingContext rc) {
        JsonObject params = new JsonObject();
        rc.queryParams().forEach(e -> params.put(e.getKey(), e.getValue()));
        rc.request().formAttributes().forEach(e -> params.put(e.getKey(), e.getValue()));
        String type = rc.request().getHeader("Content-Type");
        if (type != null && type.toLowerCase(Locale.ROOT).startsWith("application/json") && rc.body() != null
                && rc.body().length() > 0) {
            params.mergeIn(rc.body().asJsonObject());
        }
        return params;
    }

    static void ok(RoutingContext rc, Object result) {
        rc.response().putHeader("Content-Type", "application/json")
                .end(new JsonObject().put("ok", true).put("result", result).encode());
    }

    static void error(RoutingContext rc, int code, String description, Integer retryAfter) {
        JsonObject body = new JsonObject().put("ok", false).put("error_code", code).put("description", description);
        if (retryAfter != null) {
            body.put("parameters", new JsonObject().put("retry_after", retryAfter));
        }
        rc.response().setStatusCode(code).putHeader("Content-Type", "application/json").end(body.encode());
    }

    /** A scripted answer to the next call of a method; code 0 drops the connection without answering. */
    record Failure(int code, String description, Integer retryAfter) {
    }

    /** Something the bot sent: the method, its parameters, and the uploaded file if any. */
    public record Sent(String method, JsonObject params, String visibleText, String fileName, byte[] file,
                       long atMillis) {
        public String chatId() {
            return params.getString("chat_id");
        }

        /** {@code reply_parameters.message_id}, sent as JSON or as a multipart JSON string. */
        public Integer replyTo() {
            Object value = params.getValue("reply_parameters");
            JsonObject reply = value instanceof JsonObject object ? object
                    : value instanceof String text ? new JsonObject(text) : null;
            return reply == null ? null : reply.getInteger("message_id");
        }
    }

    record Parked(RoutingContext rc, Context context, long timer, int offset, int limit) {
    }
}
