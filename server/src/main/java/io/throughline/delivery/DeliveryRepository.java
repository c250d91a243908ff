package io.throughline.delivery;

import io.throughline.store.Sql;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** SQL for the outbox. */
public final class DeliveryRepository {

    private static final Logger log = LoggerFactory.getLogger(DeliveryRepository.class);

    /** The advisory lock key claims take turns on ("tl-claim" as a number): {@link #claim}. */
    private static final long CLAIM_LOCK = 0x746c2d636c61696dL;
    /** A claim takes milliseconds; one idle inside its transaction this long is a stalled node. */
    static final int CLAIM_STALL_SECONDS = 15;
    private static final String CLAIMED_COLUMNS = "d.id, d.workspace_id, d.message_id, m.conversation_id,"
            + " d.inbox_id, d.channel, d.target, d.attempts, d.asked_waits, d.condition,"
            + " d.metadata -> 'progress' AS progress, i.updated_at AS inbox_updated_at";

    /**
     * A delivery to send now. A fallback still waiting to reach the same address through the same inbox (a chat
     * reply the customer has not seen) is released at once, without its wait for the customer to leave the chat,
     * and this delivery goes out after it ({@link #claim}): mail is being written to that address now, so the reply
     * the customer missed comes first and the mail thread reads in the order the replies were written. It is still
     * skipped if the customer sees it in the chat before it goes.
     */
    public long insert(Sql tx, long workspaceId, long messageId, long inboxId, String channel, JsonObject target) {
        long id = tx.single("""
                INSERT INTO deliveries (workspace_id, message_id, inbox_id, channel, target)
                VALUES ($1, $2, $3, $4, $5) RETURNING id""", workspaceId, messageId, inboxId, channel, target)
                .getLong("id");
        tx.update("""
                UPDATE deliveries SET next_attempt_at = least(next_attempt_at, now()),
                    condition = condition - 'awayFor', updated_at = now()
                WHERE workspace_id = $1 AND inbox_id = $2 AND status = 'pending' AND condition IS NOT NULL
                  AND target ->> 'value' = $3 AND target ->> 'kind' = $4 AND id < $5""",
                workspaceId, inboxId, target.getString("value"), target.getString("kind"), id);
        return id;
    }

    /** A delivery that waits until {@code notBefore} and is sent only if {@code condition} still holds then. */
    public long insertScheduled(Sql tx, long workspaceId, long messageId, long inboxId, String channel,
                                JsonObject target, Instant notBefore, JsonObject condition) {
        return tx.single("""
                INSERT INTO deliveries (workspace_id, message_id, inbox_id, channel, target, next_attempt_at, condition)
                VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id""", workspaceId, messageId, inboxId, channel, target,
                notBefore, condition).getLong("id");
    }

    /**
     * Skips the pending conditional deliveries of a conversation (a newer fallback carries their messages in its
     * transcript); returns the ids of the messages they belonged to.
     */
    public List<Long> skipPendingConditional(Sql tx, long workspaceId, long conversationId, String reason) {
        return tx.list("""
                UPDATE deliveries d SET status = 'skipped', last_error = $3, lease_until = NULL, updated_at = now()
                FROM messages m
                WHERE d.workspace_id = $1 AND m.id = d.message_id AND m.conversation_id = $2
                  AND d.condition IS NOT NULL AND d.status = 'pending'
                  AND (d.lease_until IS NULL OR d.lease_until < now())
                RETURNING d.message_id""", r -> r.getLong("message_id"), workspaceId, conversationId, reason);
    }

    /**
     * Ends a message's deliveries still waiting in the outbox (its content was removed): failed with the reason,
     * or skipped for a fallback that was only to be sent if needed. One claimed by a dispatcher is left to it: it
     * refuses to send a message it reads removed ({@link OutboundAssembler#assemble}); one it read before (the
     * send under way) goes out.
     */
    public int stopWaiting(Sql tx, long workspaceId, long messageId, String reason) {
        return tx.update("""
                UPDATE deliveries SET status = CASE WHEN condition IS NULL THEN 'failed' ELSE 'skipped' END,
                    last_error = $3, lease_until = NULL, updated_at = now()
                WHERE workspace_id = $1 AND message_id = $2 AND status = 'pending'
                  AND (lease_until IS NULL OR lease_until < now())""", workspaceId, messageId, reason);
    }

