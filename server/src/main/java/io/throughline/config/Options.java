package io.throughline.config;

import java.util.List;
import java.util.Optional;

/**
 * Every option Throughline reads, in one table. {@code config/throughline.yaml} documents each of them (a test
 * keeps the two in step) and {@code ./throughline start --help} prints them.
 */
public final class Options {

    public static final Option HTTP_HOST = option("http.host", OptionType.STRING, "0.0.0.0",
            "Address the HTTP server binds to.");
    public static final Option HTTP_PORT = option("http.port", OptionType.INT, "8080",
            "HTTP port; 0 picks a free port and the start banner prints it.");
    public static final Option HTTP_PUBLIC_URL = option("http.publicUrl", OptionType.URL, "",
            "Public base URL (for links, webhooks and the widget snippet). Default: http://localhost:<port>.");
    public static final Option HTTP_TRUST_PROXY = option("http.trustProxy", OptionType.BOOL, "false",
            "Trust X-Forwarded-For (its last entry) and X-Forwarded-Proto from one reverse proxy.");
    public static final Option HTTP_MAX_BODY_SIZE = option("http.maxBodySize", OptionType.SIZE, "1MB",
            "Largest JSON request body (16KB at least); larger ones get 413.");
    public static final Option HTTP_SHUTDOWN_GRACE = option("http.shutdownGrace", OptionType.DURATION, "10s",
            "On SIGTERM, how long in-flight requests may take to finish.");
    public static final Option HTTP_IDLE_TIMEOUT = option("http.idleTimeout", OptionType.DURATION, "10m",
            "A connection that sends and receives nothing for this long is closed, so a client that stopped"
                    + " mid-request never holds it for good. Must be above widget.longPoll and both heartbeats.");

    public static final Option HTTP_WEBHOOK_PRIVATE_NETWORKS = option("http.webhookPrivateNetworks",
            OptionType.BOOL, "true", "Let API-channel webhooks, and the mail and Bot API servers workspace admins"
                    + " name, reach loopback and private-network addresses (a shop on this machine or network). Set"
                    + " false when workspace admins must not reach the server's network. Link-local addresses (cloud"
                    + " metadata) are never allowed.");

    public static final Option DATA_DIR = option("data.dir", OptionType.STRING, "data",
            "Directory for pg/ (embedded PostgreSQL), index/ (Lucene) and attachments/.");
    public static final Option DATA_ATTACHMENTS_DIR = option("data.attachmentsDir", OptionType.STRING, "",
            "Directory for attachment files. Empty: <data.dir>/attachments. Several nodes must share one (a network"
                    + " file system): each node serves and sends files any other node stored.");

    public static final Option DATABASE_URL = secret("database.url", OptionType.STRING, "",
            "PostgreSQL URL (postgresql://user:password@host:5432/db). Empty: run an embedded PostgreSQL"
                    + " under <data.dir>/pg.");
    public static final Option DATABASE_POOL_SIZE = option("database.poolSize", OptionType.INT, "16",
            "Connections in the pool of each node.");
    public static final Option DATABASE_EMBEDDED_PORT = option("database.embeddedPort", OptionType.INT, "0",
            "Port of the embedded PostgreSQL; 0 picks a free one.");
    public static final Option DATABASE_SSL_ROOT_CERT = option("database.sslRootCert", OptionType.STRING, "",
            "PEM file of the CA that signed an external PostgreSQL's certificate (a managed database's bundle):"
                    + " with sslmode=require, verify-ca or verify-full in the URL, or none (TLS is then required),"
                    + " the server is checked against it.");

    public static final Option ADMIN_EMAIL = option("admin.email", OptionType.STRING, "admin@throughline.local",
            "Email of the first admin, created on the very first start.");
    public static final Option ADMIN_PASSWORD = secret("admin.password", OptionType.STRING, "",
            "Password of the first admin. Empty: generate one and print it once.");

