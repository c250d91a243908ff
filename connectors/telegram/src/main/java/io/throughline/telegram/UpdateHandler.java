package io.throughline.telegram;

import io.throughline.connector.Identity;
import io.throughline.connector.IdentityKind;
import io.throughline.connector.InboundAttachment;
import io.throughline.connector.InboundEdit;
import io.throughline.connector.InboundMessage;
import io.throughline.connector.InboundSink;
import io.throughline.connector.IngestReceipt;
import io.throughline.connector.Sender;
import io.throughline.connector.StorageUnavailable;
import io.throughline.connector.ThreadHints;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.telegram.telegrambots.meta.api.objects.Update;
import org.telegram.telegrambots.meta.api.objects.User;
import org.telegram.telegrambots.meta.api.objects.chat.Chat;
import org.telegram.telegrambots.meta.api.objects.message.Message;

/**
 * Takes one update into Throughline: a customer message through {@link InboundSink#accept}, an edit through
 * {@link InboundSink#edit}; groups (unless accepted), channels and update types we do not handle are logged with
 * their type and skipped. It returns only after the sink committed, so the caller may then acknowledge the update
 * to Telegram. A passing fault (the network, the database) is thrown: the caller tries the update again, and
 * the sink's idempotency on {@code (chat_id, message_id)} makes that safe. Any other fault (an update shaped in a
 * way we mishandle, data the database refuses) is thrown too, but only {@link #MAX_TRIES} times: then the update
 * is stored as a note saying so, so that one update cannot hold every later one of the bot back for good.
 */
final class UpdateHandler {

    private static final Logger log = LoggerFactory.getLogger(UpdateHandler.class);
    /**
     * {@code /start}, {@code /start@our_bot}, with the deep-link payload: 1-64 of A-Z, a-z, 0-9, _ and -. Only one of
     * a link token's length is taken for one; another ({@code /start 12345}, a campaign's own link) is the customer's
     * text.
     */
    private static final Pattern START = Pattern.compile("/start(?:@\\w+)?(?:\\s+(\\S+))?\\s*");
    private static final Pattern PAYLOAD = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    /** Tries of an update failing with a fault that is not passing, before it is kept as a note instead. */
    static final int MAX_TRIES = 5;
    /**
     * How long an update's files may keep failing to download for a passing reason (Telegram's file server
     * answering 502, a proxy cutting one large download) before the message is kept with a note for them: tried
     * again for ever, one file held back every later update of the bot.
     */
    static final Duration FILE_PATIENCE = Duration.ofMinutes(30);
    /** The metadata key naming the files a message holds: {@link #noteFiles}. */
    private static final String FILES = "fileUniqueIds";
    private static final int MAX_ERROR_CHARS = 300;

    private final long inboxId;
    private final TelegramConfig config;
    /** Before every external id: empty for the inbox's first bot (see TelegramConfig.FIRST_BOT_ID). */
    private final String idPrefix;
    /** The bot that numbered the messages taken here, kept in their metadata (a reply quotes only its own). */
    private final String botId;
    private final InboundSink sink;
    private final MediaFetcher media;
    /** Failed tries of this bot's updates; an update leaves on success or when it is kept as a note. */
    private final FailedTries failures;
    private final Clock clock;

    UpdateHandler(long inboxId, TelegramConfig config, String idPrefix, InboundSink sink, MediaFetcher media,
                  FailedTries failures) {
        this(inboxId, config, idPrefix, sink, media, failures, Clock.systemUTC());
    }

    UpdateHandler(long inboxId, TelegramConfig config, String idPrefix, InboundSink sink, MediaFetcher media,
                  FailedTries failures, Clock clock) {
        this.clock = clock;
        this.idPrefix = idPrefix;
        this.botId = TelegramConfig.botIdOf(config.botToken());
        this.inboxId = inboxId;
        this.failures = failures;
        this.config = config;
        this.sink = sink;
        this.media = media;
    }

