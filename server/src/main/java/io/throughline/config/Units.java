package io.throughline.config;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the human units used in the config: durations ({@code 30s}) and sizes ({@code 20MB}). */
public final class Units {

    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|kb|mb|gb)?");

    private Units() {
    }

    /**
     * Parses {@code 500ms}, {@code 30s}, {@code 15m}, {@code 2h}, {@code 14d}, ISO-8601 ({@code PT30S}), or a bare
     * {@code 0}. A duration past what milliseconds in a long hold (the timers take them) is refused by name: it
     * passed, then failed the start with "long overflow".
     */
    public static Duration duration(String text) {
        String value = text.trim().toLowerCase(Locale.ROOT);
        if (value.equals("0")) {
            return Duration.ZERO;
        }
        Duration duration;
        try {
            if (value.startsWith("p")) {
                duration = Duration.parse(value.toUpperCase(Locale.ROOT));
            } else {
                Matcher m = DURATION.matcher(value);
                if (!m.matches()) {
                    throw new IllegalArgumentException("'" + text + "' is not a duration (use 500ms, 30s, 15m, 2h"
                            + " or 14d)");
                }
                long amount = Long.parseLong(m.group(1));
                duration = switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(amount);
                    case "s" -> Duration.ofSeconds(amount);
                    case "m" -> Duration.ofMinutes(amount);
                    case "h" -> Duration.ofHours(amount);
                    default -> Duration.ofDays(amount);
                };
            }
            duration.toMillis();
            return duration;
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is too long a duration (at most about 290 million"
                    + " years)");
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (use 500ms, 30s, 15m, 2h or 14d)");
        }
    }

    /** Parses {@code 512}, {@code 512KB}, {@code 20MB}, {@code 1GB} (binary multiples) into bytes. */
    public static long size(String text) {
        Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size (use 512KB, 1MB or 20MB)");
        }
        String unit = m.group(2) == null ? "b" : m.group(2);
        try {
            // Exact: 8589934592GB wrapped round to a negative size, and an attachment limit of it refused all.
            return Math.multiplyExact(Long.parseLong(m.group(1)), switch (unit) {
                case "kb" -> 1024L;
                case "mb" -> 1024L * 1024;
                case "gb" -> 1024L * 1024 * 1024;
                default -> 1L;
            });
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is too large a size");
        }
    }
}
