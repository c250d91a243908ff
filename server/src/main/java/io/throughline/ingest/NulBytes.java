package io.throughline.ingest;

import io.throughline.connector.DeliveryReport;
import io.throughline.connector.Identity;
import io.throughline.connector.InboundAttachment;
import io.throughline.connector.InboundEdit;
import io.throughline.connector.InboundMessage;
import io.throughline.connector.Sender;
import io.throughline.connector.ThreadHints;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * PostgreSQL text and jsonb cannot hold U+0000, and inbound mail can carry it (a quoted-printable {@code =00}, a
 * raw header): a message with one would fail its insert on every retry. Ingest removes it everywhere first.
 */
public final class NulBytes {

    private NulBytes() {
    }

    public static String strip(String text) {
        return text == null || text.indexOf('\u0000') < 0 ? text : text.replace("\u0000", "");
    }

    /**
     * The message with U+0000 gone from what is stored or looked up as it came (its external id, its threading
     * hints, its sender's identities, its files' Content-IDs), or the same message when none has it. A mail can
     * carry one in any header, and an insert failing on it would fail on every retry. Text, HTML, subject and
     * metadata are cleaned where ingest reads them.
     */
    public static InboundMessage strip(InboundMessage message) {
        ThreadHints thread = message.thread();
        boolean dirty = hasNul(message.externalId()) || hasNul(thread.replyToken()) || hasNul(thread.inReplyTo())
                || hasNul(thread.linkToken()) || thread.references().stream().anyMatch(NulBytes::hasNul)
                || message.sender().identities().stream().anyMatch(i -> hasNul(i.value()))
                || message.attachments().stream().anyMatch(a -> hasNul(a.contentId()));
        if (!dirty) {
            return message;
        }
        Sender sender = new Sender(message.sender().name(), message.sender().identities().stream()
                .map(i -> new Identity(i.kind(), strip(i.value()), i.proven())).toList());
        ThreadHints hints = new ThreadHints(strip(thread.replyToken()), strip(thread.inReplyTo()),
                thread.references().stream().map(NulBytes::strip).toList(), strip(thread.linkToken()));
        List<InboundAttachment> attachments = message.attachments().stream()
                .map(a -> new InboundAttachment(a.file(), strip(a.contentId()), a.inline())).toList();
        return new InboundMessage(strip(message.externalId()), sender, message.text(), message.html(),
                message.subject(), attachments, hints, message.sentAt(), message.metadata(), message.flags(),
                message.autoReply());
    }

    /** The edit with U+0000 gone from the external id it names (its text and metadata are cleaned where read). */
    public static InboundEdit strip(InboundEdit edit) {
        return !hasNul(edit.externalId()) ? edit : new InboundEdit(strip(edit.externalId()), edit.text(),
                edit.html(), edit.editedAt(), edit.metadata(), edit.attachments());
    }

    /** The report with U+0000 gone from its ids and reason, or the same report when none has it. */
    public static DeliveryReport strip(DeliveryReport report) {
        return !hasNul(report.externalId()) && !hasNul(report.reason()) && !hasNul(report.reportId())
                && report.recipients().stream().noneMatch(NulBytes::hasNul) ? report
                : new DeliveryReport(strip(report.externalId()), report.outcome(), strip(report.reason()),
                        strip(report.reportId()), report.recipients().stream().map(NulBytes::strip).toList());
    }

    /** A copy without U+0000 in any key or string value, or the same object when it has none. */
    public static JsonObject strip(JsonObject json) {
        if (json == null || !hasNul(json)) {
            return json;
        }
        JsonObject clean = new JsonObject();
        for (Map.Entry<String, Object> entry : json) {
            clean.put(strip(entry.getKey()), value(entry.getValue()));
        }
        return clean;
    }

    private static boolean hasNul(Object value) {
        return switch (value) {
            case String text -> text.indexOf('\u0000') >= 0;
            case JsonObject object -> object.fieldNames().stream()
                    .anyMatch(key -> hasNul(key) || hasNul(object.getValue(key)));
            case JsonArray array -> array.stream().anyMatch(NulBytes::hasNul);
            case null, default -> false;
        };
    }

    private static Object value(Object value) {
        return switch (value) {
            case String text -> strip(text);
            case JsonObject object -> strip(object);
            case JsonArray array -> {
                JsonArray clean = new JsonArray();
                array.forEach(item -> clean.add(value(item)));
                yield clean;
            }
            case null, default -> value;
        };
    }
}
