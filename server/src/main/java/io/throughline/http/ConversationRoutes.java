package io.throughline.http;

import io.throughline.conversation.Conversation;
import io.throughline.conversation.ConversationFilter;
import io.throughline.conversation.ConversationPatch;
import io.throughline.conversation.ConversationService;
import io.throughline.conversation.Cursor;
import io.throughline.conversation.Priority;
import io.throughline.conversation.AgentMessage;
import io.throughline.conversation.Status;
import io.throughline.failure.Invalid;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.text.Normalizer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/** {@code /api/v1/conversations} and their messages. */
final class ConversationRoutes {

    static final int MAX_BODY_CHARS = 64_000;
    private static final int MAX_LABEL_CHARS = 64;
    private static final Pattern SPACES = Pattern.compile("\\p{Zs}+");
    /**
     * Default-ignorable characters that are not formatting characters (those are refused): the combining grapheme
     * joiner, Hangul and Mongolian fillers and variation selectors, shown as nothing; dropped from a label.
     */
    private static final Set<Integer> IGNORABLE = ignorable();
    private static final String KEY_RULE = "must be 1 to 255 printable ASCII characters, without spaces around them";
    private static final Pattern ASSIGNEE = Pattern.compile("me|none|\\d{1,18}");
    private static final Pattern CHANNEL = Pattern.compile("[a-z][a-z0-9_]{0,31}");

    private final ConversationService conversations;

    ConversationRoutes(ConversationService conversations) {
        this.conversations = conversations;
    }

    void mount(Router router, Endpoints endpoints, BodyHandler body) {
        router.get("/api/v1/conversations").handler(endpoints.agent(call -> {
            var rc = call.rc();
            String status = Params.query(rc, "status");
            String assignee = Params.query(rc, "assignee");
            String channel = Params.query(rc, "channel");
            String cursor = Params.query(rc, "cursor");
            if (assignee != null && !ASSIGNEE.matcher(assignee).matches()) {
                throw Invalid.field("assignee", "must be me, none or an agent id");
            }
            if (channel != null && !CHANNEL.matcher(channel).matches()) {
                throw Invalid.field("channel", "must be a channel name such as email or telegram");
            }
            ConversationFilter filter = new ConversationFilter(status == null ? null : status(status), assignee,
                    channel, cursor == null ? null : Cursor.decode(cursor), Params.queryInt(rc, "limit", 25, 1, 100));
            return Reply.ok(conversations.list(call.caller(), filter));
        }));
        router.get("/api/v1/conversations/:id").handler(endpoints.agent(call ->
                versioned(conversations.get(call.caller(), call.pathId("id")))));
        router.patch("/api/v1/conversations/:id").handler(body).handler(endpoints.agent(call -> {
            ConversationPatch patch = patch(call.body());
            return versioned(conversations.update(call.caller(), call.pathId("id"), patch,
                    call.rc().request().getHeader("If-Match")));
        }));
        router.get("/api/v1/conversations/:id/messages").handler(endpoints.agent(call -> {
            Long before = Params.queryLong(call.rc(), "before");
            Long after = Params.queryLong(call.rc(), "after");
            Long around = Params.queryLong(call.rc(), "around");
            int limit = Params.queryInt(call.rc(), "limit", 50, 1, 200);
            if ((before != null ? 1 : 0) + (after != null ? 1 : 0) + (around != null ? 1 : 0) > 1) {
                throw Invalid.field("before", "before, after and around are exclusive: pass one of them");
            }
            if (after != null) {
                return Reply.ok(conversations.messagesAfter(call.caller(), call.pathId("id"), after, limit));
            }
            if (around != null) {
                return Reply.ok(conversations.messagesAround(call.caller(), call.pathId("id"), around, limit));
            }
            return Reply.ok(conversations.messages(call.caller(), call.pathId("id"), before, limit));
        }));
        router.post("/api/v1/conversations/:id/messages").handler(body).handler(endpoints.agent(call -> {
            String key = call.header("Idempotency-Key");
            if (key != null && !idempotencyKey(key)) {
                throw Invalid.field("Idempotency-Key", KEY_RULE);
            }
            AgentMessage message = message(call.body());
            ConversationService.Posted posted = conversations.post(call.caller(), call.pathId("id"), message, key);
            Reply answer = Reply.created(posted.message());
            return posted.replayed() ? answer.header("Idempotent-Replayed", "true") : answer;
        }));
        router.post("/api/v1/idempotency-keys/:key/withdraw").handler(endpoints.agent(call -> {
            String key = call.rc().pathParam("key");
            if (key == null || !idempotencyKey(key)) {
                throw Invalid.field("key", KEY_RULE);
            }
            ConversationService.Withdrawal withdrawal = conversations.withdraw(call.caller(), key);
            JsonObject answer = new JsonObject().put("key", key).put("withdrawn", withdrawal.withdrawn());
            if (withdrawal.message() != null) {
                answer.put("message", withdrawal.message());
            }
            return Reply.ok(answer);
        }));
        router.post("/api/v1/messages/:id/retry").handler(endpoints.agent(call ->
                Reply.ok(conversations.retry(call.caller(), call.pathId("id")))));
    }

