package io.throughline.apichannel;

import io.throughline.VirtualThreads;
import io.throughline.connector.ChannelInbox;
import io.throughline.connector.ConnectorHealth;
import io.throughline.connector.DeliveryFailure;
import io.throughline.connector.DeliveryReceipt;
import io.throughline.connector.InboxContext;
import io.throughline.connector.OutboundAttachment;
import io.throughline.connector.OutboundMessage;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VertxException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.streams.WriteStream;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.ext.web.codec.BodyCodec;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Delivers replies of one API inbox as signed JSON POSTs to its webhook. The delivery id travels as
 * {@code Idempotency-Key}: a retry after a crash between send and commit repeats the key, and the receiver drops
 * the duplicate.
 */
final class ApiInbox implements ChannelInbox {

    private static final long TIMEOUT_MS = 15_000;
    /**
     * The whole exchange, answer included: the client's timeout only bounds silence, so a receiver answering one
     * byte at a time held the send (and its outbox slot, its lease renewed) for ever.
     */
    private static final long DEADLINE_MS = 30_000;
    /** How often a reply of an inbox without a webhook URL looks again. */
    private static final Duration UNSET_WAIT = Duration.ofMinutes(15);
    /** What is kept of an answer (its id, an error excerpt); the rest is read and dropped, never held. */
    private static final int MAX_ANSWER_BYTES = 16 * 1024;
    private static final int MIN_QUERY_HIDDEN_ALONE = 8;
    private static final int MAX_ERROR_BODY = 300;

    /** How soon a reply this instance hands back (it is closing for a settings save) is tried by the new one. */
    private static final Duration REOPENED_WAIT = Duration.ofSeconds(1);

    private final InboxContext context;
    private final WebClient client;
    private final boolean privateNetworks;
    /** Sends under way, and whether the inbox closed: the client closes once the last of them has its answer. */
    private int inFlight;
    private boolean closed;

    ApiInbox(InboxContext context, boolean privateNetworks) {
        this.context = context;
        this.privateNetworks = privateNetworks;
        this.client = WebClient.create(context.vertx(), new WebClientOptions()
                .setUserAgent("Throughline-Webhook/1").setConnectTimeout(5_000).setIdleTimeout(30)
                .setFollowRedirects(false));
    }

    @Override
    public DeliveryReceipt send(OutboundMessage message) throws DeliveryFailure {
        String url = context.config().getString(ApiConnector.WEBHOOK_URL);
        if (url == null) {
            // Saving the inbox with a URL makes the waiting replies due at once.
            throw DeliveryFailure.notAttempted("this API inbox has no webhookUrl: the reply goes out once one is set",
                    UNSET_WAIT);
        }
        synchronized (this) {
            if (closed) {
                throw DeliveryFailure.notAttempted("the inbox's settings changed as the reply was to go: it goes with"
                        + " the new ones", REOPENED_WAIT);
            }
            inFlight++;
        }
        try {
            return post(message, url);
        } finally {
            synchronized (this) {
                inFlight--;
                if (closed && inFlight == 0) {
                    client.close();
                }
            }
        }
    }

