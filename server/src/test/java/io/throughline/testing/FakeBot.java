package io.throughline.testing;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** One bot of the {@link FakeBotApi}: its update queue, webhook, files, sent messages and scripted behaviour. */
public final class FakeBot {
    private final Vertx vertx;
    private final HttpClient webhookClient;
    private final String token;
    private final long id;
    private final String username;
    private final List<JsonObject> pending = new ArrayList<>();
    private final List<JsonObject> delivered = new ArrayList<>();
    /** A scripted call that goes through (see {@link #passNext}). */
    private static final int PASS = -1;
    private final Map<String, Deque<FakeBotApi.Failure>> failures = new HashMap<>();
    private final Map<String, FakeFile> files = new HashMap<>();
    private final Set<String> blocked = new HashSet<>();
    private final Map<String, Long> migrated = new HashMap<>();
    private final List<FakeBotApi.Sent> sent = new ArrayList<>();
    /** The customers' messages pushed, by chat and message id: what an answer quoting one echoes. */
    private final Map<String, JsonObject> pushedMessages = new HashMap<>();
    private final List<String> calls = new ArrayList<>();
    /** When each call came, as {@link System#nanoTime()}, beside {@link #calls}. */
    private final List<Long> callTimes = new ArrayList<>();
    private final List<String> requestedFiles = new ArrayList<>();
    private final Map<Integer, Integer> timesDelivered = new HashMap<>();
    private final List<Integer> webhookAnswers = new ArrayList<>();
    private final List<FakeBotApi.Parked> heldDownloads = new ArrayList<>();
    private FakeBotApi.Parked poll;
    private int nextUpdateId = 700_000;
    private int nextMessageId = 5_000;
    private int conflicts;
    private int cancelledPolls;
    private boolean ignoreConfirmations;
    private boolean holdDownloads;
    private boolean holdSends;
    private final List<Runnable> heldSends = new ArrayList<>();
    private String webhookUrl;
    private String webhookSecret;
    private Integer webhookMaxConnections;
    private boolean webhookInFlight;
    private boolean webhookBlocked;
    private String webhookLastError;
    private Path localFiles;
    /** Telegram's allowed_updates: kept until a getUpdates or setWebhook names another; null is its default. */
    private List<String> allowedUpdates;

    FakeBot(Vertx vertx, HttpClient webhookClient, String token, long id, String username) {
        this.vertx = vertx;
        this.webhookClient = webhookClient;
        this.token = token;
        this.id = id;
        this.username = username;
    }

    public String token() {
        return token;
    }

    public String username() {
        return username;
    }

    JsonObject user() {
        return new JsonObject().put("id", id).put("is_bot", true).put("first_name", "Support")
                .put("username", username).put("can_join_groups", true)
                .put("can_read_all_group_messages", false).put("supports_inline_queries", false);
    }

    /** Records a call; returns the failure scripted for it, if any. */
    synchronized FakeBotApi.Failure called(String method) {
        calls.add(method);
        callTimes.add(System.nanoTime());
        Deque<FakeBotApi.Failure> scripted = failures.get(method);
        FakeBotApi.Failure next = scripted == null ? null : scripted.poll();
        return next == null || next.code() == PASS ? null : next;
    }

    // ------------------------------------------------------------ test controls

    /** Queues an update (its update_id is assigned here) and hands it to a parked poll or the webhook. */
    public synchronized int push(JsonObject update) {
        int updateId = nextUpdateId++;
        if (allowedUpdates != null && update.fieldNames().stream().noneMatch(allowedUpdates::contains)) {
            return updateId; // Telegram never queues an update of a type the bot did not ask for
        }
        pending.add(update.copy().put("update_id", updateId));
        JsonObject message = update.getJsonObject("message");
        if (message != null && message.getJsonObject("chat") != null) {
            pushedMessages.put(message.getJsonObject("chat").getValue("id") + "/" + message.getValue("message_id"),
                    message.copy());
        }
        answerPoll();
        deliverWebhook();
        return updateId;
    }

