package io.throughline.widget;

import io.throughline.VirtualThreads;
import io.throughline.realtime.Event;
import io.throughline.realtime.EventFeed;
import io.throughline.realtime.EventListener;
import io.throughline.realtime.EventType;
import io.throughline.realtime.Subscription;
import io.throughline.store.Database;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.LongPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Realtime for every visitor connection of this node, through ONE subscription to the event feed (the feed calls
 * each subscriber for every event; thousands of per-visitor subscriptions would each scan every event). Events are
 * routed to connections by conversation id and by visitor id through maps, and each connection projects them to
 * what its visitor may see.
 *
 * <p>Ordering with attach: the hub publishes the seq it is about to route ({@link #routing}) before routing a
 * batch, and a new stream reads it only after it is in the maps. Either the stream is in the maps before the hub
 * routes the batch (it gets the batch live), or the hub announced the batch before the stream read the seq (its
 * catch-up reads the batch from the log). Duplicates are dropped by seq.
 */
final class WidgetHub implements EventListener {

    private static final Logger log = LoggerFactory.getLogger(WidgetHub.class);
    /**
     * A client further behind than this many seqs reloads its history (one page of its own messages) instead of
     * replaying the log: a replay reads every routed event of the workspace in the range, a reload does not.
     */
    static final long RESUME_LIMIT = 2_000;
    private static final int PAGE = 500;
    /** How long a closed site may take to reopen (a settings save) before its connections are ended. */
    private static final long REOPEN_GRACE_MS = 1_000;
    /**
     * How long a late message event is kept for visitors away when it came (between two long polls, reconnecting):
     * their resume starts past its seq, so the catch-up would never bring it.
     */
    static final long LATE_KEPT_NANOS = 60_000_000_000L;
    private static final int LATE_KEPT_MAX = 1_000;
    private static final List<String> ROUTED = List.of(EventType.MESSAGE_CREATED, EventType.MESSAGE_UPDATED,
            EventType.VISITOR_SEEN, EventType.CONTACT_MERGED, EventType.CONTACT_UNMERGED, EventType.MESSAGE_MOVED,
            EventType.DELIVERY_UPDATED, EventType.VISITOR_SESSION_ENDED);
    /** Events that move messages between threads, and the fields naming the threads they touch. */
    private static final Set<String> MOVES = Set.of(EventType.CONTACT_MERGED, EventType.CONTACT_UNMERGED,
            EventType.MESSAGE_MOVED);
    private static final List<String> MOVE_FIELDS = List.of("conversationId", "sourceConversationId",
            "restoredConversationId", "fromConversationId", "toConversationId");

    private final Vertx vertx;
    private final EventFeed feed;
    private final Database database;
    private final VisitorService visitors;
    private final VisitorReceipts receipts;
    private final Map<Long, Set<VisitorStream>> byConversation = new ConcurrentHashMap<>();
    private final Map<String, Set<VisitorStream>> byVisitor = new ConcurrentHashMap<>();
    private final Set<VisitorStream> all = ConcurrentHashMap.newKeySet();
    /** How a visitor's long-poll slots are keyed among the socket slots (a public id has no colon). */
    private static final String POLL_SLOT = "poll:";
    /** Socket slots taken per visitor public id (see {@link #reserveSocket}), and poll slots ({@link #POLL_SLOT}). */
    private final Map<String, Integer> socketSlots = new ConcurrentHashMap<>();
    private volatile long routing;
    /** The late message events of the last minute ({@link #LATE_KEPT_NANOS}), oldest first. */
    private final ConcurrentLinkedDeque<Late> recentLate = new ConcurrentLinkedDeque<>();
    private volatile long routed;
    private volatile Subscription subscription;
    private volatile boolean stopped;

    WidgetHub(Vertx vertx, EventFeed feed, Database database, VisitorService visitors, VisitorReceipts receipts) {
        this.vertx = vertx;
        this.feed = feed;
        this.database = database;
        this.visitors = visitors;
        this.receipts = receipts;
    }

    void start() {
        long from = feed.position();
        routing = from;
        routed = from;
        subscription = feed.subscribe(from, null, this);
    }

    void stop() {
        stopped = true;
        Subscription current = subscription;
        if (current != null) {
            current.cancel();
        }
    }

    /** Every seq up to here has been routed to the streams it concerns. */
    long routed() {
        return routed;
    }

    int connections() {
        return all.size();
    }

    Set<VisitorStream> streams() {
        return all;
    }

    /**
     * Takes one of a visitor's socket slots on this node, in one step with the count (connects racing each other
     * cannot all pass a check made before any of them is counted); false when all {@code max} are taken. Given
     * back with {@link #releaseSocket} when the socket ends, or when it never opened.
     */
    boolean reserveSocket(String publicId, int max) {
        boolean[] taken = {false};
        socketSlots.compute(publicId, (id, held) -> {
            int now = held == null ? 0 : held;
            if (now >= max) {
                return held;
            }
            taken[0] = true;
            return now + 1;
        });
        return taken[0];
    }

    void releaseSocket(String publicId) {
        socketSlots.computeIfPresent(publicId, (id, held) -> held <= 1 ? null : held - 1);
    }

    /**
     * Takes one of a visitor's long-poll slots on this node, counted apart from its sockets (a tab refused a socket
     * polls instead); false when all {@code max} are taken. Given back with {@link #releasePoll}.
     */
    boolean reservePoll(String publicId, int max) {
        return reserveSocket(POLL_SLOT + publicId, max);
    }

    void releasePoll(String publicId) {
        releaseSocket(POLL_SLOT + publicId);
    }

    @Override
    public void onEvents(List<Event> events) {
        routing = events.getLast().seq();
        for (Event event : events) {
            try {
                route(event);
            } catch (RuntimeException e) {
                log.error("widget routing failed seq={} type={}", event.seq(), event.type(), e);
            }
        }
        routed = routing;
    }

    /** Messages committed after the feed passed their seqs: to their visitors at once, marked late. */
    @Override
    public void onLateEvents(List<Event> events) {
        for (Event event : events) {
            if (!EventType.MESSAGE_CREATED.equals(event.type()) && !EventType.MESSAGE_UPDATED.equals(event.type())) {
                continue;
            }
            keepLate(event);
            try {
                JsonObject data = event.data();
                for (VisitorStream stream : targets(data.getLong("conversationId"),
                        party(data.getJsonObject("message", new JsonObject())))) {
                    stream.offerLate(event);
                }
            } catch (RuntimeException e) {
                log.error("widget routing of a late event failed seq={} type={}", event.seq(), event.type(), e);
            }
        }
    }

    /**
     * A late message event, when this node was handed it, and the resume points (visitor and seq) of the long polls
     * it was offered to: a poll from the same point again has it.
     */
    private record Late(Event event, long atNanos, Set<String> offeredAt) {
    }

    private static Long lateMessageId(Late late) {
        return late.event().data().getJsonObject("message", new JsonObject()).getLong("id");
    }

    private void keepLate(Event event) {
        long now = System.nanoTime();
        recentLate.addLast(new Late(event, now, ConcurrentHashMap.newKeySet()));
        while (recentLate.size() > LATE_KEPT_MAX) {
            recentLate.pollFirst();
        }
        for (Late oldest = recentLate.peekFirst(); oldest != null && now - oldest.atNanos() > LATE_KEPT_NANOS;
                oldest = recentLate.peekFirst()) {
            recentLate.remove(oldest);
        }
    }

    /**
     * A resuming stream is offered the late events of the last minute: one that came while its client was away
     * lies below where it resumes (the client takes an event it already has again as the same message).
     */
    private void offerRecentLate(VisitorStream stream, long since) {
        long now = System.nanoTime();
        // A late event does not move the client's resume point: a long poll answered with one comes back from the
        // same seq at once, and was answered with it again, for the minute it is kept (each poll a few queries and
        // one of the visitor's signals, until the visitor was rate-limited). A poll is offered it once per resume
        // point and tab (two tabs polling from the same seq each have it; a client that names no tab shares one
        // note for all); a socket (which does not come back at once) every time, so a second tab or a socket that
        // dropped before the frame reached it still has it.
        String point = stream instanceof PollStream poll
                ? stream.viewer.visitor().id() + "@" + since + (poll.tab == null ? "" : "#" + poll.tab) : null;
        for (Late late : recentLate) {
            if (now - late.atNanos() > LATE_KEPT_NANOS) {
                continue;
            }
            // Noted only for a poll it concerns: every poll of every visitor would otherwise grow every event's set.
            if (point == null || !concerns(late.event(), stream) || late.offeredAt().add(point)) {
                stream.offerLate(late.event());
            }
        }
    }

    @Override
    public void onTransient(String type, JsonObject data) {
        if (!EventType.AGENT_TYPING.equals(type)) {
            return;
        }
        Set<VisitorStream> streams = byConversation.get(data.getLong("conversationId"));
        if (streams == null) {
            return;
        }
        JsonObject agent = data.getJsonObject("agent", new JsonObject());
        JsonObject frame = new JsonObject().put("type", "typing").put("typing", data.getBoolean("typing", false))
                .put("agent", new JsonObject().put("name", agent.getString("name")));
        String replyTo = data.getString("visitorId");
        for (VisitorStream stream : streams) {
            if (stream.viewer.wholeThread() || stream.viewer.publicId().equals(replyTo)) {
                stream.signal(frame);
            }
        }
    }

    @Override
    public void onOverflow(long lastDeliveredSeq) {
        resubscribe(lastDeliveredSeq, "overflow");
    }

    /**
     * This node's feed fell behind the pruned log (see {@link EventFeed}): the streams missed events, so every one
     * reloads its thread, and routing goes on after the horizon.
     */
    @Override
    public void onPruned(long prunedThrough) {
        routing = prunedThrough;
        routed = prunedThrough;
        all.forEach(stream -> stream.reset(prunedThrough));
        // A merge among the events missed may have moved a thread: each is read again (one at a time, so a
        // thousand streams are not a thousand queries at once), and reset once more when it moved.
        List<VisitorStream> streams = List.copyOf(all);
        Thread.ofVirtual().name("widget-pruned-reread").start(() -> streams.forEach(s -> reread(s, false)));
        resubscribe(prunedThrough, "pruned");
    }

    @Override
    public void onError(Throwable cause) {
        log.warn("widget hub lost its feed subscription: {}", cause.toString());
        resubscribe(routed, "error");
    }

    private void resubscribe(long from, String why) {
        if (!stopped) {
            log.warn("widget hub resubscribing seq={} reason={}", from, why);
            vertx.setTimer(100, t -> {
                if (!stopped) {
                    subscription = feed.subscribe(from, null, this);
                }
            });
        }
    }

    private void route(Event event) {
        JsonObject data = event.data();
        switch (event.type()) {
            case EventType.MESSAGE_CREATED, EventType.MESSAGE_UPDATED -> {
                JsonObject message = data.getJsonObject("message", new JsonObject());
                // A late copy kept of this message is older than this change (a redaction above all): not offered.
                Long messageId = message.getLong("id");
                if (messageId != null) {
                    recentLate.removeIf(late -> messageId.equals(lateMessageId(late)));
                }
                for (VisitorStream stream : targets(data.getLong("conversationId"), party(message))) {
                    stream.offer(event);
                }
            }
            case EventType.VISITOR_SEEN, EventType.VISITOR_SESSION_ENDED -> {
                for (VisitorStream stream : targets(null, data.getString("visitorId"))) {
                    stream.offer(event);
                }
            }
            case EventType.CONTACT_MERGED, EventType.CONTACT_UNMERGED, EventType.MESSAGE_MOVED -> {
                Set<VisitorStream> moved = new LinkedHashSet<>();
                for (String field : MOVE_FIELDS) {
                    moved.addAll(targets(data.getLong(field), null));
                    // A late copy names the conversation its message was in then: after a move it may be another
                    // customer's (the reload after the move brings what is still the visitor's).
                    Long conversation = data.getLong(field);
                    if (conversation != null) {
                        recentLate.removeIf(late -> conversation.equals(late.event().data().getLong("conversationId")));
                    }
                }
                // The reload is asked for at once, at this event: a poll answering (or a socket dropping) before
                // the reread would let the client resume past the move with the old thread on screen, and its next
                // attach, with the thread read anew, would not know to reload. The reread asks again once done.
                for (VisitorStream stream : moved) {
                    stream.viewer.moving();
                    stream.reset(event.seq());
                    refresh(stream);
                }
            }
            case EventType.DELIVERY_UPDATED -> deliveryUpdated(data);
            default -> {
            }
        }
    }

    /**
     * A widget reply was marked sent after its visitor had already seen it (the frame can show a reply before the
     * dispatcher records the send): report it delivered now. Only the node holding that visitor acts.
     */
    private void deliveryUpdated(JsonObject data) {
        JsonObject delivery = data.getJsonObject("delivery");
        if (delivery == null || !"sent".equals(delivery.getString("status"))
                || !WidgetConnector.KIND.equals(delivery.getString("channel"))) {
            return;
        }
        JsonObject to = delivery.getJsonObject("to", new JsonObject());
        long messageId = data.getLong("messageId", 0L);
        Set<VisitorStream> streams = byVisitor.getOrDefault(to.getString("value", ""), Set.of());
        streams.stream().filter(s -> s.viewer.seenUpTo() >= messageId).findFirst().ifPresent(s ->
                VirtualThreads.call("widget-receipt", () -> {
                    receipts.reportDelivered(s.viewer, messageId - 1, messageId);
                    return null;
                }).onFailure(e -> log.warn("widget delivery report failed message={}: {}", messageId,
                        e.toString())));
    }

    /** The visitor a message is from (inbound) or addressed to (a reply). */
    private static String party(JsonObject message) {
        JsonObject metadata = message.getJsonObject("metadata");
        if (metadata == null) {
            return null;
        }
        JsonObject party = metadata.getJsonObject("in".equals(message.getString("kind")) ? "from" : "to");
        return party != null && "widget_visitor".equals(party.getString("kind")) ? party.getString("value") : null;
    }

    private Set<VisitorStream> targets(Long conversationId, String visitorId) {
        Set<VisitorStream> byConv = conversationId == null ? null : byConversation.get(conversationId);
        Set<VisitorStream> byVis = visitorId == null ? null : byVisitor.get(visitorId);
        if (byVis == null || byVis.isEmpty()) {
            return byConv == null ? Set.of() : byConv;
        }
        if (byConv == null || byConv.isEmpty()) {
            return byVis;
        }
        Set<VisitorStream> both = new LinkedHashSet<>(byConv);
        both.addAll(byVis);
        return both;
    }

    /** What a catch-up read: the stream's events, and whether a merge, an unmerge or a move touched its thread. */
    private record CatchUp(List<Event> events, boolean moved) {
    }

    /** Whether an event moved messages into or out of the stream's thread (routing refreshes such streams). */
    private static boolean movedThread(Event event, VisitorStream stream) {
        Long conversation = stream.viewer.conversationId();
        if (conversation == null || !MOVES.contains(event.type())) {
            return false;
        }
        return MOVE_FIELDS.stream().anyMatch(field -> conversation.equals(event.data().getLong(field)));
    }

    /** Whether an event concerns a stream (the same rule as routing, for its catch-up from the log). */
    private static boolean concerns(Event event, VisitorStream stream) {
        JsonObject data = event.data();
        Viewer viewer = stream.viewer;
        return switch (event.type()) {
            case EventType.MESSAGE_CREATED, EventType.MESSAGE_UPDATED -> {
                Long conversation = data.getLong("conversationId");
                yield (conversation != null && conversation.equals(viewer.conversationId()))
                        || viewer.publicId().equals(party(data.getJsonObject("message", new JsonObject())));
            }
            case EventType.VISITOR_SEEN, EventType.VISITOR_SESSION_ENDED ->
                    viewer.publicId().equals(data.getString("visitorId"));
            default -> false;
        };
    }

    /** What a stream's client gets for an event, or null when its visitor may not see it. */
    JsonObject project(Event event, VisitorStream stream) {
        Viewer viewer = stream.viewer;
        if (event.workspaceId() != viewer.workspaceId()) {
            // Visitor ids are routed across workspaces: another workspace's message naming this one is not its.
            return null;
        }
        JsonObject data = event.data();
        switch (event.type()) {
            case EventType.MESSAGE_CREATED, EventType.MESSAGE_UPDATED -> {
                JsonObject message = data.getJsonObject("message", new JsonObject());
                Long conversation = data.getLong("conversationId");
                if (conversation != null && viewer.conversationId() == null && viewer.owns(message)) {
                    adopt(stream, conversation, null);
                }
                if (!viewer.sees(conversation, message)) {
                    return null;
                }
                return new JsonObject()
                        .put("type", EventType.MESSAGE_CREATED.equals(event.type()) ? "message" : "message.updated")
                        .put("seq", event.seq()).put("message", VisitorView.message(message, viewer));
            }
            case EventType.VISITOR_SEEN -> {
                long messageId = data.getLong("messageId", 0L);
                viewer.seen(messageId);
                return new JsonObject().put("type", "seen").put("seq", event.seq()).put("messageId", messageId);
            }
            case EventType.VISITOR_SESSION_ENDED -> {
                log.info("widget visitor session ended, closing its connection visitor={} reason={}",
                        viewer.visitor().id(), data.getString("reason"));
                stream.end();
                return null;
            }
            default -> {
                return null;
            }
        }
    }

    /**
     * The site of {@code inboxId} signs with another secret (or version) now: the open connections of visitors the
     * old one proved end, and their clients start a session again, signed with the new one (a forger's cannot).
     */
    void endProvenOtherwise(long inboxId, String proofKey) {
        List<VisitorStream> stale = byVisitor.values().stream().flatMap(Set::stream).distinct()
                .filter(stream -> stream.viewer.visitor().inboxId() == inboxId && stream.viewer.visitor().identified()
                        && !proofKey.equals(stream.viewer.visitor().provenWith()))
                .toList();
        if (!stale.isEmpty()) {
            log.info("widget site signs with a new secret, ending {} signed-in connection(s) inbox={}", stale.size(),
                    inboxId);
        }
        stale.forEach(VisitorStream::end);
    }

    /**
     * The site of {@code inboxId} closed on this node. A settings save reopens it at once; if it is still closed a
     * moment later (switched off or removed), the connections open on it end, so their chats say at once that they
     * are not available rather than at their next message, and stop reconnecting.
     */
    void siteClosed(long inboxId, LongPredicate stillOpen) {
        if (stopped) {
            return; // the server is stopping: its clients reconnect to the next one, and must not give up
        }
        vertx.setTimer(REOPEN_GRACE_MS, t -> {
            if (stopped || stillOpen.test(inboxId)) {
                return;
            }
            List<VisitorStream> open = all.stream().filter(s -> s.viewer.visitor().inboxId() == inboxId).toList();
            if (!open.isEmpty()) {
                log.info("widget switched off or removed, ending {} connection(s) inbox={}", open.size(), inboxId);
            }
            open.forEach(VisitorStream::gone);
        });
    }

    /** The visitor's first message created its conversation: route that conversation's events here too. */
    void adopt(VisitorStream stream, long conversationId, Long contactId) {
        stream.viewer.adopt(conversationId, contactId);
        Long current = stream.viewer.conversationId();
        if (current != null && all.contains(stream)) {
            add(byConversation, current, stream);
            forgetIfDetached(stream);
        }
    }

    /**
     * A stream detached between the check and the indexing (an ack that arrived after its socket closed) must not
     * stay in the maps, holding its socket and viewer for good.
     */
    private void forgetIfDetached(VisitorStream stream) {
        if (!all.contains(stream)) {
            detach(stream);
        }
    }

    /**
     * Adds a stream and catches it up from {@code since} (the last seq its client has; negative for "from now").
     * Must be called off the event loop: the catch-up reads PostgreSQL.
     */
    void attach(VisitorStream stream, long since) {
        all.add(stream);
        index(stream);
        long target = routing;
        // The thread was read before the stream was indexed: a merge routed in between reached no stream of it.
        // Read again now that the stream gets the events, and reload the client's history if it moved.
        boolean moved = false;
        try {
            moved = readThread(stream);
        } catch (RuntimeException e) {
            // The thread read at connect is a moment old: go on with it (closing would have every client of a
            // struggling database reconnect at once).
            log.warn("widget thread read again failed visitor={}: {}", stream.viewer.visitor().id(), e.toString());
        }
        if (since < 0) {
            stream.goLive(List.of(), target);
        } else if (since > target && since > newestStored(target)) {
            // Ahead of the log itself, not only of this node (a database restored from a backup): start over
            // from where the log is.
            stream.rewind(target);
        } else if (moved || target - since > RESUME_LIMIT || since < feed.prunedThrough()) {
            stream.reset(target);
        } else if (since >= target) {
            stream.goLive(List.of(), since);
            offerRecentLate(stream, since);
        } else {
            try {
                CatchUp missed = history(stream, since, target);
                if (missed == null || missed.moved()) {
                    // Pruned past the client, or a merge moved the thread while it was away: its history reloads.
                    stream.reset(target);
                    return;
                }
                stream.goLive(missed.events(), target);
                offerRecentLate(stream, since);
            } catch (RuntimeException e) {
                log.warn("widget catch-up failed visitor={}: {}", stream.viewer.visitor().id(), e.toString());
                stream.reset(target);
            }
        }
    }

    void detach(VisitorStream stream) {
        stream.markClosed();
        all.remove(stream);
        byVisitor.computeIfPresent(stream.viewer.publicId(), (k, set) -> {
            set.remove(stream);
            return set.isEmpty() ? null : set;
        });
        Long conversation = stream.viewer.conversationId();
        if (conversation != null) {
            unindexConversation(stream, conversation);
        }
    }

    private void index(VisitorStream stream) {
        add(byVisitor, stream.viewer.publicId(), stream);
        Long conversation = stream.viewer.conversationId();
        if (conversation != null) {
            add(byConversation, conversation, stream);
        }
    }

    /**
     * Adds a stream to its set inside the map's own step: a set looked up and added to afterwards could be one a
     * detach just dropped from the map (being empty), and the stream would get none of its events.
     */
    private static <K> void add(Map<K, Set<VisitorStream>> map, K key, VisitorStream stream) {
        map.compute(key, (k, set) -> {
            Set<VisitorStream> streams = set != null ? set : ConcurrentHashMap.newKeySet();
            streams.add(stream);
            return streams;
        });
    }

    /** The newest seq stored, or {@code fallback} when it cannot be read now. */
    private long newestStored(long fallback) {
        try {
            return feed.newestStored().await();
        } catch (RuntimeException e) {
            log.debug("widget catch-up could not read the newest seq: {}", e.toString());
            return fallback;
        }
    }

    /** The stream's thread moved from {@code before}: it is indexed under the one it has now. */
    private void reindex(VisitorStream stream, Long before) {
        if (before != null) {
            unindexConversation(stream, before);
        }
        if (all.contains(stream)) {
            index(stream);
            forgetIfDetached(stream);
        }
    }

    private void unindexConversation(VisitorStream stream, long conversation) {
        byConversation.computeIfPresent(conversation, (k, set) -> {
            set.remove(stream);
            return set.isEmpty() ? null : set;
        });
    }

    /** Reads a stream's thread again and indexes the stream under it; true when it moved. */
    private boolean readThread(VisitorStream stream) {
        Long before = stream.viewer.conversationId();
        visitors.refresh(stream.viewer);
        if (Objects.equals(before, stream.viewer.conversationId())) {
            return false;
        }
        reindex(stream, before);
        return true;
    }

    /**
     * Reads a stream's thread again; the client reloads its history when the thread moved, or always when
     * {@code reload}; when it cannot be read, its view may be stale (another customer's thread after an unmerge),
     * and the client connects again.
     */
    private void reread(VisitorStream stream, boolean reload) {
        if (!all.contains(stream)) {
            return;
        }
        boolean moved;
        long announced = stream.viewer.moves();
        try {
            moved = readThread(stream);
            stream.viewer.settle(announced);
        } catch (RuntimeException e) {
            log.warn("widget thread read again failed, reconnecting visitor={}: {}", stream.viewer.visitor().id(),
                    e.toString());
            stream.reconnect();
            return;
        }
        if (moved || reload) {
            stream.reset(routed);
        }
    }

    /** A merge touched the visitor's thread: find it again, and have the client reload its history. */
    private void refresh(VisitorStream stream) {
        VirtualThreads.call("widget-refresh", () -> {
            reread(stream, true);
            return null;
        });
    }

    /**
     * The stream's events after {@code since}, up to {@code target}; null when some of them were pruned from the log
     * (each page reads the horizon in its own snapshot, as the feed's catch-up does): the client reloads instead.
     */
    private CatchUp history(VisitorStream stream, long since, long target) {
        List<Event> out = new ArrayList<>();
        boolean moved = false;
        long from = since;
        while (true) {
            List<Event> page = new ArrayList<>();
            RowSet<Row> rows = database.sql().rows(EventFeed.withHorizon("""
                    SELECT seq, workspace_id, type, data, created_at FROM events
                    WHERE workspace_id = $1 AND seq > $2 AND seq <= $3 AND type = ANY($4)
                    ORDER BY seq LIMIT $5"""), stream.viewer.workspaceId(), from, target, ROUTED, PAGE);
            if (rows.iterator().next().getLong("pruned_through") > since) {
                return null;
            }
            rows.forEach(row -> {
                if (row.getLong("seq") != null) {
                    page.add(EventFeed.toEvent(row));
                }
            });
            page.stream().filter(e -> concerns(e, stream)).forEach(out::add);
            moved |= page.stream().anyMatch(e -> movedThread(e, stream));
            if (page.size() < PAGE) {
                return new CatchUp(out, moved);
            }
            from = page.getLast().seq();
        }
    }
}
