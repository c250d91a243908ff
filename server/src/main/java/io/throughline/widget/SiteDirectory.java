package io.throughline.widget;

import io.throughline.connector.InboxRef;
import io.throughline.http.ClientAddress;
import io.throughline.store.Sql;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the widget inbox behind a site key or an inbox id. Every node opens every enabled inbox, and each open
 * widget inbox registers here, so a lookup is a map read; a miss (the inbox is opening, or was just changed on
 * another node) falls back to PostgreSQL, which stays the only source of truth. Misses by site key cost a query
 * each, so they are limited per client address: a script trying made-up keys is refused before it reaches the
 * database. A widget open here is a map read and never meets the limit; one not open here yet (just created, or
 * reopening after a settings save) costs up to three lookups a page view (config, frame, session), so an office
 * behind one address could meet it for the moments the widget takes to open.
 */
public final class SiteDirectory {

    private static final Logger log = LoggerFactory.getLogger(SiteDirectory.class);
    private static final String SELECT = "SELECT id, workspace_id, name, config FROM inboxes"
            + " WHERE kind = 'widget' AND enabled AND deleted_at IS NULL";
    /** Site keys looked up in PostgreSQL per client address and minute. */
    static final int MISSES_PER_MINUTE = 30;

    private final Map<String, Site> byKey = new ConcurrentHashMap<>();
    private final Map<Long, Site> byInbox = new ConcurrentHashMap<>();
    /** The proof key each inbox was last opened with, kept while it is closed for a reload (a settings save). */
    private final Map<Long, String> proofKeys = new ConcurrentHashMap<>();
    private final Supplier<Sql> sql;
    /** Told when a site signs with another secret or version: the inbox, and its new proof key. */
    private volatile BiConsumer<Long, String> proofChanged = (inbox, key) -> { };
    /** Told when an open site closes. */
    private volatile LongConsumer closed = inbox -> { };
    private final RateLimiter misses;

    public SiteDirectory(Supplier<Sql> sql) {
        this.sql = sql;
        this.misses = new RateLimiter(Clock.systemUTC(), MISSES_PER_MINUTE, Duration.ofMinutes(1));
    }

    void onProofChanged(BiConsumer<Long, String> listener) {
        this.proofChanged = listener;
    }

    /** Told when an open site closes (its inbox disabled, deleted, or about to reopen with new settings). */
    void onClosed(LongConsumer listener) {
        this.closed = listener;
    }

    /** Whether the inbox's site is open on this node. */
    boolean isOpen(long inboxId) {
        return byInbox.containsKey(inboxId);
    }

    void register(Site site) {
        Site previous = byInbox.put(site.inbox().id(), site);
        if (previous != null && !previous.siteKey().equals(site.siteKey())) {
            byKey.remove(previous.siteKey(), previous);
        }
        byKey.put(site.siteKey(), site);
        String proofKey = site.settings().proofKey();
        String before = proofKeys.put(site.inbox().id(), proofKey);
        if (before != null && !before.equals(proofKey)) {
            proofChanged.accept(site.inbox().id(), proofKey);
        }
    }

    void unregister(Site site) {
        byKey.remove(site.siteKey(), site);
        if (byInbox.remove(site.inbox().id(), site)) {
            closed.accept(site.inbox().id());
        }
    }

    /**
     * The enabled widget inbox with this site key, asked for by a client at {@code ip}. Blocks on a miss: call off
     * the event loop. A miss takes one of the address's lookups ({@link #MISSES_PER_MINUTE}), and throws
     * {@link io.throughline.failure.TooManyRequests} when they are used up.
     */
    public Optional<Site> bySiteKey(String siteKey, String ip) {
        Site open = byKey.get(siteKey);
        if (open != null) {
            return Optional.of(open);
        }
        misses.acquire("" + ClientAddress.limitKey(ip),
                "too many lookups of widgets that are unknown or not open yet from this address; wait a moment");
        return sql.get().one(SELECT + " AND config ->> 'siteKey' = $1", siteKey).flatMap(SiteDirectory::site);
    }

    /** The enabled widget inbox with this id. Blocks on a miss: call off the event loop. */
    public Optional<Site> byInbox(long inboxId) {
        Site open = byInbox.get(inboxId);
        if (open != null) {
            return Optional.of(open);
        }
        return sql.get().one(SELECT + " AND id = $1", inboxId).flatMap(SiteDirectory::site);
    }

    /** Forgets the lookups of addresses that stopped asking; called periodically. */
    void sweep() {
        misses.sweep();
    }

    /** Whether any open widget inbox allows this origin (a CORS preflight does not say which site it is for). */
    public boolean anyAllows(String origin) {
        return byInbox.values().stream().anyMatch(s -> s.settings().allows(origin));
    }

    private static Optional<Site> site(Row row) {
        JsonObject config = row.getJsonObject("config");
        WidgetSettings.Parsed parsed = WidgetSettings.parse(config);
        if (parsed.settings() == null) {
            log.warn("widget inbox has an invalid stored config inbox={} problems={}", row.getLong("id"),
                    parsed.problems());
            return Optional.empty();
        }
        return Optional.of(new Site(new InboxRef(row.getLong("id"), row.getLong("workspace_id"),
                WidgetConnector.KIND, row.getString("name")), parsed.settings()));
    }
}
