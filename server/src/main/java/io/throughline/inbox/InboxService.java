package io.throughline.inbox;

import io.throughline.agent.Caller;
import io.throughline.apichannel.WebhookTarget;
import io.throughline.connector.ChannelConnector;
import io.throughline.connector.ConnectionCheck;
import io.throughline.connector.DomainClaims;
import io.throughline.connector.IdentityKind;
import io.throughline.connector.InvalidConfig;
import io.throughline.connector.ProvisionRequest;
import io.throughline.connector.Provisioning;
import io.throughline.connector.RemoteBusy;
import io.throughline.conversation.ChannelDirectory;
import io.throughline.delivery.DeliveryRepository;
import io.throughline.failure.Conflict;
import io.throughline.failure.Invalid;
import io.throughline.failure.NotFound;
import io.throughline.failure.Unavailable;
import io.throughline.realtime.EventLog;
import io.throughline.realtime.EventType;
import io.throughline.store.Database;
import io.throughline.store.Sql;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates, changes and removes inboxes: validates every problem of a config at once, lets the connector provision
 * it (mint secrets, check the remote side), stores it, and reopens it on every node through an
 * {@code inbox.changed} event. Secrets are returned once, at creation, and redacted ever after.
 */
public final class InboxService implements ChannelDirectory {

    private static final Logger log = LoggerFactory.getLogger(InboxService.class);
    /** How many times a save starts over because other saves of the inbox committed first. */
    private static final int SAVE_ATTEMPTS = 5;

    private final Database database;
    private final InboxRepository inboxes;
    private final ConnectorRegistry registry;
    private final EventLog events;
    private final Supplier<InboxSupervisor> supervisor;
    private final Supplier<URI> publicUrl;
    private final Runnable outboxWake;
    private final boolean privateNetworks;
    private final DeliveryRepository deliveries = new DeliveryRepository();

    /**
     * @param privateNetworks whether the hosts a workspace admin names may be on loopback or private networks
     *     (http.webhookPrivateNetworks): the config file's own inboxes are the operator's, and not held to it
     */
    public InboxService(Database database, InboxRepository inboxes, ConnectorRegistry registry, EventLog events,
                        Supplier<InboxSupervisor> supervisor, Supplier<URI> publicUrl, Runnable outboxWake,
                        boolean privateNetworks) {
        this.privateNetworks = privateNetworks;
        this.outboxWake = outboxWake;
        this.database = database;
        this.inboxes = inboxes;
        this.registry = registry;
        this.events = events;
        this.supervisor = supervisor;
        this.publicUrl = publicUrl;
    }

    /** A created inbox and the secrets minted for it, shown this once. */
    public record Created(JsonObject inbox, Map<String, String> minted) {
    }

    /** An inbox change; null fields stay as they are. */
    public record Change(String name, JsonObject config, Boolean enabled) {
    }

    public Created create(long workspaceId, String kind, String name, JsonObject config) {
        return create(workspaceId, kind, name, config, null);
    }

    private Created create(long workspaceId, String kind, String name, JsonObject config, String fromConfig) {
        ChannelConnector connector = registry.require(kind);
        requireValid(connector, config);
        long id = inboxes.reserveId(database.sql());
        String key = requireFree(connector, config, workspaceId, id);
        Provisioning provisioning = provision(connector, new ProvisionRequest(id, workspaceId, config, null,
                publicUrl.get()));
        Inbox inbox = unique(() -> database.tx(tx -> {
            requireOwnDomains(tx, connector, workspaceId, provisioning.config(), null);
            Inbox created = inboxes.insert(tx, id, workspaceId, kind, name, provisioning.config(), key,
                    fromConfig);
            events.append(tx, workspaceId, EventType.INBOX_CHANGED, change(created, "created"));
            return created;
        }));
        log.info("inbox created inbox={} kind={} workspace={}", id, kind, workspaceId);
        supervisor.get().refresh(id);
        return new Created(toJson(inbox), provisioning.minted());
    }

    public Created create(Caller caller, String kind, String name, JsonObject config) {
        caller.requireAdmin();
        ChannelConnector connector = registry.require(kind);
        requireValid(connector, config);
        requireReachable(connector, config, null);
        return create(caller.workspaceId(), kind, name, config);
    }

    public JsonObject get(Caller caller, long id) {
        caller.requireAdmin();
        return toJson(find(caller.workspaceId(), id));
    }

    public JsonArray list(Caller caller) {
        caller.requireAdmin();
        JsonArray out = new JsonArray();
        inboxes.list(database.sql(), caller.workspaceId()).forEach(inbox -> out.add(toJson(inbox)));
        return out;
    }

