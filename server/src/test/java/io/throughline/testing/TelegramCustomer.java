package io.throughline.testing;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Telegram user writing to a bot of the {@link FakeBotApi}: each action renders an update from the JSON fixtures
 * in {@code src/test/resources/telegram/} (real update shapes, with {@code ${placeholders}}) and queues it, as
 * Telegram would after the user pressed Send.
 */
public final class TelegramCustomer {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([a-z_]+)}");

    private final FakeBot bot;
    private final long userId;
    private final String firstName;
    private final String lastName;
    private final String username;

    public TelegramCustomer(FakeBot bot, long userId, String firstName, String lastName, String username) {
        this.bot = bot;
        this.userId = userId;
        this.firstName = firstName;
        this.lastName = lastName;
        this.username = username;
    }

    public long userId() {
        return userId;
    }

    /** A sent message: Telegram's message_id (per chat) and the update that carried it. */
    public record Sent(int messageId, int updateId) {
    }

    public Sent says(String text) {
        return push("private_text", Map.of("text", text));
    }

    public Sent pressesStart(String payload) {
        return push("private_start", Map.of("text", payload == null ? "/start" : "/start " + payload));
    }

    public Sent sendsPhoto(String fileId, byte[] jpeg, String caption) {
        bot.addFile(fileId, "AQAD" + fileId, "photos/file_" + fileId + ".jpg", jpeg);
        Map<String, Object> values = new HashMap<>();
        values.put("file_id", fileId);
        values.put("small_file_id", fileId + "-small");
        values.put("file_unique_id", "AQAD" + fileId);
        values.put("file_size", jpeg.length);
        values.put("caption", caption);
        return push("private_photo", values);
    }

    public Sent sendsDocument(String fileId, String fileName, String mimeType, byte[] content, String caption) {
        bot.addFile(fileId, "AgAD" + fileId, "documents/file_" + fileId, content);
        return sendsAnnouncedDocument(fileId, fileName, mimeType, content.length, caption);
    }

    /** A document whose content the fake never serves: only its announced size matters (an over-limit file). */
    public Sent sendsAnnouncedDocument(String fileId, String fileName, String mimeType, long size, String caption) {
        Map<String, Object> values = new HashMap<>();
        values.put("file_id", fileId);
        values.put("file_unique_id", "AgAD" + fileId);
        values.put("file_name", fileName);
        values.put("mime_type", mimeType);
        values.put("file_size", size);
        values.put("caption", caption);
        return push("private_document", values);
    }

    public Sent sendsVoice(String fileId, byte[] ogg) {
        bot.addFile(fileId, "AwAD" + fileId, "voice/file_" + fileId + ".oga", ogg);
        return push("private_voice", Map.of("file_id", fileId, "file_unique_id", "AwAD" + fileId,
                "file_size", ogg.length));
    }

    public Sent sendsVideo(String fileId, String fileName, byte[] mp4) {
        bot.addFile(fileId, "BAAD" + fileId, "videos/file_" + fileId + ".mp4", mp4);
        return push("private_video", Map.of("file_id", fileId, "file_unique_id", "BAAD" + fileId,
                "file_name", fileName, "file_size", mp4.length));
    }

    public Sent sendsSticker(String fileId, byte[] webp) {
        bot.addFile(fileId, "CAAD" + fileId, "stickers/file_" + fileId + ".webp", webp);
        return push("private_sticker", Map.of("file_id", fileId, "file_unique_id", "CAAD" + fileId,
                "file_size", webp.length));
    }

    public Sent sendsLocation(double latitude, double longitude) {
        return push("private_location", Map.of("latitude", latitude, "longitude", longitude));
    }

    /** Telegram's "share my phone number" button: a contact card of the sender themselves. */
    public Sent sharesOwnContact(String phone) {
        return push("private_contact", Map.of("phone_number", phone, "contact_first_name", firstName,
                "contact_user_id", userId));
    }

    /** Forwards someone else's contact card: proves nothing about the sender. */
    public Sent sharesContactOf(String phone, String name, long otherUserId) {
        return push("private_contact", Map.of("phone_number", phone, "contact_first_name", name,
                "contact_user_id", otherUserId));
    }

    public int edits(int messageId, String newText) {
        Map<String, Object> values = new HashMap<>();
        values.put("message_id", messageId);
        values.put("text", newText);
        values.put("edit_date", now() + 5);
        return bot.push(render("private_edited_text", values));
    }

    /** Edits a photo message: another photo in its place (Telegram's "replace"), or the same with a new caption. */
    public int editsPhoto(int messageId, String fileId, byte[] jpeg, String caption) {
        bot.addFile(fileId, "AQAD" + fileId, "photos/file_" + fileId + ".jpg", jpeg);
        return editsPhotoTheBotCannotFetch(messageId, fileId, jpeg.length, caption);
    }

    /** The same edit, naming a file the Bot API does not hand over (getFile answers 400). */
    public int editsPhotoTheBotCannotFetch(int messageId, String fileId, int size, String caption) {
        Map<String, Object> values = new HashMap<>();
        values.put("message_id", messageId);
        values.put("file_id", fileId);
        values.put("small_file_id", fileId + "-small");
        values.put("file_unique_id", "AQAD" + fileId);
        values.put("file_size", size);
        values.put("caption", caption);
        values.put("edit_date", now() + 5);
        return bot.push(render("private_edited_photo", values));
    }

    public Sent saysInGroup(String text) {
        return push("group_text", Map.of("text", text));
    }

    /** In a topic of a forum supergroup (chat -1001555000111), as Telegram sends it: quoting the topic's start. */
    public Sent saysInTopic(int topic, String text) {
        return push("topic_text", Map.of("thread_id", topic, "text", text));
    }

    /** In a basic group (chat -4012345678), the kind Telegram upgrades to a supergroup with a new chat id. */
    public Sent saysInBasicGroup(String text) {
        return push("basic_group_text", Map.of("text", text));
    }

    public int pressesInlineButton() {
        return bot.push(render("callback_query", Map.of()));
    }

    /** An update of a type newer than TelegramBots knows. */
    public JsonObject futureUpdate() {
        return render("future_update_type", Map.of());
    }

    /** A post in a channel the bot administers. */
    public int channelPost(String text) {
        return bot.push(render("channel_post", Map.of("message_id", bot.nextMessageId(), "text", text)));
    }

    private Sent push(String fixture, Map<String, Object> values) {
        Map<String, Object> all = new HashMap<>(values);
        int messageId = bot.nextMessageId();
        all.put("message_id", messageId);
        return new Sent(messageId, bot.push(render(fixture, all)));
    }

    /** The fixture with this customer's ids and the given values in place of its placeholders. */
    public JsonObject render(String fixture, Map<String, Object> values) {
        Map<String, Object> all = new HashMap<>();
        all.put("user_id", userId);
        all.put("first_name", firstName);
        all.put("last_name", lastName);
        all.put("username", username);
        all.put("date", now());
        all.putAll(values);
        Matcher m = PLACEHOLDER.matcher(load(fixture));
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            if (!all.containsKey(m.group(1))) {
                throw new IllegalArgumentException("fixture " + fixture + " needs " + m.group(1));
            }
            m.appendReplacement(out, Matcher.quoteReplacement(Json.encode(all.get(m.group(1)))));
        }
        m.appendTail(out);
        return new JsonObject(out.toString());
    }

    private static String load(String fixture) {
        try (InputStream in = TelegramCustomer.class.getResourceAsStream("/telegram/" + fixture + ".json")) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture telegram/" + fixture + ".json");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long now() {
        return System.currentTimeMillis() / 1000;
    }
}