    public static final Option AUTH_SESSION_TTL = option("auth.sessionTtl", OptionType.DURATION, "14d",
            "How long an agent session stays valid without use.");
    public static final Option AUTH_SESSION_MAX_AGE = option("auth.sessionMaxAge", OptionType.DURATION, "30d",
            "Longest an agent session lasts however often it is used; then the agent signs in again.");
    public static final Option AUTH_LOGIN_WINDOW = option("auth.loginWindow", OptionType.DURATION, "15m",
            "Window over which failed logins are counted.");
    public static final Option AUTH_LOGIN_ATTEMPTS_PER_IP = option("auth.loginAttemptsPerIp", OptionType.INT,
            "30", "Failed login attempts allowed per client IP per window, across all nodes.");
    public static final Option AUTH_LOGIN_ATTEMPTS_PER_ACCOUNT = option("auth.loginAttemptsPerAccount",
            OptionType.INT, "10", "Failed login attempts allowed per account per window, across all nodes; from"
                    + " an address the account signed in from in the last 30 days, only that address's count.");

    public static final Option OUTBOX_MAX_ATTEMPTS = option("outbox.maxAttempts", OptionType.INT, "10",
            "Delivery attempts before a reply is marked failed; a wait the receiver asks for counts a tenth, and a"
                    + " send cut off with its node (no outcome recorded when its lease ran out) counts as one.");
    public static final Option OUTBOX_INITIAL_BACKOFF = option("outbox.initialBackoff", OptionType.DURATION,
            "2s", "Wait before the first retry; it doubles with each attempt.");
    public static final Option OUTBOX_MAX_BACKOFF = option("outbox.maxBackoff", OptionType.DURATION, "15m",
            "Longest wait between two attempts.");
    public static final Option OUTBOX_CONCURRENCY = option("outbox.concurrency", OptionType.INT, "16",
            "Deliveries one node sends at the same time.");
    public static final Option OUTBOX_INBOX_CONCURRENCY = option("outbox.inboxConcurrency", OptionType.INT, "8",
            "Deliveries of one inbox sent at the same time, across all nodes: a channel that hangs, such as an SMTP"
                    + " server that never answers, leaves the other inboxes' slots free (keep it below"
                    + " outbox.concurrency).");
    public static final Option OUTBOX_LEASE = option("outbox.lease", OptionType.DURATION, "2m",
            "How long a node owns a claimed delivery; after that another node may retry it (or, its attempts"
                    + " spent, mark it failed).");
    public static final Option OUTBOX_POLL_INTERVAL = option("outbox.pollInterval", OptionType.DURATION, "1s",
            "How often each node looks for due retries and other nodes' replies.");

    public static final Option REALTIME_HEARTBEAT = option("realtime.heartbeat", OptionType.DURATION, "25s",
            "Interval of heartbeat frames on the realtime streams.");
    public static final Option REALTIME_MAX_PENDING = option("realtime.maxPendingEvents", OptionType.INT, "5000",
            "Events queued for one stream client before it is closed as too slow (it may resume with since=).");
    public static final Option REALTIME_POLL_INTERVAL = option("realtime.pollInterval", OptionType.DURATION, "1s",
            "Safety-net poll of the event log, beside LISTEN/NOTIFY.");
    public static final Option REALTIME_GAP_TIMEOUT = option("realtime.gapTimeout", OptionType.DURATION, "30s",
            "Longest wait for a transaction still holding an earlier event before the feed moves past it.");
    public static final Option REALTIME_EVENT_RETENTION = option("realtime.eventRetention", OptionType.DURATION,
            "30d", "How long the event log keeps events (at least 1d): a stream or chat widget away longer reloads"
                    + " instead of replaying, and a search index behind it is rebuilt. Pruned hourly.");