    /**
     * Saves a change to an inbox. The write is a compare-and-set on the row read: a save that another one (another
     * admin's, a delete) committed over between its read and its write starts over from the row as it is now, so
     * it never writes back what it read (an {@code enabled: false} saved meanwhile stays), and a delete meanwhile
     * makes it a 404.
     */
    public JsonObject update(Caller caller, long id, Change change) {
        caller.requireAdmin();
        for (int attempt = 1; ; attempt++) {
            Optional<JsonObject> saved = tryUpdate(caller, find(caller.workspaceId(), id), change);
            if (saved.isPresent()) {
                return saved.get();
            }
            if (attempt == SAVE_ATTEMPTS) {
                throw new Conflict("the inbox kept changing under this save (other saves committed first "
                        + SAVE_ATTEMPTS + " times): reload it and save again");
            }
            log.info("inbox changed by another save meanwhile, this one starts over inbox={} attempt={}", id,
                    attempt);
        }
    }

    /** One try of {@link #update}; empty when the inbox changed after {@code current} was read. */
    private Optional<JsonObject> tryUpdate(Caller caller, Inbox current, Change change) {
        long id = current.id();
        ChannelConnector connector = registry.require(current.kind());
        JsonObject config = current.config();
        boolean enabled = change.enabled() == null ? current.enabled() : change.enabled();
        JsonObject candidate = change.config() == null ? config : Secrets.keep(change.config(), current.config(),
                connector.secretFields(), connector.secretDestinations());
        if (change.config() != null) {
            requireValid(connector, candidate);
            requireReachable(connector, candidate, current.config());
        }
        // Checked before provisioning, which may take the remote side (a bot's webhook) over from the holder.
        String key = enabled || change.config() != null ? requireFree(connector, candidate, caller.workspaceId(), id)
                : connector.exclusiveKey(candidate).orElse(null);
        Map<String, String> minted = Map.of();
        if (change.config() != null) {
            Provisioning provisioning = provision(connector, new ProvisionRequest(id, caller.workspaceId(),
                    candidate, current.config(), publicUrl.get()));
            config = provisioning.config();
            // A secret the admin removed (sent as null) that the connector makes anew: shown this once, as on
            // creation.
            minted = provisioning.minted();
        }
        JsonObject stored = config;
        Optional<Inbox> written = unique(() -> database.tx(tx -> {
            if (change.config() != null) {
                requireOwnDomains(tx, connector, caller.workspaceId(), stored, current.config());
            }
            Optional<Inbox> result = inboxes.update(tx, current, change.name() == null ? current.name()
                    : change.name(), stored, enabled, key);
            result.ifPresent(inbox -> {
                if (change.config() != null) {
                    for (String ended : connector.checkpointsEndedBy(current.config(), stored)) {
                        inboxes.dropCheckpoint(tx, id, ended);
                    }
                }
                if (enabled && (change.config() != null || !current.enabled())) {
                    int released = inboxes.releaseWaitingDeliveries(tx, id,
                            !connector.sendsElsewhere(current.config(), stored));
                    if (released > 0) {
                        log.info("inbox changed, its waiting replies are tried now inbox={} replies={}", id,
                                released);
                    }
                }
                events.append(tx, caller.workspaceId(), EventType.INBOX_CHANGED, change(inbox, "updated"));
            });
            return result;
        }));
        if (written.isEmpty()) {
            Optional<Inbox> now = inboxes.find(database.sql(), caller.workspaceId(), id);
            if (change.config() != null && (now.isEmpty()
                    || !connector.exclusiveKey(now.get().config()).equals(connector.exclusiveKey(stored)))) {
                // What provisioning registered (a bot's webhook) is not what the inbox has now: a bot the save's
                // next try does not keep, or one of an inbox deleted meanwhile.
                retire(connector, new Inbox(id, current.workspaceId(), current.kind(), current.name(), stored,
                        enabled, current.createdAt(), current.updatedAt()));
            }
            if (now.isEmpty()) {
                throw new NotFound("no inbox " + id + " in this workspace (it was deleted during this save)");
            }
            return Optional.empty();
        }
        Inbox updated = written.get();
        log.info("inbox updated inbox={} enabled={}", id, updated.enabled());
        supervisor.get().refresh(id);
        boolean anotherRemote = change.config() != null
                && !connector.exclusiveKey(current.config()).equals(connector.exclusiveKey(stored));
        if (current.enabled() && !updated.enabled() || anotherRemote) {
            // Only now that the save is committed: a save that failed leaves the inbox on what it had, still
            // registered (the old bot's webhook).
            retire(connector, current);
        }
        if (!updated.enabled() && change.config() != null) {
            // Provisioning registered the new settings remotely (a webhook), but a disabled inbox keeps nothing
            // registered: Telegram would push updates to a hook that refuses them until it is enabled again.
            retire(connector, updated);
        }
        JsonObject answer = toJson(updated);
        minted.forEach(answer::put);
        return Optional.of(answer);
    }

