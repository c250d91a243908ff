package io.throughline.agent;

import io.throughline.failure.TooManyRequests;
import io.throughline.store.Database;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Locale;

/**
 * Sliding-window login limits: every attempt counts against the client IP, failures count against the account.
 * The attempts live in PostgreSQL ({@code login_attempts}), so every node enforces the same budget: spreading
 * guesses over the nodes of a cluster gains nothing. Keys are hashed: what someone typed as an email (a password,
 * by mistake) is never stored. Rows older than the window are deleted as new ones come.
 */
public final class LoginThrottle {

    private static final String COUNTS = """
            SELECT count(*) FILTER (WHERE key = $1) AS account_failures,
                   min(at) FILTER (WHERE key = $1) AS account_oldest,
                   count(*) FILTER (WHERE key = $2) AS address_attempts,
                   min(at) FILTER (WHERE key = $2) AS address_oldest
            FROM login_attempts WHERE key IN ($1, $2) AND at > $3""";
    private static final String RECORD = """
            WITH expired AS (DELETE FROM login_attempts WHERE at <= $3)
            INSERT INTO login_attempts (key, at) VALUES ($1, $2)""";

    private final Database database;
    private final Clock clock;
    private final Duration window;
    private final int perIp;
    private final int perAccount;

    public LoginThrottle(Database database, Clock clock, Duration window, int perIp, int perAccount) {
        this.database = database;
        this.clock = clock;
        this.window = window;
        this.perIp = perIp;
        this.perAccount = perAccount;
    }

    /** Counts an attempt from {@code ip} and throws {@link TooManyRequests} when either limit is reached. */
    public void attempt(String ip, String email) {
        Instant now = clock.instant();
        Buffer account = accountKey(email);
        Buffer address = key("ip:" + ip);
        Row counts = database.sql().single(COUNTS, account, address, time(now.minus(window)));
        check(counts.getLong("account_failures"), perAccount, counts.getOffsetDateTime("account_oldest"), now,
                "too many failed logins for this account");
        check(counts.getLong("address_attempts"), perIp, counts.getOffsetDateTime("address_oldest"), now,
                "too many login attempts from this address");
        record(address, now);
    }

    public void failed(String email) {
        record(accountKey(email), clock.instant());
    }

    public void succeeded(String email) {
        database.sql().update("DELETE FROM login_attempts WHERE key = $1", accountKey(email));
    }

    private void check(long count, int limit, OffsetDateTime oldest, Instant now, String detail) {
        if (count >= limit) {
            Instant retryAt = oldest.toInstant().plus(window);
            throw new TooManyRequests(detail + "; try again later", Duration.between(now, retryAt));
        }
    }

    private void record(Buffer key, Instant now) {
        database.sql().update(RECORD, key, time(now), time(now.minus(window)));
    }

    private static Buffer accountKey(String email) {
        return key("account:" + (email == null ? "" : email.trim().toLowerCase(Locale.ROOT)));
    }

    private static Buffer key(String text) {
        return Buffer.buffer(Arrays.copyOf(Tokens.sha256(text), 16));
    }

    private static OffsetDateTime time(Instant instant) {
        return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }
}