    /**
     * When the message's email copy that still waits unclaimed was scheduled: the moment it took the copies then
     * waiting in ({@link ReplyFallbacks#INCLUDED_LATER}, skipped in its transaction).
     */
    public Optional<Instant> waitingCopyScheduledAt(Sql tx, long workspaceId, long messageId) {
        return tx.one("""
                SELECT created_at FROM deliveries WHERE workspace_id = $1 AND message_id = $2
                  AND condition IS NOT NULL AND status = 'pending' AND (lease_until IS NULL OR lease_until < now())
                ORDER BY id DESC LIMIT 1""", workspaceId, messageId)
                .map(row -> row.getOffsetDateTime("created_at").toInstant());
    }

    /**
     * Puts back the newest of the email copies a later copy took in as it was scheduled at {@code takenInAt}, once
     * that one ended with its own message (removed) and no copy of the conversation waits any more: its transcript
     * carries the others again. Returns the message it belongs to.
     */
    public Optional<Long> reviveIncluded(Sql tx, long workspaceId, long conversationId, Instant takenInAt) {
        return tx.one("""
                UPDATE deliveries d SET status = 'pending', last_error = NULL, lease_until = NULL, updated_at = now()
                WHERE d.id = (
                    SELECT s.id FROM deliveries s JOIN messages m ON m.id = s.message_id
                    WHERE s.workspace_id = $1 AND m.conversation_id = $2 AND s.condition IS NOT NULL
                      AND s.status = 'skipped' AND s.last_error = $3 AND s.updated_at = $4
                      AND m.redacted_at IS NULL
                    ORDER BY m.created_at DESC, m.id DESC LIMIT 1)
                  AND NOT EXISTS (SELECT 1 FROM deliveries p JOIN messages pm ON pm.id = p.message_id
                      WHERE p.workspace_id = $1 AND pm.conversation_id = $2 AND p.condition IS NOT NULL
                        AND p.status = 'pending')
                RETURNING d.message_id""", workspaceId, conversationId, ReplyFallbacks.INCLUDED_LATER, takenInAt)
                .map(row -> row.getLong("message_id"));
    }

    /**
     * Makes an inbox's waiting deliveries due now (the inbox was deleted): the dispatcher claims them at once and
     * ends them with the reason, instead of showing them waiting for a retry that will never be made.
     */
    public int dueNow(Sql tx, long workspaceId, long inboxId) {
        return tx.update("""
                UPDATE deliveries SET next_attempt_at = now(), remote_wait_until = NULL, updated_at = now()
                WHERE workspace_id = $1 AND inbox_id = $2 AND status = 'pending' AND next_attempt_at > now()""",
                workspaceId, inboxId);
    }

    /** Ends a claimed conditional delivery whose condition no longer holds. */
    public boolean markSkipped(Sql tx, Delivery delivery, String reason) {
        return tx.update("""
                UPDATE deliveries SET status = 'skipped', lease_until = NULL, last_error = $3, updated_at = now()
                WHERE id = $1 AND attempts = $2 AND status = 'pending'""",
                delivery.id(), delivery.attempts(), reason) == 1;
    }

