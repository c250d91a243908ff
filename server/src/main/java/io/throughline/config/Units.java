package io.throughline.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the human units used in the config: durations ({@code 30s}) and sizes ({@code 20MB}). */
public final class Units {

    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(b|kb|mb|gb)?");

    private Units() {
    }

    /** Parses {@code 500ms}, {@code 30s}, {@code 15m}, {@code 2h}, {@code 14d}, or ISO-8601 ({@code PT30S}). */
    public static Duration duration(String text) {
        String value = text.trim().toLowerCase(Locale.ROOT);
        if (value.startsWith("pt") || value.startsWith("p")) {
            return Duration.parse(value.toUpperCase(Locale.ROOT));
        }
        Matcher m = DURATION.matcher(value);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (use 500ms, 30s, 15m, 2h or 14d)");
        }
        long amount = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofDays(amount);
        };
    }

    /** Parses {@code 512}, {@code 512KB}, {@code 20MB}, {@code 1GB} (binary multiples) into bytes. */
    public static long size(String text) {
        Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size (use 512KB, 1MB or 20MB)");
        }
        long amount = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2);
        return switch (unit) {
            case "kb" -> amount * 1024;
            case "mb" -> amount * 1024 * 1024;
            case "gb" -> amount * 1024 * 1024 * 1024;
            default -> amount;
        };
    }
}
