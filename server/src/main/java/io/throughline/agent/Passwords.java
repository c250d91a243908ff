package io.throughline.agent;

import com.password4j.Argon2Function;
import com.password4j.types.Argon2;
import io.throughline.failure.Unavailable;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Argon2id password hashing through Password4j, with OWASP's recommended parameters (19 MiB, 2 passes, 1 lane).
 * Hashes are PHC strings, so the parameters can be raised later without breaking stored hashes.
 */
public final class Passwords {

    private static final Argon2Function ARGON2ID = Argon2Function.getInstance(19 * 1024, 2, 1, 32, Argon2.ID);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    /** Verified against when the email is unknown, so a login takes as long whether or not the account exists. */
    private static final String DUMMY_HASH = ARGON2ID.hash("throughline-dummy-password").getResult();

    /**
     * Hashes and checks at once, at most: one per core, no more than a tenth of the heap holds (at least two).
     * Each holds 19 MiB and a core for tens of milliseconds, and logins, counted per address but not per moment,
     * could otherwise run hundreds at once (a few addresses each sending their budget together) and exhaust the
     * heap. Waiting past ten seconds answers 503.
     */
    private static final Gate GATE = new Gate((int) Math.max(2, Math.min(Runtime.getRuntime().availableProcessors(),
            Runtime.getRuntime().maxMemory() / 10 / (20L << 20))), Duration.ofSeconds(10));

    public static final int MIN_LENGTH = 8;

    private Passwords() {
    }

    public static String hash(String password) {
        return GATE.run(() -> ARGON2ID.hash(password).getResult());
    }

    public static boolean matches(String password, String hash) {
        return GATE.run(() -> Argon2Function.getInstanceFromHash(hash).check(password, hash));
    }

    /** Spends the time of one verification; see {@link #DUMMY_HASH}. */
    public static void burnVerification(String password) {
        matches(password, DUMMY_HASH);
    }

    /** A random password of 20 unambiguous characters (about 116 bits). */
    public static String generate() {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            out.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return out.toString();
    }

    /** A bound on work running at once; a caller waits its turn, up to a point. */
    static final class Gate {
        private final Semaphore permits;
        private final Duration wait;

        Gate(int permits, Duration wait) {
            this.permits = new Semaphore(permits, true);
            this.wait = wait;
        }

        <T> T run(Supplier<T> work) {
            boolean acquired;
            try {
                acquired = permits.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                acquired = false;
            }
            if (!acquired) {
                throw new Unavailable("too many passwords are being checked at once; try again in a moment",
                        Duration.ofSeconds(2));
            }
            try {
                return work.get();
            } finally {
                permits.release();
            }
        }
    }
}
