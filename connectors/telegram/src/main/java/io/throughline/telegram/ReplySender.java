package io.throughline.telegram;

import io.throughline.connector.DeliveryFailure;
import io.throughline.connector.DeliveryProgress;
import io.throughline.connector.DeliveryReceipt;
import io.throughline.connector.IdentityKind;
import io.throughline.connector.OutboundAttachment;
import io.throughline.connector.OutboundMessage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.telegram.telegrambots.meta.api.methods.ParseMode;
import org.telegram.telegrambots.meta.api.methods.send.SendDocument;
import org.telegram.telegrambots.meta.api.methods.send.SendMessage;
import org.telegram.telegrambots.meta.api.methods.send.SendPhoto;
import org.telegram.telegrambots.meta.api.objects.InputFile;
import org.telegram.telegrambots.meta.api.objects.ReplyParameters;
import org.telegram.telegrambots.meta.api.objects.message.Message;

/**
 * Delivers an agent reply to a Telegram chat: the text escaped into HTML parse mode (split past 4096 characters),
 * as a reply to the customer's last message, then each attachment as a photo or a document. Telegram's refusals
 * become the outbox's decisions: 403 (the customer blocked the bot) fails for good with Telegram's words, 429
 * waits {@code retry_after}, the network and Telegram's own errors retry.
 *
 * <p>Telegram has no idempotency key. A reply in several parts remembers, per delivery, the parts already sent: on
 * the delivery itself ({@link DeliveryProgress}), so a retry on any node or after a restart continues where the
 * failure stopped instead of repeating them, and on this node ({@link SentParts}) should the database not take it.
 */
final class ReplySender {

    /** sendPhoto takes up to 10 MB; sendDocument up to 50 MB (https://core.telegram.org/bots/api#sending-files). */
    static final long PHOTO_LIMIT = 10L * 1024 * 1024;
    static final long DOCUMENT_LIMIT = 50L * 1024 * 1024;
    /** sendPhoto: width + height at most 10,000, and a width-to-height ratio of at most 20. */
    private static final long PHOTO_MAX_SIDES = 10_000;
    private static final long PHOTO_MAX_RATIO = 20;
    private static final Set<String> PHOTO_TYPES = Set.of("image/jpeg", "image/png", "image/webp");
    /** The progress field: the Telegram message ids of the parts sent, in order. */
    private static final String SENT_IDS = "telegramMessageIds";
    /** The chat the first part went to: the receipt names it, whatever chat the later parts went to. */
    private static final String FIRST_CHAT = "telegramChatId";
    private static final Logger log = LoggerFactory.getLogger(ReplySender.class);
    private final BotApi api;
    private final SentParts partsSent;
    private final String botId;
    private final String idPrefix;
    private final boolean firstBot;

    /**
     * @param botId the id of the bot that sends: a reply quotes the customer's last message only when this bot
     *     numbered it (after the inbox moved to another bot, the old numbers name other messages)
     * @param idPrefix before every delivery's external id, as before the inbox's message ids (see UpdateHandler)
     * @param firstBot whether this is the inbox's first bot, whose messages were stored without a bot id
     */
    ReplySender(BotApi api, SentParts partsSent, String botId, String idPrefix, boolean firstBot) {
        this.botId = botId;
        this.idPrefix = idPrefix;
        this.firstBot = firstBot;
        this.api = api;
        this.partsSent = partsSent;
    }

