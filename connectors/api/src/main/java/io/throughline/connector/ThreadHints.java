package io.throughline.connector;

import java.util.List;

/**
 * What a message says about the conversation it continues; the server decides, in this order, by the reply
 * token, In-Reply-To, References, then the sender's proven identity.
 *
 * @param replyToken the signed token from a {@code reply+token@} address, or null
 * @param inReplyTo the external id the message answers (an email's In-Reply-To), or null
 * @param references earlier external ids of the thread, oldest first (an email's References)
 */
public record ThreadHints(String replyToken, String inReplyTo, List<String> references) {

    public static final ThreadHints NONE = new ThreadHints(null, null, List.of());

    public ThreadHints {
        references = List.copyOf(references == null ? List.of() : references);
    }
}