    /** What became of an update, for logs and tests. */
    enum Outcome {
        STORED, DUPLICATE, EDITED, SKIPPED, BLOCKED, NOT_FOUND
    }

    Outcome handle(Update update) throws BotApiException {
        return handle(update, UpdateTypes.of(update));
    }

    /** The same, with the update's type as its JSON names it (a webhook sees types newer than TelegramBots). */
    Outcome handle(Update update, String type) throws BotApiException {
        try {
            Outcome outcome = take(update, type);
            failures.forget(inboxId, update.getUpdateId());
            return outcome;
        } catch (StorageUnavailable e) {
            throw e;
        } catch (MediaFetcher.FileNotReady e) {
            failures.countWait(inboxId, update.getUpdateId());
            throw e;
        } catch (BotApiException e) {
            // Only fetching files calls Telegram here: a passing failure is tried again, within FILE_PATIENCE.
            if (e.transientFailure()) {
                failures.failedPassing(inboxId, update.getUpdateId(), clock.instant());
            }
            throw e;
        } catch (RuntimeException e) {
            if (failures.count(inboxId, update.getUpdateId()) < MAX_TRIES) {
                throw e;
            }
            failures.forget(inboxId, update.getUpdateId());
            return unstorable(update, type, e);
        }
    }

    /**
     * An update that failed {@link #MAX_TRIES} times for a reason that is not passing: what the customer sent is
     * not in Throughline, and agents must know that rather than never hear of it. A note in the customer's thread
     * says so (the update id finds it in the log); an update without a person behind it is logged only.
     */
    private Outcome unstorable(Update update, String type, RuntimeException cause) {
        log.error("telegram update could not be stored after {} tries, kept as a note inbox={} update={} type={}",
                MAX_TRIES, inboxId, update.getUpdateId(), type, cause);
        Message message = update.getMessage() != null ? update.getMessage() : update.getEditedMessage();
        if (message == null || message.getFrom() == null || refusal(message) != null) {
            return Outcome.SKIPPED;
        }
        String error = String.valueOf(cause.getMessage());
        String note = "[" + (update.getMessage() != null ? "A Telegram message" : "An edit of a Telegram message")
                + " could not be stored: " + (error.length() > MAX_ERROR_CHARS ? error.substring(0, MAX_ERROR_CHARS)
                + "…" : error) + " (Telegram update " + update.getUpdateId() + ")]";
        try {
            IngestReceipt receipt = sink.accept(InboundMessage.builder(idPrefix + "update:" + update.getUpdateId(),
                            sender(message.getFrom(), null))
                    .sentAt(Instant.ofEpochSecond(message.getDate())).text(note)
                    .metadata(new JsonObject().put("updateId", update.getUpdateId()).put("unstored", true))
                    .build());
            return receipt.outcome() == IngestReceipt.Outcome.BLOCKED ? Outcome.BLOCKED : Outcome.STORED;
        } catch (StorageUnavailable e) {
            throw e;
        } catch (RuntimeException e) {
            log.error("telegram update skipped, not even its note could be stored inbox={} update={}: {}", inboxId,
                    update.getUpdateId(), e.toString());
            return Outcome.SKIPPED;
        }
    }

    /**
     * Whether this update may wait once more for a file Telegram cannot serve now (it may come later); its
     * {@link #MAX_TRIES}th try, or one past {@link #FILE_PATIENCE} of passing failures (at once while the inbox's
     * last such wait ran out and no file came through since), keeps the message with a note for the file.
     */
    private boolean patient(Update update) {
        return failures.waits(inboxId, update.getUpdateId()) < MAX_TRIES - 1
                && failures.failingPassing(inboxId, update.getUpdateId(), clock.instant())
                        .compareTo(FILE_PATIENCE) < 0;
    }