    private DeliveryReceipt post(OutboundMessage message, String url) throws DeliveryFailure {
        WebhookTarget target = WebhookTarget.resolve(url, privateNetworks);
        byte[] body = payload(message).toBuffer().getBytes();
        long timestamp = Instant.now().getEpochSecond();
        String signature = WebhookSignature.sign(context.config().getString(ApiConnector.WEBHOOK_SECRET), timestamp,
                body);
        HttpResponse<Void> response;
        CappedBody answer = new CappedBody();
        long started = System.nanoTime();
        try {
            // To the address just checked; the host name still goes in the Host header and the TLS handshake.
            HttpRequest<Buffer> request = target.literal() ? client.postAbs(url)
                    : client.request(HttpMethod.POST,
                            SocketAddress.inetSocketAddress(target.port(), target.address().getHostAddress()),
                            new RequestOptions().setHost(target.host()).setPort(target.port())
                                    .setSsl(target.https()).setURI(target.requestUri()));
            response = VirtualThreads.await(request
                    .timeout(TIMEOUT_MS)
                    .putHeader("Content-Type", "application/json")
                    .putHeader("Idempotency-Key", "delivery-" + message.deliveryId())
                    .putHeader("X-Throughline-Delivery", String.valueOf(message.deliveryId()))
                    .putHeader(WebhookSignature.TIMESTAMP_HEADER, String.valueOf(timestamp))
                    .putHeader(WebhookSignature.HEADER, signature)
                    .as(BodyCodec.pipe(answer))
                    .sendBuffer(Buffer.buffer(body))
                    .timeout(DEADLINE_MS, TimeUnit.MILLISECONDS));
        } catch (RuntimeException e) {
            if (System.nanoTime() - started >= TimeUnit.MILLISECONDS.toNanos(DEADLINE_MS)) {
                throw DeliveryFailure.retryable("webhook did not finish answering within " + DEADLINE_MS / 1000
                        + " s", e);
            }
            throw DeliveryFailure.retryable("webhook unreachable: " + describe(e, url, target.requestUri()), e);
        }
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
            return new DeliveryReceipt(externalId(answer.kept()), new JsonObject().put("httpStatus", status));
        }
        // The receiver's own words, minus the URL (a router's "Cannot POST /hooks/<secret>" names it).
        String detail = "webhook answered " + status
                + excerpt(redact(answer.kept().toString().strip(), url, target.requestUri()));
        if (status == 429 || status == 503) {
            Duration wait = retryAfter(response.getHeader("Retry-After"));
            if (wait != null) {
                throw DeliveryFailure.retryAfter(detail, wait);
            }
        }
        // 409 and 425: the receiver still works on an earlier attempt with this Idempotency-Key (one we stopped
        // waiting for at the deadline), as the IETF Idempotency-Key draft has it answer; the next attempt finds it
        // done.
        if (status >= 500 || status == 408 || status == 409 || status == 425 || status == 429) {
            throw DeliveryFailure.retryable(detail, null);
        }
        throw DeliveryFailure.permanent(detail);
    }

    private JsonObject payload(OutboundMessage message) {
        JsonArray attachments = new JsonArray();
        for (OutboundAttachment attachment : message.attachments()) {
            // Fetched with the inbox token: GET /api/v1/inboxes/{inbox}/attachments/{id}.
            attachments.add(new JsonObject().put("id", attachment.id()).put("filename", attachment.filename())
                    .put("contentType", attachment.contentType()).put("size", attachment.size())
                    .put("url", context.publicUrl() + "/api/v1/inboxes/" + context.inbox().id() + "/attachments/"
                            + attachment.id()));
        }
        return new JsonObject()
                .put("type", "message.created")
                .put("deliveryId", message.deliveryId())
                .put("inboxId", context.inbox().id())
                .put("to", new JsonObject().put("kind", message.to().kind().wireName())
                        .put("value", message.to().value()).put("name", message.to().name()))
                .put("inReplyTo", message.thread().inReplyTo())
                .put("message", new JsonObject()
                        .put("id", message.messageId())
                        .put("conversationId", message.conversationId())
                        .put("body", message.text())
                        .put("html", message.html())
                        .put("author", new JsonObject().put("name", message.authorName()))
                        .put("attachments", attachments));
    }

    private static String externalId(Buffer body) {
        try {
            if (body.length() > 0 && body.length() < 10_000) {
                Object id = new JsonObject(body).getValue("id");
                return id == null ? null : String.valueOf(id);
            }
        } catch (RuntimeException e) {
            // Receivers owe us no JSON; a 2xx is enough.
            return null;
        }
        return null;
    }

    /** The start of an answer, hidden first: a cut made before hiding could keep part of an echoed secret. */
    private static String excerpt(String text) {
        if (text.isEmpty()) {
            return "";
        }
        return ": " + (text.length() > MAX_ERROR_BODY ? text.substring(0, MAX_ERROR_BODY) + "…" : text);
    }

    /** A {@code Retry-After} in either of its forms (RFC 9110): seconds, or an HTTP date; between 1 s and 1 h. */
    private static Duration retryAfter(String header) {
        if (header == null) {
            return null;
        }
        long seconds;
        try {
            seconds = Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            try {
                seconds = Duration.between(Instant.now(), ZonedDateTime.parse(header.trim(),
                        DateTimeFormatter.RFC_1123_DATE_TIME)).toSeconds();
            } catch (DateTimeParseException notADate) {
                return null;
            }
        }
        return Duration.ofSeconds(Math.max(1, Math.min(3600, seconds)));
    }

    /**
     * Why a request failed, as every agent may read it: never the URL's path or query, which often carry the
     * receiver's secret (Vert.x names the request URI in its timeout message).
     */
    private static String describe(Throwable failure, String url, String requestUri) {
        // VirtualThreads.await wraps a refused connection: say what refused it, not the wrapper.
        Throwable e = failure instanceof VertxException && failure.getCause() != null ? failure.getCause() : failure;
        if (e instanceof TimeoutException) {
            return "no answer within " + TIMEOUT_MS / 1000 + " s";
        }
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : redact(message, url, requestUri);
    }

    /**
     * The text without the webhook's URL, path or query (a path of "/" alone reveals nothing, and is everywhere),
     * in the forms a receiver may echo them: as sent, percent-decoded, and with the slashes JSON-escaped (PHP's
     * {@code "\/hooks\/<secret>"}). The path is also hidden without its query, and the query on its own (with
     * its '?' when shorter than {@value #MIN_QUERY_HIDDEN_ALONE} characters).
     */
    private static String redact(String text, String url, String requestUri) {
        String shown = hideForms(text, url, "(the webhook URL)");
        if (requestUri.length() <= 1) {
            return shown;
        }
        shown = hideForms(shown, requestUri, "(the webhook path)");
        int query = requestUri.indexOf('?');
        if (query >= 0) {
            if (query > 1) {
                shown = hideForms(shown, requestUri.substring(0, query), "(the webhook path)");
            }
            // A short query ("v=1") on its own would hide ordinary words of the answer; it is hidden with its '?'.
            String alone = requestUri.substring(query + 1);
            if (!alone.isEmpty()) {
                shown = hideForms(shown, alone.length() >= MIN_QUERY_HIDDEN_ALONE ? alone : "?" + alone,
                        "(the webhook query)");
            }
        }
        return shown;
    }

    private static String hideForms(String text, String secret, String label) {
        Set<String> forms = new LinkedHashSet<>();
        forms.add(secret);
        try {
            // '+' kept as it is: a path's plus is a plus.
            forms.add(URLDecoder.decode(secret.replace("+", "%2B"), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException notEncoded) {
            // A stray '%': only the form as sent.
        }
        for (String form : List.copyOf(forms)) {
            forms.add(form.replace("/", "\\/"));
        }
        String shown = text;
        for (String form : forms) {
            shown = shown.replace(form, label);
        }
        return shown;
    }

    /** A webhook's answer as it streams in: the first {@link #MAX_ANSWER_BYTES} kept, the rest dropped. */
    private static final class CappedBody implements WriteStream<Buffer> {
        private final Buffer kept = Buffer.buffer();

        Buffer kept() {
            return kept;
        }

        @Override
        public synchronized Future<Void> write(Buffer data) {
            int room = MAX_ANSWER_BYTES - kept.length();
            if (room > 0) {
                kept.appendBuffer(data.length() <= room ? data : data.slice(0, room));
            }
            return Future.succeededFuture();
        }

        @Override
        public Future<Void> end() {
            return Future.succeededFuture();
        }

        @Override
        public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
            return this;
        }

        @Override
        public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
            return this;
        }

        @Override
        public boolean writeQueueFull() {
            return false;
        }

        @Override
        public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
            return this;
        }
    }

    @Override
    public ConnectorHealth health() {
        return context.config().getString(ApiConnector.WEBHOOK_URL) == null
                ? ConnectorHealth.up("no webhookUrl: replies cannot be delivered")
                : ConnectorHealth.up("delivers to its webhook");
    }

    /**
     * Closes once the sends under way have their answers (each within {@link #DEADLINE_MS}): a settings save (a
     * rename) reopens the inbox, and cutting a webhook call short would count an attempt and post the reply again to
     * a receiver that may have taken it.
     */
    @Override
    public synchronized void close() {
        closed = true;
        if (inFlight == 0) {
            client.close();
        }
    }
}
