package io.throughline.widget;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The short-lived {@code token} of {@code GET /widget/v1/ws?token=}. A browser cannot put headers on a WebSocket
 * request, so the credential travels in the URL, where proxies log it: it must not be the long-lived visitor
 * token. A ticket names the visitor and an expiry, signed with an installation key shared by every node (so any
 * node accepts it, with no lookup); when it expires the frame asks for a new one with its visitor token. It also
 * carries a tag of the visitor token it was issued for, so a token retired since (a logout) takes its tickets
 * with it.
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

    /** A ticket for this visitor row and its current token (by its hash), valid for the configured time. */
    String issue(long visitorId, byte[] tokenHash) {
        String payload = visitorId + "." + Instant.now(clock).plus(ttl).getEpochSecond() + "." + tag(tokenHash);
        return PREFIX + ENCODER.encodeToString(payload.getBytes(StandardCharsets.US_ASCII)) + "."
                + ENCODER.encodeToString(mac(payload));
    }

    Instant expiry(String ticket) {
        return parse(ticket).map(Parsed::expires).orElse(Instant.EPOCH);
    }

    /** A valid, unexpired ticket: the visitor row it names, and the tag of the token it was issued for. */
    Optional<Parsed> verify(String ticket) {
        return parse(ticket).filter(p -> p.expires.isAfter(Instant.now(clock)));
    }

    /** Whether the ticket was issued for the token with this hash (tickets from before tags carry none). */
    boolean issuedFor(Parsed ticket, byte[] tokenHash) {
        return ticket.tag() == null || ticket.tag().equals(tag(tokenHash));
    }

    record Parsed(long visitorId, Instant expires, String tag) {
    }

    /** A short keyed digest of a token hash: it names the token without showing anything of it. */
    private String tag(byte[] tokenHash) {
        return ENCODER.encodeToString(Arrays.copyOf(mac(HexFormat.of().formatHex(tokenHash)), 9));
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
            return Optional.of(new Parsed(Long.parseLong(fields[0]), Instant.ofEpochSecond(Long.parseLong(fields[1])),
                    fields.length > 2 ? fields[2] : null));
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