    /**
     * The update's files, noting for the inbox whether Telegram served one or patience ran out on one. Passing
     * failures get no wait while the inbox's last such wait ran out lately (an outage of Telegram's file server);
     * a file Telegram calls "temporarily unavailable" is one file's state, and keeps its waits.
     */
    private MediaFetcher.Fetched fetch(List<FileRef> files, boolean patient) throws BotApiException {
        Instant now = clock.instant();
        boolean waitForPassing = patient && !failures.impatient(inboxId, now, FILE_PATIENCE);
        MediaFetcher.Fetched fetched = media.fetch(files, patient, waitForPassing);
        if (fetched.gaveUp()) {
            failures.gaveUp(inboxId, now);
        } else if (!fetched.attachments().isEmpty()) {
            failures.fetched(inboxId);
        }
        return fetched;
    }

    private Outcome take(Update update, String type) throws BotApiException {
        if (update.getMessage() != null) {
            return message(update, update.getMessage());
        }
        if (update.getEditedMessage() != null) {
            return edit(update, update.getEditedMessage());
        }
        return skip(update, type, "not a customer message");
    }

    private Outcome message(Update update, Message message) throws BotApiException {
        String refusal = refusal(message);
        if (refusal != null) {
            return skip(update, "message in " + message.getChat().getType(), refusal);
        }
        MessageContent content = MessageContent.of(message, config.maxFileSize());
        if (!content.substantive()) {
            return skip(update, "service message", "nothing a customer wrote");
        }
        Chat chat = message.getChat();
        User from = message.getFrom();
        String externalId = externalId(chat, message);
        JsonObject metadata = metadata(update, message).put("botId", botId);
        InboundMessage.Builder builder = InboundMessage.builder(externalId, sender(from, content.sharedPhone()))
                .sentAt(Instant.ofEpochSecond(message.getDate()));

        Matcher start = chat.isUserChat() && message.getText() != null
                ? START.matcher(message.getText().strip()) : null;
        if (start != null && start.matches()) {
            startCommand(builder, metadata, start.group(1));
        } else {
            if (!content.files().isEmpty() && !sink.stored(List.of(externalId)).isEmpty()) {
                // Telegram sent it again (the offset or the webhook's answer was lost after the commit): its files
                // are not fetched again, and a passing getFile fault cannot hold up the updates behind it.
                log.debug("telegram update already stored inbox={} update={}", inboxId, update.getUpdateId());
                return Outcome.DUPLICATE;
            }
            body(builder, metadata, content, patient(update));
        }
        IngestReceipt receipt = sink.accept(builder.metadata(metadata).build());
        Outcome outcome = switch (receipt.outcome()) {
            case STORED -> Outcome.STORED;
            case DUPLICATE -> Outcome.DUPLICATE;
            case BLOCKED -> Outcome.BLOCKED;
            case NOT_FOUND -> Outcome.NOT_FOUND;
        };
        log.debug("telegram update taken inbox={} update={} message={} outcome={}", inboxId, update.getUpdateId(),
                receipt.messageId(), outcome);
        return outcome;
    }

    /**
     * Opening the bot (bare /start) or following a deep link (/start &lt;token&gt;): the token goes to the server
     * to redeem and is never stored in the text; the greeting goes out through the outbox, once.
     */
    private void startCommand(InboundMessage.Builder builder, JsonObject metadata, String payload) {
        metadata.put("command", "start");
        builder.autoReply(config.greeting());
        if (payload != null && payload.length() == ThreadHints.LINK_TOKEN_LENGTH && PAYLOAD.matcher(payload).matches()) {
            builder.text("/start").thread(ThreadHints.linkToken(payload));
        } else {
            builder.text(payload == null ? "/start" : "/start " + payload);
        }
    }

    /** The text, the files fetched into the attachment store, and a note for each file left out. */
    private void body(InboundMessage.Builder builder, JsonObject metadata, MessageContent content,
                      boolean patient) throws BotApiException {
        MediaFetcher.Fetched fetched = fetch(content.files(), patient);
        noteFiles(metadata, content, fetched);
        builder.text(Body.join(content.text(), fetched.notes()));
        String html = Body.joinHtml(content.html(), fetched.notes());
        if (html != null) {
            builder.html(html);
        }
        fetched.attachments().forEach(builder::attachment);
    }

