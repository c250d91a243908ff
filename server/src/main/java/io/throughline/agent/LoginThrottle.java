package io.throughline.agent;

import io.throughline.failure.TooManyRequests;
import io.throughline.store.Database;
import io.throughline.store.Sql;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Sliding-window login limits: every attempt counts against the client IP, and against the account until it
 * succeeds. The attempts live in PostgreSQL ({@code login_attempts}), so every node enforces the same budget:
 * spreading guesses over the nodes of a cluster gains nothing.
 *
 * <p>An attempt is checked and recorded in one transaction holding an advisory lock on each of its keys, and counts
 * against the account before the password is verified (a success takes it back): guesses sent all at once wait for
 * each other instead of all passing the check before any is recorded. Times are the database's, so nodes whose
 * clocks differ agree. Keys are HMACs under an installation secret: what someone typed as an email (a password, by
 * mistake) is neither stored nor recoverable from the table by guessing.
 */
public final class LoginThrottle {

    /** The first key of the two-key advisory locks: "TL" + "lg" (the inbox receivers use "TL" + "rx"). */
    private static final int LOCK_NAMESPACE = 0x544c6c67;
    private static final String LOCK = "SELECT pg_advisory_xact_lock($1, $2), pg_advisory_xact_lock($1, $3)";
    private static final String COUNTS = """
            SELECT count(*) FILTER (WHERE key = $1) AS account_attempts,
                   extract(epoch FROM min(at) FILTER (WHERE key = $1) + make_interval(secs => $3) - now())
                       AS account_retry,
                   count(*) FILTER (WHERE key = $2) AS address_attempts,
                   extract(epoch FROM min(at) FILTER (WHERE key = $2) + make_interval(secs => $3) - now())
                       AS address_retry
            FROM login_attempts WHERE key IN ($1, $2) AND at > now() - make_interval(secs => $3)""";
    private static final String RECORD = "INSERT INTO login_attempts (key, at) VALUES ($1, now()), ($2, now())";

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

    /**
     * Counts an attempt from {@code ip} at {@code email}'s account, or throws {@link TooManyRequests} when either
     * limit is reached. The attempt stays counted against the account unless {@link #succeeded} takes it back.
     */
    public void attempt(String ip, String email) {
        Buffer account = key("account:" + (email == null ? "" : email.trim().toLowerCase(Locale.ROOT)));
        Buffer address = key("ip:" + ip);
        database.tx(tx -> {
            lock(tx, account, address);
            Row counts = tx.single(COUNTS, account, address, (double) window.toSeconds());
            check(counts.getLong("account_attempts"), perAccount, counts.getValue("account_retry"),
                    "too many failed logins for this account");
            check(counts.getLong("address_attempts"), perIp, counts.getValue("address_retry"),
                    "too many login attempts from this address");
            tx.update(RECORD, address, account);
            return null;
        });
    }

    /** A successful login clears its account's count: failures before it no longer hold the account back. */
    public void succeeded(String email) {
        database.sql().update("DELETE FROM login_attempts WHERE key = $1",
                key("account:" + (email == null ? "" : email.trim().toLowerCase(Locale.ROOT))));
    }

    /** Deletes attempts past the window (housekeeping; the counts ignore them anyway). */
    public int forgetOld() {
        return database.sql().update("DELETE FROM login_attempts WHERE at <= now() - make_interval(secs => $1)",
                (double) window.toSeconds());
    }

    /** Both keys' locks, the lower first, so two attempts never wait for each other in a cycle. */
    private static void lock(Sql tx, Buffer first, Buffer second) {
        int a = lockKey(first);
        int b = lockKey(second);
        tx.single(LOCK, LOCK_NAMESPACE, Math.min(a, b), Math.max(a, b));
    }

    private static int lockKey(Buffer key) {
        return ByteBuffer.wrap(key.getBytes()).getInt();
    }

    private void check(long count, int limit, Object retrySeconds, String detail) {
        if (count >= limit) {
            double seconds = retrySeconds instanceof Number n ? n.doubleValue() : window.toSeconds();
            throw new TooManyRequests(detail + "; try again later",
                    Duration.ofSeconds(Math.max(1, (long) Math.ceil(seconds))));
        }
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