    /**
     * Claims due deliveries for this node: counts the attempt and leases the row, so a node that dies mid-send
     * lets another retry it after the lease, unless that was its last attempt ({@link #giveUpAbandoned} ends it).
     * SKIP LOCKED spreads the outbox across nodes without waiting.
     *
     * <p>Replies to one recipient through one inbox go out one after another, in the order they were written: a
     * delivery waits while an older one to the same place is still pending (being sent, or waiting to retry after
     * a flood limit or an outage), so two quick replies never arrive swapped. A conditional delivery (an email
     * fallback) holds the ones after it up once it is due, or once a newer mail to its address released it (it
     * has no wait for the customer to leave any more, {@link #insert}), through its retries too; one still
     * waiting for its time holds nothing up. Two lookups, so that each uses its partial index (V091 for plain
     * deliveries; the pending conditional ones are few).
     *
     * <p>One inbox has at most {@code perInbox} sends in flight at a time across all nodes
     * ({@code outbox.inboxConcurrency}): a send in flight is a pending delivery under a live lease, and an inbox
     * with that many is left out. Otherwise a channel that hangs (an SMTP server that accepts connections and never
     * answers) would hold every slot until its timeouts, and no chat or Telegram reply would go out meanwhile; and
     * each node added would give it as many more. Claims take turns on an advisory lock, so two nodes claiming at
     * once never both fill the same room: each claim sees the leases the one before it committed. A claim takes
     * milliseconds, and sends happen outside it; its times are the statement's, not the transaction's, so a wait
     * for the lock shortens no lease. A node that dies with an inbox's sends in flight holds that inbox's room until
     * their leases run out ({@code outbox.lease}), as it holds those sends.
     */
    public List<Delivery> claim(Sql tx, int limit, Duration lease, int perInbox, int maxAttempts,
                                int askedWaitsPerAttempt) {
        // A node that stalls holding the lock (a paused VM, a network cut before COMMIT) would stop every node's
        // sending until TCP gave up on it, hours later: PostgreSQL ends its transaction instead.
        tx.update("SET LOCAL idle_in_transaction_session_timeout = '" + CLAIM_STALL_SECONDS + "s'");
        tx.single("SELECT pg_advisory_xact_lock($1)::text AS locked", CLAIM_LOCK);
        return tx.list("""
                WITH in_flight AS (
                    SELECT inbox_id, count(*) AS sending FROM deliveries
                    WHERE status = 'pending' AND lease_until IS NOT NULL AND lease_until >= statement_timestamp()
                    GROUP BY inbox_id
                ), candidate AS (
                    SELECT d.id, d.inbox_id, d.next_attempt_at FROM deliveries d
                    WHERE d.status = 'pending' AND d.next_attempt_at <= statement_timestamp()
                      AND d.inbox_id NOT IN (SELECT inbox_id FROM in_flight WHERE sending >= $3)
                      AND (d.lease_until IS NULL OR d.lease_until < statement_timestamp()
                           AND (d.attempts - d.asked_waits) * $5 + d.asked_waits < $4 * $5)
                      AND NOT EXISTS (
                          SELECT 1 FROM deliveries e
                          WHERE e.status = 'pending' AND e.condition IS NULL AND e.inbox_id = d.inbox_id
                            AND e.target ->> 'value' = d.target ->> 'value'
                            AND e.target ->> 'kind' = d.target ->> 'kind' AND e.id < d.id)
                      AND NOT EXISTS (
                          SELECT 1 FROM deliveries e
                          WHERE e.status = 'pending' AND e.condition IS NOT NULL
                            AND (e.condition ->> 'awayFor' IS NULL OR e.next_attempt_at <= statement_timestamp())
                            AND e.inbox_id = d.inbox_id
                            AND e.target ->> 'value' = d.target ->> 'value'
                            AND e.target ->> 'kind' = d.target ->> 'kind' AND e.id < d.id)
                    ORDER BY d.next_attempt_at, d.id LIMIT $1 * 4
                ), ranked AS (
                    SELECT c.id, row_number() OVER (PARTITION BY c.inbox_id ORDER BY c.next_attempt_at, c.id) AS rank,
                           $3 - coalesce(f.sending, 0) AS room
                    FROM candidate c LEFT JOIN in_flight f ON f.inbox_id = c.inbox_id
                ), due AS (
                    SELECT d.id FROM deliveries d JOIN ranked r ON r.id = d.id
                    WHERE r.rank <= r.room AND d.status = 'pending' AND d.next_attempt_at <= statement_timestamp()
                      AND (d.lease_until IS NULL OR d.lease_until < statement_timestamp()
                           AND (d.attempts - d.asked_waits) * $5 + d.asked_waits < $4 * $5)
                    ORDER BY d.next_attempt_at, d.id LIMIT $1
                    FOR UPDATE OF d SKIP LOCKED
                ), claimed AS (
                    UPDATE deliveries d SET attempts = d.attempts + 1,
                        lease_until = statement_timestamp() + make_interval(secs => $2),
                        updated_at = statement_timestamp()
                    FROM due WHERE d.id = due.id
                    RETURNING d.*
                )
                SELECT""" + " " + CLAIMED_COLUMNS + " FROM claimed d JOIN messages m ON m.id = d.message_id"
                + " LEFT JOIN inboxes i ON i.id = d.inbox_id",
                Delivery::from, limit, lease.toMillis() / 1000.0, perInbox, maxAttempts, askedWaitsPerAttempt);
    }

