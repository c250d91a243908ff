package io.throughline.connector.email;

import io.vertx.core.json.JsonObject;
import java.time.Duration;

/**
 * The server options under {@code email.*} that the connector reads (see {@code config/throughline.yaml}). Until
 * the node starts the connector, the defaults apply.
 */
final class EmailSettings {

    static final long DEFAULT_MAX_ATTACHMENT = 50L * 1024 * 1024;
    static final Duration DEFAULT_BACKFILL = Duration.ofDays(7);
    static final Duration DEFAULT_GIVE_UP_AFTER = Duration.ofMinutes(10);

    private volatile JsonObject values = new JsonObject();

    void update(JsonObject settings) {
        values = settings == null ? new JsonObject() : settings.copy();
    }

    long maxAttachmentBytes() {
        return values.getLong("maxAttachmentSize", DEFAULT_MAX_ATTACHMENT);
    }

    /** How far back a new inbox imports mail already in its folders. */
    Duration backfill() {
        Long millis = values.getLong("imap.backfill");
        return millis == null ? DEFAULT_BACKFILL : Duration.ofMillis(millis);
    }

    /**
     * How long a mail the IMAP server keeps refusing (besides being refused several times) holds up its folder
     * before it is recorded as unreadable.
     */
    Duration giveUpAfter() {
        Long millis = values.getLong("imap.giveUpAfter");
        return millis == null ? DEFAULT_GIVE_UP_AFTER : Duration.ofMillis(millis);
    }

    boolean listenerEnabled() {
        return values.getBoolean("listener.enabled", false);
    }

    String listenerHost() {
        return values.getString("listener.host", "0.0.0.0");
    }

    int listenerPort() {
        return values.getInteger("listener.port", 2525);
    }

    String listenerHostname() {
        String name = values.getString("listener.hostname");
        return name == null || name.isBlank() ? null : name;
    }

    long listenerMaxMessageBytes() {
        return values.getLong("listener.maxMessageSize", 25L * 1024 * 1024);
    }

    int listenerMaxConnections() {
        return values.getInteger("listener.maxConnections", 50);
    }

    int listenerMaxConnectionsPerSource() {
        return values.getInteger("listener.maxConnectionsPerSource", 20);
    }

    Duration listenerSessionTimeout() {
        return Duration.ofMillis(values.getLong("listener.sessionTimeout", Duration.ofMinutes(10).toMillis()));
    }

    String listenerKeystore() {
        String path = values.getString("listener.tlsKeystore");
        return path == null || path.isBlank() ? null : path;
    }

    String listenerKeystorePassword() {
        return values.getString("listener.tlsKeystorePassword", "");
    }
}
