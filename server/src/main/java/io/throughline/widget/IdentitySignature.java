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
 * The HMAC a site computes on its server to prove who its logged-in user is. The name is never signed (it is only
 * displayed); the email is signed exactly as the site sends it.
 *
 * <ul>
 *   <li>Untyped (the first form): {@code hex(HMAC-SHA256(identitySecret, text))}, where {@code text} is the
 *   {@code externalId}, or the {@code email}, or both joined by a newline. The text alone is signed, not which of
 *   the two it is, so a signature of {@code ann@example.com} as an id also proves that email.
 *   <li>Typed: {@code "v2=" + hex(HMAC-SHA256(identitySecret, "v2\n" + externalId + "\n" + email))}, an absent
 *   field as the empty string: each value is signed in its place. Only a widget with {@code hmacVersion: 2} takes
 *   them, and it takes nothing else: under the untyped form a site may have signed any text, the typed text of
 *   someone else's id included (an id of its user's choosing with newlines in it), with the same key.
 * </ul>
 */
public final class IdentitySignature {

    /** The prefix of a typed signature. */
    public static final String TYPED = "v2=";

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

    /** The text a typed ({@code v2=}) signature covers: each field in its place, an absent one empty. */
    public static String typedText(String externalId, String email) {
        return "v2\n" + (externalId == null ? "" : externalId) + "\n" + (email == null ? "" : email);
    }

    /** Whether {@code hmac} signs this identity in the widget's form, typed or not; in constant time. */
    public static boolean verify(String secret, String externalId, String email, String hmac, boolean typed) {
        if (secret == null || hmac == null || (externalId == null && email == null)) {
            return false;
        }
        String given = hmac.strip().toLowerCase(Locale.ROOT);
        if (typed) {
            return given.startsWith(TYPED)
                    && matches(sign(secret, typedText(externalId, email)), given.substring(TYPED.length()));
        }
        return matches(sign(secret, signedText(externalId, email)), given);
    }

    /** Whether {@code hmac} is an untyped signature of this identity. */
    public static boolean verify(String secret, String externalId, String email, String hmac) {
        return verify(secret, externalId, email, hmac, false);
    }

    private static boolean matches(String expected, String given) {
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                given.getBytes(StandardCharsets.US_ASCII));
    }
}
