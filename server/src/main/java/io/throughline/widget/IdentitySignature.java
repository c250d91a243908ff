package io.throughline.widget;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The HMAC a site computes on its server to prove who its logged-in user is:
 * {@code hex(HMAC-SHA256(identitySecret, text))}, where {@code text} is the {@code externalId}, or the
 * {@code email}, or both joined by a newline ({@code externalId + "\n" + email}) when the site passes both. The
 * name is never signed: it is only displayed. The email is signed exactly as the site sends it.
 */
public final class IdentitySignature {

    private IdentitySignature() {
    }

    /** What is signed for this identity; null when it has neither an external id nor an email. */
    public static String signedText(String externalId, String email) {
        if (externalId != null && email != null) {
            return externalId + "\n" + email;
        }
        return externalId != null ? externalId : email;
    }

    /** The lower-case hex HMAC-SHA256 of {@code text} under {@code secret}. */
    public static String sign(String secret, String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HMAC-SHA256 is unavailable", e);
        }
    }

    /** Whether {@code hmac} signs this identity; compared in constant time. */
    public static boolean verify(String secret, String externalId, String email, String hmac) {
        String text = signedText(externalId, email);
        if (secret == null || text == null || hmac == null) {
            return false;
        }
        byte[] expected = sign(secret, text).getBytes(StandardCharsets.US_ASCII);
        byte[] given = hmac.strip().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, given);
    }
}