    /**
     * Fails the deliveries whose last claim ran out of its lease with no outcome written (the node sending them died,
     * or could not record the answer) once their attempts are spent: the claim never looks at attempts, so one that
     * kills its node (or whose outcome cannot be saved) was sent again every lease, for ever, holding back every
     * later reply to its recipient. Attempts are weighed as a failure's are (a wait the receiver asked for counts
     * {@code 1 / askedWaitsPerAttempt}); {@link #claim} leaves them alone meanwhile. A node that was only cut off
     * from the database (its renewals failing) and sent it after all still records "sent" over this
     * ({@link #markSent}). Returns them, for their events.
     */
    public List<Delivery> giveUpAbandoned(Sql tx, int maxAttempts, int askedWaitsPerAttempt) {
        return tx.list("""
                WITH given_up AS (
                    UPDATE deliveries d SET status = 'failed', lease_until = NULL, updated_at = statement_timestamp(),
                        last_error = 'gave up after ' || d.attempts || ' attempts: the node sending it stopped'
                            || ' before it recorded the outcome (it may have gone out)',
                        metadata = d.metadata || '{"abandoned": true}'
                    WHERE d.status = 'pending' AND d.lease_until IS NOT NULL
                      AND d.lease_until < statement_timestamp()
                      AND (d.attempts - d.asked_waits) * $2 + d.asked_waits >= $1 * $2
                    RETURNING d.*
                )
                SELECT""" + " " + CLAIMED_COLUMNS + " FROM given_up d JOIN messages m ON m.id = d.message_id"
                + " LEFT JOIN inboxes i ON i.id = d.inbox_id",
                Delivery::from, maxAttempts, askedWaitsPerAttempt);
    }

    /** Extends the lease of a send still in flight; false when it was lost (another attempt owns the row now). */
    public boolean renewLease(Sql sql, Delivery delivery, Duration lease) {
        return sql.update("""
                UPDATE deliveries SET lease_until = now() + make_interval(secs => $3)
                WHERE id = $1 AND attempts = $2 AND status = 'pending' AND lease_until IS NOT NULL""",
                delivery.id(), delivery.attempts(), (double) lease.toMillis() / 1000) == 1;
    }

    /** Saves a send's progress as it goes (see DeliveryProgress); false when this attempt lost the delivery. */
    public boolean saveProgress(Sql sql, Delivery delivery, JsonObject progress) {
        return sql.update("""
                UPDATE deliveries SET metadata = jsonb_set(metadata, '{progress}', $3), updated_at = now()
                WHERE id = $1 AND attempts = $2 AND status = 'pending'""",
                delivery.id(), delivery.attempts(), progress) == 1;
    }

    /**
     * Records success; false when the lease was lost to another node meanwhile (its attempt counts instead). Also
     * over a give-up of this very attempt as cut off ({@link #giveUpAbandoned}): this node was only away from the
     * database, and the reply did go out. A report about the delivery that came before it was recorded
     * ({@link #keepEarly}) is applied now, in order.
     */
    public boolean markSent(Sql tx, Delivery delivery, String externalId, JsonObject metadata) {
        if (externalId != null) {
            lockReports(tx, delivery.inboxId(), externalId);
        }
        boolean sent = tx.update("""
                UPDATE deliveries SET status = 'sent', lease_until = NULL, external_id = $3,
                    metadata = (metadata - 'progress' - 'abandoned') || $4,
                    last_error = NULL, sent_at = now(), updated_at = now()
                WHERE id = $1 AND attempts = $2
                  AND (status = 'pending' OR status = 'failed' AND metadata ? 'abandoned')""",
                delivery.id(), delivery.attempts(), externalId, metadata) == 1;
        if (sent && externalId != null) {
            List<Row> early = tx.list("""
                    DELETE FROM early_delivery_reports WHERE inbox_id = $1 AND external_id = $2
                    RETURNING id, status, reason, report_id, recipients""", r -> r, delivery.inboxId(), externalId);
            early.stream().sorted(Comparator.comparingLong(r -> r.getLong("id"))).forEach(report -> {
                boolean applied = markReported(tx, delivery.inboxId(), externalId,
                        DeliveryStatus.valueOf(report.getString("status").toUpperCase(Locale.ROOT)),
                        report.getString("reason"), report.getString("report_id"),
                        report.getArrayOfStrings("recipients")).isPresent();
                log.info("delivery report that came before the send was recorded applied={} delivery={} status={}",
                        applied, delivery.id(), report.getString("status"));
            });
        }
        return sent;
    }