    /** A message's text with a line for each file left out ("[File too large: ...]"). */
    private static final class Body {
        static String join(String text, List<String> notes) {
            List<String> lines = new ArrayList<>();
            if (!text.isEmpty()) {
                lines.add(text);
            }
            lines.addAll(notes);
            return String.join("\n", lines);
        }

        static String joinHtml(String html, List<String> notes) {
            if (html == null) {
                return null;
            }
            StringBuilder out = new StringBuilder(html);
            notes.forEach(note -> out.append("<br>").append(TelegramHtml.escape(note)));
            return out.toString();
        }
    }

    private Outcome edit(Update update, Message message) throws BotApiException {
        String refusal = refusal(message);
        if (refusal != null) {
            return skip(update, "edit in " + message.getChat().getType(), refusal);
        }
        if (message.getLocation() != null && message.getLocation().getLivePeriod() != null) {
            // A live location re-sends its position every few seconds: keeping each as an edit is noise.
            return skip(update, "live location update", "position changes are not kept");
        }
        MessageContent content = MessageContent.of(message, config.maxFileSize());
        Instant editedAt = message.getEditDate() == null ? null : Instant.ofEpochSecond(message.getEditDate());
        JsonObject metadata = new JsonObject().put("editUpdateId", update.getUpdateId());
        String text = content.text();
        String html = content.html();
        if (message.getChat().isUserChat() && text != null && START.matcher(text.strip()).matches()) {
            // An edited /start keeps what the message was stored as: a deep link's token is never stored.
            text = "/start";
            html = null;
        }
        List<InboundAttachment> files = null;
        Optional<JsonObject> stored = content.files().isEmpty() ? Optional.empty()
                : sink.metadata(externalId(message.getChat(), message));
        if (!content.files().isEmpty() && stored.isEmpty()) {
            // A message never taken in (sent before the bot was ours, in a group before acceptGroups): its file is
            // not fetched for nothing, nor waited for when Telegram cannot hand it over, holding the bot's updates.
            log.info("telegram edit of an unknown message skipped inbox={} update={}", inboxId,
                    update.getUpdateId());
            return Outcome.NOT_FOUND;
        }
        if (!content.files().isEmpty() && !sameFiles(stored.get(), content)) {
            // The message's file changed (a customer may replace a photo): fetched, and the server compares it with
            // the one it has. A note for a file left out, as on a new message; and then the files stay as they
            // are: a file Telegram would not hand over now replaces nothing. A caption edit fetches nothing.
            MediaFetcher.Fetched fetched = fetch(content.files(), patient(update));
            noteFiles(metadata, content, fetched);
            files = fetched.notes().isEmpty() ? fetched.attachments() : null;
            text = Body.join(content.text(), fetched.notes());
            html = Body.joinHtml(content.html(), fetched.notes());
        }
        IngestReceipt receipt = sink.edit(new InboundEdit(externalId(message.getChat(), message), text, html,
                editedAt, metadata, files));
        if (receipt.outcome() == IngestReceipt.Outcome.NOT_FOUND) {
            log.info("telegram edit of an unknown message skipped inbox={} update={}", inboxId,
                    update.getUpdateId());
            return Outcome.NOT_FOUND;
        }
        return switch (receipt.outcome()) {
            case STORED -> Outcome.EDITED;
            case BLOCKED -> Outcome.BLOCKED;
            default -> Outcome.DUPLICATE;
        };
    }

    /**
     * Notes in the message's metadata which files it holds (Telegram's {@code file_unique_id}, the same for one
     * file whatever the bot or the time), when all of them were stored; when one was left out, notes none, so the
     * next edit fetches them again and tells the same.
     */
    private static void noteFiles(JsonObject metadata, MessageContent content, MediaFetcher.Fetched fetched) {
        if (content.files().isEmpty()) {
            return;
        }
        metadata.put(FILES, fetched.notes().isEmpty() ? uniqueIds(content) : null);
    }

