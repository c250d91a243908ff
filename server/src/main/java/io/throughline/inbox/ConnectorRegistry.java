package io.throughline.inbox;

import io.throughline.connector.ChannelConnector;
import io.throughline.connector.ConnectorEnvironment;
import io.throughline.connector.IdentityKind;
import io.throughline.failure.Invalid;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The channel connectors of this build: those on the classpath (found through ServiceLoader, as Kafka Connect
 * finds plugins) plus the server's built-in ones that need server internals. Never a switch on the kind.
 */
public final class ConnectorRegistry {

    private static final Logger log = LoggerFactory.getLogger(ConnectorRegistry.class);

    private final Map<String, ChannelConnector> byKind = new LinkedHashMap<>();

    public ConnectorRegistry(List<ChannelConnector> builtIn) {
        List<ChannelConnector> all = new ArrayList<>(builtIn);
        ServiceLoader.load(ChannelConnector.class).forEach(all::add);
        for (ChannelConnector connector : all) {
            ChannelConnector clash = byKind.putIfAbsent(connector.kind(), connector);
            if (clash != null && clash.getClass() != connector.getClass()) {
                throw new IllegalStateException("two connectors for kind " + connector.kind() + ": "
                        + clash.getClass().getName() + " and " + connector.getClass().getName());
            }
        }
        log.info("connectors available kinds={}", byKind.keySet());
    }

    public Optional<ChannelConnector> find(String kind) {
        return Optional.ofNullable(byKind.get(kind));
    }

    /** The connector of a kind, or a 400 listing the kinds this build has. */
    public ChannelConnector require(String kind) {
        return find(kind).orElseThrow(() -> Invalid.field("kind", "unknown inbox kind '" + kind
                + "'; this server has " + String.join(", ", byKind.keySet())));
    }

    public Collection<ChannelConnector> all() {
        return byKind.values();
    }

    public Optional<IdentityKind> reaches(String kind) {
        return find(kind).flatMap(ChannelConnector::reaches);
    }

    /**
     * Starts every connector's node-wide services (the email SMTP listener), each with the server options under its
     * kind. One that cannot start fails the server's start, as a taken HTTP port does: an operator who turned the
     * listener on would otherwise find out from mail that never arrived.
     */
    public void startAll(Vertx vertx, Map<String, JsonObject> settingsByKind) {
        for (ChannelConnector connector : byKind.values()) {
            JsonObject settings = settingsByKind.getOrDefault(connector.kind(), new JsonObject());
            try {
                connector.start(new ConnectorEnvironment() {
                    @Override
                    public Vertx vertx() {
                        return vertx;
                    }

                    @Override
                    public JsonObject settings() {
                        return settings.copy();
                    }
                });
            } catch (Exception e) {
                throw new IllegalStateException(e.getMessage() == null
                        ? "the " + connector.kind() + " channel could not start its services" : e.getMessage(), e);
            }
        }
    }

    public void stopAll() {
        for (ChannelConnector connector : byKind.values()) {
            try {
                connector.stop();
            } catch (RuntimeException e) {
                log.warn("connector did not stop cleanly kind={}", connector.kind(), e);
            }
        }
    }
}
