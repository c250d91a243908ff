package io.throughline.config;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Option values after defaults, the YAML file and environment overrides. Typed reads record a problem instead of
 * throwing, so that one start reports every mistake at once.
 */
public final class Settings {

    private final Map<String, String> values;
    private final Map<String, String> sources;
    private final List<String> problems = new ArrayList<>();

    Settings(Map<String, String> values, Map<String, String> sources) {
        this.values = values;
        this.sources = sources;
    }

    List<String> problems() {
        return problems;
    }

    /** Whether this option has a problem recorded already (a value that did not parse, say). */
    boolean hasProblem(Option option) {
        return problems.stream().anyMatch(p -> p.startsWith(option.key() + " ("));
    }

    void problem(Option option, String message) {
        problems.add(option.key() + " (" + sources.getOrDefault(option.key(), "default") + "): " + message);
    }

    /** The raw text, or null when unset or empty. */
    public String text(Option option) {
        String value = values.get(option.key());
        return value == null || value.isBlank() ? null : value.trim();
    }

    public String string(Option option) {
        return text(option);
    }

    public int integer(Option option, int min, int max) {
        Integer value = read(option, Integer::parseInt, "an integer");
        if (value == null) {
            return min;
        }
        if (value < min || value > max) {
            problem(option, value + " is outside " + min + ".." + max);
        }
        return value;
    }

    public boolean bool(Option option) {
        String value = text(option);
        if (value == null) {
            return false;
        }
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> {
                problem(option, "'" + value + "' is not true or false");
                yield false;
            }
        };
    }

    public Duration duration(Option option) {
        Duration value = read(option, Units::duration, "a duration");
        if (value != null && value.isNegative()) {
            problem(option, "must not be negative");
        }
        return value == null ? Duration.ZERO : value;
    }

    public long size(Option option) {
        Long value = read(option, Units::size, "a size");
        return value == null ? 0 : value;
    }

    public URI url(Option option) {
        String value = text(option);
        if (value == null) {
            return null;
        }
        try {
            URI uri = URI.create(value);
            if (uri.getScheme() == null || uri.getHost() == null
                    || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))) {
                problem(option, "'" + value + "' is not an http(s) URL with a host");
                return null;
            }
            return uri;
        } catch (IllegalArgumentException e) {
            problem(option, "'" + value + "' is not a URL: " + e.getMessage());
            return null;
        }
    }

    public List<String> list(Option option) {
        String value = text(option);
        if (value == null) {
            return List.of();
        }
        return Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private <T> T read(Option option, Function<String, T> parser, String what) {
        String value = text(option);
        if (value == null) {
            problem(option, "is required (" + what + ")");
            return null;
        }
        try {
            return parser.apply(value);
        } catch (RuntimeException e) {
            String detail = e instanceof NumberFormatException ? "'" + value + "' is not " + what : e.getMessage();
            problem(option, detail);
            return null;
        }
    }
}
