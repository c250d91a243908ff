package io.throughline.telegram;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.throughline.connector.InboxDirectory;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.HttpException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.telegram.telegrambots.meta.api.objects.Update;

/**
 * {@code POST /hooks/telegram/{inboxId}}: where Telegram delivers a webhook inbox's updates. The call must carry the
 * inbox's secret in {@code X-Telegram-Bot-Api-Secret-Token} (https://core.telegram.org/bots/api#setwebhook); the
 * update is committed before the 200, so Telegram repeats it after any failure. Bad input (an unknown inbox, a
 * wrong secret, malformed JSON) is answered 4xx and logged, and never reaches the inbox.
 */
final class WebhookRoute implements Handler<RoutingContext> {

    private static final Logger log = LoggerFactory.getLogger(WebhookRoute.class);
    static final String PATH = "/hooks/telegram/";
    static final String SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token";
    /** An update is a few KB; Telegram never sends files inline. */
    private static final long BODY_LIMIT = 1024 * 1024;

    private final InboxDirectory inboxes;
    private final ObjectMapper json;
    private final ExecutorService work = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("telegram-webhook-", 0).factory());

    WebhookRoute(InboxDirectory inboxes, ObjectMapper json) {
        this.inboxes = inboxes;
        this.json = json;
    }

    void mount(Router router) {
        router.post(PATH + ":inboxId").handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT)).handler(this);
    }

    @Override
    public void handle(RoutingContext rc) {
        // The server's access log put the request id here (RequestLog); our lines carry it too.
        String requestId = rc.get("requestId");
        MDC.put("request", requestId);
        try {
            accept(rc, requestId);
        } finally {
            MDC.remove("request");
        }
    }

    private void accept(RoutingContext rc, String requestId) {
        String remote = rc.request().remoteAddress() == null ? "-" : rc.request().remoteAddress().hostAddress();
        long inboxId = parseId(rc.pathParam("inboxId"));
        Optional<TelegramInbox> found = inboxId <= 0 ? Optional.empty()
                : inboxes.find(inboxId, TelegramInbox.class).filter(TelegramInbox::webhookMode);
        if (found.isEmpty()) {
            log.info("telegram webhook for an unknown inbox refused inbox={} remote={}", rc.pathParam("inboxId"),
                    remote);
            rc.fail(new HttpException(404, "there is no telegram webhook inbox " + rc.pathParam("inboxId")));
            return;
        }
        TelegramInbox inbox = found.get();
        if (!inbox.webhookSecretMatches(rc.request().getHeader(SECRET_HEADER))) {
            log.warn("telegram webhook with a wrong or missing secret refused inbox={} remote={}", inboxId, remote);
            rc.fail(new HttpException(403, "the " + SECRET_HEADER + " header does not match this inbox"));
            return;
        }
        Update update;
        String type;
        try {
            JsonNode tree = json.readTree(rc.body().buffer() == null ? new byte[0] : rc.body().buffer().getBytes());
            if (tree == null || !tree.isObject() || !tree.path("update_id").canConvertToInt()) {
                throw new IllegalArgumentException("not an Update object with an update_id");
            }
            type = type(tree);
            update = readable(inboxId, tree);
        } catch (IOException | IllegalArgumentException e) {
            log.warn("telegram webhook with malformed update refused inbox={} remote={}: {}", inboxId, remote,
                    e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst()
                            .orElse(""));
            rc.fail(new HttpException(400, "the body is not a Telegram Update"));
            return;
        }
        Context context = Vertx.currentContext();
        work.execute(() -> {
            MDC.put("request", requestId);
            try {
                UpdateHandler.Outcome outcome = inbox.receive(update, type);
                log.debug("telegram webhook update taken inbox={} update={} outcome={}", inboxId,
                        update.getUpdateId(), outcome);
                context.runOnContext(v -> rc.response().setStatusCode(200).end());
            } catch (BotApiException | RuntimeException e) {
                // Not committed: a non-2xx makes Telegram deliver the same update again later.
                log.warn("telegram webhook update not taken, Telegram will retry inbox={} update={}: {}", inboxId,
                        update.getUpdateId(), e.toString());
                context.runOnContext(v -> rc.fail(new HttpException(503, "the update could not be stored yet")));
            } finally {
                MDC.clear();
            }
        });
    }

    /**
     * The update, or for one TelegramBots cannot read, its stand-in ({@link UnreadableUpdates}): answered 400, it
     * came again and again (holding back the ones behind it) until Telegram gave up, and nobody heard of it.
     */
    private Update readable(long inboxId, JsonNode tree) throws IOException {
        try {
            return json.treeToValue(tree, Update.class);
        } catch (IOException | IllegalArgumentException e) {
            return json.treeToValue(UnreadableUpdates.standIn(json, inboxId, tree, e), Update.class);
        }
    }

    /** The update's type by its JSON field, so types newer than TelegramBots are named in the log too. */
    private static String type(JsonNode tree) {
        List<String> fields = new ArrayList<>();
        tree.fieldNames().forEachRemaining(fields::add);
        fields.remove("update_id");
        return fields.isEmpty() ? "empty" : String.join(",", fields);
    }

    private static long parseId(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
