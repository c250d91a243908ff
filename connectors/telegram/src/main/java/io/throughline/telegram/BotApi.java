package io.throughline.telegram;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import okhttp3.Dispatcher;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.telegram.telegrambots.client.okhttp.OkHttpTelegramClient;
import org.telegram.telegrambots.meta.TelegramUrl;
import org.telegram.telegrambots.meta.api.methods.GetFile;
import org.telegram.telegrambots.meta.api.methods.GetMe;
import org.telegram.telegrambots.meta.api.methods.botapimethods.BotApiMethod;
import org.telegram.telegrambots.meta.api.methods.send.SendDocument;
import org.telegram.telegrambots.meta.api.methods.send.SendPhoto;
import org.telegram.telegrambots.meta.api.methods.updates.DeleteWebhook;
import org.telegram.telegrambots.meta.api.methods.updates.GetWebhookInfo;
import org.telegram.telegrambots.meta.api.methods.updates.SetWebhook;
import org.telegram.telegrambots.meta.api.objects.File;
import org.telegram.telegrambots.meta.api.objects.User;
import org.telegram.telegrambots.meta.api.objects.WebhookInfo;
import org.telegram.telegrambots.meta.api.objects.message.Message;
import org.telegram.telegrambots.meta.exceptions.TelegramApiException;
import org.telegram.telegrambots.meta.exceptions.TelegramApiRequestException;
import org.telegram.telegrambots.meta.exceptions.TelegramApiValidationException;

/**
 * One bot's Bot API, through TelegramBots' OkHttp client, blocking (call it on a virtual thread). Every failure
 * becomes a {@link BotApiException} carrying Telegram's error_code, description and retry_after.
 *
 * <p>Each instance has its own OkHttp dispatchers over the connector's shared connection pool: one for receiving
 * (the parked getUpdates, file downloads), which {@link #cancelReceiving()} unblocks when the inbox stops or
 * reloads, and one for everything else. A send in flight is never cancelled: Telegram may already have taken it,
 * and the outbox's retry would then deliver the reply twice (Telegram has no idempotency key).
 *
 * <p>The bot token is part of every URL: never log a request or its URL.
 */
final class BotApi implements AutoCloseable {

    private final String token;
    private final TelegramConfig config;
    private final OkHttpClient http;
    private final OkHttpClient receiving;
    private final ExecutorService callbacks;
    private final OkHttpTelegramClient client;