    /**
     * The connector's exclusive key of this config (a bot's id), after checking that no other enabled inbox holds
     * it; null when the kind has none.
     */
    private String requireFree(ChannelConnector connector, JsonObject config, long workspaceId, long id) {
        String key = connector.exclusiveKey(config).orElse(null);
        if (key != null) {
            inboxes.holding(database.sql(), connector.kind(), key, id).ifPresent(holder -> {
                throw alreadyServed(holder.workspaceId() == workspaceId ? " (inbox " + holder.id() + ", \""
                        + holder.name() + "\")" : " (in another workspace of this server)");
            });
        }
        return key;
    }

    /**
     * Refuses a config that names a domain another workspace routes through a listener all workspaces share, or
     * routes one another workspace names ({@link DomainClaims}): that workspace's admin could otherwise create an
     * inbox for another address of the domain and take mail its owner's MTA sends to the listener. A lock per
     * domain, taken in order, makes two saves racing for one take turns. A change is refused only for a clash it adds:
     * one its inbox had already (from before this rule, or from a listener enabled since) is the operator's to
     * settle, and must not stop the inbox's other changes (a new password).
     */
    private void requireOwnDomains(Sql tx, ChannelConnector connector, long workspaceId, JsonObject config,
                                   JsonObject previous) {
        DomainClaims claims = connector.domainClaims(config);
        if (claims.named().isEmpty()) {
            return;
        }
        DomainClaims before = previous == null ? DomainClaims.NONE : connector.domainClaims(previous);
        for (String domain : new TreeSet<>(claims.named())) {
            tx.lockKey("inbox-domain:" + domain);
        }
        for (Inbox other : inboxes.ofOtherWorkspaces(tx, connector.kind(), workspaceId)) {
            DomainClaims theirs = connector.domainClaims(other.config());
            Set<String> clash = claims.clashes(theirs);
            clash.removeAll(before.clashes(theirs));
            if (!clash.isEmpty()) {
                log.info("inbox refused, its domain is another workspace's workspace={} holder={} domains={}",
                        workspaceId, other.id(), clash);
                throw new Conflict("the domain " + String.join(", ", clash) + " belongs to an inbox of another"
                        + " workspace of this server: mail that comes through the shared SMTP listener (to an"
                        + " inbox without IMAP, or to a reply domain) is routed by its domain, so such a domain can"
                        + " be one workspace's only. Use another domain, or ask the server's operator");
            }
        }
    }

    private static Conflict alreadyServed(String holder) {
        return new Conflict("this bot already serves another enabled inbox" + holder + ": a bot can serve one"
                + " inbox only, or each would take its updates from the other. Disable or delete that inbox first");
    }

    /**
     * An address or a reply domain another email inbox already uses (V060), or a bot another inbox serves (V094,
     * when two requests race past the check), is a conflict, not a crash.
     */
    private static <T> T unique(Supplier<T> write) {
        try {
            return write.get();
        } catch (RuntimeException e) {
            if (Database.isUniqueViolation(e)) {
                if (e instanceof PgException pg && "inboxes_exclusive_key".equals(pg.getConstraint())) {
                    throw alreadyServed("");
                }
                throw new Conflict("another email inbox already uses this address or reply domain: each must"
                        + " belong to one inbox only, or mail for it could not be routed");
            }
            throw e;
        }
    }

    public void delete(Caller caller, long id) {
        caller.requireAdmin();
        Inbox inbox = find(caller.workspaceId(), id);
        database.tx(tx -> {
            inboxes.delete(tx, caller.workspaceId(), id);
            // Its read positions mean nothing now, and what a provider handed it (a rotated refresh token) is a
            // credential to forget.
            inboxes.dropCheckpoints(tx, id);
            events.append(tx, caller.workspaceId(), EventType.INBOX_CHANGED, change(inbox, "deleted"));
            // Its replies waiting for a retry end now, as failed "the inbox was deleted", not at their retry time.
            if (deliveries.dueNow(tx, caller.workspaceId(), id) > 0) {
                tx.afterCommit(outboxWake);
            }
            return null;
        });
        log.info("inbox deleted inbox={}", id);
        supervisor.get().refresh(id);
        registry.find(inbox.kind()).ifPresent(connector -> retire(connector, inbox));
    }

