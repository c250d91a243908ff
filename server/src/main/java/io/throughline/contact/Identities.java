package io.throughline.contact;

import io.throughline.connector.Identity;
import io.throughline.connector.IdentityKind;
import io.throughline.failure.Invalid;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Normalizes identity values so that the same customer always compares equal: {@code Ann@Example.COM} and
 * {@code ann@example.com} are one address; {@code +380 (44) 123-45-67} and {@code 00380441234567} one phone.
 */
public final class Identities {

    private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+\\.[^@\\s]+");
    private static final Pattern DIGITS = Pattern.compile("\\d+");
    private static final int MAX_LENGTH = 320;

    private Identities() {
    }

    /** The normalized identity, or {@link Invalid} naming what is wrong with the value. */
    public static Identity normalize(Identity identity) {
        return new Identity(identity.kind(), normalize(identity.kind(), identity.value()), identity.proven());
    }

    public static String normalize(IdentityKind kind, String raw) {
        String value = raw == null ? "" : raw.strip();
        if (value.isEmpty()) {
            throw Invalid.field("identity." + kind.wireName(), "must not be empty");
        }
        if (value.length() > MAX_LENGTH) {
            throw Invalid.field("identity." + kind.wireName(), "is longer than " + MAX_LENGTH + " characters");
        }
        return switch (kind) {
            case EMAIL -> email(value);
            case PHONE -> phone(value);
            case TELEGRAM -> telegram(value);
            case WIDGET_VISITOR, EXTERNAL_ID -> value;
        };
    }

    private static String email(String value) {
        String address = value.toLowerCase(Locale.ROOT);
        if (address.startsWith("mailto:")) {
            address = address.substring("mailto:".length());
        }
        if (!EMAIL.matcher(address).matches()) {
            throw Invalid.field("identity.email", "'" + value + "' is not an email address");
        }
        return address;
    }

    /** Keeps a leading {@code +} and the digits; {@code 00} as an international prefix becomes {@code +}. */
    static String phone(String value) {
        String digits = value.replaceAll("[^0-9]", "");
        boolean international = value.startsWith("+") || digits.startsWith("00");
        if (digits.startsWith("00")) {
            digits = digits.substring(2);
        }
        if (digits.length() < 5 || digits.length() > 15) {
            throw Invalid.field("identity.phone", "'" + value + "' is not a phone number");
        }
        return international ? "+" + digits : digits;
    }

    private static String telegram(String value) {
        if (!DIGITS.matcher(value).matches()) {
            throw Invalid.field("identity.telegram", "must be a numeric Telegram user id");
        }
        return value;
    }
}
