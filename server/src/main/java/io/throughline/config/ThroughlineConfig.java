package io.throughline.config;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The whole typed configuration, built by {@link ConfigLoader}. Passed to components through their
 * constructors; nothing reads it from a static.
 */
public record ThroughlineConfig(
        Http http,
        Path dataDir,
        Path attachmentsDir,
        Database database,
        Admin admin,
        Auth auth,
        Outbox outbox,
        Realtime realtime,
        Search search,
        String logLevel,
        boolean demo,
        List<InboxSeed> inboxes,
        Telegram telegram,
        Widget widget,
        Email email) {

    /** The HTTP listener. {@code publicUrl} is null until the port is known; see {@link #publicUrlFor(int)}. */
    public record Http(String host, int port, URI publicUrl, boolean trustProxy, long maxBodySize,
                       Duration shutdownGrace, Duration idleTimeout, boolean webhookPrivateNetworks) {

        /** The configured public URL, or {@code http://localhost:<actualPort>}. */
        public URI publicUrlFor(int actualPort) {
            if (publicUrl != null) {
                String text = publicUrl.toString();
                return URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
            }
            return URI.create("http://localhost:" + actualPort);
        }
    }

    /** Where PostgreSQL is: an external URL, or embedded when {@code url} is null. */
    public record Database(String url, int poolSize, int embeddedPort, String sslRootCert) {
        public boolean embedded() {
            return url == null;
        }

        @Override
        public String toString() {
            return "Database[url=" + (url == null ? "embedded" : "<set>") + ", poolSize=" + poolSize + "]";
        }
    }

    /** The first admin, created on the very first start. A null password is generated and printed once. */
    public record Admin(String email, String password) {
        @Override
        public String toString() {
            return "Admin[email=" + email + ", password=" + (password == null ? "generated" : "<set>") + "]";
        }
    }

    /** Sessions and the login rate limits. */
    public record Auth(Duration sessionTtl, Duration sessionMaxAge, Duration loginWindow, int attemptsPerIp,
                       int attemptsPerAccount) {
    }

    /** The outbox dispatcher. */
    public record Outbox(int maxAttempts, Duration initialBackoff, Duration maxBackoff, int concurrency,
                         Duration lease, Duration pollInterval, int inboxConcurrency) {
    }

    /**
     * The event feed and the realtime streams.
     *
     * @param eventRetention how long the event log keeps an event (see {@code realtime.EventRetention})
     */
    public record Realtime(Duration heartbeat, int maxPendingEvents, Duration pollInterval, Duration gapTimeout,
                           Duration eventRetention) {
    }

    /**
     * The Telegram channel's server-side settings (each bot's own settings live in its inbox config).
     *
     * @param webhookCheck how often the node receiving a webhook bot checks its webhook with Telegram; zero: never
     */
    public record Telegram(Duration deepLinkTtl, Duration webhookCheck) {

        /** The settings the connector gets, keyed without the {@code telegram.} prefix (see ConnectorEnvironment). */
        public JsonObject settings() {
            return new JsonObject().put("webhookCheck", webhookCheck.toMillis());
        }
    }

    /**
     * The search index.
     *
     * @param maxStaleness longest delay before a stored message is searchable
     * @param commitInterval how often the index is committed (and so how much a restart replays)
     * @param ramBufferBytes memory the writer buffers before flushing a segment
     * @param buildThreads threads analyzing messages during a rebuild; 0 means one per CPU
     */
    public record Search(Duration maxStaleness, Duration commitInterval, long ramBufferBytes, int buildThreads) {
    }

    /**
     * The website chat widget's server-wide limits (each widget inbox has its own look and rules in its config).
     *
     * @param uploadTypes allowed content types; {@code image/*} allows the image types whose content
     *     is checked (never SVG)
     */
    public record Widget(Duration heartbeat, Duration presenceGrace, int maxMessageChars, int messagesPerVisitor,
                         int messagesPerIp, Duration rateWindow, int newSessionsPerIp, Duration sessionWindow,
                         long maxUploadSize, List<String> uploadTypes, boolean webSocket, Duration longPoll,
                         Duration forgetVisitorsAfter, Duration identifiedTokenTtl) {
    }

    /**
     * The {@code email.*} options, which the email connector reads as its node settings: the inbound SMTP listener,
     * the attachment limit and the first-sync window.
     */
    public record Email(long maxAttachmentSize, Duration imapBackfill, Duration imapGiveUpAfter,
                        boolean listenerEnabled, String listenerHost,
                        int listenerPort, String listenerHostname, long listenerMaxMessageSize,
                        int listenerMaxConnections, int listenerMaxConnectionsPerSource,
                        Duration listenerSessionTimeout, String listenerTlsKeystore,
                        String listenerTlsKeystorePassword) {

        /** The settings the connector gets, keyed without the {@code email.} prefix (see ConnectorEnvironment). */
        public JsonObject settings() {
            return new JsonObject()
                    .put("maxAttachmentSize", maxAttachmentSize)
                    .put("imap.backfill", imapBackfill.toMillis())
                    .put("imap.giveUpAfter", imapGiveUpAfter.toMillis())
                    .put("listener.enabled", listenerEnabled)
                    .put("listener.host", listenerHost)
                    .put("listener.port", listenerPort)
                    .put("listener.hostname", listenerHostname)
                    .put("listener.maxMessageSize", listenerMaxMessageSize)
                    .put("listener.maxConnections", listenerMaxConnections)
                    .put("listener.maxConnectionsPerSource", listenerMaxConnectionsPerSource)
                    .put("listener.sessionTimeout", listenerSessionTimeout.toMillis())
                    .put("listener.tlsKeystore", listenerTlsKeystore)
                    .put("listener.tlsKeystorePassword", listenerTlsKeystorePassword);
        }

        @Override
        public String toString() {
            return "Email[listener=" + (listenerEnabled ? listenerHost + ":" + listenerPort : "off")
                    + ", maxAttachmentSize=" + maxAttachmentSize + "]";
        }
    }

    /** An inbox declared in YAML, created at start when no inbox of that kind and name exists. */
    public record InboxSeed(String kind, String name, JsonObject config) {
    }

    public Path pgDir() {
        return dataDir.resolve("pg");
    }

    public Path indexDir() {
        return dataDir.resolve("index");
    }
}
