package io.throughline.connector.email;

import io.throughline.connector.OutboundMessage;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The Message-IDs of an inbox's replies: {@code msg-<message>.<conversation>.<tag>@domain}, the tag an HMAC of the
 * rest under the inbox's signing key. A reply always gets the same one (a retried send is the same mail), and only
 * this installation can make one: a bounce or a copy of "our" mail that quotes an id without a valid tag is not
 * taken as ours, so guessing ids (message and conversation numbers are sequential) can neither mark a reply as
 * failed nor get a customer's mail skipped as our own outgoing copy.
 */
final class MessageIds {

    private static final Pattern SIGNED = Pattern.compile("msg-(\\d{1,19})\\.(\\d{1,19})\\.([0-9a-f]{20})@(.+)");

    private final SecretKeySpec key;
    private final String domain;

    MessageIds(byte[] key, String domain) {
        this.key = new SecretKeySpec(key, "HmacSHA256");
        this.domain = domain.toLowerCase(Locale.ROOT);
    }

    /** The Message-ID of a reply, without angle brackets. */
    String of(OutboundMessage reply) {
        return of(reply.messageId(), reply.conversationId());
    }

    String of(long messageId, long conversationId) {
        return "msg-" + messageId + "." + conversationId + "." + tag(messageId + "." + conversationId) + "@" + domain;
    }

    /** Whether this inbox made the id (without angle brackets): its domain, and a tag only its key gives. */
    boolean isOurs(String id) {
        if (id == null) {
            return false;
        }
        Matcher m = SIGNED.matcher(id.toLowerCase(Locale.ROOT));
        if (!m.matches() || !m.group(4).equals(domain)) {
            return false;
        }
        byte[] expected = tag(m.group(1) + "." + m.group(2)).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, m.group(3).getBytes(StandardCharsets.US_ASCII));
    }

    private String tag(String ids) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            byte[] digest = mac.doFinal(("message-id:" + ids).getBytes(StandardCharsets.UTF_8));
            // 80 bits, as the reply tokens: each wrong guess is a mail that is not taken as ours.
            return HexFormat.of().formatHex(digest, 0, 10);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }
}