    /**
     * Lets the connector release what it registered remotely (a webhook); a failure is logged, never fatal. Not
     * when another enabled inbox serves that registration now: a bot this inbox had while disabled, and another
     * inbox took over.
     */
    private void retire(ChannelConnector connector, Inbox inbox) {
        Optional<Inbox> holder = connector.exclusiveKey(inbox.config())
                .flatMap(key -> inboxes.holding(database.sql(), inbox.kind(), key, inbox.id()));
        if (holder.isPresent()) {
            log.info("inbox remote registration kept for the inbox that serves it now inbox={} holder={}",
                    inbox.id(), holder.get().id());
            return;
        }
        try {
            connector.retire(inbox.config());
        } catch (Exception e) {
            log.warn("inbox remote registration not released inbox={} kind={}: {}", inbox.id(), inbox.kind(),
                    e.toString());
        }
    }

    /** Checks the stored config, or a candidate config, against the remote service. */
    public JsonObject testConnection(Caller caller, long id, JsonObject candidate) {
        caller.requireAdmin();
        Inbox inbox = find(caller.workspaceId(), id);
        ChannelConnector connector = registry.require(inbox.kind());
        JsonObject config = candidate == null ? inbox.config()
                : Secrets.keep(candidate, inbox.config(), connector.secretFields(), connector.secretDestinations());
        requireValid(connector, config);
        if (candidate != null) {
            requireReachable(connector, config, inbox.config());
        }
        List<ConnectionCheck> checks = connector.testConnection(config);
        JsonArray steps = new JsonArray();
        checks.forEach(c -> steps.add(new JsonObject().put("step", c.step()).put("ok", c.ok())
                .put("detail", c.detail())));
        return new JsonObject().put("ok", checks.stream().allMatch(ConnectionCheck::ok)).put("checks", steps);
    }

    /**
     * Creates the config file's inbox of this kind and name unless it was created before: it is found by the name
     * the file gave it, whatever an admin renamed it to since, and one an admin deleted is not created again (the
     * file should drop it). A file's inbox that cannot be created (its address taken by an inbox made in the app
     * meanwhile) is logged and skipped: the server and its other inboxes still start.
     */
    public void seed(long workspaceId, String kind, String name, JsonObject config) {
        Optional<Boolean> deleted = inboxes.fromConfigDeleted(database.sql(), workspaceId, kind, name);
        if (deleted.isPresent()) {
            if (deleted.get()) {
                log.info("inbox from configuration was deleted in the app, not created again (remove it from the"
                        + " file) kind={} name={}", kind, name);
            }
            return;
        }
        // Made before the file's inboxes were marked (V110): found by name, or by its bot when renamed since.
        Optional<Inbox> earlier = inboxes.byName(database.sql(), workspaceId, kind, name);
        Optional<Inbox> sameKey = earlier.isPresent() ? Optional.empty() : registry.find(kind)
                .flatMap(c -> c.exclusiveKey(config)).flatMap(key -> inboxes.holding(database.sql(), kind, key, 0));
        if (sameKey.isPresent() && sameKey.get().workspaceId() != workspaceId) {
            log.warn("inbox from configuration not created: its bot serves an inbox of another workspace"
                    + " name={} inbox={}", name, sameKey.get().id());
            return;
        }
        Optional<Inbox> made = earlier.or(() -> sameKey);
        if (made.isPresent()) {
            if (inboxes.markFromConfig(database.sql(), made.get().id(), name)) {
                log.info("inbox from configuration found, marked as the file's name={} inbox={}", name,
                        made.get().id());
            } else {
                log.warn("inbox from configuration not created: the inbox found for it (by name or bot) is another"
                        + " entry's of the file kind={} name={} inbox={}", kind, name, made.get().id());
            }
            return;
        }
        Created created;
        try {
            created = create(workspaceId, kind, name, config, name);
        } catch (Conflict conflict) {
            if (inboxes.fromConfigDeleted(database.sql(), workspaceId, kind, name).isPresent()) {
                log.info("inbox from configuration created by another node starting at once kind={} name={}", kind,
                        name);
            } else {
                log.error("inbox from configuration not created kind={} name={}: {}", kind, name,
                        conflict.getMessage());
            }
            return;
        }
        log.info("inbox created from configuration inbox={} kind={} name={} secrets={}",
                created.inbox().getLong("id"), kind, name, created.minted().keySet());
    }

    Inbox find(long workspaceId, long id) {
        return inboxes.find(database.sql(), workspaceId, id)
                .orElseThrow(() -> new NotFound("no inbox " + id + " in this workspace"));
    }

