package io.throughline.widget;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What other parts of the server may ask about widget visitors: whether they are online, when they were last seen,
 * and how far they have read. The email fallback (ARCHITECTURE.md rule 4) uses it to decide whether a reply to a
 * widget visitor who left should go by email. Answers come from PostgreSQL, so they hold across nodes.
 *
 * <p>The same facts arrive as events: {@code visitor.presence_changed} and {@code visitor.seen}.
 */
public interface VisitorActivity {

    /**
     * A visitor's presence and receipts.
     *
     * @param online true while a tab is connected (or within {@code widget.presenceGrace} of the last one closing)
     * @param lastSeenAt when it was last connected: the time it came online while online, else when it left; null
     *     if it never connected
     * @param lastSeenMessageId the newest message the visitor has seen in an open chat, or null
     * @param lastSeenMessageAt when it saw it, or null
     */
    record Status(boolean online, Instant lastSeenAt, Long lastSeenMessageId, Instant lastSeenMessageAt) {

        /** Offline, and for at least {@code duration} (a visitor that never connected counts as away). */
        public boolean awayFor(Duration duration, Instant now) {
            return !online && (lastSeenAt == null || !lastSeenAt.plus(duration).isAfter(now));
        }

        /** Whether the visitor has seen this message, or a later one. */
        public boolean hasSeen(long messageId) {
            return lastSeenMessageId != null && lastSeenMessageId >= messageId;
        }
    }

    /**
     * One visitor, by the value of its {@code widget_visitor} identity (what a widget reply's delivery target and
     * a message's {@code metadata.from.value} hold).
     */
    Optional<Status> visitor(long workspaceId, String visitorId);

    /**
     * All widget visitors of a contact together (one per browser): online if any is, the latest last-seen, the
     * furthest read. Empty when the contact never used the widget.
     */
    Optional<Status> contact(long workspaceId, long contactId);

    /** Whether any widget visitor of the message's conversation has seen it (or a later message). */
    boolean seen(long workspaceId, long messageId);
}
