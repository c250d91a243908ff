package io.throughline.cli;

import io.throughline.Throughline;
import io.throughline.config.ConfigException;
import io.throughline.config.ConfigLoader;
import io.throughline.config.Option;
import io.throughline.config.Options;
import io.throughline.config.ThroughlineConfig;
import java.io.Console;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/** {@code throughline <command>}: what the launcher script runs. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err, System.getenv()));
    }

    /** The flags each command takes. */
    private static final Map<String, Set<String>> FLAGS = Map.of(
            "start", Set.of("config"),
            "create-agent", Set.of("config", "email", "name", "role", "workspace", "password"),
            "create-workspace", Set.of("config", "name", "admin-email", "admin-password"),
            "reindex", Set.of("config", "status"));

    static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
        List<String> rest = new ArrayList<>(Arrays.asList(args));
        String command = rest.isEmpty() ? "help" : rest.removeFirst();
        Map<String, String> flags = flags(rest);
        // -h as the launcher reads it: help, not an unknown argument.
        boolean shortHelp = rest.remove("-h");
        if (flags.containsKey("help") || shortHelp || command.equals("help") || command.equals("--help")
                || command.equals("-h")) {
            out.print(help(command.equals("--help") || command.equals("-h") ? "help" : command));
            return 0;
        }
        Set<String> known = FLAGS.get(command);
        if (known != null) {
            // A mistyped --config would otherwise start on the default configuration: a new embedded database.
            List<String> wrong = new ArrayList<>();
            flags.keySet().stream().filter(flag -> !known.contains(flag)).sorted().forEach(f -> wrong.add("--" + f));
            wrong.addAll(positionals(rest));
            if (!wrong.isEmpty()) {
                err.println("unknown " + (wrong.size() == 1 ? "argument " : "arguments ") + String.join(", ", wrong)
                        + " for " + command);
                err.print(help(command));
                return 2;
            }
        }
        int last = rest.lastIndexOf("--config");
        if (last >= 0 && (last == rest.size() - 1 || rest.get(last + 1).startsWith("--"))) {
            // Read as "true", it was a file of that name: "true: cannot read: true".
            err.println("--config needs the configuration file: --config path/to/throughline.yaml");
            return 2;
        }
        ThroughlineConfig config;
        try {
            config = ConfigLoader.load(configFile(flags, env), env);
        } catch (ConfigException e) {
            err.println(e.getMessage());
            err.println("See ./throughline start --help and config/throughline.yaml.");
            return 2;
        }
        try {
            return switch (command) {
                case "start" -> start(config, out, err);
                case "create-agent" -> Tools.createAgent(config, flags, out, err);
                case "create-workspace" -> Tools.createWorkspace(config, flags, out, err);
                case "reindex" -> Reindex.run(config, flags, out, err, terminal());
                default -> {
                    err.println("unknown command '" + command + "'");
                    err.print(help("help"));
                    yield 2;
                }
            };
        } catch (RuntimeException e) {
            // What a command did not foresee (a data directory it may not write, say) is one line, not a trace.
            err.println(command + " failed: " + reasons(e));
            return 1;
        }
    }

    private static int start(ThroughlineConfig config, PrintStream out, PrintStream err) {
        Throughline throughline;
        try {
            throughline = Throughline.startShowing(config, Clock.systemUTC());
        } catch (Exception e) {
            err.println("Throughline could not start: " + reasons(e));
            err.println("The log above has the details.");
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            throughline.close();
            stopped.countDown();
        }, "throughline-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        throughline.shutdownHandedOver();
        String failed = null;
        try {
            out.print(banner(throughline));
            out.flush();
            Throughline.FirstStart first = throughline.firstStart();
            if (out.checkError() && first != null && first.generatedPassword() != null) {
                failed = "could not print the first start's admin password";
            } else {
                // Any other start runs on without a console (stdout closed, a pipe gone): the log says it all.
                throughline.firstStartShown();
            }
        } catch (RuntimeException e) {
            failed = "could not finish its start: " + reasons(e);
        }
        if (failed != null) {
            // A first start's password not shown leaves the first start to the next one, which sets it again.
            err.println("Throughline " + failed + "; stopping.");
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // A signal came meanwhile (the failure may be its closing the pool): the hook stops everything.
                return 1;
            }
            throughline.close();
            return 1;
        }
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** The messages of a failure and its causes, each once: "HTTP port 8080: Address already in use". */
    static String reasons(Throwable failure) {
        List<String> messages = new ArrayList<>();
        for (Throwable t = failure; t != null && messages.size() < 4; t = t.getCause()) {
            String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            if (messages.stream().noneMatch(m -> m.contains(message))) {
                messages.add(message);
            }
        }
        return String.join(": ", messages);
    }

    static String banner(Throughline throughline) {
        StringBuilder text = new StringBuilder();
        String url = throughline.publicUrl().toString();
        text.append("\n  Throughline is running.\n\n");
        text.append("    Inbox:    ").append(url).append("/\n");
        text.append("    Health:   ").append(url).append("/health\n");
        throughline.demoUrl().ifPresent(demo -> text.append("    Demo:     ").append(demo)
                .append("  (a sample shop with the chat widget: write as a customer, answer in the inbox)\n"));
        text.append("    Data:     ").append(throughline.config().dataDir().toAbsolutePath().normalize())
                .append(throughline.embeddedDatabase() ? "  (embedded PostgreSQL in pg/)" : "").append('\n');
        Throughline.FirstStart first = throughline.firstStart();
        if (first != null) {
            text.append("\n    First start: log in as ").append(first.adminEmail());
            if (first.generatedPassword() != null) {
                text.append(" with password ").append(first.generatedPassword())
                        .append("\n    (shown only this once: write it down, or set THROUGHLINE_ADMIN_PASSWORD"
                                + " before the first start)");
            } else {
                text.append(" with the password from THROUGHLINE_ADMIN_PASSWORD");
            }
            text.append('\n');
        }
        text.append("\n  Stop with Ctrl+C.\n\n");
        return text.toString();
    }

    private static Path configFile(Map<String, String> flags, Map<String, String> env) {
        String given = flags.getOrDefault("config", env.get("THROUGHLINE_CONFIG"));
        if (given != null) {
            return Path.of(given);
        }
        Path conventional = Path.of("config", "throughline.yaml");
        return Files.isRegularFile(conventional) ? conventional : null;
    }

    /** {@code --name value} and {@code --name=value}; a flag without a value is "true". */
    static Map<String, String> flags(List<String> args) {
        Map<String, String> flags = new HashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--")) {
                continue;
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
        return flags;
    }

    /** The arguments that are neither a flag nor a flag's value. */
    static List<String> positionals(List<String> args) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--")) {
                out.add(arg);
            } else if (arg.indexOf('=') < 0 && i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                i++;
            }
        }
        return out;
    }


    /**
     * Whether the output is a terminal, where a progress bar may redraw its line. Up to JDK 21 a console exists
     * only for one; JDK 22 to 24 hand one out for a redirected output too, and say whether it is a terminal
     * ({@code Console.isTerminal}, JDK 22) only to code built for them: it is asked by name.
     */
    static boolean terminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (NoSuchMethodException e) {
            return true;
        } catch (IllegalAccessException | InvocationTargetException e) {
            return false;
        }
    }

    static String help(String command) {
        return switch (command) {
            case "start" -> startHelp();
            case "create-agent" -> """
                    Usage: ./throughline create-agent --email EMAIL --name NAME [--role agent|admin]
                                                      [--workspace ID] [--password PASSWORD]
                    Creates an agent (in the first workspace unless --workspace is given) and prints the
                    password, generated when --password is absent. Stop the server first when it uses the
                    embedded database. A password given on the command line stays in the shell's history and
                    other local users can read it while the command runs: leave it out to have one generated
                    (shown once), and let the agent change it after signing in.
                    """;
            case "create-workspace" -> """
                    Usage: ./throughline create-workspace --name NAME --admin-email EMAIL [--admin-password P]
                    Creates another workspace (tenant) with its first admin, and prints the admin's password,
                    generated when --admin-password is absent (which keeps it out of the shell's history and
                    of what other local users can read while the command runs).
                    """;
            case "reindex" -> """
                    Usage: ./throughline reindex [--status] [--config FILE]
                    Rebuilds the search index from PostgreSQL into a new directory and swaps it in, with a
                    progress bar. When a server runs on this data directory it rebuilds online inside it (search
                    keeps answering from the current index meanwhile); otherwise it rebuilds here. Stopping it
                    half-way, or a crash, leaves the current index in service.
                      --status   follow a rebuild already running in the server, without starting one
                    """;
            default -> """
                    Usage: ./throughline <command> [options]

                    Commands:
                      start              start the server (embedded PostgreSQL unless THROUGHLINE_DATABASE_URL)
                      test               run every test (mvn verify)
                      create-agent       add an agent to a workspace
                      create-workspace   add a workspace with its first admin
                      reindex            rebuild the search index (online when the server runs)
                      bench              run a benchmark (./throughline bench --help; see bench/)
                      help               this text; <command> --help for one command

                    Options for start, create-agent, create-workspace and reindex: --config FILE
                    (default config/throughline.yaml)
                    """;
        };
    }

    private static String startHelp() {
        StringBuilder text = new StringBuilder("""
                Usage: ./throughline start [--config FILE]

                Starts Throughline. Every option can be set in the YAML file (config/throughline.yaml documents
                them all) or overridden by its environment variable:

                """);
        int width = Options.all().stream().mapToInt(o -> o.envName().length()).max().orElse(30);
        for (Option option : Options.all()) {
            text.append("  ").append(String.format("%-" + width + "s", option.envName())).append("  ")
                    .append(option.description());
            if (!option.defaultValue().isEmpty()) {
                text.append(" [default: ").append(option.defaultValue()).append(']');
            }
            text.append(" (").append(option.type().description()).append(")\n");
        }
        text.append("\n  THROUGHLINE_CONFIG").append(" ".repeat(Math.max(2, width - 16)))
                .append("The YAML file to read, instead of config/throughline.yaml.\n");
        text.append("  THROUGHLINE_JAVA_OPTS").append(" ".repeat(Math.max(2, width - 19)))
                .append("JVM options for the launcher, e.g. -Xmx2g.\n");
        text.append("  THROUGHLINE_JDK_DIRS").append(" ".repeat(Math.max(2, width - 18)))
                .append("Folders the launcher looks for a JDK 21+ in, space-separated.\n");
        return text.toString();
    }
}