    BotApi(TelegramConfig config, OkHttpClient shared, ObjectMapper json, String name) {
        this.token = config.botToken();
        this.config = config;
        this.callbacks = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("telegram-http-" + name + "-", 0)
                .factory());
        Dispatcher dispatcher = new Dispatcher(callbacks);
        dispatcher.setMaxRequestsPerHost(32);
        this.http = shared.newBuilder().dispatcher(dispatcher).addInterceptor(new SentAnswers(json)).build();
        Dispatcher receivingDispatcher = new Dispatcher(callbacks);
        receivingDispatcher.setMaxRequestsPerHost(32);
        this.receiving = shared.newBuilder().dispatcher(receivingDispatcher).build();
        this.client = new OkHttpTelegramClient(json, http, token, telegramUrl());
    }

    /** Where TelegramBots sends calls: {@code <scheme>://<host>:<port>/bot<token>/<method>}. */
    TelegramUrl telegramUrl() {
        return new TelegramUrl(config.apiUrl().getScheme(), config.apiUrl().getHost(), config.apiPort(), false);
    }

    /** The token, for TelegramBots' long-polling session, which builds its own URLs. Never log it. */
    String token() {
        return token;
    }

    /** The HTTP client this bot receives with, for TelegramBots' long-polling session. */
    OkHttpClient receivingHttp() {
        return receiving;
    }

    User getMe() throws BotApiException {
        return call("getMe", GetMe.builder().build());
    }

    /**
     * Points the bot at our webhook. {@code max_connections=1} makes Telegram deliver one update at a time, in
     * order, so an edit never overtakes the message it edits and a retried update is always the latest one.
     */
    void setWebhook(String url, String secret) throws BotApiException {
        SetWebhook request = SetWebhook.builder().url(url).secretToken(secret).maxConnections(1).build();
        try {
            Boolean ok = client.execute(request);
            if (!Boolean.TRUE.equals(ok)) {
                throw BotApiException.refused("setWebhook", 400, "Telegram did not confirm the webhook", null);
            }
        } catch (TelegramApiException e) {
            throw map("setWebhook", e);
        }
    }

    void deleteWebhook() throws BotApiException {
        call("deleteWebhook", DeleteWebhook.builder().dropPendingUpdates(false).build());
    }

    WebhookInfo webhookInfo() throws BotApiException {
        return call("getWebhookInfo", GetWebhookInfo.builder().build());
    }

    <T extends Serializable> T call(String name, BotApiMethod<T> method) throws BotApiException {
        try {
            return client.execute(method);
        } catch (TelegramApiException e) {
            throw map(name, e);
        }
    }

    Message sendPhoto(SendPhoto request) throws BotApiException {
        try {
            return client.execute(request);
        } catch (TelegramApiException e) {
            throw map("sendPhoto", e);
        }
    }

    Message sendDocument(SendDocument request) throws BotApiException {
        try {
            return client.execute(request);
        } catch (TelegramApiException e) {
            throw map("sendDocument", e);
        }
    }

    File getFile(String fileId) throws BotApiException {
        return call("getFile", GetFile.builder().fileId(fileId).build());
    }

    /**
     * Opens a file's content. TelegramBots builds file URLs for api.telegram.org whatever the configured server,
     * so the URL is built here: {@code <apiUrl>/file/bot<token>/<file_path>}. A self-hosted server in
     * {@code --local} mode answers getFile with an absolute path on its own disk instead: that file is read from
     * this bot's directory under {@code localFilesDir} (the server's directory, mounted here), and from nowhere
     * else. The caller closes the stream.
     */
    InputStream download(String filePath) throws BotApiException {
        if (filePath.startsWith("/")) {
            return localFile(filePath);
        }
        HttpUrl url = new HttpUrl.Builder().scheme(config.apiUrl().getScheme()).host(config.apiUrl().getHost())
                .port(config.apiPort()).addPathSegment("file").addPathSegment("bot" + token)
                .addPathSegments(filePath).build();
        Response response;
        try {
            response = receiving.newCall(new Request.Builder().url(url).get().build()).execute();
        } catch (IOException e) {
            throw BotApiException.unreachable("file download", e).withoutSecret(token);
        }
        ResponseBody body = response.body();
        if (!response.isSuccessful() || body == null) {
            int code = response.code();
            response.close();
            throw BotApiException.refused("file download", code, "HTTP " + code, null);
        }
        return new FilterInputStream(body.byteStream()) {
            @Override
            public void close() throws IOException {
                try {
                    super.close();
                } finally {
                    response.close();
                }
            }
        };
    }

    private InputStream localFile(String filePath) throws BotApiException {
        Path dir = config.localFilesDir();
        if (dir == null) {
            throw BotApiException.refused("file download", 404, "the Bot API server runs with --local and keeps"
                    + " files on its own disk: set localFilesDir to its working directory, mounted on this node", null);
        }
        try {
            // The server keeps each bot's files in a directory named by its token. Only that directory is read, by
            // real paths (neither ".." nor a link leads out): an inbox's admin chooses both the server and
            // localFilesDir, and must never make us read any other file, another bot's included.
            Path file = Path.of(filePath).toRealPath();
            if (!file.startsWith(dir.toRealPath().resolve(token))) {
                throw BotApiException.refused("file download", 403, "the Bot API server named a file outside"
                        + " this bot's directory in localFilesDir", null);
            }
            return Files.newInputStream(file);
        } catch (IOException e) {
            throw BotApiException.refused("file download", 404, "cannot read the Bot API server's file ("
                    + e.getClass().getSimpleName() + "): is its directory mounted at " + dir + "?", null);
        }
    }

    /** Cancels this bot's receiving calls in flight: a parked getUpdates, a download. Sends go on. */
    void cancelReceiving() {
        receiving.dispatcher().cancelAll();
    }

    /** Stops receiving at once; a send still in flight completes on its own thread. */
    @Override
    public void close() {
        cancelReceiving();
        callbacks.shutdown();
    }

    private BotApiException map(String method, TelegramApiException e) {
        if (e instanceof TelegramApiRequestException request && request.getErrorCode() != null
                && request.getErrorCode() != 0) {
            Integer retryAfter = request.getParameters() == null ? null : request.getParameters().getRetryAfter();
            Long migrateTo = request.getParameters() == null ? null : request.getParameters().getMigrateToChatId();
            return BotApiException.refused(method, request.getErrorCode(), request.getApiResponse(), retryAfter,
                    migrateTo).withoutSecret(token);
        }
        if (e instanceof TelegramApiValidationException) {
            // TelegramBots checked the request before sending it: our request is wrong, retrying will not help.
            return BotApiException.refused(method, 400, "invalid request: " + e.getMessage(), null)
                    .withoutSecret(token);
        }
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        return BotApiException.unreachable(method, cause).withoutSecret(token);
    }
}