    private static AgentMessage message(JsonBody json) {
        String text = json.optionalString("body", MAX_BODY_CHARS);
        String channel = json.optionalString("channel", 32);
        Boolean note = json.optionalBoolean("note");
        JsonArray files = json.optionalArray("attachments", 20);
        List<Long> attachmentIds = new ArrayList<>();
        if (files != null) {
            for (int i = 0; i < files.size(); i++) {
                Long id = JsonBody.exactLong(files.getValue(i));
                if (id != null) {
                    // A file named twice (a double drop, a client's retry list) is attached once, not refused as
                    // "already used" by its own second mention.
                    if (!attachmentIds.contains(id)) {
                        attachmentIds.add(id);
                    }
                } else {
                    json.error("attachments[" + i + "]", "must be an attachment id");
                }
            }
        }
        if (text == null && attachmentIds.isEmpty()) {
            json.error("body", "is required (or attach a file)");
        }
        if (channel != null && !CHANNEL.matcher(channel).matches()) {
            json.error("channel", "must be a channel name such as email or telegram");
        }
        if (Boolean.TRUE.equals(note) && channel != null) {
            json.error("channel", "a note is never delivered, so it has no channel");
        }
        json.validate();
        return new AgentMessage(text == null ? "" : text, channel, Boolean.TRUE.equals(note), attachmentIds);
    }

    /** A conversation with its version as the ETag, for a later change's {@code If-Match}. */
    private static Reply versioned(JsonObject conversation) {
        return Reply.ok(conversation).header("ETag", Conversation.etag(conversation.getString("updatedAt")));
    }

    private static ConversationPatch patch(JsonBody json) {
        String statusText = json.optionalString("status", 16);
        Status status = null;
        if (statusText != null) {
            status = Status.fromWireName(statusText).orElse(null);
            if (status == null) {
                json.error("status", "must be open, pending, snoozed or resolved");
            }
        }
        Long assigneeId = json.optionalLong("assigneeId");
        String priorityText = json.optionalString("priority", 16);
        Priority priority = null;
        if (priorityText != null) {
            priority = Priority.fromWireName(priorityText).orElse(null);
            if (priority == null) {
                json.error("priority", "must be none, low, medium, high or urgent");
            }
        }
        List<String> labels = labels(json, "labels");
        List<String> addLabels = labels(json, "addLabels");
        List<String> removeLabels = labelsToRemove(json);
        if (json.has("labels") && (json.has("addLabels") || json.has("removeLabels"))) {
            json.error("labels", "give the labels, or the ones to add and to remove, not both");
        }
        Instant snoozedUntil = json.optionalInstant("snoozedUntil");
        json.validate();
        return new ConversationPatch(status, json.has("assigneeId"), assigneeId, priority, labels, addLabels,
                removeLabels, json.has("snoozedUntil"), snoozedUntil);
    }

