package io.throughline.telegram;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.telegram.telegrambots.meta.api.objects.Update;

/** The Bot API name of an update's type ({@code message}, {@code callback_query}...), for logs. */
final class UpdateTypes {

    private static final Map<String, Predicate<Update>> TYPES = new LinkedHashMap<>();

    static {
        TYPES.put("message", Update::hasMessage);
        TYPES.put("edited_message", Update::hasEditedMessage);
        TYPES.put("channel_post", Update::hasChannelPost);
        TYPES.put("edited_channel_post", Update::hasEditedChannelPost);
        TYPES.put("business_connection", Update::hasBusinessConnection);
        TYPES.put("business_message", Update::hasBusinessMessage);
        TYPES.put("edited_business_message", Update::hasEditedBusinessMessage);
        TYPES.put("deleted_business_messages", Update::hasDeletedBusinessMessage);
        TYPES.put("message_reaction", Update::hasMessageReaction);
        TYPES.put("message_reaction_count", Update::hasMessageReactionCount);
        TYPES.put("inline_query", Update::hasInlineQuery);
        TYPES.put("chosen_inline_result", Update::hasChosenInlineQuery);
        TYPES.put("callback_query", Update::hasCallbackQuery);
        TYPES.put("shipping_query", Update::hasShippingQuery);
        TYPES.put("pre_checkout_query", Update::hasPreCheckoutQuery);
        TYPES.put("purchased_paid_media", Update::hasPaidMediaPurchased);
        TYPES.put("poll", Update::hasPoll);
        TYPES.put("poll_answer", Update::hasPollAnswer);
        TYPES.put("my_chat_member", Update::hasMyChatMember);
        TYPES.put("chat_member", Update::hasChatMember);
        TYPES.put("chat_join_request", Update::hasChatJoinRequest);
        TYPES.put("chat_boost", Update::hasChatBoost);
        TYPES.put("removed_chat_boost", Update::hasRemovedChatBoost);
        TYPES.put("managed_bot", Update::hasManagedBot);
        TYPES.put("guest_message", Update::hasGuestMessage);
        TYPES.put("subscription", Update::hasSubscription);
    }

    private UpdateTypes() {
    }

    /** The type, or {@code unknown} for one newer than this TelegramBots release. */
    static String of(Update update) {
        for (Map.Entry<String, Predicate<Update>> type : TYPES.entrySet()) {
            if (type.getValue().test(update)) {
                return type.getKey();
            }
        }
        return "unknown";
    }
}