    public static final Option SEARCH_MAX_STALENESS = option("search.maxStaleness", OptionType.DURATION, "500ms",
            "Longest delay before a stored message becomes searchable (near-real-time reopen of the index).");
    public static final Option SEARCH_COMMIT_INTERVAL = option("search.commitInterval", OptionType.DURATION, "10s",
            "How often the index is committed to disk; after a crash the events since then are replayed.");
    public static final Option SEARCH_RAM_BUFFER = option("search.ramBuffer", OptionType.SIZE, "64MB",
            "Memory the index writer fills before it flushes a segment.");
    public static final Option SEARCH_BUILD_THREADS = option("search.buildThreads", OptionType.INT, "0",
            "Threads that analyze messages while the index is rebuilt; 0 means one per CPU.");

    public static final Option LOG_LEVEL = option("log.level", OptionType.STRING, "INFO",
            "Level of Throughline's own log lines: TRACE, DEBUG, INFO, WARN or ERROR.");

    public static final Option DEMO_ENABLED = option("demo.enabled", OptionType.STRING, "auto",
            "Seed a demo inbox and conversations on the first start and serve /demo: true, false, or auto (on"
                    + " unless http.publicUrl is set, so a public server opens no sample chat).");

    public static final Option TELEGRAM_DEEP_LINK_TTL = option("telegram.deepLinkTtl", OptionType.DURATION, "7d",
            "How long a Continue-on-Telegram link stays valid; each link works once.");
    public static final Option TELEGRAM_WEBHOOK_CHECK = option("telegram.webhookCheck", OptionType.DURATION, "1m",
            "How often the node receiving a webhook bot asks Telegram whether the webhook still points here (it is"
                    + " registered again if not) and is delivered to (health says when not); 0 turns it off.");

    // The website chat widget (io.throughline.widget).
    public static final Option WIDGET_HEARTBEAT = option("widget.heartbeat", OptionType.DURATION, "25s",
            "How often a widget pings its socket; a socket silent for 3 heartbeats is closed.");
    public static final Option WIDGET_PRESENCE_GRACE = option("widget.presenceGrace", OptionType.DURATION, "15s",
            "How long a visitor still counts as online after their last tab disconnected (a reload does not flap).");
    public static final Option WIDGET_MAX_MESSAGE_CHARS = option("widget.maxMessageChars", OptionType.INT, "5000",
            "Longest visitor message, in characters; longer ones get 413.");
    public static final Option WIDGET_MESSAGES_PER_VISITOR = option("widget.messagesPerVisitor", OptionType.INT,
            "20", "Messages and uploads one visitor may send per widget.rateWindow (429 with Retry-After beyond).");
    public static final Option WIDGET_MESSAGES_PER_IP = option("widget.messagesPerIp", OptionType.INT, "120",
            "Messages and uploads one client IP may send per widget.rateWindow.");
    public static final Option WIDGET_RATE_WINDOW = option("widget.rateWindow", OptionType.DURATION, "1m",
            "Window of the per-visitor and per-IP message limits.");
    public static final Option WIDGET_NEW_SESSIONS_PER_IP = option("widget.newSessionsPerIp", OptionType.INT, "30",
            "New widget visitors one client IP may start per widget.sessionWindow.");
    public static final Option WIDGET_SESSION_WINDOW = option("widget.sessionWindow", OptionType.DURATION, "10m",
            "Window of the new-session limit.");
    public static final Option WIDGET_MAX_UPLOAD_SIZE = option("widget.maxUploadSize", OptionType.SIZE, "10MB",
            "Largest file a visitor may attach; ten times this is what one visitor may upload in a day.");
    public static final Option WIDGET_UPLOAD_TYPES = option("widget.uploadTypes", OptionType.STRING,
            "image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain",
            "Content types a visitor may attach (comma-separated; image/* allows the image types whose content is"
                    + " checked: PNG, JPEG, GIF, WebP, HEIC/HEIF, AVIF, BMP, TIFF; never SVG).");
    public static final Option WIDGET_WEB_SOCKET = option("widget.webSocket", OptionType.BOOL, "true",
            "Accept widget WebSockets; false makes every widget use the HTTP fallback (long polling).");
    public static final Option WIDGET_LONG_POLL = option("widget.longPoll", OptionType.DURATION, "25s",
            "How long an HTTP-fallback poll waits for news before answering empty.");
    public static final Option WIDGET_FORGET_VISITORS_AFTER = option("widget.forgetVisitorsAfter",
            OptionType.DURATION, "90d", "Visitors who never wrote are forgotten after this long without a session.");
    public static final Option WIDGET_IDENTIFIED_TOKEN_TTL = option("widget.identifiedTokenTtl", OptionType.DURATION,
            "24h", "A signed-in visitor's token works this long after the site last proved its identity.");

