package io.throughline.conversation;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signed tokens naming a conversation, carried in {@code Reply-To: reply+<token>@domain} (ARCHITECTURE.md rule 3).
 * Lowercase letters and digits only, because mail systems may change the case of a local part. The HMAC binds
 * the token to its workspace, so a token never opens another tenant's conversation.
 */
public final class ReplyTokens {

    private static final Pattern TOKEN = Pattern.compile("c(\\d{1,19})k([0-9a-f]{20})");

    private final SecretKeySpec key;

    public ReplyTokens(byte[] secret) {
        this.key = new SecretKeySpec(secret, "HmacSHA256");
    }

    public String issue(long workspaceId, long conversationId) {
        return "c" + conversationId + "k" + mac(workspaceId, conversationId);
    }

    /** The conversation a token names, when it is well-formed and signed for this workspace. */
    public Optional<Long> verify(long workspaceId, String token) {
        if (token == null) {
            return Optional.empty();
        }
        Matcher m = TOKEN.matcher(token.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            return Optional.empty();
        }
        long conversationId;
        try {
            conversationId = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        byte[] expected = mac(workspaceId, conversationId).getBytes(StandardCharsets.US_ASCII);
        byte[] given = m.group(2).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, given) ? Optional.of(conversationId) : Optional.empty();
    }

    private String mac(long workspaceId, long conversationId) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            byte[] digest = mac.doFinal(("reply:" + workspaceId + ":" + conversationId)
                    .getBytes(StandardCharsets.UTF_8));
            // 80 bits: forging one needs ~2^80 guesses, each a mail that would be rejected.
            return HexFormat.of().formatHex(digest, 0, 10);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }
}
