package io.throughline.delivery;

import io.throughline.config.ThroughlineConfig;
import io.throughline.connector.ChannelInbox;
import io.throughline.connector.DeliveryFailure;
import io.throughline.connector.DeliveryReceipt;
import io.throughline.connector.OutboundMessage;
import io.throughline.conversation.MessageRepository;
import io.throughline.conversation.MessageView;
import io.throughline.ingest.NulBytes;
import io.throughline.realtime.EventLog;
import io.throughline.realtime.EventType;
import io.throughline.store.Database;
import io.throughline.store.Sql;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the outbox (ARCHITECTURE.md rule 7). A loop on a virtual thread claims due deliveries with SKIP LOCKED,
 * sends each on its own virtual thread through its inbox's connector, and records {@code sent}, a retry with
 * backoff, or {@code failed} with the reason, each with a {@code delivery.updated} event agents see.
 *
 * <p>A node that dies between send and commit leaves a leased row; after the lease another node sends it again
 * with the same delivery id, which connectors pass on as the idempotency key.
 */
public final class Dispatcher {

    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    /** How many waits a receiver asks for count as one attempt of {@code outbox.maxAttempts}. */
    static final int ASKED_WAITS_PER_ATTEMPT = 10;
    /** Longer receiver ids are not kept: a btree entry must stay well under 2,700 bytes (4 per character). */
    private static final int MAX_EXTERNAL_ID = 500;
    /** Why a reply waits while its inbox is disabled: enabling the inbox releases the ones that say so. */
    public static final String PAUSED = "the inbox is disabled: the reply goes out once it is enabled again";
    /** How often a reply whose inbox is paused looks again (enabling the inbox makes it due at once). */
    static final Duration PAUSED_WAIT = Duration.ofMinutes(15);
    /** A failure's reason as agents see it; a connector's own texts are far shorter. */
    private static final int MAX_REASON = 2_000;
    private static final Duration MAX_ASKED_WAIT = Duration.ofHours(1);
    private static final long RECORD_FIRST_WAIT_MS = 100;
    private static final long RECORD_MAX_WAIT_MS = 2_000;

    private final Database database;
    private final DeliveryRepository deliveries;
    private final OutboundAssembler assembler;
    private final OpenInboxes inboxes;
    private final EventLog events;
    private final MessageRepository messages;
    private final MessageView views;
    private final ThroughlineConfig.Outbox config;
    private final LiveChannels live;
    private final Clock clock;
    private final Backoff backoff;
    private final Semaphore slots;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wakeup = lock.newCondition();
    private boolean woken;
    private volatile boolean running;
    /** When outcomes the database refuses stop being tried again: the end of a shutdown's grace, once stopping. */
    private volatile boolean stopping;
    private volatile long giveUpAtNanos;
    private Thread loop;
    /** The kind of the last Error the claim loop met, whose trace is logged once (see run). */
    private Class<?> lastError;

    public Dispatcher(Database database, DeliveryRepository deliveries, OutboundAssembler assembler,
                      OpenInboxes inboxes, EventLog events, MessageRepository messages, MessageView views,
                      ThroughlineConfig.Outbox config, LiveChannels live, Clock clock) {
        this.database = database;
        this.live = live;
        this.clock = clock;
        this.deliveries = deliveries;
        this.assembler = assembler;
        this.inboxes = inboxes;
        this.events = events;
        this.messages = messages;
        this.views = views;
        this.config = config;
        this.backoff = new Backoff(config.initialBackoff(), config.maxBackoff());
        this.slots = new Semaphore(config.concurrency());
    }

    public void start() {
        running = true;
        loop = Thread.ofVirtual().name("outbox-dispatcher").start(this::run);
    }