    DeliveryReceipt send(OutboundMessage message) throws DeliveryFailure {
        if (message.to().kind() != IdentityKind.TELEGRAM) {
            throw DeliveryFailure.permanent("a telegram inbox can only reach telegram accounts, not "
                    + message.to().kind().wireName());
        }
        JsonObject last = message.thread().inReplyToMetadata();
        // The chat of the customer's last message (a group, when groups are accepted); in a private chat the
        // chat id equals the user id, which is the recipient identity.
        String chatId = last.getString("chatId") != null ? last.getString("chatId") : message.to().value();
        // A greeting answers /start; quoting "/start" back would only look odd.
        boolean ours = TelegramConfig.recordedBy(last.getString("botId"), botId, firstBot);
        Integer replyTo = "start".equals(last.getString("command")) || !ours ? null : last.getInteger("messageId");
        // The forum topic the customer wrote in (null in General and outside forums): each part goes there.
        Integer topic = last.getInteger("messageThreadId");

        List<Part> parts = parts(message);
        if (parts.isEmpty()) {
            throw DeliveryFailure.permanent("the reply has neither text nor attachments");
        }
        SentParts.Sent progress = partsSent.of(message.deliveryId());
        List<Integer> sent = progress.ids();
        progress.lock().lock();
        try {
            JsonArray saved = message.progress().saved().getJsonArray(SENT_IDS, new JsonArray());
            if (saved.size() > sent.size()) {
                sent.clear();
                saved.forEach(id -> sent.add(((Number) id).intValue()));
            }
            String firstChat = sent.isEmpty() ? null : message.progress().saved().getString(FIRST_CHAT);
            for (int i = sent.size(); i < parts.size(); i++) {
                String where = parts.size() > 1 ? "part " + (i + 1) + " of " + parts.size() + ": " : "";
                try {
                    sent.add(parts.get(i).send(api, chatId, topic, i == 0 ? replyTo : null).getMessageId());
                } catch (BotApiException e) {
                    if (e.migrateToChatId() == null) {
                        throw failure(e, where);
                    }
                    // The group became a supergroup, numbered anew: the reply and its next parts go there (the
                    // group's message ids mean nothing in it, so nothing is quoted). Later replies take the same turn
                    // until a message from the supergroup names it as the customer's chat.
                    log.info("telegram group became a supergroup, the reply goes there delivery={} group={}"
                            + " supergroup={}", message.deliveryId(), chatId, e.migrateToChatId());
                    chatId = String.valueOf(e.migrateToChatId());
                    topic = null;
                    try {
                        sent.add(parts.get(i).send(api, chatId, null, null).getMessageId());
                    } catch (BotApiException again) {
                        throw failure(again, where);
                    }
                }
                if (i == 0) {
                    firstChat = chatId;
                }
                // After the last part too: until the dispatcher has recorded the delivery as sent (which can fail,
                // and leave it to be claimed again once its lease runs out), a new attempt must find every part
                // sent, and only return the receipt. This node's memory keeps them as well, until pushed out.
                keep(message, sent, firstChat, i == parts.size() - 1);
            }
            JsonArray ids = new JsonArray();
            sent.forEach(ids::add);
            String receiptChat = firstChat != null ? firstChat : chatId;
            JsonObject metadata = new JsonObject().put("chatId", receiptChat).put("messageIds", ids);
            if (!receiptChat.equals(chatId)) {
                metadata.put("laterPartsChatId", chatId);
            }
            return new DeliveryReceipt(idPrefix + receiptChat + ":" + sent.getFirst(), metadata);
        } finally {
            progress.lock().unlock();
        }
    }

    /**
     * Saves the parts sent so far on the delivery, before the next goes and once {@code all} went. A database that
     * cannot take it leaves them to this node's memory; an attempt that lost its delivery to another stops, and that
     * one goes on from what it finds saved (once all went, there is nothing left to stop: the receipt stands).
     */
    private static void keep(OutboundMessage message, List<Integer> sent, String firstChat, boolean all)
            throws DeliveryFailure {
        boolean owned;
        try {
            owned = message.progress().save(new JsonObject().put(SENT_IDS, new JsonArray(List.copyOf(sent)))
                    .put(FIRST_CHAT, firstChat));
        } catch (RuntimeException e) {
            log.warn("parts sent not saved on the delivery, kept on this node delivery={}: {}", message.deliveryId(),
                    e.toString());
            return;
        }
        if (!owned && !all) {
            throw DeliveryFailure.retryable("another attempt took this delivery over", null);
        }
    }

    private static List<Part> parts(OutboundMessage message) throws DeliveryFailure {
        List<Part> parts = new ArrayList<>();
        for (String chunk : TelegramHtml.split(message.text(), TelegramHtml.MAX_MESSAGE)) {
            parts.add(new TextPart(TelegramHtml.escape(chunk)));
        }
        for (OutboundAttachment file : message.attachments()) {
            if (file.size() > DOCUMENT_LIMIT) {
                throw DeliveryFailure.permanent("attachment \"" + file.filename() + "\" ("
                        + FileRef.humanSize(file.size()) + ") is over Telegram's 50 MB limit for bots");
            }
            boolean photo = PHOTO_TYPES.contains(file.contentType()) && file.size() <= PHOTO_LIMIT
                    && fitsAPhoto(file.content());
            parts.add(photo ? new PhotoPart(file) : new DocumentPart(file));
        }
        return parts;
    }