    /**
     * Serialises a report about an external id with the recording of its delivery as sent: without it, a report
     * read while "sent" was written but not committed would find neither the sent delivery nor, once kept, anyone
     * to apply it.
     */
    public void lockReports(Sql tx, long inboxId, String externalId) {
        tx.lockKey("delivery-report:" + inboxId + ":" + externalId);
    }

    /**
     * Keeps a report that matched no delivery ({@link #markReported}) when none of the inbox has its external id yet,
     * or the one that has it waits to go again (an agent's retry, sent with the same id): the delivery may be going
     * out at this moment, its "sent" not recorded. Whether it was kept (a report applied before is not applied
     * again: its id is on the delivery). Reports kept for
     * seven days whose delivery never came are dropped here.
     */
    public boolean keepEarly(Sql tx, long inboxId, String externalId, DeliveryStatus status, String reason,
                             String reportId, String[] recipients) {
        tx.update("DELETE FROM early_delivery_reports WHERE received_at < now() - interval '7 days'");
        return tx.update("""
                INSERT INTO early_delivery_reports (inbox_id, external_id, status, reason, report_id, recipients)
                SELECT $1, $2, $3, $4, $5, $6
                WHERE NOT EXISTS (SELECT 1 FROM deliveries WHERE inbox_id = $1 AND external_id = $2
                                  AND status <> 'pending')
                  AND NOT EXISTS (SELECT 1 FROM early_delivery_reports
                                  WHERE inbox_id = $1 AND external_id = $2 AND status = $3
                                    AND report_id IS NOT DISTINCT FROM $5)""",
                inboxId, externalId, status.wireName(), reason, reportId, recipients) == 1;
    }

    /**
     * Records a failed attempt that is tried again after {@code wait}.
     *
     * @param asked true when the receiving side asked for the wait (a flood limit), false for the outbox's backoff
     */
    public boolean markRetry(Sql tx, Delivery delivery, Duration wait, String error, boolean asked) {
        return tx.update("""
                UPDATE deliveries SET lease_until = NULL, last_error = $3,
                    next_attempt_at = now() + make_interval(secs => $4),
                    remote_wait_until = CASE WHEN $5 THEN now() + make_interval(secs => $4) END,
                    asked_waits = asked_waits + CASE WHEN $5 THEN 1 ELSE 0 END, updated_at = now()
                WHERE id = $1 AND attempts = $2 AND status = 'pending'""",
                delivery.id(), delivery.attempts(), error, wait.toMillis() / 1000.0, asked) == 1;
    }

    /**
     * A channel handed the delivery back untried: it waits {@code wait}, and the attempt its claim counted is given
     * back.
     */
    public boolean handBack(Sql tx, Delivery delivery, Duration wait, String reason) {
        return tx.update("""
                UPDATE deliveries SET lease_until = NULL, attempts = attempts - 1, last_error = $3,
                    next_attempt_at = now() + make_interval(secs => $4), remote_wait_until = NULL,
                    updated_at = now()
                WHERE id = $1 AND attempts = $2 AND status = 'pending'""",
                delivery.id(), delivery.attempts(), reason, wait.toMillis() / 1000.0) == 1;
    }

    /**
     * A conditional delivery that is not due yet after all (the customer came back to the chat): it waits until
     * {@code at}, and the attempt its claim counted is given back. One that a newer mail released while it was
     * being checked (its wait for the customer is gone) is due now instead: the check read the old condition.
     * A node whose clock runs behind the database's computes an {@code at} already due: it waits at least a second,
     * or it would be claimed and postponed again at once until that clock caught up.
     */
    public boolean postpone(Sql tx, Delivery delivery, Instant at) {
        return tx.update("""
                UPDATE deliveries SET lease_until = NULL, attempts = attempts - 1,
                    next_attempt_at = CASE WHEN condition ->> 'awayFor' IS NULL THEN now()
                        ELSE greatest($3, now() + interval '1 second') END,
                    updated_at = now()
                WHERE id = $1 AND attempts = $2 AND status = 'pending'""",
                delivery.id(), delivery.attempts(), at) == 1;
    }

