package io.throughline.connector.email;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads durations in inbox configs: "90s", "2m", "500ms", "1h", or a number of seconds. */
final class Durations {

    private static final Pattern TEXT = Pattern.compile("\\s*(\\d{1,9})\\s*(ms|s|m|h|d)?\\s*");

    private Durations() {
    }

    /** The duration, or null when the value is not one. */
    static Duration parse(Object value) {
        if (value instanceof Number number) {
            return number.longValue() < 0 ? null : Duration.ofSeconds(number.longValue());
        }
        if (!(value instanceof String text)) {
            return null;
        }
        Matcher m = TEXT.matcher(text);
        if (!m.matches()) {
            return null;
        }
        long amount = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            case "d" -> Duration.ofDays(amount);
            default -> Duration.ofSeconds(amount);
        };
    }
}
