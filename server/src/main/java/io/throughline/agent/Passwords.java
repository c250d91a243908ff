package io.throughline.agent;

import com.password4j.Argon2Function;
import com.password4j.types.Argon2;
import java.security.SecureRandom;

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

    public static final int MIN_LENGTH = 8;

    private Passwords() {
    }

    public static String hash(String password) {
        return ARGON2ID.hash(password).getResult();
    }

    public static boolean matches(String password, String hash) {
        return Argon2Function.getInstanceFromHash(hash).check(password, hash);
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
}
