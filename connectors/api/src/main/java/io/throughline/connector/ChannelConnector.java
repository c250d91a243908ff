package io.throughline.connector;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One channel kind (email, telegram, api, ...), found through {@link java.util.ServiceLoader}.
 *
 * <p>The server calls {@link #open} once per inbox of this kind on every node, so any node can send. Receiving
 * (an IMAP IDLE loop, a Telegram long poll) starts through {@link ChannelInbox#startReceiving()} on exactly one
 * node: the one holding the inbox's advisory lock.
 *
 * <p>Every method except {@link #routes} may block: the server calls them on virtual threads.
 */
public interface ChannelConnector {

    /** The inbox kind this connector serves, as it appears in {@code POST /api/v1/inboxes {kind}}. */
    String kind();

    /** Every problem with an inbox config, all at once, each naming its field. Empty when the config is valid. */
    List<String> validate(JsonObject config);

    /**
     * Dotted paths of config fields that hold secrets ({@code "imap.password"}). They are stored, used, and
     * never shown again: API answers and logs replace them.
     */
    default Set<String> secretFields() {
        return Set.of();
    }

    /**
     * For a secret field, the config fields that say where it is sent (host, port, user, URL). An update that
     * leaves the secret out keeps the stored one only while these stay as they were: otherwise an admin could
     * point the inbox at a server of theirs and receive the password they were never shown.
     */
    default Map<String, Set<String>> secretDestinations() {
        return Map.of();
    }

    /**
     * The inbox's checkpoints a save of {@code after} over {@code before} ends: what a provider handed out for a
     * credential the admin replaced or removed (an OAuth2 refresh token it rotated), which must not outlive it in
     * the database. Deleted in the save's transaction; an inbox deleted takes all its checkpoints along. None by
     * default.
     */
    default Set<String> checkpointsEndedBy(JsonObject before, JsonObject after) {
        return Set.of();
    }

    /**
     * Whether replies go somewhere else under the {@code after} config than under {@code before} (another bot,
     * another webhook URL): a wait the old receiver asked for (a flood limit) does not hold for the new one, so
     * saving the settings makes those replies due at once too. The default takes any change of the config.
     */
    default boolean sendsElsewhere(JsonObject before, JsonObject after) {
        return !before.equals(after);
    }

    /**
     * A value no two enabled inboxes of this kind may share, read from the config without calling out (a Telegram
     * bot's id: two inboxes of one bot would take its webhook from each other, or read its updates twice). The
     * server checks it before {@link #provision} touches the remote service, and a unique index holds it.
     */
    default Optional<String> exclusiveKey(JsonObject config) {
        return Optional.empty();
    }

    /**
     * The hosts a valid config has the server connect to (a mail server, a self-hosted API), by the config field
     * naming each ({@code config.imap.host}). The server holds them to the network policy workspace admins are held
     * to (http.webhookPrivateNetworks): a host on a private network is refused when the policy says so.
     */
    default Map<String, String> remoteHosts(JsonObject config) {
        return Map.of();
    }

    /**
     * The domains this config names and routes through a listener all workspaces share (an email inbox's address
     * and reply domain). The server keeps a routed domain to one workspace when an inbox is saved.
     */
    default DomainClaims domainClaims(JsonObject config) {
        return DomainClaims.NONE;
    }

    /**
     * Prepares a new or changed inbox before it is stored: normalizes the config, mints secrets, and may check the
     * remote service (Telegram's {@code getMe}). Throws {@link InvalidConfig} when the remote service refuses it,
     * {@link RemoteBusy} when it cannot answer the request now.
     */
    default Provisioning provision(ProvisionRequest request) throws InvalidConfig, RemoteBusy {
        return new Provisioning(request.config(), Map.of());
    }

    /**
     * The identity kind through which this channel can reach any contact that has one (email reaches any
     * address). Empty when it can only answer contacts who wrote to the inbox (Telegram, an API inbox).
     */
    default Optional<IdentityKind> reaches() {
        return Optional.empty();
    }

    /** Checks that the remote service accepts this config (IMAP and SMTP logins, a bot token), naming each step. */
    default List<ConnectionCheck> testConnection(JsonObject config) {
        return List.of();
    }

    /**
     * A link that opens this channel for one customer and hands it a single-use token (Telegram:
     * {@code https://t.me/<bot>?start=<token>}); the connector passes the token back as
     * {@link ThreadHints#linkToken()} when the customer follows it. Empty when the channel has no such links.
     */
    default Optional<URI> deepLink(JsonObject config, String token) {
        return Optional.empty();
    }

    /**
     * How long a reply must have gone unseen on a live channel (the website chat) before an inbox of this kind with
     * this config sends it to the customer instead, with the part of the conversation they missed. Empty when this
     * channel is no such fallback.
     */
    default Optional<Duration> offlineFallbackAfter(JsonObject config) {
        return Optional.empty();
    }

    /**
     * Releases what {@link #provision} registered remotely (a Telegram webhook) once an inbox is deleted or
     * disabled, or its save moved it to another {@link #exclusiveKey} (another bot), after the change commits. Not
     * called while another enabled inbox holds the config's key. Called once, on the node that made the change;
     * failures are logged, never fatal.
     */
    default void retire(JsonObject config) throws Exception {
    }

    /**
     * Starts this connector's node-wide services, once per node after its inboxes are open: the email connector's
     * inbound SMTP listener. Most connectors have none.
     */
    default void start(ConnectorEnvironment environment) throws Exception {
    }

    /** Stops the node-wide services; called before the inboxes close. */
    default void stop() {
    }

    /** Opens one inbox on this node. It must not start receiving until {@link ChannelInbox#startReceiving()}. */
    ChannelInbox open(InboxContext context);

    /**
     * Mounts the connector's HTTP routes (a webhook), as Eclipse Hono's adapters do. Handlers find their running
     * inbox through {@code inboxes}. Called once, on the event loop.
     */
    default void routes(Router router, InboxDirectory inboxes) {
    }
}
