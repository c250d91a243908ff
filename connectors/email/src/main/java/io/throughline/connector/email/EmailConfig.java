package io.throughline.connector.email;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An email inbox's config, as {@code POST /api/v1/inboxes} takes it:
 * <pre>{@code
 * {address, displayName, replyDomain, offlineEmailAfter,
 *  imap: {host, port, security: tls|starttls|none, username, password | oauth2Token, folders, pollInterval, moveTo},
 *  smtp: {host, port, security, username, password | oauth2Token},
 *  oauth2: {tokenUrl, clientId, clientSecret, refreshToken, scope}}
 * }</pre>
 * IMAP is optional (an inbox fed only by the SMTP listener has none); SMTP is required, to send replies. IMAP and
 * SMTP log in with their own password or fixed XOAUTH2 token when they have one, else with XOAUTH2 access tokens
 * that Throughline obtains from {@code oauth2} (a refresh token) and renews before they expire.
 */
record EmailConfig(String address, String displayName, String replyDomain, Duration offlineEmailAfter, Imap imap,
                   Smtp smtp, OAuth2 oauth2) {

    static final Duration DEFAULT_OFFLINE_EMAIL_AFTER = Duration.ofMinutes(2);
    static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(60);

    private static final Pattern ADDRESS = Pattern.compile("[^@\\s<>\"]+@[A-Za-z0-9.-]+\\.[A-Za-z0-9-]{2,}");
    private static final Pattern DOMAIN = Pattern.compile("([A-Za-z0-9-]+\\.)+[A-Za-z0-9-]{2,}");
    private static final Set<String> TOP = Set.of("address", "displayName", "replyDomain", "offlineEmailAfter", "imap",
            "smtp", "oauth2");
    private static final Set<String> IMAP = Set.of("host", "port", "security", "username", "password", "oauth2Token",
            "folders", "pollInterval", "moveTo");
    private static final Set<String> SMTP = Set.of("host", "port", "security", "username", "password", "oauth2Token");
    private static final Set<String> OAUTH2 = Set.of("tokenUrl", "clientId", "clientSecret", "refreshToken", "scope");
    private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "[::1]");

    /** How a connection is protected. */
    enum Security {
        TLS, STARTTLS, NONE;

        static Security of(String text) {
            return text == null ? TLS : valueOf(text.toUpperCase(Locale.ROOT));
        }
    }

    /** The mailbox Throughline reads. */
    record Imap(String host, int port, Security security, String username, String password, String oauth2Token,
                List<String> folders, Duration pollInterval, String moveTo) {
        @Override
        public String toString() {
            return "Imap[" + username + "@" + host + ":" + port + " " + security + " " + folders + "]";
        }
    }

    /** The server replies are sent through. */
    record Smtp(String host, int port, Security security, String username, String password, String oauth2Token) {
        boolean authenticates() {
            return username != null;
        }

        @Override
        public String toString() {
            return "Smtp[" + username + "@" + host + ":" + port + " " + security + "]";
        }
    }

    /**
     * Where XOAUTH2 access tokens come from: the provider's token endpoint, this app's client id (and secret, unless
     * it is a public client), and a refresh token from the mailbox owner's consent.
     */
    record OAuth2(URI tokenUrl, String clientId, String clientSecret, String refreshToken, String scope) {
        @Override
        public String toString() {
            return "OAuth2[" + tokenUrl + " client " + clientId + "]";
        }
    }

    /** The domain of our Message-IDs: the reply domain, else the inbox address's. */
    String messageIdDomain() {
        return replyDomain != null ? replyDomain : address.substring(address.lastIndexOf('@') + 1);
    }

    /** The name customers see: "Agent via Company", or the inbox's display name. */
    String fromName(String agentName) {
        if (agentName == null || agentName.isBlank()) {
            return displayName;
        }
        return displayName == null ? agentName.strip() : agentName.strip() + " via " + displayName;
    }

    /** Every problem with a config, each naming its field; empty when it is valid. */
    static List<String> problems(JsonObject config) {
        List<String> problems = new ArrayList<>();
        unknown(config, TOP, "config.", problems);
        Object address = config.getValue("address");
        if (address == null) {
            problems.add("config.address: is required (the inbox's email address, e.g. support@example.com)");
        } else if (!(address instanceof String text) || !ADDRESS.matcher(text.strip()).matches()) {
            problems.add("config.address: must be an email address");
        } else if (!StandardCharsets.US_ASCII.newEncoder().canEncode(text.substring(0, text.lastIndexOf('@')))) {
            // It is every reply's sender, in SMTP's MAIL FROM: sent without SMTPUTF8, its letters were cut to bytes
            // (a relay's 501 on every reply, while the connection test passed).
            problems.add("config.address: the part before the @ has non-ASCII characters, which replies cannot be"
                    + " sent from");
        }
        Object name = config.getValue("displayName");
        if (name != null && (!(name instanceof String text) || text.isBlank() || text.length() > 120
                || text.contains("\n"))) {
            problems.add("config.displayName: must be a name of 1 to 120 characters on one line");
        }
        Object replyDomain = config.getValue("replyDomain");
        if (replyDomain != null && (!(replyDomain instanceof String text) || !DOMAIN.matcher(text.strip()).matches())) {
            problems.add("config.replyDomain: must be a domain name such as reply.example.com");
        }
        Object offline = config.getValue("offlineEmailAfter");
        if (offline != null && Durations.parse(offline) == null) {
            problems.add("config.offlineEmailAfter: must be a duration such as 2m or 90s");
        }
        Object imap = config.getValue("imap");
        if (imap != null) {
            if (imap instanceof JsonObject json) {
                server(json, "imap", IMAP, problems);
                Set<String> watched = folders(json, problems);
                Object poll = json.getValue("pollInterval");
                Duration interval = Durations.parse(poll);
                if (poll != null && (interval == null || interval.toMillis() < 1000)) {
                    problems.add("config.imap.pollInterval: must be a duration of at least 1s");
                }
                Object moveTo = json.getValue("moveTo");
                if (moveTo != null && (!(moveTo instanceof String text) || text.isBlank())) {
                    problems.add("config.imap.moveTo: must be a folder name");
                } else if (moveTo != null && watched.contains(folderKey((String) moveTo))) {
                    // Moved mail gets a new UID in a folder that is read too: imported again, moved again, for ever.
                    problems.add("config.imap.moveTo: must not be one of the folders read (config.imap.folders)");
                }
                if (json.getValue("password") == null && json.getValue("oauth2Token") == null
                        && config.getValue("oauth2") == null) {
                    problems.add("config.imap.password: is required (or config.imap.oauth2Token, or config.oauth2"
                            + " for XOAUTH2)");
                }
            } else {
                problems.add("config.imap: must be an object {host, port, security, username, password, folders}");
            }
        }
        Object smtp = config.getValue("smtp");
        if (smtp == null) {
            problems.add("config.smtp: is required, to send replies ({host, port, security, username, password})");
        } else if (smtp instanceof JsonObject json) {
            server(json, "smtp", SMTP, problems);
            if (json.getValue("username") != null && json.getValue("password") == null
                    && json.getValue("oauth2Token") == null && config.getValue("oauth2") == null) {
                problems.add("config.smtp.password: is required with a username (or config.smtp.oauth2Token, or"
                        + " config.oauth2)");
            }
        } else {
            problems.add("config.smtp: must be an object {host, port, security, username, password}");
        }
        oauth2(config, problems);
        return problems;
    }

    private static void oauth2(JsonObject config, List<String> problems) {
        Object value = config.getValue("oauth2");
        if (value == null) {
            return;
        }
        if (!(value instanceof JsonObject json)) {
            problems.add("config.oauth2: must be an object {tokenUrl, clientId, clientSecret, refreshToken, scope}");
            return;
        }
        unknown(json, OAUTH2, "config.oauth2.", problems);
        Object url = json.getValue("tokenUrl");
        URI uri = url instanceof String text ? uri(text.strip()) : null;
        if (uri == null || uri.getHost() == null || !("https".equals(uri.getScheme())
                || "http".equals(uri.getScheme()) && LOOPBACK.contains(uri.getHost()))) {
            problems.add("config.oauth2.tokenUrl: is required, the provider's https token endpoint (such as"
                    + " https://oauth2.googleapis.com/token)");
        }
        for (String field : new String[] {"clientId", "refreshToken"}) {
            if (json.getValue(field) == null) {
                problems.add("config.oauth2." + field + ": is required");
            }
        }
        for (String field : new String[] {"clientId", "clientSecret", "refreshToken", "scope"}) {
            Object text = json.getValue(field);
            if (text != null && (!(text instanceof String string) || string.isBlank() || string.length() > 8192)) {
                problems.add("config.oauth2." + field + ": must be a non-empty string");
            }
        }
        JsonObject imap = config.getValue("imap") instanceof JsonObject i ? i : null;
        JsonObject smtp = config.getValue("smtp") instanceof JsonObject o ? o : null;
        boolean imapUses = imap != null && imap.getValue("password") == null && imap.getValue("oauth2Token") == null;
        boolean smtpUses = smtp != null && smtp.getValue("password") == null && smtp.getValue("oauth2Token") == null;
        if (!imapUses && !smtpUses) {
            problems.add("config.oauth2: is used by neither imap nor smtp (each has a password or token of its own)");
        }
    }

    private static URI uri(String text) {
        try {
            return new URI(text);
        } catch (URISyntaxException e) {
            return null;
        }
    }

    /** The config, which must be valid per {@link #problems}. */
    static EmailConfig of(JsonObject config) {
        String address = config.getString("address").strip().toLowerCase(Locale.ROOT);
        String replyDomain = config.getString("replyDomain");
        Duration offline = config.getValue("offlineEmailAfter") == null ? DEFAULT_OFFLINE_EMAIL_AFTER
                : Durations.parse(config.getValue("offlineEmailAfter"));
        JsonObject imap = config.getJsonObject("imap");
        JsonObject smtp = config.getJsonObject("smtp");
        JsonObject oauth2 = config.getJsonObject("oauth2");
        return new EmailConfig(address, blankToNull(config.getString("displayName")),
                replyDomain == null ? null : replyDomain.strip().toLowerCase(Locale.ROOT), offline,
                imap == null ? null : imap(imap, address), smtp(smtp, address, oauth2 != null),
                oauth2 == null ? null : new OAuth2(URI.create(oauth2.getString("tokenUrl").strip()),
                        oauth2.getString("clientId"), oauth2.getString("clientSecret"),
                        oauth2.getString("refreshToken"), oauth2.getString("scope")));
    }

    private static Imap imap(JsonObject json, String address) {
        Security security = Security.of(json.getString("security"));
        List<String> folders = new ArrayList<>();
        JsonArray list = json.getJsonArray("folders");
        if (list == null || list.isEmpty()) {
            folders.add("INBOX");
        } else {
            list.forEach(f -> folders.add(((String) f).strip()));
        }
        Duration poll = json.getValue("pollInterval") == null ? DEFAULT_POLL_INTERVAL
                : Durations.parse(json.getValue("pollInterval"));
        return new Imap(json.getString("host").strip(), port(json, security == Security.TLS ? 993 : 143), security,
                username(json, address), json.getString("password"), json.getString("oauth2Token"),
                List.copyOf(folders), poll, blankToNull(json.getString("moveTo")));
    }

    private static Smtp smtp(JsonObject json, String address, boolean oauth2) {
        Security security = Security.of(json.getString("security"));
        int fallback = switch (security) {
            case TLS -> 465;
            case STARTTLS -> 587;
            case NONE -> 25;
        };
        String username = json.getString("username");
        boolean secret = json.getString("password") != null || json.getString("oauth2Token") != null || oauth2;
        return new Smtp(json.getString("host").strip(), port(json, fallback), security,
                username != null ? username : secret ? address : null, json.getString("password"),
                json.getString("oauth2Token"));
    }

    private static void server(JsonObject json, String name, Set<String> known, List<String> problems) {
        String prefix = "config." + name + ".";
        unknown(json, known, prefix, problems);
        Object host = json.getValue("host");
        if (!(host instanceof String text) || text.isBlank() || text.contains(" ") || text.contains("/")) {
            problems.add(prefix + "host: is required (a host name such as mail.example.com)");
        }
        Object port = json.getValue("port");
        if (port != null && (!(port instanceof Number number) || number.intValue() < 1 || number.intValue() > 65535)) {
            problems.add(prefix + "port: must be a port number from 1 to 65535");
        }
        Object security = json.getValue("security");
        if (security != null && !(security instanceof String text && Set.of("tls", "starttls", "none")
                .contains(text.toLowerCase(Locale.ROOT)))) {
            problems.add(prefix + "security: must be tls, starttls or none");
        }
        for (String field : new String[] {"username", "password", "oauth2Token"}) {
            Object value = json.getValue(field);
            if (value != null && (!(value instanceof String text) || text.isEmpty() || text.length() > 4096)) {
                problems.add(prefix + field + ": must be a non-empty string");
            }
        }
    }

    /** Checks the folders to read; returns them as {@link #folderKey} keys (INBOX when none are given). */
    private static Set<String> folders(JsonObject json, List<String> problems) {
        Object folders = json.getValue("folders");
        Set<String> keys = new HashSet<>();
        if (folders == null) {
            keys.add("INBOX");
            return keys;
        }
        if (!(folders instanceof JsonArray list) || list.size() > 20) {
            problems.add("config.imap.folders: must be a list of up to 20 folder names, e.g. [\"INBOX\"]");
            return keys;
        }
        for (int i = 0; i < list.size(); i++) {
            if (!(list.getValue(i) instanceof String text) || text.isBlank()) {
                problems.add("config.imap.folders[" + i + "]: must be a folder name");
            } else if (!keys.add(folderKey(text))) {
                // Two readers of one folder would race each other over the same mail.
                problems.add("config.imap.folders[" + i + "]: is listed twice");
            }
        }
        return keys;
    }

    /**
     * A folder's name as the receiver reads it and the server compares it: stripped ({@code "INBOX "} is INBOX), and
     * INBOX in any case is the inbox (RFC 3501); others as written.
     */
    private static String folderKey(String name) {
        String folder = name.strip();
        return folder.equalsIgnoreCase("INBOX") ? "INBOX" : folder;
    }

    private static void unknown(JsonObject json, Set<String> known, String prefix, List<String> problems) {
        for (String field : json.fieldNames()) {
            if (!known.contains(field)) {
                problems.add(prefix + field + ": unknown field (known: " + String.join(", ", known.stream().sorted()
                        .toList()) + ")");
            }
        }
    }

    private static int port(JsonObject json, int fallback) {
        Integer port = json.getInteger("port");
        return port == null ? fallback : port;
    }

    private static String username(JsonObject json, String address) {
        String username = json.getString("username");
        return username == null ? address : username;
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }

    @Override
    public String toString() {
        return "EmailConfig[" + address + ", " + imap + ", " + smtp + (oauth2 == null ? "" : ", " + oauth2) + "]";
    }
}
