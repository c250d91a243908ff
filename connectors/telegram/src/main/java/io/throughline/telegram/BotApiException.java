package io.throughline.telegram;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A Bot API call that did not succeed: either Telegram answered {@code {ok:false, error_code, description,
 * parameters}}, or the call never got an answer (the network, a timeout, a cancelled call).
 */
final class BotApiException extends Exception {

    private final int errorCode;
    private final String description;
    private final Integer retryAfter;
    private final Long migrateToChatId;

    private BotApiException(String message, int errorCode, String description, Integer retryAfter,
                            Long migrateToChatId, Throwable cause) {
        super(message, cause);
        this.errorCode = errorCode;
        this.description = description;
        this.retryAfter = retryAfter;
        this.migrateToChatId = migrateToChatId;
    }

    /** Telegram refused the call. */
    static BotApiException refused(String method, int errorCode, String description, Integer retryAfter) {
        return refused(method, errorCode, description, retryAfter, null);
    }

    /** Telegram refused the call, naming the supergroup a group became ({@code parameters.migrate_to_chat_id}). */
    static BotApiException refused(String method, int errorCode, String description, Integer retryAfter,
                                   Long migrateToChatId) {
        return new BotApiException(method + " refused: [" + errorCode + "] " + description, errorCode, description,
                retryAfter, migrateToChatId, null);
    }

    /** The call got no usable answer; trying again later may work. */
    static BotApiException unreachable(String method, Throwable cause) {
        String why = cause == null ? "no answer" : cause.getClass().getSimpleName()
                + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
        return new BotApiException(method + " failed: " + why, 0, why, null, null, cause);
    }

    /**
     * This failure with the secret (the bot token, as written and URL-encoded) taken out of what it says: a proxy's
     * error page, or a network error naming the URL, may echo the request's path, and a description reaches the
     * delivery's error, the thread's notes, health and logs. The cause goes too when it names the secret.
     */
    BotApiException withoutSecret(String secret) {
        Throwable cause = getCause();
        boolean causeNamesIt = cause != null && mentions(cause.toString(), secret);
        if (!mentions(getMessage(), secret) && !mentions(description, secret) && !causeNamesIt) {
            return this;
        }
        return new BotApiException(hide(getMessage(), secret), errorCode, hide(description, secret), retryAfter,
                migrateToChatId, causeNamesIt ? null : cause);
    }

    private static boolean mentions(String text, String secret) {
        return text != null && !text.equals(hide(text, secret));
    }

    /** The text with the secret (as written and URL-encoded) replaced by {@code <token>}; null stays null. */
    static String hide(String text, String secret) {
        return text == null ? null : text.replace(secret, "<token>")
                .replace(URLEncoder.encode(secret, StandardCharsets.UTF_8), "<token>");
    }

    /**
     * The first part of a longer text, with the secret hidden: also a start of it the cut left at the end (a proxy's
     * error page echoing the request's path across the cut would otherwise keep most of the token).
     */
    static String hideInPart(String part, String secret) {
        String hidden = hide(part, secret);
        for (String form : List.of(secret, URLEncoder.encode(secret, StandardCharsets.UTF_8))) {
            // A token's bot id, up to its colon, is public (and a number a text may well end with): a start of the
            // token is hidden once it reaches the secret after the colon.
            int colon = form.indexOf(':') >= 0 ? form.indexOf(':') + 1 : form.indexOf("%3A") >= 0
                    ? form.indexOf("%3A") + 3 : 0;
            for (int length = Math.min(form.length() - 1, hidden.length()); length > colon; length--) {
                if (hidden.endsWith(form.substring(0, length))) {
                    hidden = hidden.substring(0, hidden.length() - length) + "<token>";
                    break;
                }
            }
        }
        return hidden;
    }

    /** Telegram's error_code (400, 403, 429...), or 0 when it never answered. */
    int errorCode() {
        return errorCode;
    }

    /** Telegram's description ("Forbidden: bot was blocked by the user"), or what went wrong on the way. */
    String description() {
        return description;
    }

    /** parameters.retry_after of a 429, in seconds, or null. */
    Integer retryAfter() {
        return retryAfter;
    }

    /** parameters.migrate_to_chat_id: the chat was a group that became this supergroup; or null. */
    Long migrateToChatId() {
        return migrateToChatId;
    }

    boolean answered() {
        return errorCode != 0;
    }

    /** Whether the same call may succeed later: no answer, flood control, or Telegram's own trouble. */
    boolean transientFailure() {
        return errorCode == 0 || errorCode == 429 || errorCode >= 500;
    }
}
