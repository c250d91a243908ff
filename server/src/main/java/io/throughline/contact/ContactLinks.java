package io.throughline.contact;

import io.throughline.agent.Tokens;
import io.throughline.connector.ThreadHints;
import io.throughline.failure.Conflict;
import io.throughline.store.Sql;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
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
 * Single-use, expiring deep-link tokens that let a customer continue on another channel as the same contact
 * ("Continue on Telegram"). A token is 16 random bytes and an HMAC binding them to the workspace, base64url: 38
 * characters, inside Telegram's 64-character start parameter. The HMAC turns away forged or mistyped tokens
 * before any lookup; the table (only a SHA-256 of the token) makes them single-use and expiring.
 */
public final class ContactLinks {

    /** The token's random part; the rest, 16 characters, is its MAC's 12 bytes. */
    private static final int RANDOM_CHARS = ThreadHints.LINK_TOKEN_LENGTH - 16;
    private static final int MAC_BYTES = 12;

    private final SecretKeySpec key;
    private final Duration ttl;
    private final Clock clock;

    public ContactLinks(byte[] secret, Duration ttl, Clock clock) {
        this.key = new SecretKeySpec(secret, "HmacSHA256");
        this.ttl = ttl;
        this.clock = clock;
    }

    /** A token issued for a contact, shown once in the link. */
    public record Issued(long id, String token, Instant expiresAt) {
    }

    /** What redeeming a token decided. */
    public sealed interface Redemption {
        /** The link is now used by this sender: their identities join {@code contactId}. */
        record Accepted(long linkId, long contactId) implements Redemption {
        }

        /** The same account followed the same link again; it already belongs to the contact. */
        record AlreadyUsedBySender(long linkId, long contactId) implements Redemption {
        }

        /** Unknown (forged, mistyped, another workspace's or another inbox's), used by someone else, or expired. */
        record Rejected(String reason) implements Redemption {
        }
    }

    public Issued issue(Sql tx, long workspaceId, long contactId, long inboxId, Long agentId) {
        String random = Tokens.random(16);
        String token = random + mac(workspaceId, random);
        Instant expiresAt = Instant.now(clock).plus(ttl);
        long id = tx.single("""
                INSERT INTO contact_links (workspace_id, contact_id, inbox_id, token_hash, created_by_agent_id,
                                           expires_at)
                VALUES ($1, $2, $3, $4, $5, $6) RETURNING id""", workspaceId, contactId, inboxId,
                Buffer.buffer(Tokens.sha256(token)), agentId, expiresAt).getLong("id");
        return new Issued(id, token, expiresAt);
    }

    /**
     * Redeems a token inside the ingest transaction of the message that carried it. {@code usedBy} names the
     * sender's channel identity ({@code telegram:123456}).
     */
    public Redemption redeem(Sql tx, long workspaceId, long inboxId, String token, String usedBy) {
        if (!signed(workspaceId, token)) {
            return new Redemption.Rejected("unknown");
        }
        Optional<Row> found = tx.one("""
                SELECT id, contact_id, inbox_id, expires_at, used_at, used_by FROM contact_links
                WHERE workspace_id = $1 AND token_hash = $2 FOR UPDATE""", workspaceId,
                Buffer.buffer(Tokens.sha256(token)));
        if (found.isEmpty() || found.get().getLong("inbox_id") != inboxId) {
            return new Redemption.Rejected("unknown");
        }
        Row link = found.get();
        long linkId = link.getLong("id");
        Optional<Long> active = activeContactIfAny(tx, workspaceId, link.getLong("contact_id"));
        if (active.isEmpty()) {
            // Merged along a chain too long to follow: the customer's message is taken without the link.
            return new Redemption.Rejected("unknown");
        }
        long contactId = active.get();
        if (link.getOffsetDateTime("used_at") != null) {
            return usedBy.equals(link.getString("used_by")) ? new Redemption.AlreadyUsedBySender(linkId, contactId)
                    : new Redemption.Rejected("used");
        }
        if (!link.getOffsetDateTime("expires_at").toInstant().isAfter(Instant.now(clock))) {
            return new Redemption.Rejected("expired");
        }
        tx.update("UPDATE contact_links SET used_at = now(), used_by = $3 WHERE workspace_id = $1 AND id = $2",
                workspaceId, linkId, usedBy);
        return new Redemption.Accepted(linkId, contactId);
    }

    /** Records the message that redeemed a link, for the audit trail. */
    public void recordMessage(Sql tx, long workspaceId, long linkId, long messageId) {
        tx.update("UPDATE contact_links SET used_message_id = $3 WHERE workspace_id = $1 AND id = $2"
                + " AND used_message_id IS NULL", workspaceId, linkId, messageId);
    }

    /** The contact, or the one it was merged into since the link was issued. */
    static long activeContact(Sql tx, long workspaceId, long contactId) {
        return activeContactIfAny(tx, workspaceId, contactId).orElseThrow(() -> new Conflict("contact "
                + contactId + " is merged along a chain of more than 32 contacts: undo some of those merges, or use"
                + " the contact they end in"));
    }

    /** The same, empty when the chain of merges is longer than 32 (or loops, which no merge makes). */
    static Optional<Long> activeContactIfAny(Sql tx, long workspaceId, long contactId) {
        return tx.one("""
                WITH RECURSIVE chain AS (
                    SELECT id, merged_into_id, 0 AS depth FROM contacts WHERE workspace_id = $1 AND id = $2
                    UNION ALL
                    SELECT c.id, c.merged_into_id, chain.depth + 1 FROM contacts c
                    JOIN chain ON c.id = chain.merged_into_id WHERE chain.depth < 32
                )
                SELECT id FROM chain WHERE merged_into_id IS NULL LIMIT 1""", workspaceId, contactId)
                .map(row -> row.getLong("id"));
    }

    private boolean signed(long workspaceId, String token) {
        if (token == null || token.length() != ThreadHints.LINK_TOKEN_LENGTH) {
            return false;
        }
        String random = token.substring(0, RANDOM_CHARS);
        byte[] expected = mac(workspaceId, random).getBytes(StandardCharsets.US_ASCII);
        byte[] given = token.substring(RANDOM_CHARS).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, given);
    }

    private String mac(long workspaceId, String random) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            byte[] digest = mac.doFinal(("contact-link:" + workspaceId + ":" + random)
                    .getBytes(StandardCharsets.UTF_8));
            byte[] truncated = new byte[MAC_BYTES];
            System.arraycopy(digest, 0, truncated, 0, MAC_BYTES);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(truncated);
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }
}