    /** A reply was committed on this node: look now rather than at the next poll. */
    public void wake() {
        lock.lock();
        try {
            woken = true;
            wakeup.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Claims nothing more; the sends in flight go on. The first step of a shutdown. */
    public void stopClaiming() {
        running = false;
        wake();
    }

    /** Stops claiming and waits up to {@code grace} for sends in flight; unfinished ones are retried after lease. */
    public void stop(Duration grace) {
        giveUpAtNanos = System.nanoTime() + grace.toNanos();
        stopping = true;
        stopClaiming();
        try {
            if (loop != null) {
                loop.join(grace);
            }
            if (slots.tryAcquire(config.concurrency(), grace.toMillis(), TimeUnit.MILLISECONDS)) {
                slots.release(config.concurrency());
            } else {
                log.warn("outbox stopped with sends in flight; after their lease they are retried, or failed when"
                        + " that was their last attempt");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        while (running) {
            try {
                int free = slots.availablePermits();
                List<Delivery> claimed = free == 0 ? List.of() : database.tx(tx -> {
                    giveUpAbandoned(tx);
                    return deliveries.claim(tx, free, config.lease(), config.inboxConcurrency(),
                            config.maxAttempts(), ASKED_WAITS_PER_ATTEMPT);
                });
                for (Delivery delivery : claimed) {
                    slots.acquireUninterruptibly();
                    Thread.ofVirtual().name("outbox-send-" + delivery.id()).start(() -> {
                        try {
                            send(delivery);
                        } finally {
                            slots.release();
                            wake();
                        }
                    });
                }
                if (claimed.isEmpty() || slots.availablePermits() == 0) {
                    await(config.pollInterval());
                }
            } catch (RuntimeException e) {
                log.warn("outbox claim failed, retrying: {}", e.getMessage());
                await(config.pollInterval());
            } catch (Error e) {
                // A class that failed to load (a jar replaced under a running node), memory short for a moment:
                // the loop ended silently, and this node sent nothing more while it looked healthy. The trace is
                // logged once per kind of error: one that keeps coming would write it every poll.
                if (!e.getClass().equals(lastError)) {
                    log.error("outbox claim failed with an error, retrying every {}", config.pollInterval(), e);
                    lastError = e.getClass();
                } else {
                    log.error("outbox claim failed again, retrying: {}", e.toString());
                }
                await(config.pollInterval());
            }
        }
    }

    /** Ends the deliveries whose every attempt was cut off with its node (see DeliveryRepository#giveUpAbandoned). */
    private void giveUpAbandoned(Sql tx) {
        for (Delivery delivery : deliveries.giveUpAbandoned(tx, config.maxAttempts(), ASKED_WAITS_PER_ATTEMPT)) {
            appendUpdated(tx, delivery);
            log.warn("delivery failed: its sends were cut off before their outcome was recorded delivery={}"
                    + " message={} inbox={} attempts={}", delivery.id(), delivery.messageId(), delivery.inboxId(),
                    delivery.attempts());
        }
    }

    private void await(Duration timeout) {
        lock.lock();
        try {
            if (!woken && running) {
                wakeup.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
            }
            woken = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    void send(Delivery delivery) {
        boolean handedOver = false;
        try {
            Optional<DeliveryCondition> condition = DeliveryCondition.from(delivery.condition());
            if (condition.isPresent()) {
                DeliveryCondition.Verdict verdict = condition.get().check(database.sql(), delivery.workspaceId(),
                        delivery.target(), live, clock.instant());
                if (verdict instanceof DeliveryCondition.Verdict.Skip(String reason)) {
                    record(delivery, tx -> deliveries.markSkipped(tx, delivery, reason));
                    log.info("delivery skipped delivery={} message={} inbox={} reason={}", delivery.id(),
                            delivery.messageId(), delivery.inboxId(), reason);
                    return;
                }
                if (verdict instanceof DeliveryCondition.Verdict.Later(Instant at, String reason)) {
                    record(delivery, tx -> deliveries.postpone(tx, delivery, at));
                    log.info("delivery postponed delivery={} message={} inbox={} until={} reason={}", delivery.id(),
                            delivery.messageId(), delivery.inboxId(), at, reason);
                    return;
                }
            }
            OutboundMessage message;
            try {
                message = assembler.assemble(database.sql(), delivery);
            } catch (DeliveryFailure removed) {
                if (delivery.condition() != null) {
                    // A fallback only to be sent if needed is not needed now: skipped, as waiting ones are.
                    record(delivery, tx -> deliveries.markSkipped(tx, delivery, removed.getMessage()));
                    log.info("delivery skipped delivery={} message={} inbox={} reason={}", delivery.id(),
                            delivery.messageId(), delivery.inboxId(), removed.getMessage());
                    return;
                }
                throw removed;
            }
            // The lease is kept from here: reopening an inbox whose settings changed may take a while.
            AtomicBoolean ended = new AtomicBoolean();
            Thread keeper = Thread.ofVirtual().name("outbox-lease-" + delivery.id())
                    .start(() -> keepLease(delivery, ended));
            try {
                ChannelInbox inbox = inboxes.sender(delivery.inboxId(), delivery.inboxUpdatedAt())
                        .orElseThrow(() -> unavailable(delivery));
                handedOver = true;
                DeliveryReceipt receipt = inbox.send(message);
                String externalId = storableId(delivery, receipt.externalId());
                JsonObject metadata = NulBytes.strip(receipt.metadata());
                // The lease is kept until "sent" is written: a write the database failed is tried again, and no
                // other claim may send the reply a second time meanwhile.
                record(delivery, tx -> deliveries.markSent(tx, delivery, externalId, metadata));
            } finally {
                ended.set(true);
                keeper.interrupt();
            }
            log.info("delivery sent delivery={} message={} inbox={} attempt={}", delivery.id(),
                    delivery.messageId(), delivery.inboxId(), delivery.attempts());
        } catch (DeliveryFailure failure) {
            failed(delivery, failure);
        } catch (Throwable e) {
            if (!handedOver && Database.isTransient(e)) {
                // The reply's reads failed before its channel had it (a connection cut, a failover): nothing was
                // tried, so no attempt counts, and the agent is not shown a driver's exception as the reason.
                log.warn("delivery not tried: the database failed before the send delivery={} inbox={}: {}",
                        delivery.id(), delivery.inboxId(), e.toString());
                failed(delivery, DeliveryFailure.notAttempted("the database did not answer before the send", null));
                return;
            }
            // Also a checked exception a connector let through undeclared (Future.await() does that), a stack
            // overflow on hostile input, a class that failed to load: the attempt must be recorded, or the delivery
            // sits claimed until its lease runs out, is claimed again, never ends, and holds back every later reply
            // to its recipient. A machine error (out of memory) still goes on up once the attempt is recorded.
            log.error("delivery crashed in its connector delivery={} inbox={}", delivery.id(), delivery.inboxId(), e);
            failed(delivery, DeliveryFailure.retryable("internal error: " + e, e));
            if (e instanceof VirtualMachineError fatal && !(e instanceof StackOverflowError)) {
                throw fatal;
            }
        }
    }

    /**
     * Extends the lease every third of it while the connector sends: a slow server (an SMTP host answering
     * line by line within its timeouts, a webhook taking its time) must not let the lease run out and another
     * claim send the same reply again. If this node dies, the renewals stop and the lease runs out as before.
     */
    private void keepLease(Delivery delivery, AtomicBoolean ended) {
        long everyMs = Math.max(1, config.lease().toMillis() / 3);
        // The flag, not only the interrupt: a renewal under way when the send ends may swallow the interrupt (a
        // database call waiting on a latch), and a keeper that missed it would renew the lease for ever.
        while (!ended.get() && !Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(everyMs);
                if (!deliveries.renewLease(database.sql(), delivery, config.lease())) {
                    // Its outcome was written a moment ago (the keeper is stopped right after), or another attempt
                    // owns the delivery now, which the outcome's write will say.
                    log.debug("delivery lease not renewed delivery={} attempt={}", delivery.id(), delivery.attempts());
                    return;
                }
            } catch (InterruptedException e) {
                return; // the send ended
            } catch (RuntimeException e) {
                // A database hiccup: the next renewal, a third of a lease later, may well succeed.
                if (!ended.get() && !Thread.currentThread().isInterrupted()) {
                    log.warn("delivery lease not renewed delivery={}: {}", delivery.id(), e.toString());
                }
            }
        }
    }

    /**
     * Why this node has no sender for the delivery's inbox. A deleted inbox fails the reply; a disabled one keeps it
     * waiting, its attempts untouched, until the inbox is enabled again (which makes it due at once): an admin
     * pausing an inbox through a receiver's outage must not fail every reply that came due meanwhile.
     */
    private DeliveryFailure unavailable(Delivery delivery) {
        Optional<Boolean> enabled = database.sql().one(
                "SELECT enabled FROM inboxes WHERE id = $1 AND deleted_at IS NULL", delivery.inboxId())
                .map(row -> row.getBoolean("enabled"));
        if (enabled.isEmpty()) {
            return DeliveryFailure.permanent("the inbox was deleted");
        }
        return enabled.get() ? DeliveryFailure.retryable("the inbox is not open on this node yet", null)
                : DeliveryFailure.notAttempted(PAUSED, PAUSED_WAIT);
    }

    /**
     * The receiver's id for a sent delivery as PostgreSQL can keep it: without U+0000, and none at all when longer
     * than {@value #MAX_EXTERNAL_ID} characters (an index entry has a size limit). An outcome that cannot be written
     * would leave the delivery claimed until its lease ran out, to be sent again, and again.
     */
    private static String storableId(Delivery delivery, String externalId) {
        String id = NulBytes.strip(externalId);
        if (id != null && id.length() > MAX_EXTERNAL_ID) {
            log.warn("delivery sent but the receiver's id is too long to keep delivery={} length={}", delivery.id(),
                    id.length());
            return null;
        }
        return id;
    }

    private void failed(Delivery delivery, DeliveryFailure failure) {
        String message = NulBytes.strip(failure.getMessage());
        String reason = message == null ? "unknown error"
                : message.length() > MAX_REASON ? message.substring(0, MAX_REASON) + "…" : message;
        // A wait the receiver asks for is honoured up to an hour: a retry_after of 2^31 s would hold the reply
        // for decades, pending.
        Duration askedWait = failure.retryAfter() == null ? null
                : failure.retryAfter().compareTo(MAX_ASKED_WAIT) > 0 ? MAX_ASKED_WAIT : failure.retryAfter();
        if (!failure.attempted()) {
            // Handed back (the channel's line was full, or its account cannot send now): it waits, and its attempt
            // is given back.
            Duration wait = askedWait != null ? askedWait : backoff.after(1);
            record(delivery, tx -> deliveries.handBack(tx, delivery, wait, reason));
            log.info("delivery handed back, waiting for its channel delivery={} message={} inbox={} in={}ms reason={}",
                    delivery.id(), delivery.messageId(), delivery.inboxId(), wait.toMillis(), reason);
            return;
        }
        // A receiver that asked to wait (Telegram's flood control, a 429 or 503 with Retry-After) did not take the
        // message: such an attempt counts a tenth against the budget, so flood control outlasting maxAttempts tries
        // does not fail a reply, while a receiver that never stops asking still ends. The outbox's own backoff
        // grows with the other failures only.
        int asked = delivery.askedWaits() + (failure.retryAfter() != null ? 1 : 0);
        int others = delivery.attempts() - asked;
        boolean giveUp = failure.permanent()
                || others * ASKED_WAITS_PER_ATTEMPT + asked >= config.maxAttempts() * ASKED_WAITS_PER_ATTEMPT;
        if (giveUp) {
            String why = failure.permanent() ? reason
                    : "gave up after " + delivery.attempts() + " attempts: " + reason;
            record(delivery, tx -> deliveries.markFailed(tx, delivery, why));
            log.warn("delivery failed delivery={} message={} inbox={} attempts={} reason={}", delivery.id(),
                    delivery.messageId(), delivery.inboxId(), delivery.attempts(), why);
        } else {
            Duration wait = askedWait != null ? askedWait : backoff.after(Math.max(1, others));
            record(delivery, tx -> deliveries.markRetry(tx, delivery, wait, reason, failure.retryAfter() != null));
            log.info("delivery retry delivery={} message={} inbox={} attempt={} in={}ms reason={}", delivery.id(),
                    delivery.messageId(), delivery.inboxId(), delivery.attempts(), wait.toMillis(), reason);
        }
    }

    /**
     * Writes an outcome and its event in one transaction; a lost lease means another node owns it now. The
     * database's moment (a failover, a dropped connection) is waited out for as long as it lasts, the lease kept
     * meanwhile where the sender keeps it: an outcome not written leaves the delivery to be claimed again when its
     * lease runs out, and a reply that went out would go out twice. Each outcome is fenced by its attempt, so
     * writing it again is safe: once another claim took the delivery over, the write changes nothing. A node
     * shutting down tries until the end of its grace (its pool closes after it).
     */
    private void record(Delivery delivery, Predicate<Sql> outcome) {
        for (long waitMs = RECORD_FIRST_WAIT_MS; ; waitMs = Math.min(waitMs * 2, RECORD_MAX_WAIT_MS)) {
            try {
                write(delivery, outcome);
                return;
            } catch (RuntimeException e) {
                if (!Database.isTransient(e) || stopping && System.nanoTime() - giveUpAtNanos > 0) {
                    // The lease expires and the delivery is retried: at worst a duplicate send with the same key.
                    log.error("cannot record delivery outcome delivery={}", delivery.id(), e);
                    return;
                }
                log.warn("delivery outcome not recorded, trying again delivery={} inMs={}: {}", delivery.id(),
                        waitMs, e.toString());
                try {
                    Thread.sleep(stopping ? Math.max(0, Math.min(waitMs, (giveUpAtNanos - System.nanoTime())
                            / 1_000_000)) : waitMs);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    log.error("cannot record delivery outcome delivery={}: interrupted", delivery.id(), e);
                    return;
                }
            }
        }
    }

    private void write(Delivery delivery, Predicate<Sql> outcome) {
        database.tx(tx -> {
            if (!outcome.test(tx)) {
                log.warn("delivery lease lost delivery={} attempt={}; its newer attempt decides",
                        delivery.id(), delivery.attempts());
                return null;
            }
            appendUpdated(tx, delivery);
            return null;
        });
    }

    private void appendUpdated(Sql tx, Delivery delivery) {
        JsonObject message = messages.viewRowForEvent(tx, delivery.workspaceId(), delivery.messageId())
                .map(row -> views.render(tx, delivery.workspaceId(), row)).orElseThrow();
        // The conversation the message is in now, not at the claim: a merge during the send moved it, and an
        // event for the old one reached no open thread (the reply showed "pending" until a reload).
        events.append(tx, delivery.workspaceId(), EventType.DELIVERY_UPDATED, MessageView.deliveryUpdated(
                message.getLong("conversationId", delivery.conversationId()), delivery.messageId(), message));
    }
}
