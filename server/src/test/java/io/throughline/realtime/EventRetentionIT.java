package io.throughline.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.store.Sql;
import io.throughline.testing.ApiClient;
import io.throughline.testing.ApiInbox;
import io.throughline.testing.StreamClient;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The event log keeps {@code realtime.eventRetention} of events, and a reader that would resume from below what was
 * pruned is told to start over instead of silently missing the pruned events.
 */
class EventRetentionIT {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private TestServer server;
    private ApiClient admin;
    private ApiInbox inbox;
    private Sql sql;
    private EventFeed feed;

    @BeforeEach
    void start() {
        server = TestServer.start();
        admin = server.admin();
        inbox = ApiInbox.create(admin, "Shop", null);
        sql = server.throughline().database().sql();
        feed = server.throughline().eventFeed();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void pruningDeletesTheOldestEventsUpToTheFirstYoungOneAndMovesTheHorizon() {
        inbox.say("m1", "c1", "Ann", "first");
        inbox.say("m2", "c1", "Ann", "second");
        long old = newest();
        inbox.say("m3", "c1", "Ann", "third");
        inbox.say("m4", "c1", "Ann", "fourth");
        long newest = newest();
        age("seq <= $1", old);
        // Older than the retention too, but after a young event: the horizon stays one number.
        age("seq = $1", newest);
        long doomed = sql.single("SELECT count(*) AS n FROM events WHERE seq <= $1", old).getLong("n");

        assertThat(server.throughline().eventRetention().prune()).isEqualTo(doomed);

        assertThat(sql.single("SELECT min(seq) AS s FROM events").getLong("s")).isGreaterThan(old);
        assertThat(sql.single("SELECT count(*) AS n FROM events WHERE seq = $1", newest).getLong("n"))
                .as("an old event after a young one is kept").isEqualTo(1);
        assertThat(prunedThrough()).isEqualTo(old);
        assertThat(server.throughline().eventRetention().prune()).as("nothing more is old enough").isZero();
        await().atMost(WAIT).until(() -> feed.prunedThrough() == old);
        assertThat(admin.get("/health").expect(200).json().getJsonObject("checks").getJsonObject("eventFeed")
                .getLong("prunedThrough")).isEqualTo(old);
    }

    @Test
    void anAgentStreamResumingBelowThePrunedLogStartsOverWithAResetAndOneAtTheHorizonReplays() {
        inbox.say("m1", "c1", "Ann", "pruned away");
        long horizon = pruneThrough(newest());
        inbox.say("m2", "c1", "Ann", "kept");
        await().atMost(WAIT).until(() -> feed.prunedThrough() == horizon);

        try (StreamClient stale = StreamClient.connect(admin, horizon - 1)) {
            JsonObject ready = stale.next(f -> "ready".equals(f.getString("type")), WAIT).getJsonObject("data");
            assertThat(ready.getBoolean("reset")).as("events after its seq are gone: reload").isTrue();
            assertThat(ready.getLong("since")).isGreaterThan(horizon);
            assertThat(stale.drain(Duration.ofMillis(300)))
                    .noneMatch(f -> "message.created".equals(f.getString("type")));
        }
        try (StreamClient atHorizon = StreamClient.connect(admin, horizon)) {
            assertThat(atHorizon.next(f -> "ready".equals(f.getString("type")), WAIT).getJsonObject("data")
                    .containsKey("reset")).isFalse();
            assertThat(atHorizon.next(f -> "message.created".equals(f.getString("type")), WAIT)
                    .getJsonObject("data").getJsonObject("message").getString("body")).isEqualTo("kept");
        }
    }

    /**
     * A workspace quiet for longer than the retention: its stream's heartbeat moves its resume seq past the other
     * workspaces' events, so a tab that reconnects after the pruning resumes instead of reloading.
     */
    @Test
    void aQuietWorkspacesStreamResumesPastAPruningOfOtherWorkspacesEvents() {
        server.throughline().workspaces().create("Busy", "admin@busy.test", "Busy admin", "busy-password-1");
        ApiInbox busy = ApiInbox.create(server.anonymous().login("admin@busy.test", "busy-password-1"), "Busy shop",
                null);
        long resumeFrom;
        try (StreamClient quiet = StreamClient.connect(admin, null)) {
            long since = quiet.next(f -> "ready".equals(f.getString("type")), WAIT).getJsonObject("data")
                    .getLong("since");
            busy.say("b1", "c1", "Bob", "busy one");
            busy.say("b2", "c1", "Bob", "busy two");
            long busyNewest = newest();
            assertThat(busyNewest).isGreaterThan(since);
            List<JsonObject> upToBeat = quiet.upTo(f -> "heartbeat".equals(f.getString("type"))
                    && f.getJsonObject("data").getLong("seq") >= busyNewest, WAIT);
            resumeFrom = upToBeat.getLast().getJsonObject("data").getLong("seq");
            assertThat(upToBeat).as("none of the busy workspace's events, before the heartbeat past them")
                    .noneMatch(f -> f.getLong("seq") != null);
            assertThat(quiet.drain(Duration.ofMillis(200))).as("nor after it")
                    .noneMatch(f -> f.getLong("seq") != null);
        }
        long horizon = pruneThrough(resumeFrom);
        await().atMost(WAIT).until(() -> feed.prunedThrough() == horizon);
        inbox.say("q1", "c9", "Quinn", "the quiet workspace speaks");

        try (StreamClient back = StreamClient.connect(admin, resumeFrom)) {
            assertThat(back.next(f -> "ready".equals(f.getString("type")), WAIT).getJsonObject("data")
                    .containsKey("reset")).as("resumed, not reloaded").isFalse();
            assertThat(back.next(f -> "message.created".equals(f.getString("type")), WAIT)
                    .getJsonObject("data").getJsonObject("message").getString("body"))
                    .isEqualTo("the quiet workspace speaks");
        }
    }

    /**
     * The horizon a node holds may trail a pruning by a poll: the subscription itself reads it in the snapshot of
     * the events, and is told rather than fed what is left.
     */
    @Test
    void aSubscriptionCatchingUpFromBelowThePrunedLogIsToldSoAndFedNothing() {
        inbox.say("m1", "c1", "Ann", "pruned away");
        long horizon = pruneThrough(newest());
        inbox.say("m2", "c1", "Ann", "kept");
        Recorder reader = new Recorder();
        feed.subscribe(0, null, reader);
        await().atMost(WAIT).until(() -> reader.told.get() == horizon);
        assertThat(reader.events).isEmpty();
    }

    /**
     * A node that read nothing while the log was pruned past it (cut off from PostgreSQL for days) moves past the
     * gone seqs and tells its subscribers, instead of taking the gap for rolled-back transactions.
     */
    @Test
    void aFeedLeftBehindByThePruningTellsItsSubscribers() throws Exception {
        EventFeed idle = new EventFeed(server.throughline().database().vertx(), server.throughline().database().pool(),
                TimeUnit.HOURS.toMillis(1), 1_000, 1_000);
        idle.start().await(10, TimeUnit.SECONDS);
        try {
            Recorder reader = new Recorder();
            idle.subscribe(idle.position(), null, reader);
            inbox.say("m1", "c1", "Ann", "never read by the idle node");
            long horizon = pruneThrough(newest());
            // A subscriber that already has everything up to the horizon lost nothing, and is not told so.
            Recorder current = new Recorder();
            idle.subscribe(horizon, null, current);

            idle.wake();
            await().atMost(WAIT).until(() -> reader.told.get() == horizon);
            assertThat(reader.events).isEmpty();
            assertThat(idle.position()).isEqualTo(horizon);
            assertThat(idle.prunedThrough()).isEqualTo(horizon);
            inbox.say("m2", "c1", "Ann", "after the pruning");
            idle.wake();
            await().atMost(WAIT).until(() -> current.events.stream()
                    .anyMatch(e -> "message.created".equals(e.type())));
            assertThat(current.told.get()).isEqualTo(-1);
        } finally {
            idle.stop().await(5, TimeUnit.SECONDS);
        }
    }

    /**
     * Nothing happened for longer than the retention, and the pruning emptied the log: a node starting now starts
     * at the horizon, not at 0, so nothing that holds a seq (a search index, a browser tab) looks ahead of the
     * database or behind the pruning.
     */
    @Test
    void aNodeStartingOnALogThePruningEmptiedStartsAtTheHorizon() throws Exception {
        inbox.say("m1", "c1", "Ann", "long ago");
        long horizon = pruneThrough(newest());
        assertThat(sql.single("SELECT count(*) AS n FROM events").getLong("n")).isZero();
        assertThat(feed.newestStored().await(10, TimeUnit.SECONDS)).isEqualTo(horizon);

        EventFeed starting = new EventFeed(server.throughline().database().vertx(),
                server.throughline().database().pool(), 50, 1_000, 1_000);
        starting.start().await(10, TimeUnit.SECONDS);
        try {
            assertThat(starting.position()).isEqualTo(horizon);
            Recorder reader = new Recorder();
            starting.subscribe(horizon, null, reader);
            inbox.say("m2", "c1", "Ann", "today");
            starting.wake();
            await().atMost(WAIT).until(() -> reader.events.stream()
                    .anyMatch(e -> "message.created".equals(e.type())));
            assertThat(reader.told.get()).as("a subscriber at the horizon lost nothing").isEqualTo(-1);
        } finally {
            starting.stop().await(5, TimeUnit.SECONDS);
        }
    }

    /** A subscriber that keeps what it is fed, and the horizon it is told it fell below (-1 until then). */
    private static final class Recorder implements EventListener {
        final List<Event> events = new CopyOnWriteArrayList<>();
        final AtomicLong told = new AtomicLong(-1);

        @Override
        public void onEvents(List<Event> batch) {
            events.addAll(batch);
        }

        @Override
        public void onPruned(long prunedThrough) {
            told.set(prunedThrough);
        }
    }

    private long prunedThrough() {
        return sql.single("SELECT pruned_through FROM event_horizon").getLong("pruned_through");
    }

    private long newest() {
        return sql.single("SELECT max(seq) AS s FROM events").getLong("s");
    }

    private void age(String condition, long seq) {
        sql.update("UPDATE events SET created_at = now() - interval '31 days' WHERE " + condition, seq);
    }

    /** Makes every event through {@code seq} older than the retention and prunes; returns the horizon. */
    private long pruneThrough(long seq) {
        age("seq <= $1", seq);
        assertThat(server.throughline().eventRetention().prune()).isPositive();
        long horizon = prunedThrough();
        assertThat(horizon).isEqualTo(seq);
        return horizon;
    }
}
