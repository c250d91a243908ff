package io.throughline.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Builds a {@link ThroughlineConfig} from the defaults in {@link Options}, an optional YAML file, and
 * {@code THROUGHLINE_*} environment variables, in that order of precedence (last wins). Reports every problem at
 * once through {@link ConfigException}.
 */
public final class ConfigLoader {

    /**
     * Duplicate keys are refused: YAML readers keep the last, so a {@code database:} section added above the shipped
     * one would be wiped by it (its {@code url: ""}), and the server would start on a new embedded database.
     */
    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());
    private static final Pattern DUPLICATE = Pattern.compile("Duplicate field '([^']{1,100})'");

    private ConfigLoader() {
    }

    /**
     * Loads the configuration.
     *
     * @param file a YAML file, or null
     * @param env the environment (System.getenv() in production, a map in tests)
     */
    /** Variables the launcher and the command line read, beside the options. */
    private static final Set<String> LAUNCHER_VARIABLES = Set.of("THROUGHLINE_CONFIG", "THROUGHLINE_JAVA_OPTS",
            "THROUGHLINE_JDK_DIRS");
    /**
     * What Kubernetes puts in {@code <SERVICE>_PORT} for every service of the namespace ({@code tcp://10.0.0.7:5432}):
     * a service named throughline-database gives THROUGHLINE_DATABASE_PORT, one named throughline-http gives
     * THROUGHLINE_HTTP_PORT. Such a value is the cluster's, never an option's.
     */
    private static final Pattern SERVICE_LINK = Pattern.compile("(tcp|udp|sctp)://[^\\s/]+:\\d+");

    public static ThroughlineConfig load(Path file, Map<String, String> env) {
        List<String> problems = new ArrayList<>();
        Map<String, String> values = new HashMap<>();
        Map<String, String> sources = new HashMap<>();
        for (Option option : Options.all()) {
            values.put(option.key(), option.defaultValue());
        }
        List<ThroughlineConfig.InboxSeed> inboxes = new ArrayList<>();
        if (file != null) {
            readYaml(file, values, sources, inboxes, problems);
        }
        Set<String> known = new HashSet<>(LAUNCHER_VARIABLES);
        Options.all().forEach(option -> known.add(option.envName()));
        for (String name : env.keySet().stream().filter(n -> n.startsWith("THROUGHLINE_") && !known.contains(n)
                && !SERVICE_LINK.matcher(env.get(n)).matches()).sorted().toList()) {
            // A mistyped THROUGHLINE_DATABASE_URL would otherwise start on a new embedded database. Names far
            // from every option are someone else's (Kubernetes adds THROUGHLINE_SERVICE_HOST for a service
            // named throughline): those are left alone.
            known.stream().filter(option -> distance(name, option) <= 3).min(String::compareTo)
                    .ifPresent(near -> problems.add(name + " (environment): is no option of Throughline; did you"
                            + " mean " + near + "?"));
        }
        for (Option option : Options.all()) {
            String override = env.get(option.envName());
            boolean fileValue = sources.containsKey(option.key()) && values.get(option.key()) != null
                    && !values.get(option.key()).isBlank();
            if (override != null && override.isBlank() && option == Options.DATABASE_URL && !fileValue) {
                // Empty over no URL (none in the file, or the shipped file's "") is no URL either: an env-only
                // deployment whose ${DB_URL} is unset would start on a new embedded database (a fresh first
                // start, its data inside the container).
                problems.add(option.envName() + " (environment): is set but empty, which would start on the embedded"
                        + " database; unset it for that, or give it the database's URL");
                continue;
            }
            if (override != null && override.isBlank() && fileValue) {
                // A variable left empty by a deployment template (${DB_URL} unset) would wipe the file's value: a
                // database URL gone starts a new embedded database.
                problems.add(option.envName() + " (environment): is set but empty, which would replace the value"
                        + " " + sources.get(option.key()) + " gives " + option.key() + "; unset it or give it a"
                        + " value");
                continue;
            }
            if (override != null && override.isBlank() && values.get(option.key()) != null
                    && !values.get(option.key()).isBlank()) {
                // Read as given, an empty value is no value: false for a switch (WebSockets off), no types for a
                // list (no uploads). A template's unset ${VAR} would change the default without a word.
                problems.add(option.envName() + " (environment): is set but empty, which would replace " + option.key()
                        + "'s default (" + option.defaultValue() + "); unset it or give it a value");
                continue;
            }
            if (override != null && !SERVICE_LINK.matcher(override).matches()) {
                values.put(option.key(), override);
                sources.put(option.key(), option.envName() + " from the environment");
            }
        }
        Settings settings = new Settings(values, sources);
        ThroughlineConfig config = build(settings, inboxes);
        problems.addAll(settings.problems());
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return config;
    }

    /** Loads from option keys to text values, as tests and embedders use it. */
    public static ThroughlineConfig fromMap(Map<String, String> overrides) {
        return fromMap(null, overrides);
    }

    /** Loads a config file (or none), with option keys to text values over it. */
    public static ThroughlineConfig fromMap(Path file, Map<String, String> overrides) {
        Map<String, String> env = new HashMap<>();
        overrides.forEach((key, value) -> {
            Option option = Options.byKey(key).orElseThrow(() -> new IllegalArgumentException("no option " + key));
            env.put(option.envName(), value);
        });
        return load(file, env);
    }

    private static ThroughlineConfig build(Settings s, List<ThroughlineConfig.InboxSeed> inboxes) {
        var http = new ThroughlineConfig.Http(
                s.string(Options.HTTP_HOST),
                s.integer(Options.HTTP_PORT, 0, 65535),
                s.url(Options.HTTP_PUBLIC_URL),
                s.bool(Options.HTTP_TRUST_PROXY),
                sizeAtLeast(s, Options.HTTP_MAX_BODY_SIZE, 16 * 1024, "16KB"),
                s.duration(Options.HTTP_SHUTDOWN_GRACE),
                atLeast(s, Options.HTTP_IDLE_TIMEOUT, Duration.ofSeconds(1), "1s"),
                s.bool(Options.HTTP_WEBHOOK_PRIVATE_NETWORKS));
        if (http.host() == null) {
            s.problem(Options.HTTP_HOST, "is required");
        }
        String dataDir = s.string(Options.DATA_DIR);
        if (dataDir == null) {
            s.problem(Options.DATA_DIR, "is required");
            dataDir = "data";
        }
        String url = s.string(Options.DATABASE_URL);
        if (url != null && !url.startsWith("postgres://") && !url.startsWith("postgresql://")) {
            s.problem(Options.DATABASE_URL, "must start with postgresql:// (the value is not shown: it may hold a"
                    + " password)");
        } else if (url != null) {
            try {
                PgConnectOptions.fromUri(url);
            } catch (RuntimeException e) {
                // The driver's message quotes the whole URL, password included.
                s.problem(Options.DATABASE_URL, "is not a valid PostgreSQL URL (the value is not shown: it may hold"
                        + " a password); percent-encode characters such as @ : / # in the user name and password");
            }
        }
        String rootCert = s.string(Options.DATABASE_SSL_ROOT_CERT);
        if (rootCert != null && !rootCert.isBlank() && !Files.isReadable(Path.of(rootCert))) {
            s.problem(Options.DATABASE_SSL_ROOT_CERT, "cannot read " + rootCert);
        }
        var database = new ThroughlineConfig.Database(url,
                s.integer(Options.DATABASE_POOL_SIZE, 1, 1000),
                s.integer(Options.DATABASE_EMBEDDED_PORT, 0, 65535),
                rootCert == null || rootCert.isBlank() ? null : rootCert);
        String adminEmail = s.string(Options.ADMIN_EMAIL);
        if (adminEmail == null || !adminEmail.contains("@")) {
            s.problem(Options.ADMIN_EMAIL, "must be an email address");
        }
        String adminPassword = s.string(Options.ADMIN_PASSWORD);
        if (adminPassword != null && adminPassword.length() < 8) {
            s.problem(Options.ADMIN_PASSWORD, "must have at least 8 characters");
        }
        var admin = new ThroughlineConfig.Admin(adminEmail, adminPassword);
        var auth = new ThroughlineConfig.Auth(
                atLeast(s, Options.AUTH_SESSION_TTL, Duration.ofMinutes(1), "1m"),
                atLeast(s, Options.AUTH_SESSION_MAX_AGE, Duration.ofMinutes(1), "1m"),
                atLeast(s, Options.AUTH_LOGIN_WINDOW, Duration.ofSeconds(1), "1s"),
                s.integer(Options.AUTH_LOGIN_ATTEMPTS_PER_IP, 1, 1_000_000),
                s.integer(Options.AUTH_LOGIN_ATTEMPTS_PER_ACCOUNT, 1, 1_000_000));
        // Floors where a zero would break the product: a lease that ends at once lets a send in flight be claimed
        // again (a duplicate to the customer), a zero poll spins, a zero heartbeat or session refuses everyone.
        var outbox = new ThroughlineConfig.Outbox(
                s.integer(Options.OUTBOX_MAX_ATTEMPTS, 1, 1000),
                atLeast(s, Options.OUTBOX_INITIAL_BACKOFF, Duration.ofMillis(10), "10ms"),
                atLeast(s, Options.OUTBOX_MAX_BACKOFF, Duration.ofMillis(10), "10ms"),
                s.integer(Options.OUTBOX_CONCURRENCY, 1, 1024),
                atLeast(s, Options.OUTBOX_LEASE, Duration.ofSeconds(1), "1s"),
                atLeast(s, Options.OUTBOX_POLL_INTERVAL, Duration.ofMillis(10), "10ms"),
                s.integer(Options.OUTBOX_INBOX_CONCURRENCY, 1, 1024));
        if (outbox.maxBackoff().compareTo(outbox.initialBackoff()) < 0) {
            s.problem(Options.OUTBOX_MAX_BACKOFF, "must be at least outbox.initialBackoff");
        }
        var realtime = new ThroughlineConfig.Realtime(
                atLeast(s, Options.REALTIME_HEARTBEAT, Duration.ofSeconds(1), "1s"),
                s.integer(Options.REALTIME_MAX_PENDING, 10, 10_000_000),
                atLeast(s, Options.REALTIME_POLL_INTERVAL, Duration.ofMillis(10), "10ms"),
                atLeast(s, Options.REALTIME_GAP_TIMEOUT, Duration.ofMillis(10), "10ms"),
                atLeast(s, Options.REALTIME_EVENT_RETENTION, Duration.ofDays(1), "1d"));
        var search = new ThroughlineConfig.Search(
                s.duration(Options.SEARCH_MAX_STALENESS),
                s.duration(Options.SEARCH_COMMIT_INTERVAL),
                s.size(Options.SEARCH_RAM_BUFFER),
                s.integer(Options.SEARCH_BUILD_THREADS, 0, 256));
        if (search.maxStaleness().compareTo(Duration.ofMillis(10)) < 0
                || search.maxStaleness().compareTo(Duration.ofMinutes(1)) > 0) {
            s.problem(Options.SEARCH_MAX_STALENESS, "must be between 10ms and 1m");
        }
        if (search.commitInterval().compareTo(Duration.ofMillis(100)) < 0) {
            s.problem(Options.SEARCH_COMMIT_INTERVAL, "must be at least 100ms");
        }
        if (search.ramBufferBytes() < 1024 * 1024 || search.ramBufferBytes() > 2047L * 1024 * 1024) {
            s.problem(Options.SEARCH_RAM_BUFFER, "must be between 1MB and 2047MB");
        }
        String logLevel = s.string(Options.LOG_LEVEL);
        if (logLevel == null || !List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR").contains(logLevel)) {
            s.problem(Options.LOG_LEVEL, "must be one of TRACE, DEBUG, INFO, WARN, ERROR");
        }
        Duration deepLinkTtl = s.duration(Options.TELEGRAM_DEEP_LINK_TTL);
        if (deepLinkTtl.compareTo(Duration.ofMinutes(1)) < 0) {
            s.problem(Options.TELEGRAM_DEEP_LINK_TTL, "must be at least 1m");
        }
        var email = new ThroughlineConfig.Email(
                s.size(Options.EMAIL_MAX_ATTACHMENT_SIZE),
                s.duration(Options.EMAIL_IMAP_BACKFILL),
                s.duration(Options.EMAIL_IMAP_GIVE_UP_AFTER),
                s.bool(Options.EMAIL_LISTENER_ENABLED),
                s.string(Options.EMAIL_LISTENER_HOST) == null ? "0.0.0.0" : s.string(Options.EMAIL_LISTENER_HOST),
                s.integer(Options.EMAIL_LISTENER_PORT, 0, 65535),
                s.string(Options.EMAIL_LISTENER_HOSTNAME),
                sizeAtLeast(s, Options.EMAIL_LISTENER_MAX_MESSAGE_SIZE, 64 * 1024, "64KB"),
                s.integer(Options.EMAIL_LISTENER_MAX_CONNECTIONS, 1, 10_000),
                s.integer(Options.EMAIL_LISTENER_MAX_CONNECTIONS_PER_SOURCE, 1, 10_000),
                // Zero would close every session as it opens: the listener would take no mail.
                atLeast(s, Options.EMAIL_LISTENER_SESSION_TIMEOUT, Duration.ofSeconds(1), "1s"),
                s.string(Options.EMAIL_LISTENER_TLS_KEYSTORE),
                s.string(Options.EMAIL_LISTENER_TLS_KEYSTORE_PASSWORD));
        String attachmentsDir = s.string(Options.DATA_ATTACHMENTS_DIR);
        ThroughlineConfig.Widget widget = widget(s);
        quietLongerThanIdle(s, http, realtime, widget);
        return new ThroughlineConfig(http, Path.of(dataDir),
                attachmentsDir == null || attachmentsDir.isBlank() ? Path.of(dataDir).resolve("attachments")
                        : Path.of(attachmentsDir), database, admin, auth, outbox, realtime, search,
                logLevel, demo(s, http), List.copyOf(inboxes),
                new ThroughlineConfig.Telegram(deepLinkTtl, offOrAtLeast(s, Options.TELEGRAM_WEBHOOK_CHECK,
                        Duration.ofMillis(100), "100ms")), widget, email);
    }

    /**
     * A connection quiet for {@code http.idleTimeout} is closed. The chat's long polls wait {@code widget.longPoll}
     * in silence, and sockets are quiet between heartbeats: a timeout not above them cuts each of them every time.
     */
    private static void quietLongerThanIdle(Settings s, ThroughlineConfig.Http http,
                                            ThroughlineConfig.Realtime realtime, ThroughlineConfig.Widget widget) {
        Duration idle = http.idleTimeout();
        List<String> quieter = new ArrayList<>();
        for (var quiet : List.of(Map.entry(Options.WIDGET_LONG_POLL, widget.longPoll()),
                Map.entry(Options.WIDGET_HEARTBEAT, widget.heartbeat()),
                Map.entry(Options.REALTIME_HEARTBEAT, realtime.heartbeat()))) {
            if (idle != null && quiet.getValue() != null && idle.compareTo(quiet.getValue()) <= 0) {
                quieter.add(quiet.getKey().key() + " (" + millis(quiet.getValue()) + ")");
            }
        }
        if (!quieter.isEmpty()) {
            s.problem(Options.HTTP_IDLE_TIMEOUT, "must be longer than " + String.join(" and ", quieter) + ", it is "
                    + millis(idle) + ": a"
                    + " connection quiet that long is closed, and the chat's long polls and the sockets would be cut"
                    + " every time");
        }
    }

    private static ThroughlineConfig.Widget widget(Settings s) {
        Duration heartbeat = s.duration(Options.WIDGET_HEARTBEAT);
        if (heartbeat.toMillis() < 1000) {
            s.problem(Options.WIDGET_HEARTBEAT, "must be at least 1s");
        }
        long maxUpload = s.size(Options.WIDGET_MAX_UPLOAD_SIZE);
        if (maxUpload < 1024) {
            s.problem(Options.WIDGET_MAX_UPLOAD_SIZE, "must be at least 1KB");
        }
        List<String> types = new ArrayList<>();
        String typeList = s.string(Options.WIDGET_UPLOAD_TYPES);
        for (String type : typeList == null ? new String[0] : typeList.split(",")) {
            String clean = type.strip().toLowerCase(Locale.ROOT);
            if (clean.isEmpty()) {
                continue;
            }
            if (!clean.matches("[a-z0-9.+-]+/([a-z0-9.+-]+|\\*)")) {
                s.problem(Options.WIDGET_UPLOAD_TYPES, "'" + type.strip() + "' is not a content type such as"
                        + " image/png or image/*");
            }
            types.add(clean);
        }
        return new ThroughlineConfig.Widget(
                heartbeat,
                s.duration(Options.WIDGET_PRESENCE_GRACE),
                s.integer(Options.WIDGET_MAX_MESSAGE_CHARS, 1, 100_000),
                s.integer(Options.WIDGET_MESSAGES_PER_VISITOR, 1, 1_000_000),
                s.integer(Options.WIDGET_MESSAGES_PER_IP, 1, 10_000_000),
                positive(s, Options.WIDGET_RATE_WINDOW),
                s.integer(Options.WIDGET_NEW_SESSIONS_PER_IP, 1, 10_000_000),
                positive(s, Options.WIDGET_SESSION_WINDOW),
                maxUpload,
                List.copyOf(types),
                s.bool(Options.WIDGET_WEB_SOCKET),
                positive(s, Options.WIDGET_LONG_POLL),
                positive(s, Options.WIDGET_FORGET_VISITORS_AFTER),
                positive(s, Options.WIDGET_IDENTIFIED_TOKEN_TTL));
    }

    /** A duration as its options are written: "25s", or "500ms" when not whole seconds. */
    private static String millis(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + "s" : duration.toMillis() + "ms";
    }

    /** The demo: on for a trial on one's own machine, off by default once the server has a public address. */
    private static boolean demo(Settings s, ThroughlineConfig.Http http) {
        String value = s.string(Options.DEMO_ENABLED);
        if (value == null || value.strip().equalsIgnoreCase("auto")) {
            return http.publicUrl() == null;
        }
        return s.bool(Options.DEMO_ENABLED);
    }

    /** The edit distance of two names (insertions, deletions and substitutions), for spotting typos. */
    private static int distance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /** Zero (off), or at least the floor: each check calls Telegram. */
    private static Duration offOrAtLeast(Settings s, Option option, Duration floor, String floorText) {
        Duration value = s.duration(option);
        if (!value.isZero() && value.compareTo(floor) < 0 && !s.hasProblem(option)) {
            s.problem(option, "must be 0 (off) or at least " + floorText);
        }
        return value;
    }

    private static Duration atLeast(Settings s, Option option, Duration floor, String floorText) {
        Duration value = s.duration(option);
        if (value.compareTo(floor) < 0 && !s.hasProblem(option)) {
            s.problem(option, "must be at least " + floorText);
        }
        return value;
    }

    /**
     * A size below which the option breaks what it serves: no body a sign-in needs (0 is no "unlimited" here, as in
     * some proxies), no mail a sender can deliver.
     */
    private static long sizeAtLeast(Settings s, Option option, long floor, String floorText) {
        long value = s.size(option);
        if (value < floor && !s.hasProblem(option)) {
            s.problem(option, "must be at least " + floorText);
        }
        return value;
    }

    private static Duration positive(Settings s, Option option) {
        Duration value = s.duration(option);
        if (value.isZero()) {
            s.problem(option, "must be longer than zero");
        }
        return value;
    }

    /**
     * Where a file is not YAML, without the parser's own words: it quotes the line it stopped on, and even its
     * short problem may quote a piece of a value ("found undefined tag handle !ab!"), which may be a password.
     */
    private static String notYaml(JsonProcessingException e) {
        Matcher duplicate = DUPLICATE.matcher(String.valueOf(e.getOriginalMessage()));
        if (duplicate.find()) {
            JsonLocation at = e.getLocation();
            return "'" + duplicate.group(1) + "' appears twice in one section" + (at == null ? ""
                    : " (the second near line " + at.getLineNr() + ")") + ": merge them, or the second would"
                    + " silently replace the first";
        }
        if (e.getCause() instanceof MarkedYAMLException marked && marked.getProblemMark() != null) {
            return "not valid YAML at line " + (marked.getProblemMark().getLine() + 1) + ", column "
                    + (marked.getProblemMark().getColumn() + 1) + " (a value starting with @, `, !, %, &, * or |,"
                    + " or holding \": \" or \" #\", must be quoted)";
        }
        JsonLocation at = e.getLocation();
        return "not valid YAML" + (at == null ? "" : " near line " + at.getLineNr() + ", column "
                + at.getColumnNr());
    }

    private static void readYaml(Path file, Map<String, String> values, Map<String, String> sources,
                                 List<ThroughlineConfig.InboxSeed> inboxes, List<String> problems) {
        JsonNode root;
        Map<JsonPointer, String> written;
        try {
            String text = Files.readString(file);
            root = YAML.readTree(text);
            written = scalarsAsWritten(text);
        } catch (JsonProcessingException e) {
            problems.add(file + ": " + notYaml(e));
            return;
        } catch (IOException e) {
            problems.add(file + ": cannot read: " + e.getMessage());
            return;
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return;
        }
        if (!root.isObject()) {
            problems.add(file + ": the top level must be a mapping of options");
            return;
        }
        new Flattening(file, written, values, sources, inboxes, problems).flatten("", JsonPointer.empty(), root);
    }

    /**
     * The text of each scalar YAML reads as a number or a boolean, as the file writes it. YAML 1.1 reads
     * {@code 0123} as octal, drops the {@code _} of {@code 1_000}, the {@code 0} of {@code 1.50}, and reads
     * {@code yes} as true: a password or a token written so would silently become another.
     */
    private static Map<JsonPointer, String> scalarsAsWritten(String text) throws IOException {
        Map<JsonPointer, String> written = new HashMap<>();
        try (JsonParser parser = YAML.createParser(text)) {
            for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
                if (token.isNumeric() || token.isBoolean()) {
                    written.put(parser.getParsingContext().pathAsPointer(), parser.getText());
                }
            }
        }
        return written;
    }

    /** Reads the file's tree into options (dotted keys) and inbox seeds. */
    private record Flattening(Path file, Map<JsonPointer, String> written, Map<String, String> values,
                              Map<String, String> sources, List<ThroughlineConfig.InboxSeed> inboxes,
                              List<String> problems) {

        void flatten(String prefix, JsonPointer at, JsonNode node) {
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                String key = prefix.isEmpty() ? field.getKey() : prefix + "." + field.getKey();
                JsonPointer path = at.appendProperty(field.getKey());
                JsonNode value = field.getValue();
                Optional<Option> option = Options.byKey(key);
                if (key.equals(Options.INBOXES_KEY)) {
                    readInboxes(value, path);
                } else if (value.isObject()) {
                    flatten(key, path, value);
                } else if (option.isEmpty()) {
                    problems.add(file + ": unknown option '" + key + "'");
                } else if (value.isArray()) {
                    List<String> items = new ArrayList<>();
                    for (int i = 0; i < value.size(); i++) {
                        items.add(text(value.get(i), path.appendIndex(i), option.get()));
                    }
                    values.put(key, String.join(",", items));
                    sources.put(key, file.toString());
                } else {
                    values.put(key, value.isNull() ? "" : text(value, path, option.get()));
                    sources.put(key, file.toString());
                }
            }
        }

        /**
         * A text option's value as the file writes it, where YAML's reading would change it; a number, size,
         * duration or switch as YAML reads it ({@code 5_000} and {@code yes} worked before and still do).
         */
        private String text(JsonNode value, JsonPointer path, Option option) {
            String raw = written.get(path);
            boolean text = option.type() == OptionType.STRING || option.type() == OptionType.URL
                    || option.type() == OptionType.LIST;
            return raw != null && text ? raw : value.asText();
        }

        /** An inbox's settings: a number YAML's reading changes is kept as the text written (a password). */
        private JsonNode asWritten(JsonNode node, JsonPointer at) {
            if (node.isObject()) {
                ObjectNode copy = JsonNodeFactory.instance.objectNode();
                node.fields().forEachRemaining(f -> copy.set(f.getKey(),
                        asWritten(f.getValue(), at.appendProperty(f.getKey()))));
                return copy;
            }
            if (node.isArray()) {
                ArrayNode copy = JsonNodeFactory.instance.arrayNode();
                for (int i = 0; i < node.size(); i++) {
                    copy.add(asWritten(node.get(i), at.appendIndex(i)));
                }
                return copy;
            }
            String raw = written.get(at);
            return node.isNumber() && raw != null && !raw.equals(node.asText()) ? TextNode.valueOf(raw) : node;
        }

        private void readInboxes(JsonNode value, JsonPointer at) {
            if (value.isNull()) {
                return;
            }
            if (!value.isArray()) {
                problems.add(file + ": 'inboxes' must be a list");
                return;
            }
            for (int index = 0; index < value.size(); index++) {
                JsonNode item = value.get(index);
                String where = file + ": inboxes[" + index + "]";
                if (!item.isObject() || !item.path("kind").isTextual() || !item.path("name").isTextual()) {
                    problems.add(where + ": needs a 'kind' and a 'name'");
                    continue;
                }
                JsonNode config = item.path("config");
                if (!config.isMissingNode() && !config.isObject()) {
                    problems.add(where + ".config must be a mapping");
                    continue;
                }
                JsonObject json = config.isMissingNode() ? new JsonObject()
                        : new JsonObject(asWritten(config, at.appendIndex(index).appendProperty("config")).toString());
                inboxes.add(new ThroughlineConfig.InboxSeed(item.get("kind").asText(), item.get("name").asText(),
                        json));
            }
        }
    }
}