    /**
     * What Telegram does to a bot that got no update for a week: the next update_id is chosen anew, and may well be
     * lower than every id before it.
     */
    public synchronized void restartUpdateIds(int next) {
        nextUpdateId = next;
    }

    /** The allowed_updates a bot token was left with by whatever used it before (another framework, a script). */
    public synchronized void allowedUpdates(List<String> types) {
        allowedUpdates = List.copyOf(types);
    }

    /** Numbers a customer message as Telegram would, per chat. */
    public synchronized int nextMessageId() {
        return nextMessageId++;
    }

    public synchronized void failNext(String method, int code, String description, Integer retryAfter) {
        failures.computeIfAbsent(method.toLowerCase(Locale.ROOT), m -> new ArrayDeque<>())
                .add(new FakeBotApi.Failure(code, description, retryAfter));
    }

    /** Lets the next call of this method through, before the failures scripted after it. */
    public synchronized void passNext(String method) {
        failNext(method, PASS, null, null);
    }

    /** The next call of the method loses its connection without an answer: a network failure. */
    public synchronized void dropNext(String method) {
        failNext(method, 0, null, null);
    }

    public synchronized void blockedBy(long userId) {
        blocked.add(String.valueOf(userId));
    }

    /**
     * The group became a supergroup, which Telegram numbers anew: every send to the old chat id is refused with 400
     * and {@code parameters.migrate_to_chat_id}, as Telegram does.
     */
    public synchronized void migrate(long groupChatId, long supergroupChatId) {
        migrated.put(String.valueOf(groupChatId), supergroupChatId);
    }

    /** Answers a send to a migrated group as Telegram does; whether it did. */
    private boolean refusedAsMigrated(RoutingContext rc, String chatId) {
        Long to = migrated.get(chatId);
        if (to == null) {
            return false;
        }
        rc.response().setStatusCode(400).putHeader("Content-Type", "application/json").end(new JsonObject()
                .put("ok", false).put("error_code", 400)
                .put("description", "Bad Request: group chat was upgraded to a supergroup chat")
                .put("parameters", new JsonObject().put("migrate_to_chat_id", to)).encode());
        return true;
    }

    public synchronized void addFile(String fileId, String uniqueId, String path, byte[] content) {
        files.put(fileId, new FakeFile(uniqueId, path, content, content.length));
    }

    /**
     * Acts as a self-hosted Bot API server in {@code --local} mode: getFile puts the file in this bot's directory
     * under {@code dir} ({@code <dir>/<token>/...}, as telegram-bot-api does) and answers with its absolute path,
     * with no 20 MB limit, and {@code /file/...} serves nothing.
     */
    public synchronized void keepFilesOnDisk(Path dir) {
        localFiles = dir;
    }

    /** A file Telegram announces with this size (over 20 MB: getFile refuses it, as Telegram does). */
    public synchronized void addFile(String fileId, String uniqueId, String path, long declaredSize) {
        files.put(fileId, new FakeFile(uniqueId, path, new byte[0], declaredSize));
    }

    /** A file whose getFile announces less than its download holds (or Telegram gave no size where it counts). */
    public synchronized void addFile(String fileId, String uniqueId, String path, byte[] content, long declaredSize) {
        files.put(fileId, new FakeFile(uniqueId, path, content, declaredSize));
    }

    /**
     * sendMessage takes the message (the customer has it) but answers only at {@link #releaseSends()}: a send
     * whose answer is still on its way.
     */
    public synchronized void holdSends() {
        holdSends = true;
    }

    public synchronized int heldSends() {
        return heldSends.size();
    }

    public synchronized void releaseSends() {
        holdSends = false;
        heldSends.forEach(Runnable::run);
        heldSends.clear();
    }

    /** Downloads wait, unanswered, until {@link #releaseDownloads()}: a receive that cannot commit yet. */
    public synchronized void holdDownloads() {
        holdDownloads = true;
    }

    public synchronized int heldDownloads() {
        heldDownloads.removeIf(p -> p.rc().response().closed());
        return heldDownloads.size();
    }