    // The email channel (connectors/email reads these as its node settings).
    public static final Option EMAIL_MAX_ATTACHMENT_SIZE = option("email.maxAttachmentSize", OptionType.SIZE, "50MB",
            "Largest file kept from an inbound email; larger ones are listed on the message but not stored.");
    public static final Option EMAIL_IMAP_BACKFILL = option("email.imap.backfill", OptionType.DURATION, "7d",
            "How far back a new email inbox imports mail already in its folders; 0s imports only new mail.");
    public static final Option EMAIL_IMAP_GIVE_UP_AFTER = option("email.imap.giveUpAfter", OptionType.DURATION,
            "10m", "How long a mail the IMAP server keeps refusing (at least 3 times, and not as a temporary failure)"
                    + " holds up its folder before it is recorded as an unreadable message.");
    public static final Option EMAIL_LISTENER_ENABLED = option("email.listener.enabled", OptionType.BOOL, "false",
            "Run the inbound SMTP listener, for MX records or forwards pointed at Throughline.");
    public static final Option EMAIL_LISTENER_HOST = option("email.listener.host", OptionType.STRING, "0.0.0.0",
            "Address the SMTP listener binds to.");
    public static final Option EMAIL_LISTENER_PORT = option("email.listener.port", OptionType.INT, "2525",
            "Port of the SMTP listener (25 for MX, usually through a port forward).");
    public static final Option EMAIL_LISTENER_HOSTNAME = option("email.listener.hostname", OptionType.STRING, "",
            "Host name in the SMTP greeting. Empty: this machine's name.");
    public static final Option EMAIL_LISTENER_MAX_MESSAGE_SIZE = option("email.listener.maxMessageSize",
            OptionType.SIZE, "25MB",
            "Largest mail the SMTP listener accepts (64KB at least); larger ones are refused with 552.");
    public static final Option EMAIL_LISTENER_MAX_CONNECTIONS = option("email.listener.maxConnections",
            OptionType.INT, "50", "SMTP sessions served at the same time; each holds a thread.");
    public static final Option EMAIL_LISTENER_MAX_CONNECTIONS_PER_SOURCE = option(
            "email.listener.maxConnectionsPerSource", OptionType.INT, "20",
            "SMTP sessions one client address may hold at once (421 beyond); behind your own MTA, all come from it.");
    public static final Option EMAIL_LISTENER_SESSION_TIMEOUT = option("email.listener.sessionTimeout",
            OptionType.DURATION, "10m", "Longest an SMTP session may last, however it trickles (1s at least); a"
                    + " mail still being received then is not acknowledged, so the sender tries again.");
    public static final Option EMAIL_LISTENER_TLS_KEYSTORE = option("email.listener.tlsKeystore", OptionType.STRING,
            "", "PKCS#12 file with the certificate and key for STARTTLS. Empty: no STARTTLS.");
    public static final Option EMAIL_LISTENER_TLS_KEYSTORE_PASSWORD = secret("email.listener.tlsKeystorePassword",
            OptionType.STRING, "", "Password of the STARTTLS keystore.");

