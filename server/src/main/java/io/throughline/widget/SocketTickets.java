package io.throughline.widget;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The short-lived {@code token} of {@code GET /widget/v1/ws?token=}. A browser cannot put headers on a WebSocket
 * request, so the credential travels in the URL, where proxies log it: it must not be the long-lived visitor
 * token. A ticket names the visitor and an expiry, signed with an installation key shared by every node (so any
 * node accepts it, with no lookup); when it expires the frame asks for a new one with its visitor token.
 */
final class SocketTickets {

    static final String PREFIX = "wst_";
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private final byte[] key;
    private final Duration ttl;
    private final Clock clock;

    SocketTickets(byte[] key, Duration ttl, Clock clock) {
        this.key = key.clone();
        this.ttl = ttl;
        this.clock = clock;
    }

    /** A ticket for this visitor row, valid for the configured time. */
    String issue(long visitorId) {
        String payload = visitorId + "." + Instant.now(clock).plus(ttl).getEpochSecond();
        return PREFIX + ENCODER.encodeToString(payload.getBytes(StandardCharsets.US_ASCII)) + "."
                + ENCODER.encodeToString(mac(payload));
    }

    Instant expiry(String ticket) {
        return parse(ticket).map(Parsed::expires).orElse(Instant.EPOCH);
    }

    /** The visitor row a valid, unexpired ticket names. */
    Optional<Long> verify(String ticket) {
        return parse(ticket).filter(p -> p.expires.isAfter(Instant.now(clock))).map(Parsed::visitorId);
    }

    private record Parsed(long visitorId, Instant expires) {
    }

    private Optional<Parsed> parse(String ticket) {
        if (ticket == null || !ticket.startsWith(PREFIX) || ticket.length() > 200) {
            return Optional.empty();
        }
        String[] parts = ticket.substring(PREFIX.length()).split("\\.");
        if (parts.length != 2) {
            return Optional.empty();
        }
        try {
            String payload = new String(DECODER.decode(parts[0]), StandardCharsets.US_ASCII);
            if (!MessageDigest.isEqual(mac(payload), DECODER.decode(parts[1]))) {
                return Optional.empty();
            }
            String[] fields = payload.split("\\.");
            return Optional.of(new Parsed(Long.parseLong(fields[0]), Instant.ofEpochSecond(Long.parseLong(fields[1]))));
        } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
            return Optional.empty();
        }
    }

    private byte[] mac(String payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(payload.getBytes(StandardCharsets.US_ASCII));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HMAC-SHA256 is unavailable", e);
        }
    }
}
