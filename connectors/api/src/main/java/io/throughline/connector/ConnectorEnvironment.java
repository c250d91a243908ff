package io.throughline.connector;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/** What a connector's node-wide services (the email connector's inbound SMTP listener) get from their node. */
public interface ConnectorEnvironment {

    Vertx vertx();

    /**
     * The server options under {@code <kind>.}, keyed by the rest of their dotted path ({@code email.listener.port}
     * is {@code listener.port}), already validated and typed: integers, booleans, sizes in bytes and durations in
     * milliseconds as numbers, lists as arrays, the rest as strings.
     */
    JsonObject settings();
}
