package io.throughline.telegram;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A telegram inbox's config: {@code {botToken, mode, apiUrl?, localFilesDir?, greeting?, acceptGroups?,
 * maxFileSize?}}, plus what
 * provisioning stores ({@code botUsername}, {@code botId}, {@code webhookSecret}).
 *
 * @param botToken the token from @BotFather (a secret)
 * @param mode how updates arrive
 * @param apiUrl the Bot API server: Telegram's, or a self-hosted one (scheme, host and port only)
 * @param localFilesDir a self-hosted server's working directory as mounted here, or null: in {@code --local} mode
 *     getFile answers with a path on that server's disk, and only this bot's files there are read
 * @param greeting what the bot answers to {@code /start}; null for no answer
 * @param acceptGroups whether messages in groups the bot was added to are taken in (off: only private chats)
 * @param maxFileSize the largest file fetched from Telegram; the cloud Bot API serves at most 20 MB
 * @param botUsername the bot's @username without the @, known after provisioning
 * @param webhookSecret the {@code secret_token} Telegram sends with every webhook call (a secret)
 */
public record TelegramConfig(String botToken, Mode mode, URI apiUrl, Path localFilesDir, String greeting,
                             boolean acceptGroups, long maxFileSize, String botUsername, String webhookSecret) {

    static final String BOT_TOKEN = "botToken";
    static final String MODE = "mode";
    static final String API_URL = "apiUrl";
    static final String LOCAL_FILES_DIR = "localFilesDir";
    static final String GREETING = "greeting";
    static final String ACCEPT_GROUPS = "acceptGroups";
    static final String MAX_FILE_SIZE = "maxFileSize";
    static final String BOT_USERNAME = "botUsername";
    static final String BOT_ID = "botId";
    /**
     * The bot the inbox's messages were first numbered by: its messages keep {@code chatId:messageId} as their
     * external id, any other bot's (the inbox moved to another) are prefixed with that bot's id, since each bot
     * numbers its chats anew. Set by provisioning.
     */
    static final String FIRST_BOT_ID = "firstBotId";
    static final String WEBHOOK_SECRET = "webhookSecret";

    static final URI DEFAULT_API_URL = URI.create("https://api.telegram.org");
    /** The cloud Bot API's getFile limit (https://core.telegram.org/bots/api#getfile). */
    static final long CLOUD_FILE_LIMIT = 20L * 1024 * 1024;
    /** A self-hosted Bot API server in --local mode serves files up to 2000 MB. */
    static final long MAX_FILE_LIMIT = 2000L * 1024 * 1024;
    static final String DEFAULT_GREETING = "Hello! Thanks for reaching out. Write your question here and we will"
            + " answer you in this chat.";

    private static final Set<String> FIELDS = Set.of(BOT_TOKEN, MODE, API_URL, LOCAL_FILES_DIR, GREETING,
            ACCEPT_GROUPS, MAX_FILE_SIZE, BOT_USERNAME, BOT_ID, FIRST_BOT_ID, WEBHOOK_SECRET);
    /** {@code <bot id>:<secret>}, as @BotFather hands them out. */
    private static final Pattern TOKEN = Pattern.compile("\\d{1,20}:[A-Za-z0-9_-]{20,200}");
    /** Telegram accepts 1-256 characters A-Z, a-z, 0-9, _ and - (setWebhook, secret_token). */
    private static final Pattern SECRET = Pattern.compile("[A-Za-z0-9_-]{16,256}");
    private static final Pattern SIZE = Pattern.compile("(\\d{1,10})\\s*(B|KB|MB|GB)?", Pattern.CASE_INSENSITIVE);
    private static final int MAX_GREETING = 4096;

    /** How updates reach Throughline. */
    public enum Mode {
        /** Throughline asks Telegram with getUpdates: works behind NAT, no public URL needed. */
        LONG_POLLING("long_polling"),
        /** Telegram POSTs each update to {@code <publicUrl>/hooks/telegram/<inbox id>}. */
        WEBHOOK("webhook");

        private final String wireName;

        Mode(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }
    }

    /** Every problem with a config, each naming its field, as {@code ChannelConnector#validate} reports them. */
    static List<String> problems(JsonObject config) {
        List<String> problems = new ArrayList<>();
        for (String field : config.fieldNames()) {
            if (!FIELDS.contains(field)) {
                problems.add("config." + field + ": unknown field (a telegram inbox has botToken, mode, apiUrl,"
                        + " localFilesDir, greeting, acceptGroups and maxFileSize)");
            }
        }
        Object token = config.getValue(BOT_TOKEN);
        if (token == null) {
            problems.add("config.botToken: is required: the token @BotFather gave you, like 123456789:AAE...");
        } else if (!(token instanceof String text) || !TOKEN.matcher(text.strip()).matches()) {
            // Never echo the value: it is a secret, even when mistyped.
            problems.add("config.botToken: is not a bot token; it looks like 123456789:AAE... (digits, a colon,"
                    + " then letters, digits, _ and -)");
        }
        Object mode = config.getValue(MODE);
        if (mode != null && (!(mode instanceof String text) || parseMode(text) == null)) {
            problems.add("config.mode: must be long_polling or webhook");
        }
        Object apiUrl = config.getValue(API_URL);
        if (apiUrl != null && (!(apiUrl instanceof String text) || apiUrlProblem(text) != null)) {
            problems.add("config.apiUrl: " + (apiUrl instanceof String text ? apiUrlProblem(text)
                    : "must be a URL such as https://api.telegram.org"));
        }
        Object localFiles = config.getValue(LOCAL_FILES_DIR);
        if (localFiles != null && (!(localFiles instanceof String text) || !text.startsWith("/"))) {
            problems.add("config.localFilesDir: must be an absolute path: the self-hosted Bot API server's working"
                    + " directory (its --dir), mounted at the same path on every Throughline node");
        } else if (localFiles != null && config.getValue(API_URL) == null) {
            problems.add("config.localFilesDir: only a self-hosted Bot API server (apiUrl) has local files");
        }
        Object greeting = config.getValue(GREETING);
        if (greeting != null && (!(greeting instanceof String text) || text.length() > MAX_GREETING)) {
            problems.add("config.greeting: must be a text of at most " + MAX_GREETING + " characters (empty: no"
                    + " greeting)");
        }
        Object groups = config.getValue(ACCEPT_GROUPS);
        if (groups != null && !(groups instanceof Boolean)) {
            problems.add("config.acceptGroups: must be true or false");
        }
        Object size = config.getValue(MAX_FILE_SIZE);
        if (size != null) {
            long bytes = parseSize(size);
            if (bytes < 1024 || bytes > MAX_FILE_LIMIT) {
                problems.add("config.maxFileSize: must be a size from 1KB to 2000MB, such as 20MB or 20971520");
            }
        }
        Object secret = config.getValue(WEBHOOK_SECRET);
        if (secret != null && (!(secret instanceof String text) || !SECRET.matcher(text).matches())) {
            problems.add("config.webhookSecret: must be 16 to 256 characters A-Z, a-z, 0-9, _ and -");
        }
        return problems;
    }

    /** The bot's id, the part of its token before the colon. */
    static String botIdOf(String token) {
        String stripped = token.strip();
        int colon = stripped.indexOf(':');
        return colon < 0 ? stripped : stripped.substring(0, colon);
    }

    /**
     * Whether something a bot recorded (a checkpoint, a message's numbering) is this bot's: {@code recordedBy} names
     * the bot, or is null for what was recorded before bots were named, which was the inbox's first bot.
     */
    static boolean recordedBy(String recordedBy, String botId, boolean firstBot) {
        return recordedBy == null ? firstBot : recordedBy.equals(botId);
    }

    /** What this inbox's message external ids start with: nothing for its first bot, {@code <bot id>/} else. */
    static String messageIdPrefix(JsonObject config) {
        String bot = botIdOf(config.getString(BOT_TOKEN));
        Object first = config.getValue(FIRST_BOT_ID);
        return first == null || String.valueOf(first).equals(bot) ? "" : bot + "/";
    }

    /** Reads a config that {@link #problems} accepted. */
    static TelegramConfig from(JsonObject config) {
        String mode = config.getString(MODE);
        String apiUrl = config.getString(API_URL);
        Object size = config.getValue(MAX_FILE_SIZE);
        return new TelegramConfig(
                config.getString(BOT_TOKEN).strip(),
                mode == null ? Mode.LONG_POLLING : parseMode(mode),
                apiUrl == null ? DEFAULT_API_URL : withoutTrailingSlash(apiUrl),
                config.getString(LOCAL_FILES_DIR) == null ? null
                        : Path.of(config.getString(LOCAL_FILES_DIR)).normalize(),
                config.containsKey(GREETING) ? blankToNull(config.getString(GREETING)) : DEFAULT_GREETING,
                Boolean.TRUE.equals(config.getBoolean(ACCEPT_GROUPS)),
                size == null ? CLOUD_FILE_LIMIT : parseSize(size),
                config.getString(BOT_USERNAME),
                config.getString(WEBHOOK_SECRET));
    }

    private static Mode parseMode(String text) {
        for (Mode mode : Mode.values()) {
            if (mode.wireName.equals(text.strip().toLowerCase(Locale.ROOT))) {
                return mode;
            }
        }
        return null;
    }

    /**
     * TelegramBots addresses a Bot API server by scheme, host and port only ({@code TelegramUrl}), so a path
     * prefix cannot be honoured: refuse it rather than silently ignore it.
     */
    private static String apiUrlProblem(String text) {
        URI uri;
        try {
            uri = URI.create(text.strip());
        } catch (IllegalArgumentException e) {
            return "is not a URL";
        }
        if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme()) || uri.getHost() == null) {
            return "must be an http or https URL with a host, such as https://api.telegram.org";
        }
        String path = uri.getRawPath();
        if (path != null && !path.isEmpty() && !path.equals("/") || uri.getRawQuery() != null
                || uri.getUserInfo() != null) {
            return "must be only scheme, host and port (a Bot API server answers at its root)";
        }
        return null;
    }

    private static URI withoutTrailingSlash(String text) {
        URI uri = URI.create(text.strip());
        return URI.create(uri.getScheme() + "://" + uri.getRawAuthority());
    }

    private static long parseSize(Object value) {
        if (value instanceof Number number) {
            return number.longValue();
        }
        if (!(value instanceof String text)) {
            return -1;
        }
        Matcher m = SIZE.matcher(text.strip());
        if (!m.matches()) {
            return -1;
        }
        long amount = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT);
        return switch (unit) {
            case "KB" -> amount * 1024;
            case "MB" -> amount * 1024 * 1024;
            case "GB" -> amount * 1024 * 1024 * 1024;
            default -> amount;
        };
    }

    private static String blankToNull(String text) {
        return text == null || text.isBlank() ? null : text;
    }

    /** The port TelegramBots' {@code TelegramUrl} needs, defaulted from the scheme. */
    int apiPort() {
        return apiUrl.getPort() > 0 ? apiUrl.getPort() : "https".equals(apiUrl.getScheme()) ? 443 : 80;
    }

    @Override
    public String toString() {
        return "TelegramConfig[mode=" + mode.wireName + ", apiUrl=" + apiUrl + ", bot=" + botUsername
                + ", acceptGroups=" + acceptGroups + ", maxFileSize=" + maxFileSize + "]";
    }
}
