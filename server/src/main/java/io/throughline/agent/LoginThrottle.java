package io.throughline.agent;

import io.throughline.failure.TooManyRequests;
import io.throughline.http.ClientAddress;
import io.throughline.store.Database;
import io.throughline.store.Sql;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Sliding-window login limits: every failed attempt counts against the client IP, and against the account until it
 * succeeds. The attempts live in PostgreSQL ({@code login_attempts}), so every node enforces the same budget:
 * spreading guesses over the nodes of a cluster gains nothing.
 *
 * <p>An account its failures locked still lets its agent in from an address it signed in from in the last
 * {@link #KNOWN_FOR} ({@code login_known_addresses}), until failures from that address reach the account's limit
 * too: strangers' guesses cannot lock an agent out of their office. A success clears the account's failures from
 * its own address only (strangers' count on until the window passes them), and takes its attempt back from the
 * address's count, so an office of many agents behind one address is limited by its failures only.
 *
 * <p>An attempt is checked and recorded in one transaction holding an advisory lock on each of its keys, and counts
 * against the account before the password is verified (a success takes it back): guesses sent all at once take turns
 * instead of all passing the check before any is recorded. The address's budget is checked before the account's lock is
 * taken, so an address past it cannot keep the account's agent waiting for that lock. The locks are only tried: an
 * attempt that finds them taken waits a little without holding a connection and tries again, so a flood of logins for
 * one key never ties up the connection pool; one that cannot get its turn within half a second is answered 429. Times
 * are the database's, so nodes whose clocks differ agree. Keys are HMACs under an installation secret: what someone
 * typed as an email (a password, by mistake) is neither stored nor recoverable from the table by guessing.
 */
public final class LoginThrottle {

    /** The first key of the two-key advisory locks: "TL" + "lg" (the inbox receivers use "TL" + "rx"). */
    static final int LOCK_NAMESPACE = 0x544c6c67;
    private static final String TRY_LOCK = "SELECT pg_try_advisory_xact_lock($1, $2) AS locked";
    private static final String ADDRESS_COUNT = """
            SELECT count(*) AS attempts, extract(epoch FROM min(at) + make_interval(secs => $2) - now()) AS retry
            FROM login_attempts WHERE key = $1 AND at > now() - make_interval(secs => $2)""";
    private static final int LOCK_TRIES = 50;
    private static final long LOCK_RETRY_MS = 10;
    /** The account's attempts, and its pair's with the address (the address's own were checked before). */
    private static final String COUNTS = """
            SELECT count(*) FILTER (WHERE key = $1) AS account_attempts,
                   extract(epoch FROM min(at) FILTER (WHERE key = $1) + make_interval(secs => $2) - now())
                       AS account_retry,
                   count(*) FILTER (WHERE key = $3) AS pair_attempts,
                   extract(epoch FROM min(at) FILTER (WHERE key = $3) + make_interval(secs => $2) - now())
                       AS pair_retry,
                   EXISTS (SELECT 1 FROM login_known_addresses
                           WHERE key = $3 AND last_at > now() - make_interval(secs => $4)) AS known
            FROM login_attempts WHERE key IN ($1, $3) AND at > now() - make_interval(secs => $2)""";
    private static final String RECORD = """
            WITH counted AS (
                INSERT INTO login_attempts (key, at) VALUES ($1, now()), ($2, now()), ($3, now()) RETURNING at)
            SELECT max(at) AS at FROM counted""";
    /** How long an address an account signed in from lets its agent past the account's lock. */
    static final Duration KNOWN_FOR = Duration.ofDays(30);

    private final Database database;
    private final SecretKeySpec keys;
    private final Duration window;
    private final int perIp;
    private final int perAccount;

    public LoginThrottle(Database database, byte[] keySecret, Duration window, int perIp, int perAccount) {
        this.database = database;
        this.keys = new SecretKeySpec(keySecret, "HmacSHA256");
        this.window = window;
        this.perIp = perIp;
        this.perAccount = perAccount;
    }

    /** An attempt counted by {@link #attempt}: what {@link #succeeded} takes back. */
    public record Attempt(Buffer account, Buffer address, Buffer pair, OffsetDateTime at) {
    }

    /**
     * Counts an attempt from {@code ip} at {@code email}'s account, or throws {@link TooManyRequests} when either
     * limit is reached. The attempt stays counted unless {@link #succeeded} takes it back.
     */
    public Attempt attempt(String ip, String email) {
        Buffer account = accountKey(email);
        String from = ClientAddress.limitKey(ip);
        Buffer address = key("ip:" + from);
        Buffer pair = key("pair:" + folded(email) + "|" + from);
        for (int tries = 1; ; tries++) {
            Attempt counted = database.tx(tx -> {
                // The address's own budget first, under its lock alone: a flood from an address past it never
                // takes the account's lock, which the agent's own attempt needs.
                if (!tryLock(tx, address)) {
                    return null;
                }
                Row spent = tx.single(ADDRESS_COUNT, address, (double) window.toSeconds());
                check(spent.getLong("attempts"), perIp, spent.getValue("retry"),
                        "too many login attempts from this address");
                if (!tryLock(tx, account)) {
                    return null;
                }
                Row counts = tx.single(COUNTS, account, (double) window.toSeconds(), pair,
                        (double) KNOWN_FOR.toSeconds());
                // From an address this account signed in from lately, its own failures there count instead.
                boolean known = counts.getBoolean("known");
                check(known ? counts.getLong("pair_attempts") : counts.getLong("account_attempts"), perAccount,
                        counts.getValue(known ? "pair_retry" : "account_retry"),
                        "too many failed logins for this account");
                return new Attempt(account, address, pair,
                        tx.single(RECORD, address, account, pair).getOffsetDateTime("at"));
            });
            if (counted != null) {
                return counted;
            }
            if (tries >= LOCK_TRIES) {
                throw new TooManyRequests("too many login attempts at once; try again", Duration.ofSeconds(1));
            }
            try {
                Thread.sleep(LOCK_RETRY_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TooManyRequests("too many login attempts at once; try again", Duration.ofSeconds(1));
            }
        }
    }

    /**
     * A successful login: the failures from this address no longer hold the account back (others' stay, or each
     * sign-in of its agent would hand a guesser elsewhere a new budget), this attempt leaves the address's count
     * (its failures stay), and the address is one the account signs in from.
     */
    public void succeeded(Attempt attempt) {
        database.tx(tx -> {
            // Each attempt wrote its rows at one instant: the account's rows at this pair's instants are its own.
            tx.update("""
                    DELETE FROM login_attempts
                    WHERE key = $1 AND at IN (SELECT at FROM login_attempts WHERE key = $2)""",
                    attempt.account(), attempt.pair());
            tx.update("DELETE FROM login_attempts WHERE key = $1", attempt.pair());
            tx.update("""
                    DELETE FROM login_attempts WHERE ctid IN (
                        SELECT ctid FROM login_attempts WHERE key = $1 AND at = $2 LIMIT 1)""",
                    attempt.address(), attempt.at());
            tx.update("""
                    INSERT INTO login_known_addresses (key, last_at) VALUES ($1, now())
                    ON CONFLICT (key) DO UPDATE SET last_at = excluded.last_at""", attempt.pair());
            return null;
        });
    }

    /** Deletes attempts past the window (housekeeping; the counts ignore them anyway). */
    public int forgetOld() {
        database.sql().update("DELETE FROM login_known_addresses WHERE last_at <= now() - make_interval(secs => $1)",
                (double) KNOWN_FOR.toSeconds());
        return database.sql().update("DELETE FROM login_attempts WHERE at <= now() - make_interval(secs => $1)",
                (double) window.toSeconds());
    }

    /** The key's lock, until the transaction ends; false when it is taken. */
    private static boolean tryLock(Sql tx, Buffer key) {
        return tx.single(TRY_LOCK, LOCK_NAMESPACE, lockKey(key)).getBoolean("locked");
    }

    /** The second key of a key's advisory lock (the first is {@link #LOCK_NAMESPACE}). */
    static int lockKey(Buffer key) {
        return ByteBuffer.wrap(key.getBytes()).getInt();
    }

    private void check(long count, int limit, Object retrySeconds, String detail) {
        if (count >= limit) {
            double seconds = retrySeconds instanceof Number n ? n.doubleValue() : window.toSeconds();
            throw new TooManyRequests(detail + "; try again later",
                    Duration.ofSeconds(Math.max(1, (long) Math.ceil(seconds))));
        }
    }

    private Buffer accountKey(String email) {
        return key("account:" + folded(email));
    }

    private static String folded(String email) {
        return email == null ? "" : email.trim().toLowerCase(Locale.ROOT);
    }

    private Buffer key(String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(keys);
            return Buffer.buffer(Arrays.copyOf(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)), 16));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }
}