    /** Whether the message holds these very files already, as noted when they were stored. */
    private static boolean sameFiles(JsonObject metadata, MessageContent content) {
        return uniqueIds(content).equals(metadata.getValue(FILES));
    }

    private static JsonArray uniqueIds(MessageContent content) {
        JsonArray ids = new JsonArray();
        content.files().forEach(file -> ids.add(file.uniqueId()));
        return ids;
    }

    /** Why a message is not taken in, or null when it is a customer's. */
    private String refusal(Message message) {
        Chat chat = message.getChat();
        if (chat.isChannelChat()) {
            return "channel posts are not customer messages";
        }
        if ((chat.isGroupChat() || chat.isSuperGroupChat()) && !config.acceptGroups()) {
            return "groups are not accepted (acceptGroups is off)";
        }
        if (message.getFrom() == null || message.getSenderChat() != null) {
            return "sent on behalf of a chat, not by a person";
        }
        if (Boolean.TRUE.equals(message.getFrom().getIsBot())) {
            return "sent by a bot";
        }
        return null;
    }

    private Outcome skip(Update update, String type, String reason) {
        log.info("telegram update skipped inbox={} update={} type={} reason={}", inboxId, update.getUpdateId(), type,
                reason);
        return Outcome.SKIPPED;
    }

    /**
     * Telegram numbers messages per chat, and each bot its chats anew: the pair is unique and stable across
     * redeliveries for one bot, and the prefix tells the inbox's bots apart.
     */
    private String externalId(Chat chat, Message message) {
        return idPrefix + chat.getId() + ":" + message.getMessageId();
    }

    private static Sender sender(User from, String sharedPhone) {
        List<Identity> identities = new ArrayList<>();
        identities.add(Identity.proven(IdentityKind.TELEGRAM, String.valueOf(from.getId())));
        if (sharedPhone != null) {
            // Telegram hands out numbers in international form, sometimes without the plus.
            String phone = sharedPhone.strip();
            identities.add(Identity.proven(IdentityKind.PHONE, phone.startsWith("+") ? phone : "+" + phone));
        }
        String name = (from.getFirstName() == null ? "" : from.getFirstName())
                + (from.getLastName() == null ? "" : " " + from.getLastName());
        if (name.isBlank() && from.getUserName() != null) {
            name = "@" + from.getUserName();
        }
        return new Sender(name.isBlank() ? null : name.strip(), identities);
    }

    /**
     * What a reply needs to find its way back ({@code chatId}, {@code messageId}: the server hands them to
     * {@code send} as {@code ReplyThread#inReplyToMetadata}), and what agents may want to see.
     */
    private static JsonObject metadata(Update update, Message message) {
        Chat chat = message.getChat();
        User from = message.getFrom();
        JsonObject metadata = new JsonObject()
                .put("chatId", String.valueOf(chat.getId()))
                .put("messageId", message.getMessageId())
                .put("chatType", chat.getType())
                .put("updateId", update.getUpdateId());
        if (from.getUserName() != null) {
            metadata.put("username", from.getUserName());
        }
        if (from.getLanguageCode() != null) {
            metadata.put("languageCode", from.getLanguageCode());
        }
        if (chat.getTitle() != null) {
            metadata.put("chatTitle", chat.getTitle());
        }
        if (message.getReplyToMessage() != null) {
            metadata.put("replyToMessageId", message.getReplyToMessage().getMessageId());
        }
        if (message.getMediaGroupId() != null) {
            metadata.put("mediaGroupId", message.getMediaGroupId());
        }
        if (Boolean.TRUE.equals(message.getIsTopicMessage()) && message.getMessageThreadId() != null) {
            // A forum topic: a reply names it in every part, or all but the quoting first land in General.
            metadata.put("messageThreadId", message.getMessageThreadId());
        }
        String forwardedFrom = MessageContent.forwardedFrom(message);
        if (forwardedFrom != null) {
            metadata.put("forwardedFrom", forwardedFrom);
        }
        return metadata;
    }
}