    public synchronized void releaseDownloads() {
        holdDownloads = false;
        for (FakeBotApi.Parked held : heldDownloads) {
            held.context().runOnContext(v -> serveFile(held.rc(), held.rc().pathParam("param1")));
        }
        heldDownloads.clear();
    }

    /** getUpdates offsets stop confirming anything: as if the confirming call never reached Telegram. */
    public synchronized void ignoreConfirmations() {
        ignoreConfirmations = true;
    }

    public synchronized List<JsonObject> pending() {
        return List.copyOf(pending);
    }

    public synchronized List<FakeBotApi.Sent> sent() {
        return List.copyOf(sent);
    }

    public synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    /** When each call of the method came, as {@link System#nanoTime()}, in order. */
    public synchronized List<Long> callTimes(String method) {
        List<Long> times = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            if (calls.get(i).equals(method.toLowerCase(Locale.ROOT))) {
                times.add(callTimes.get(i));
            }
        }
        return times;
    }

    /** The file_id of every getFile call. */
    public synchronized List<String> requestedFiles() {
        return List.copyOf(requestedFiles);
    }

    public synchronized long callCount(String method) {
        return calls.stream().filter(c -> c.equals(method.toLowerCase(Locale.ROOT))).count();
    }

    /** getUpdates calls ended by a newer concurrent one: two pollers on one bot. */
    public synchronized int conflicts() {
        return conflicts;
    }

    /** Parked getUpdates calls whose client hung up (a poller that stopped). */
    public synchronized int cancelledPolls() {
        return cancelledPolls;
    }

    public synchronized boolean pollParked() {
        return poll != null && !poll.rc().response().closed();
    }

    public synchronized String webhookUrl() {
        return webhookUrl;
    }

    /** Another system using this bot's token registers its own webhook (a staging copy, a script). */
    public synchronized void webhookTakenBy(String url) {
        webhookUrl = url;
    }

    /**
     * Telegram's calls to the webhook fail as a broken proxy makes them fail: updates wait, and getWebhookInfo
     * reports the error, until {@link #webhookDeliveredAgain()}.
     */
    public synchronized void webhookUndeliverable(String error) {
        webhookBlocked = true;
        webhookLastError = error;
    }

    public synchronized void webhookDeliveredAgain() {
        webhookBlocked = false;
        webhookLastError = null;
        deliverWebhook();
    }

    public synchronized String webhookSecret() {
        return webhookSecret;
    }

    public synchronized Integer webhookMaxConnections() {
        return webhookMaxConnections;
    }

    /** The HTTP status of every webhook delivery attempt, in order. */
    public synchronized List<Integer> webhookAnswers() {
        return List.copyOf(webhookAnswers);
    }

    // ------------------------------------------------------------ methods

    synchronized void getUpdates(RoutingContext rc, JsonObject params) {
        keepAllowedUpdates(params);
        if (webhookUrl != null) {
            FakeBotApi.error(rc, 409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook"
                    + " to delete the webhook first", null);
            return;
        }
        int offset = params.getValue("offset") == null ? 0 : Integer.parseInt(params.getValue("offset")
                .toString());
        int limit = params.getValue("limit") == null ? 100 : Integer.parseInt(params.getValue("limit")
                .toString());
        int timeout = params.getValue("timeout") == null ? 0 : Integer.parseInt(params.getValue("timeout")
                .toString());
        if (offset > 0 && !ignoreConfirmations && !pastTheQueue(offset)) {
            pending.removeIf(u -> u.getInteger("update_id") < offset);
        }
        if (poll != null && !poll.rc().response().closed()) {
            conflicts++;
            FakeBotApi.Parked old = poll;
            vertx.cancelTimer(old.timer());
            old.context().runOnContext(v -> FakeBotApi.error(old.rc(), 409, "Conflict: terminated by other getUpdates"
                    + " request; make sure that only one bot instance is running", null));
        }
        poll = null;
        List<JsonObject> ready = ready(offset, limit);
        if (!ready.isEmpty() || timeout <= 0) {
            countDelivered(ready);
            FakeBotApi.ok(rc, new JsonArray(new ArrayList<>(ready)));
            return;
        }
        // Parked, as Telegram does: an empty answer at once would make the client spin.
        Context context = Vertx.currentContext();
        long timer = vertx.setTimer(TimeUnit.SECONDS.toMillis(timeout), t -> {
            synchronized (this) {
                if (poll != null && poll.rc() == rc) {
                    poll = null;
                    FakeBotApi.ok(rc, new JsonArray());
                }
            }
        });
        FakeBotApi.Parked parked = new FakeBotApi.Parked(rc, context, timer, offset, limit);
        poll = parked;
        rc.response().closeHandler(v -> {
            synchronized (this) {
                vertx.cancelTimer(timer);
                if (poll == parked) {
                    poll = null;
                    cancelledPolls++;
                }
            }
        });
    }

    /** An allowed_updates parameter (a JSON array, or its text in a form field) replaces the kept one. */
    private void keepAllowedUpdates(JsonObject params) {
        Object value = params.getValue("allowed_updates");
        if (value == null) {
            return;
        }
        JsonArray types = value instanceof JsonArray array ? array : new JsonArray(value.toString());
        allowedUpdates = types.isEmpty() ? null : types.stream().map(Object::toString).toList();
    }

    private void countDelivered(List<JsonObject> updates) {
        updates.forEach(u -> timesDelivered.merge(u.getInteger("update_id"), 1, Integer::sum));
    }

    /** How many getUpdates answers carried this update. */
    public synchronized int timesDelivered(int updateId) {
        return timesDelivered.getOrDefault(updateId, 0);
    }

    private List<JsonObject> ready(int offset, int limit) {
        int from = pastTheQueue(offset) ? 0 : offset;
        return pending.stream().filter(u -> u.getInteger("update_id") >= from).limit(limit).toList();
    }

    /**
     * Telegram's queue ignores an offset far past its newest update (after the ids restarted lower, a client's
     * offset is such) and answers from the oldest update still waiting, confirming nothing.
     */
    private boolean pastTheQueue(int offset) {
        return offset > nextUpdateId + 10;
    }

    private void answerPoll() {
        if (poll == null || poll.rc().response().closed()) {
            return;
        }
        List<JsonObject> ready = ready(poll.offset(), poll.limit());
        if (ready.isEmpty()) {
            return;
        }
        FakeBotApi.Parked parked = poll;
        poll = null;
        vertx.cancelTimer(parked.timer());
        countDelivered(ready);
        JsonArray result = new JsonArray(new ArrayList<>(ready));
        parked.context().runOnContext(v -> FakeBotApi.ok(parked.rc(), result));
    }

    synchronized void deleteWebhook(RoutingContext rc, JsonObject params) {
        webhookUrl = null;
        webhookSecret = null;
        if ("true".equals(String.valueOf(params.getValue("drop_pending_updates")))) {
            pending.clear();
        }
        FakeBotApi.ok(rc, true);
    }

    synchronized void setWebhook(RoutingContext rc, JsonObject params) {
        String url = params.getString("url");
        if (url == null || url.isEmpty()) {
            webhookUrl = null;
            FakeBotApi.ok(rc, true);
            return;
        }
        if (!url.startsWith("http://") && !url.startsWith("https://")) {
            FakeBotApi.error(rc, 400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook", null);
            return;
        }
        String secret = params.getString("secret_token");
        if (secret != null && !secret.matches("[A-Za-z0-9_-]{1,256}")) {
            FakeBotApi.error(rc, 400, "Bad Request: secret token contains unallowed characters", null);
            return;
        }
        keepAllowedUpdates(params);
        webhookUrl = url;
        webhookSecret = secret;
        webhookMaxConnections = params.getValue("max_connections") == null ? 40
                : Integer.parseInt(params.getValue("max_connections").toString());
        if (poll != null) {
            FakeBotApi.Parked old = poll;
            poll = null;
            old.context().runOnContext(v -> FakeBotApi.error(old.rc(), 409, "Conflict: terminated by setWebhook request",
                    null));
        }
        FakeBotApi.ok(rc, true);
        deliverWebhook();
    }

    synchronized void webhookInfo(RoutingContext rc) {
        JsonObject info = new JsonObject().put("url", webhookUrl == null ? "" : webhookUrl)
                .put("has_custom_certificate", false).put("pending_update_count", pending.size());
        if (webhookMaxConnections != null) {
            info.put("max_connections", webhookMaxConnections);
        }
        if (webhookLastError != null) {
            info.put("last_error_date", System.currentTimeMillis() / 1000).put("last_error_message",
                    webhookLastError);
        }
        FakeBotApi.ok(rc, info);
    }

    synchronized void sendMessage(RoutingContext rc, JsonObject params) {
        String chatId = params.getValue("chat_id") == null ? null : params.getValue("chat_id").toString();
        String text = params.getString("text");
        if (chatId == null || chatId.isEmpty()) {
            FakeBotApi.error(rc, 400, "Bad Request: chat_id is empty", null);
            return;
        }
        if (blocked.contains(chatId)) {
            FakeBotApi.error(rc, 403, "Forbidden: bot was blocked by the user", null);
            return;
        }
        if (refusedAsMigrated(rc, chatId)) {
            return;
        }
        if (text == null || text.isEmpty()) {
            FakeBotApi.error(rc, 400, "Bad Request: message text is empty", null);
            return;
        }
        String visible;
        try {
            visible = "HTML".equalsIgnoreCase(params.getString("parse_mode")) ? TelegramHtmlCheck.visible(text)
                    : text;
        } catch (IllegalArgumentException e) {
            FakeBotApi.error(rc, 400, "Bad Request: can't parse entities: " + e.getMessage(), null);
            return;
        }
        if (visible.length() > 4096) {
            FakeBotApi.error(rc, 400, "Bad Request: message is too long", null);
            return;
        }
        int messageId = nextMessageId++;
        sent.add(new FakeBotApi.Sent("sendMessage", params, visible, null, null, System.currentTimeMillis()));
        JsonObject answer = quoting(message(chatId, messageId).put("text", visible), chatId, params);
        if (holdSends) {
            Context context = Vertx.currentContext();
            heldSends.add(() -> context.runOnContext(v -> {
                if (!rc.response().closed()) {
                    FakeBotApi.ok(rc, answer);
                }
            }));
            return;
        }
        FakeBotApi.ok(rc, answer);
    }

    synchronized void sendFile(RoutingContext rc, JsonObject params, String field) {
        String chatId = params.getValue("chat_id") == null ? null : params.getValue("chat_id").toString();
        if (chatId == null || chatId.isEmpty()) {
            FakeBotApi.error(rc, 400, "Bad Request: chat_id is empty", null);
            return;
        }
        if (blocked.contains(chatId)) {
            FakeBotApi.error(rc, 403, "Forbidden: bot was blocked by the user", null);
            return;
        }
        if (refusedAsMigrated(rc, chatId)) {
            return;
        }
        String reference = params.getString(field);
        String partName = reference != null && reference.startsWith("attach://")
                ? reference.substring("attach://".length()) : field;
        FileUpload upload = rc.fileUploads().stream().filter(u -> u.name().equals(partName)).findFirst()
                .orElse(null);
        if (upload == null) {
            FakeBotApi.error(rc, 400, "Bad Request: there is no " + field + " in the request", null);
            return;
        }
        byte[] content = vertx.fileSystem().readFileBlocking(upload.uploadedFileName()).getBytes();
        int messageId = nextMessageId++;
        sent.add(new FakeBotApi.Sent("send" + Character.toUpperCase(field.charAt(0)) + field.substring(1), params, null,
                upload.fileName(), content, System.currentTimeMillis()));
        JsonObject fileJson = new JsonObject().put("file_id", "sent-" + messageId)
                .put("file_unique_id", "u-sent-" + messageId).put("file_size", content.length);
        JsonObject message = quoting(message(chatId, messageId), chatId, params);
        if (field.equals("photo")) {
            message.put("photo", new JsonArray().add(fileJson.put("width", 800).put("height", 600)));
        } else {
            message.put("document", fileJson.put("file_name", upload.fileName())
                    .put("mime_type", "application/octet-stream"));
        }
        FakeBotApi.ok(rc, message);
    }

    /** As Telegram answers a send that quotes a message: with that message, as it came, in reply_to_message. */
    private JsonObject quoting(JsonObject answer, String chatId, JsonObject params) {
        Object value = params.getValue("reply_parameters");
        JsonObject reply = value instanceof JsonObject object ? object
                : value instanceof String text ? new JsonObject(text) : null;
        JsonObject quoted = reply == null ? null : pushedMessages.get(chatId + "/" + reply.getValue("message_id"));
        return quoted == null ? answer : answer.put("reply_to_message", quoted.copy());
    }

    private JsonObject message(String chatId, int messageId) {
        return new JsonObject().put("message_id", messageId).put("date", System.currentTimeMillis() / 1000)
                .put("from", user())
                .put("chat", new JsonObject().put("id", Long.parseLong(chatId)).put("type", "private"));
    }

    synchronized void getFile(RoutingContext rc, JsonObject params) {
        String fileId = params.getString("file_id");
        requestedFiles.add(fileId);
        FakeFile file = fileId == null ? null : files.get(fileId);
        if (file == null) {
            FakeBotApi.error(rc, 400, "Bad Request: invalid file_id", null);
            return;
        }
        if (localFiles != null) {
            Path onDisk = localFiles.resolve(token).resolve(file.path());
            try {
                Files.createDirectories(onDisk.getParent());
                Files.write(onDisk, file.content());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            FakeBotApi.ok(rc, new JsonObject().put("file_id", fileId).put("file_unique_id", file.uniqueId())
                    .put("file_size", file.size()).put("file_path", onDisk.toAbsolutePath().toString()));
            return;
        }
        if (file.size() > FakeBotApi.FILE_LIMIT) {
            FakeBotApi.error(rc, 400, "Bad Request: file is too big", null);
            return;
        }
        FakeBotApi.ok(rc, new JsonObject().put("file_id", fileId).put("file_unique_id", file.uniqueId())
                .put("file_size", file.size()).put("file_path", file.path()));
    }

    synchronized void download(RoutingContext rc, String path) {
        if (holdDownloads) {
            heldDownloads.add(new FakeBotApi.Parked(rc, Vertx.currentContext(), -1, 0, 0));
            return;
        }
        serveFile(rc, path);
    }

    private synchronized void serveFile(RoutingContext rc, String path) {
        if (rc.response().closed()) {
            return;
        }
        FakeFile file = files.values().stream().filter(f -> f.path().equals(path)).findFirst().orElse(null);
        if (file == null || localFiles != null) {
            rc.response().setStatusCode(404).end();
            return;
        }
        rc.response().putHeader("Content-Type", "application/octet-stream")
                .end(Buffer.buffer(file.content()));
    }

    // ------------------------------------------------------------ webhook delivery

    private void deliverWebhook() {
        if (webhookUrl == null || webhookInFlight || webhookBlocked || pending.isEmpty()) {
            return;
        }
        webhookInFlight = true;
        JsonObject update = pending.getFirst();
        String url = webhookUrl;
        String secret = webhookSecret;
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(url)
                .putHeader("Content-Type", "application/json");
        if (secret != null) {
            options.putHeader("X-Telegram-Bot-Api-Secret-Token", secret);
        }
        webhookClient.request(options)
                .compose(request -> request.send(update.encode()))
                .onComplete(result -> {
                    synchronized (this) {
                        webhookInFlight = false;
                        int status = result.succeeded() ? result.result().statusCode() : -1;
                        webhookAnswers.add(status);
                        if (status >= 200 && status < 300) {
                            pending.remove(update);
                            delivered.add(update);
                            webhookLastError = null;
                            deliverWebhook();
                        } else {
                            webhookLastError = status < 0 ? "Connection refused"
                                    : "Wrong response from the webhook: " + status;
                            vertx.setTimer(200, t -> {
                                synchronized (this) {
                                    deliverWebhook();
                                }
                            });
                        }
                    }
                });
    }

    private record FakeFile(String uniqueId, String path, byte[] content, long size) {
    }
}
