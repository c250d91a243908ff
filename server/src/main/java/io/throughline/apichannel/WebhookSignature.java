package io.throughline.apichannel;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signature on webhook deliveries: {@code v1=hex(HMAC-SHA256(secret, timestamp + "." + body))}. Signing the
 * timestamp lets a receiver reject replays older than a few minutes.
 */
public final class WebhookSignature {

    public static final String HEADER = "X-Throughline-Signature";
    public static final String TIMESTAMP_HEADER = "X-Throughline-Timestamp";

    private WebhookSignature() {
    }

    public static String sign(String secret, long timestampSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
            return "v1=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }
}
