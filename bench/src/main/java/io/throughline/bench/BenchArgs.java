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
                throw new IllegalArgumentException("unexpected argument '" + arg + "'");
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

    public int integer(String name, int defaultValue) {
        String value = flags.get(name);
        return value == null ? defaultValue : Integer.parseInt(value.replace("_", ""));
    }

    public Duration duration(String name, Duration defaultValue) {
        String value = flags.get(name);
        return value == null ? defaultValue : Units.duration(value);
    }
}