    private static List<String> labels(JsonBody json, String field) {
        JsonArray array = json.optionalArray(field, ConversationPatch.MAX_LABELS);
        if (array == null) {
            return null;
        }
        LinkedHashSet<String> labels = new LinkedHashSet<>();
        for (int i = 0; i < array.size(); i++) {
            String label = array.getValue(i) instanceof String text ? label(text) : null;
            if (label == null || label.isEmpty() || label.length() > MAX_LABEL_CHARS) {
                json.error(field + "[" + i + "]", "must be a label of 1 to " + MAX_LABEL_CHARS + " characters,"
                        + " without control or invisible formatting characters");
            } else {
                labels.add(label);
            }
        }
        return List.copyOf(labels);
    }

    /**
     * Labels to remove, matched as stored: as given and composed, with none of the checks of new labels, so one stored
     * before them (holding an invisible character, or decomposed) can still be removed.
     */
    private static List<String> labelsToRemove(JsonBody json) {
        JsonArray array = json.optionalArray("removeLabels", ConversationPatch.MAX_LABELS);
        if (array == null) {
            return null;
        }
        LinkedHashSet<String> labels = new LinkedHashSet<>();
        for (int i = 0; i < array.size(); i++) {
            if (!(array.getValue(i) instanceof String text) || text.isBlank()) {
                json.error("removeLabels[" + i + "]", "must be a label");
            } else {
                labels.add(text.strip().toLowerCase(Locale.ROOT));
                labels.add(Normalizer.normalize(text, Normalizer.Form.NFC).strip().toLowerCase(Locale.ROOT));
            }
        }
        return List.copyOf(labels);
    }

    /**
     * A label as stored: composed (NFC, so "café" typed two ways is one label), without the default-ignorable
     * characters that change nothing it shows (a variation selector, a filler: "vip" with one is "vip"), lower
     * case, its spaces (of any kind) one ASCII space each, trimmed; null when it holds a control or invisible
     * formatting character (a zero-width space made a label that shows as nothing, or as another), a line break or
     * a tab, or nothing visible at all.
     */
    private static String label(String text) {
        String shownOnly = Normalizer.normalize(text, Normalizer.Form.NFC).codePoints()
                .filter(c -> !IGNORABLE.contains(c))
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        String label = SPACES.matcher(shownOnly).replaceAll(" ").strip().toLowerCase(Locale.ROOT);
        boolean invisible = label.codePoints().anyMatch(c -> switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                 Character.PRIVATE_USE, Character.UNASSIGNED, Character.SURROGATE -> true;
            default -> false;
        });
        boolean shown = label.codePoints().anyMatch(c -> Character.isLetterOrDigit(c) || switch (Character.getType(c)) {
            case Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL,
                 Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> true;
            default -> false;
        });
        return invisible || !shown ? null : label;
    }

    private static Status status(String text) {
        return Status.fromWireName(text).orElseThrow(() ->
                Invalid.field("status", "must be open, pending, snoozed or resolved"));
    }

    /**
     * What a key may be, the same in the header a reply is posted with and in the path it is withdrawn by: the
     * header's bytes are read as ISO-8859-1 and the path's as UTF-8, so a key outside printable ASCII would be
     * stored as one string and withdrawn as another (the withdrawal answering that nothing was sent).
     */
    private static boolean idempotencyKey(String key) {
        return !key.isBlank() && key.length() <= 255 && key.equals(key.strip())
                && key.chars().allMatch(c -> c >= 0x20 && c <= 0x7E);
    }

    private static Set<Integer> ignorable() {
        Set<Integer> set = new HashSet<>(List.of(0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0));
        IntStream.rangeClosed(0x180B, 0x180F).forEach(set::add);
        IntStream.rangeClosed(0xFE00, 0xFE0F).forEach(set::add);
        IntStream.rangeClosed(0xE0100, 0xE01EF).forEach(set::add);
        return Set.copyOf(set);
    }
}
