package io.throughline.agent;

import io.throughline.failure.TooManyRequests;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sliding-window login limits: every attempt counts against the client IP, failures count against the account.
 * Kept in memory per node: an attacker spreading over N nodes gets N times the budget, which still bounds
 * guessing to a few hundred tries an hour behind Argon2id.
 */
public final class LoginThrottle {

    private final Clock clock;
    private final Duration window;
    private final int perIp;
    private final int perAccount;
    private final Map<String, Deque<Long>> ipAttempts = new ConcurrentHashMap<>();
    private final Map<String, Deque<Long>> accountFailures = new ConcurrentHashMap<>();

    public LoginThrottle(Clock clock, Duration window, int perIp, int perAccount) {
        this.clock = clock;
        this.window = window;
        this.perIp = perIp;
        this.perAccount = perAccount;
    }

    /** Counts an attempt from {@code ip} and throws {@link TooManyRequests} when either limit is reached. */
    public void attempt(String ip, String email) {
        long now = clock.millis();
        check(accountFailures, account(email), perAccount, now, "too many failed logins for this account");
        check(ipAttempts, ip, perIp, now, "too many login attempts from this address");
        record(ipAttempts, ip, now);
    }

    public void failed(String email) {
        record(accountFailures, account(email), clock.millis());
    }

    public void succeeded(String email) {
        accountFailures.remove(account(email));
    }

    private void check(Map<String, Deque<Long>> counters, String key, int limit, long now, String detail) {
        Deque<Long> times = counters.get(key);
        if (times == null) {
            return;
        }
        synchronized (times) {
            prune(times, now);
            if (times.size() >= limit) {
                long retryAt = times.peekFirst() + window.toMillis();
                throw new TooManyRequests(detail + "; try again later", Duration.ofMillis(retryAt - now));
            }
        }
    }

    private void record(Map<String, Deque<Long>> counters, String key, long now) {
        Deque<Long> times = counters.computeIfAbsent(key, k -> new ArrayDeque<>());
        synchronized (times) {
            prune(times, now);
            times.addLast(now);
        }
        if (counters.size() > 100_000) {
            counters.entrySet().removeIf(e -> {
                synchronized (e.getValue()) {
                    prune(e.getValue(), now);
                    return e.getValue().isEmpty();
                }
            });
        }
    }

    private void prune(Deque<Long> times, long now) {
        long cutoff = now - window.toMillis();
        while (!times.isEmpty() && times.peekFirst() <= cutoff) {
            times.pollFirst();
        }
    }

    private static String account(String email) {
        return email == null ? "" : email.trim().toLowerCase(Locale.ROOT);
    }
}
