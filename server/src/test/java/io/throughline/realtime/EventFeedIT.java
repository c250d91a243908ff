package io.throughline.realtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.store.Database;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The feed's core promise: a subscriber sees every committed event exactly once, in seq order, even when
 * transactions commit out of seq order or roll back.
 */
class EventFeedIT {

    private TestServer server;
    private Database database;
    private EventLog log;
    private final List<Event> seen = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        server = TestServer.start();
        database = server.throughline().database();
        log = server.throughline().eventLog();
        EventFeed feed = server.throughline().eventFeed();
        feed.subscribe(feed.position(), null, seen::addAll);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aLaterSeqCommittedFirstWaitsForTheEarlierOne() throws Exception {
        CountDownLatch appended = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread slow = holding("test.slow", appended, release);
        assertThat(appended.await(5, TimeUnit.SECONDS)).isTrue();
        append("test.fast");

        // The fast event has the higher seq and is committed, but must not be delivered before the slow one.
        await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2))
                .until(() -> seen.stream().noneMatch(e -> e.type().startsWith("test.")));
        release.countDown();
        slow.join();
        await().atMost(Duration.ofSeconds(5)).until(() -> testEvents().size() == 2);
        assertThat(testEvents()).extracting(Event::type).containsExactly("test.slow", "test.fast");
        assertThat(testEvents().get(0).seq()).isLessThan(testEvents().get(1).seq());
    }

    /**
     * Xids and seqs are drawn in different orders: here the transaction holding the earlier seq has the newer xid.
     * While it runs, PostgreSQL's snapshots leave it out of their {@code xmin} (it is above every snapshot's
     * {@code xmax} until a newer transaction completes), so a fence made of a snapshot's {@code xmax} would call the
     * gap rolled back and lose the event.
     */
    @Test
    void aSeqHeldByATransactionWithANewerXidIsWaitedFor() throws Exception {
        CountDownLatch olderHasXid = new CountDownLatch(1);
        CountDownLatch newerHasSeq = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread older = Thread.ofVirtual().start(() -> database.tx(tx -> {
            tx.rows("SELECT pg_current_xact_id()");
            olderHasXid.countDown();
            waitFor(newerHasSeq);
            // Written without ringing the doorbell, like an event from another node whose NOTIFY is on its way: the
            // doorbell's own transaction would complete a newer xid and hide the fault.
            tx.rows("INSERT INTO events (xid, workspace_id, type, data) VALUES (pg_current_xact_id(), 1, $1, '{}')",
                    "test.older-xid");
            return null;
        }));
        assertThat(olderHasXid.await(5, TimeUnit.SECONDS)).isTrue();
        Thread newer = holding("test.newer-xid", newerHasSeq, release);
        older.join();

        await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2))
                .until(() -> seen.stream().noneMatch(e -> e.type().startsWith("test.")));
        release.countDown();
        newer.join();
        await().atMost(Duration.ofSeconds(5)).until(() -> testEvents().size() == 2);
        assertThat(testEvents()).extracting(Event::type).containsExactly("test.newer-xid", "test.older-xid");
    }

    @Test
    void aRolledBackSeqIsSkippedOnceItsTransactionIsGone() {
        try {
            database.tx(tx -> {
                log.append(tx, 1, "test.rolled-back", new JsonObject());
                throw new IllegalStateException("roll back");
            });
        } catch (IllegalStateException expected) {
            // the event's seq is now a permanent gap
        }
        append("test.after");
        await().atMost(Duration.ofSeconds(5)).until(() -> testEvents().size() == 1);
        assertThat(testEvents()).extracting(Event::type).containsExactly("test.after");
    }

    @Test
    void aTransactionHoldingAGapTooLongIsPassedWithoutStallingEveryoneElseAndItsEventComesLate() throws Exception {
        server.close();
        server = TestServer.start(Map.of("realtime.gapTimeout", "300ms"));
        database = server.throughline().database();
        log = server.throughline().eventLog();
        EventFeed feed = server.throughline().eventFeed();
        feed.subscribe(feed.position(), null, seen::addAll);
        List<Event> late = new CopyOnWriteArrayList<>();
        feed.subscribe(feed.position(), null, lateOnly(late));
        CountDownLatch appended = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread stuck = holding("test.stuck", appended, release);
        assertThat(appended.await(5, TimeUnit.SECONDS)).isTrue();
        append("test.later");
        await().atMost(Duration.ofSeconds(5)).until(() -> testEvents().size() == 1);
        assertThat(testEvents()).extracting(Event::type).containsExactly("test.later");
        release.countDown();
        stuck.join();
        await().atMost(Duration.ofSeconds(5)).until(() -> late.stream().anyMatch(e -> e.type().equals("test.stuck")));
        assertThat(late).extracting(Event::type).containsExactly("test.stuck");
        assertThat(testEvents()).as("an in-order subscriber never sees it out of order")
                .extracting(Event::type).containsExactly("test.later");
    }

    /**
     * A gap a transaction holds for seconds is looked at less and less often (each look reads a page of the events
     * behind it): every 5 ms at first, then an eighth of the time it has lasted, up to 250 ms. Its commit still
     * reaches the subscriber at once, woken by the doorbell.
     */
    @Test
    void aGapHeldForSecondsIsLookedAtLessAndLessOften() throws Exception {
        CountDownLatch appended = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread slow = holding("test.held", appended, release);
        assertThat(appended.await(5, TimeUnit.SECONDS)).isTrue();
        append("test.behind");
        EventFeed feed = server.throughline().eventFeed();
        long before = feed.polls();
        // The window measured: how many polls three seconds of a held gap cost (every 5 ms, about 600).
        Thread.sleep(3_000);
        long polls = feed.polls() - before;
        assertThat(testEvents()).as("the gap still holds what is behind it").isEmpty();
        assertThat(polls).as("polls in three seconds of a held gap").isBetween(5L, 120L);
        release.countDown();
        slow.join();
        await().atMost(Duration.ofSeconds(5)).until(() -> testEvents().size() == 2);
        assertThat(testEvents()).extracting(Event::type).containsExactly("test.held", "test.behind");
    }

    /**
     * A seq an earlier run of the node passed, handed back to watch ({@link EventFeed#watch}, as the search index
     * does at its start): an event committed there goes to the late listeners only. Committed while the node was
     * away, it may name a conversation its message has left since, which a live subscriber (a chat) would show.
     */
    @Test
    void anEventAtASeqPassedBeforeARestartGoesToTheLateListenersOnly() throws Exception {
        EventFeed feed = server.throughline().eventFeed();
        List<Event> lateListener = new CopyOnWriteArrayList<>();
        List<Event> lateSubscriber = new CopyOnWriteArrayList<>();
        feed.onLateEvents(lateListener::addAll);
        feed.subscribe(feed.position(), null, lateOnly(lateSubscriber));
        // A seq drawn and left empty, which the feed passes once the event after it commits.
        long passed = database.sql().single("SELECT nextval(pg_get_serial_sequence('events', 'seq')) AS seq")
                .getLong("seq");
        append("test.after-the-passed-seq");
        await().atMost(Duration.ofSeconds(5)).until(() -> testEvents().size() == 1);

        // A transaction that began before the node came back commits an event at that seq.
        CountDownLatch hasXid = new CountDownLatch(1);
        CountDownLatch watching = new CountDownLatch(1);
        Thread away = Thread.ofVirtual().start(() -> database.tx(tx -> {
            tx.rows("SELECT pg_current_xact_id()");
            hasXid.countDown();
            waitFor(watching);
            tx.rows("INSERT INTO events (xid, seq, workspace_id, type, data) OVERRIDING SYSTEM VALUE"
                    + " VALUES (pg_current_xact_id(), $1, 1, 'test.committed-while-away', '{}') RETURNING seq",
                    passed);
            return null;
        }));
        assertThat(hasXid.await(5, TimeUnit.SECONDS)).isTrue();
        feed.watch(List.of(passed)).toCompletionStage().toCompletableFuture().join();
        watching.countDown();
        away.join();
        await().atMost(Duration.ofSeconds(5)).until(() -> lateListener.stream()
                .anyMatch(e -> e.type().equals("test.committed-while-away")));
        // Handed over in the same turn of the feed as the listener's copy: a moment covers it.
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(lateSubscriber::isEmpty);
        assertThat(testEvents()).extracting(Event::type).containsExactly("test.after-the-passed-seq");
    }

    /**
     * A subscriber that fails on a batch is ended as an overflow from before that batch: told where it really is,
     * it starts again from there, instead of its subscription going on past events it never took.
     */
    @Test
    void aListenerThatFailsOnABatchIsEndedAsAnOverflowFromBeforeIt() {
        EventFeed feed = server.throughline().eventFeed();
        append("test.first");
        await().atMost(Duration.ofSeconds(5)).until(() -> testEvents().size() == 1);
        long before = testEvents().getFirst().seq();
        List<Long> overflowAt = new CopyOnWriteArrayList<>();
        List<Event> taken = new CopyOnWriteArrayList<>();
        feed.subscribe(before, null, new EventListener() {
            @Override
            public void onEvents(List<Event> events) {
                if (events.stream().anyMatch(e -> e.type().equals("test.poison"))) {
                    throw new IllegalStateException("cannot take this batch");
                }
                taken.addAll(events);
            }

            @Override
            public void onOverflow(long lastDeliveredSeq) {
                overflowAt.add(lastDeliveredSeq);
            }
        });
        append("test.poison");
        await().atMost(Duration.ofSeconds(5)).until(() -> !overflowAt.isEmpty());
        long poison = testEvents().stream().filter(e -> e.type().equals("test.poison")).findFirst().orElseThrow()
                .seq();
        assertThat(overflowAt.getFirst()).isLessThan(poison).isGreaterThanOrEqualTo(before);
        assertThat(taken).noneMatch(e -> e.type().equals("test.poison"));
    }

    @Test
    void manyConcurrentWritersAreDeliveredCompletelyAndInOrder() throws Exception {
        int writers = 8;
        int each = 40;
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            threads.add(Thread.ofVirtual().start(() -> {
                for (int i = 0; i < each; i++) {
                    int n = i;
                    database.tx(tx -> {
                        log.append(tx, 1, "test.concurrent", new JsonObject().put("writer", writer).put("n", n));
                        return null;
                    });
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> testEvents().size() == writers * each);
        List<Event> events = testEvents();
        for (int i = 1; i < events.size(); i++) {
            assertThat(events.get(i).seq()).isGreaterThan(events.get(i - 1).seq());
        }
    }

    /** A transaction that appends an event, counts {@code appended} down once it has run, and commits on release. */
    private Thread holding(String type, CountDownLatch appended, CountDownLatch release) {
        return Thread.ofVirtual().start(() -> database.tx(tx -> {
            log.append(tx, 1, type, new JsonObject());
            tx.rows("SELECT 1"); // the append is only sent: a later statement's answer means it has run
            appended.countDown();
            waitFor(release);
            return null;
        }));
    }

    /** A subscriber that keeps the late events it is handed (the class's own subscription checks those in order). */
    private static EventListener lateOnly(List<Event> late) {
        return new EventListener() {
            @Override
            public void onEvents(List<Event> events) {
                // in order: the class's subscription checks those
            }

            @Override
            public void onLateEvents(List<Event> events) {
                late.addAll(events);
            }
        };
    }

    private void append(String type) {
        database.tx(tx -> {
            log.append(tx, 1, type, new JsonObject());
            return null;
        });
    }

    private List<Event> testEvents() {
        return seen.stream().filter(e -> e.type().startsWith("test.")).toList();
    }

    private static void waitFor(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
