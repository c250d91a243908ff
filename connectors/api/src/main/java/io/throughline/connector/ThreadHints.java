package io.throughline.connector;

import java.util.List;

/**
 * What a message says about the conversation it continues; the server decides, in this order, by the reply
 * token, In-Reply-To, References, a deep-link token, then the sender's proven identity.
 *
 * @param replyToken the signed token from a {@code reply+token@} address, or null
 * @param inReplyTo the external id the message answers (an email's In-Reply-To), or null
 * @param references earlier external ids of the thread, oldest first (an email's References)
 * @param linkToken the single-use token of a deep link the customer followed (Telegram's {@code /start <token>}),
 *     or null. The server redeems it: when valid, the sender's identities become proven identities of the contact
 *     the link was issued for, and the message joins that contact's thread.
 */
public record ThreadHints(String replyToken, String inReplyTo, List<String> references, String linkToken) {

    public static final ThreadHints NONE = new ThreadHints(null, null, List.of(), null);
    /** The characters of a deep-link token the server issues (base64url): what a channel passes on as one. */
    public static final int LINK_TOKEN_LENGTH = 38;

    public ThreadHints {
        references = List.copyOf(references == null ? List.of() : references);
    }

    public ThreadHints(String replyToken, String inReplyTo, List<String> references) {
        this(replyToken, inReplyTo, references, null);
    }

    /** Only a deep-link token. */
    public static ThreadHints linkToken(String token) {
        return new ThreadHints(null, null, List.of(), token);
    }
}