    /**
     * Whether Telegram takes the image as a photo: width and height together at most 10,000 pixels, one at most
     * 20 times the other (a full-page screenshot is not). Only the image's header is read. An image whose size
     * cannot be read here (WebP) is tried as a photo; Telegram's refusal then sends it as a document.
     */
    static boolean fitsAPhoto(Path image) {
        try (ImageInputStream in = ImageIO.createImageInputStream(image.toFile())) {
            Iterator<ImageReader> readers = in == null ? Collections.emptyIterator() : ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return true;
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                long width = reader.getWidth(0);
                long height = reader.getHeight(0);
                return width > 0 && height > 0 && width + height <= PHOTO_MAX_SIDES
                        && Math.max(width, height) <= PHOTO_MAX_RATIO * Math.min(width, height);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    /** Telegram's answer as the outbox's decision, in words an agent can act on. */
    static DeliveryFailure failure(BotApiException e, String where) {
        if (!e.answered()) {
            return DeliveryFailure.retryable("Telegram unreachable: " + where + e.description(), e);
        }
        String said = "Telegram: " + where + e.description();
        return switch (e.errorCode()) {
            case 429 -> DeliveryFailure.retryAfter(said,
                    Duration.ofSeconds(e.retryAfter() == null ? 5 : Math.max(1, e.retryAfter())));
            case 401, 404 -> DeliveryFailure.retryable(said + " (the bot token was refused: check it in the inbox"
                    + " settings)", e);
            default -> e.errorCode() >= 500 ? DeliveryFailure.retryable(said, e) : DeliveryFailure.permanent(said);
        };
    }

    private static ReplyParameters replyTo(Integer messageId) {
        // allow_sending_without_reply: the customer may have deleted the message meanwhile.
        return messageId == null ? null
                : ReplyParameters.builder().messageId(messageId).allowSendingWithoutReply(true).build();
    }

    /** One Telegram message of a reply. */
    private sealed interface Part permits TextPart, PhotoPart, DocumentPart {
        Message send(BotApi api, String chatId, Integer topic, Integer replyTo) throws BotApiException;
    }

    private record TextPart(String html) implements Part {
        @Override
        public Message send(BotApi api, String chatId, Integer topic, Integer replyTo) throws BotApiException {
            return api.call("sendMessage", SendMessage.builder().chatId(chatId).messageThreadId(topic).text(html)
                    .parseMode(ParseMode.HTML).replyParameters(replyTo(replyTo)).build());
        }
    }

    /** An image shown as a photo; one Telegram will not take as a photo goes as a document instead. */
    private record PhotoPart(OutboundAttachment file) implements Part {
        @Override
        public Message send(BotApi api, String chatId, Integer topic, Integer replyTo) throws BotApiException {
            try {
                return api.sendPhoto(SendPhoto.builder().chatId(chatId).messageThreadId(topic)
                        .photo(new InputFile(file.content().toFile(), file.filename()))
                        .replyParameters(replyTo(replyTo)).build());
            } catch (BotApiException e) {
                if (!refusedAsPhoto(e)) {
                    throw e;
                }
                return new DocumentPart(file).send(api, chatId, topic, replyTo);
            }
        }

        /** PHOTO_INVALID_DIMENSIONS, PHOTO_SAVE_FILE_INVALID, IMAGE_PROCESS_FAILED and the like. */
        private static boolean refusedAsPhoto(BotApiException e) {
            String said = e.description() == null ? "" : e.description();
            return e.answered() && e.errorCode() == 400 && (said.contains("PHOTO_") || said.contains("IMAGE_"));
        }
    }

    private record DocumentPart(OutboundAttachment file) implements Part {
        @Override
        public Message send(BotApi api, String chatId, Integer topic, Integer replyTo) throws BotApiException {
            return api.sendDocument(SendDocument.builder().chatId(chatId).messageThreadId(topic)
                    .document(new InputFile(file.content().toFile(), file.filename()))
                    .replyParameters(replyTo(replyTo)).build());
        }
    }
}