    private static final List<Option> ALL = List.of(
            HTTP_HOST, HTTP_PORT, HTTP_PUBLIC_URL, HTTP_TRUST_PROXY, HTTP_MAX_BODY_SIZE, HTTP_SHUTDOWN_GRACE, HTTP_IDLE_TIMEOUT,
            HTTP_WEBHOOK_PRIVATE_NETWORKS,
            DATA_DIR, DATA_ATTACHMENTS_DIR,
            DATABASE_URL, DATABASE_POOL_SIZE, DATABASE_EMBEDDED_PORT, DATABASE_SSL_ROOT_CERT,
            ADMIN_EMAIL, ADMIN_PASSWORD,
            AUTH_SESSION_TTL, AUTH_SESSION_MAX_AGE, AUTH_LOGIN_WINDOW, AUTH_LOGIN_ATTEMPTS_PER_IP,
            AUTH_LOGIN_ATTEMPTS_PER_ACCOUNT,
            OUTBOX_MAX_ATTEMPTS, OUTBOX_INITIAL_BACKOFF, OUTBOX_MAX_BACKOFF, OUTBOX_CONCURRENCY,
            OUTBOX_INBOX_CONCURRENCY, OUTBOX_LEASE, OUTBOX_POLL_INTERVAL,
            REALTIME_HEARTBEAT, REALTIME_MAX_PENDING, REALTIME_POLL_INTERVAL, REALTIME_GAP_TIMEOUT,
            REALTIME_EVENT_RETENTION,
            SEARCH_MAX_STALENESS, SEARCH_COMMIT_INTERVAL, SEARCH_RAM_BUFFER, SEARCH_BUILD_THREADS,
            LOG_LEVEL,
            DEMO_ENABLED,
            TELEGRAM_DEEP_LINK_TTL, TELEGRAM_WEBHOOK_CHECK,
            WIDGET_HEARTBEAT, WIDGET_PRESENCE_GRACE, WIDGET_MAX_MESSAGE_CHARS, WIDGET_MESSAGES_PER_VISITOR,
            WIDGET_MESSAGES_PER_IP, WIDGET_RATE_WINDOW, WIDGET_NEW_SESSIONS_PER_IP, WIDGET_SESSION_WINDOW,
            WIDGET_MAX_UPLOAD_SIZE, WIDGET_UPLOAD_TYPES, WIDGET_WEB_SOCKET, WIDGET_LONG_POLL,
            WIDGET_FORGET_VISITORS_AFTER, WIDGET_IDENTIFIED_TOKEN_TTL,
            EMAIL_MAX_ATTACHMENT_SIZE, EMAIL_IMAP_BACKFILL, EMAIL_IMAP_GIVE_UP_AFTER, EMAIL_LISTENER_ENABLED, EMAIL_LISTENER_HOST,
            EMAIL_LISTENER_PORT, EMAIL_LISTENER_HOSTNAME, EMAIL_LISTENER_MAX_MESSAGE_SIZE,
            EMAIL_LISTENER_MAX_CONNECTIONS, EMAIL_LISTENER_MAX_CONNECTIONS_PER_SOURCE, EMAIL_LISTENER_SESSION_TIMEOUT,
            EMAIL_LISTENER_TLS_KEYSTORE, EMAIL_LISTENER_TLS_KEYSTORE_PASSWORD);

    /** The YAML key holding inboxes to create at start (a list, so it has no environment override). */
    public static final String INBOXES_KEY = "inboxes";

    private Options() {
    }

    public static List<Option> all() {
        return ALL;
    }

    public static Optional<Option> byKey(String key) {
        return ALL.stream().filter(o -> o.key().equals(key)).findFirst();
    }

    private static Option option(String key, OptionType type, String defaultValue, String description) {
        return new Option(key, type, defaultValue, description, false);
    }

    private static Option secret(String key, OptionType type, String defaultValue, String description) {
        return new Option(key, type, defaultValue, description, true);
    }
}