    private JsonObject toJson(Inbox inbox) {
        JsonObject config = registry.find(inbox.kind())
                .map(c -> Secrets.redact(inbox.config(), c.secretFields())).orElse(new JsonObject());
        return new JsonObject()
                .put("id", inbox.id())
                .put("kind", inbox.kind())
                .put("name", inbox.name())
                .put("enabled", inbox.enabled())
                .put("config", config)
                .put("createdAt", inbox.createdAt().toString())
                .put("updatedAt", inbox.updatedAt().toString());
    }

    private static JsonObject change(Inbox inbox, String action) {
        return new JsonObject().put("inboxId", inbox.id()).put("kind", inbox.kind()).put("name", inbox.name())
                .put("action", action);
    }

    private static void requireValid(ChannelConnector connector, JsonObject config) {
        requireNone(connector.validate(config));
    }

    /** A 400 naming each problem's field ("config.smtp.host: ..."), when there are any. */
    private static void requireNone(List<String> problems) {
        if (!problems.isEmpty()) {
            throw new Invalid("the inbox config is invalid: " + String.join("; ", problems), problems.stream()
                    .map(p -> new Invalid.FieldError(field(p), p)).toList());
        }
    }

    /**
     * Holds the hosts a config makes the server connect to to the network policy (a workspace admin must not reach
     * the server's own network when http.webhookPrivateNetworks is false; link-local never): those the admin brings,
     * not a server the stored config already names with the same settings (a port changed is another server to
     * probe), so the config file's inboxes keep working. A name is checked as it resolves now; it is not pinned for
     * the connections that follow.
     */
    private void requireReachable(ChannelConnector connector, JsonObject config, JsonObject previous) {
        Map<String, String> before;
        try {
            before = previous == null ? Map.of() : connector.remoteHosts(previous);
        } catch (RuntimeException e) {
            before = Map.of();
        }
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, String> named : connector.remoteHosts(config).entrySet()) {
            // config.smtp.host: the smtp section, port and login included, as stored.
            String section = named.getKey().split("\\.")[1];
            if (previous != null && named.getValue().equalsIgnoreCase(before.get(named.getKey()))
                    && Objects.equals(config.getValue(section), previous.getValue(section))) {
                continue;
            }
            String refused = WebhookTarget.hostRefusal(named.getValue(), privateNetworks);
            if (refused != null) {
                problems.add(named.getKey() + ": " + named.getValue() + " is " + refused);
            }
        }
        requireNone(problems);
    }

    private static String field(String problem) {
        int colon = problem.indexOf(':');
        return colon > 0 ? problem.substring(0, colon) : "config";
    }

    private static Provisioning provision(ChannelConnector connector, ProvisionRequest request) {
        try {
            return connector.provision(request);
        } catch (InvalidConfig e) {
            throw new Invalid("the inbox config was refused: " + e.getMessage(), e.problems().stream()
                    .map(p -> new Invalid.FieldError(field(p), p)).toList());
        } catch (RemoteBusy e) {
            log.info("inbox save put off, the remote service is busy inbox={}: {}", request.inboxId(),
                    e.getMessage());
            throw new Unavailable(e.getMessage(), e.retryAfter());
        }
    }

    @Override
    public Optional<InboxInfo> enabledInbox(Sql sql, long workspaceId, long inboxId) {
        return inboxes.find(sql, workspaceId, inboxId).filter(Inbox::enabled).map(InboxService::info);
    }

    @Override
    public Optional<InboxInfo> inbox(Sql sql, long workspaceId, long inboxId) {
        return inboxes.find(sql, workspaceId, inboxId).map(InboxService::info);
    }

    @Override
    public Optional<InboxInfo> servingInstead(Sql sql, long workspaceId, long inboxId) {
        return inboxes.find(sql, workspaceId, inboxId)
                .flatMap(inbox -> registry.find(inbox.kind()).flatMap(c -> c.exclusiveKey(inbox.config()))
                        .flatMap(key -> inboxes.holding(sql, inbox.kind(), key, inboxId)))
                .filter(holder -> holder.workspaceId() == workspaceId)
                .map(InboxService::info);
    }

    private static InboxInfo info(Inbox inbox) {
        return new InboxInfo(inbox.id(), inbox.kind(), inbox.name());
    }

    @Override
    public List<InboxInfo> enabledInboxes(Sql sql, long workspaceId, String kind) {
        return inboxes.list(sql, workspaceId).stream().filter(i -> i.enabled() && i.kind().equals(kind))
                .map(InboxService::info).toList();
    }

    @Override
    public Optional<IdentityKind> reaches(String kind) {
        return registry.reaches(kind);
    }
}
