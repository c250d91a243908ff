package io.throughline.bench;

import io.throughline.config.Units;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code --name value} flags of a benchmark run, with typed reads and defaults. */
public final class BenchArgs {

    private final Map<String, String> flags = new HashMap<>();

    public BenchArgs(List<String> args) {
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--")) {
                throw new Invalid("unexpected argument '" + arg + "'");
            }
            String name = arg.substring(2);
            int eq = name.indexOf('=');
            if (eq >= 0) {
                flags.put(name.substring(0, eq), name.substring(eq + 1));
            } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                flags.put(name, args.get(++i));
            } else {
                flags.put(name, "true");
            }
        }
    }

    public boolean has(String name) {
        return flags.containsKey(name);
    }

    public String string(String name, String defaultValue) {
        return flags.getOrDefault(name, defaultValue);
    }

    /** A count of at least one: a zero or a negative would divide by zero or draw from an empty range deep inside. */
    public int integer(String name, int defaultValue) {
        return atLeast(name, defaultValue, 1);
    }

    /** A whole number of at least {@code minimum}; anything else stops the run before it starts, naming the flag. */
    public int atLeast(String name, int defaultValue, int minimum) {
        String value = flags.get(name);
        if (value == null) {
            return defaultValue;
        }
        int parsed;
        try {
            parsed = Integer.parseInt(value.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new Invalid("--" + name + " takes a whole number, not '" + value + "'");
        }
        if (parsed < minimum) {
            throw new Invalid("--" + name + " must be at least " + minimum + ", not " + parsed);
        }
        return parsed;
    }

    public Duration duration(String name, Duration defaultValue) {
        String value = flags.get(name);
        return value == null ? defaultValue : Units.duration(value);
    }

    /** A flag the run cannot start with: reported as a usage error, not as a crash. */
    public static final class Invalid extends IllegalArgumentException {
        Invalid(String message) {
            super(message);
        }
    }
}