    /**
     * Whether a reply of this conversation went out to this address: an answer from it that carries the thread's
     * headers proves the customer owns it (the round trip is the proof), though they only claimed it before.
     */
    public boolean reached(Sql sql, long workspaceId, long conversationId, String kind, String value) {
        return sql.one("""
                SELECT 1 FROM deliveries d JOIN messages m ON m.id = d.message_id
                WHERE d.workspace_id = $1 AND m.conversation_id = $2 AND d.target ->> 'kind' = $3
                  AND d.target ->> 'value' = $4 AND d.status IN ('sent', 'delivered') LIMIT 1""",
                workspaceId, conversationId, kind, value).isPresent();
    }

    public boolean markFailed(Sql tx, Delivery delivery, String error) {
        return tx.update("""
                UPDATE deliveries SET status = 'failed', lease_until = NULL, last_error = $3, updated_at = now()
                WHERE id = $1 AND attempts = $2 AND status = 'pending'""",
                delivery.id(), delivery.attempts(), error) == 1;
    }

    /**
     * A channel's later report (a bounce, a delivery notice) about the delivery it gave this external id. It moves
     * only a delivery that went out: to failed from sent or delivered, to delivered from sent. One pending again (an
     * agent's retry) is left to its new attempt, and a report whose id the delivery already took (a bounce read again
     * after a retry was sent) is not applied twice; the ids taken are kept in the delivery's metadata. A report
     * naming recipients applies only when the delivery's is among them (see {@link
     * io.throughline.connector.DeliveryReport#recipients}).
     */
    public Optional<Row> markReported(Sql tx, long inboxId, String externalId, DeliveryStatus status, String reason,
                                      String reportId, String[] recipients) {
        return tx.one("""
                UPDATE deliveries d SET status = $3, last_error = CASE WHEN $3 = 'failed' THEN $4 ELSE d.last_error END,
                    metadata = CASE WHEN $5::text IS NULL THEN d.metadata ELSE jsonb_set(d.metadata, '{reports}',
                        COALESCE(d.metadata -> 'reports', '[]'::jsonb) || to_jsonb($5::text)) END,
                    updated_at = now()
                FROM messages m
                WHERE d.inbox_id = $1 AND d.external_id = $2 AND m.id = d.message_id
                  AND CASE WHEN $3 = 'failed' THEN d.status IN ('sent', 'delivered') ELSE d.status = 'sent' END
                  AND ($5::text IS NULL OR NOT COALESCE(d.metadata -> 'reports', '[]'::jsonb) ? $5::text)
                  AND (COALESCE(cardinality($6::text[]), 0) = 0 OR EXISTS (SELECT 1 FROM unnest($6::text[]) r
                       WHERE lower(r) = lower(d.target ->> 'value')))
                RETURNING d.workspace_id, d.message_id, m.conversation_id""",
                inboxId, externalId, status.wireName(), reason, reportId, recipients);
    }

    /**
     * Puts a failed delivery of a message back in the queue with a fresh attempt budget: the primary one (the newest
     * unconditional, which the thread shows) when it failed, else a failed email fallback. Ordered as the view picks
     * the primary, since a chat reply's fallback is written after it.
     */
    public Optional<Row> retry(Sql tx, long workspaceId, long messageId) {
        return tx.one("""
                UPDATE deliveries SET status = 'pending', attempts = 0, asked_waits = 0, next_attempt_at = now(),
                    lease_until = NULL, remote_wait_until = NULL, last_error = NULL, updated_at = now(),
                    metadata = metadata - 'abandoned'
                WHERE id = (SELECT id FROM deliveries WHERE workspace_id = $1 AND message_id = $2
                              AND status = 'failed'
                              -- An email copy only once the reply itself is no longer waiting: a second click
                              -- (or a client's retry) after the reply was put back must not send the copy too.
                              AND (condition IS NULL OR NOT EXISTS (SELECT 1 FROM deliveries w
                                   WHERE w.workspace_id = $1 AND w.message_id = $2 AND w.condition IS NULL
                                     AND w.status = 'pending'))
                            ORDER BY condition IS NOT NULL, id DESC LIMIT 1)
                RETURNING id""", workspaceId, messageId);
    }

    /** Whether a delivery of the message (its own, or an email copy) waits in the outbox or is being sent. */
    public boolean waiting(Sql tx, long workspaceId, long messageId) {
        return tx.one("SELECT 1 FROM deliveries WHERE workspace_id = $1 AND message_id = $2"
                + " AND status = 'pending' LIMIT 1", workspaceId, messageId).isPresent();
    }
}
