package io.throughline.widget;

import io.throughline.connector.IdentityKind;
import io.vertx.core.json.JsonObject;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Who is reading through one widget connection, and what they may see (ARCHITECTURE.md rule 2): an anonymous
 * visitor, or one who only claimed an email, sees only the messages of its own session (what it wrote, and the
 * replies sent to it); a visitor whose identity a valid HMAC proved sees the contact's whole thread, every channel.
 * Private notes are never shown.
 */
final class Viewer {

    private final Visitor visitor;
    private final Site site;
    private volatile Long conversationId;
    private volatile Long contactId;
    private volatile long seenUpTo;
    private final AtomicLong moves = new AtomicLong();
    private volatile long movesRead;

    Viewer(Visitor visitor, Site site, VisitorRepository.Thread thread) {
        this.visitor = visitor;
        this.site = site;
        thread(thread);
        this.seenUpTo = visitor.lastReadMessageId() == null ? 0 : visitor.lastReadMessageId();
    }

    Visitor visitor() {
        return visitor;
    }

    Site site() {
        return site;
    }

    long workspaceId() {
        return visitor.workspaceId();
    }

    String publicId() {
        return visitor.publicId();
    }

    /** The conversation this visitor's thread is in, or null before its first message. */
    Long conversationId() {
        return conversationId;
    }

    Long contactId() {
        return contactId;
    }

    private void thread(VisitorRepository.Thread thread) {
        this.conversationId = thread == null ? null : thread.conversationId();
        this.contactId = thread == null ? null : thread.contactId();
    }

    /**
     * The thread read again, from PostgreSQL, where it was {@code before} the read: a read that found none does not
     * undo the conversation of a first message {@linkplain #adopt adopted} while it ran (committed after the read's
     * snapshot, it is the newer news).
     */
    synchronized void reread(VisitorRepository.Thread thread, Long before) {
        if (thread == null && !Objects.equals(before, conversationId)) {
            return;
        }
        thread(thread);
    }

    /** Adopts the conversation of the visitor's first message. */
    synchronized void adopt(long conversation, Long contact) {
        if (conversationId == null) {
            conversationId = conversation;
            if (contact != null) {
                contactId = contact;
            }
        }
    }

    /**
     * A merge, unmerge or message move touched this visitor's thread: until a read of the thread that began after
     * it ({@link #settle}), the conversation held here may be another customer's, and its messages are not shown
     * (the client reloads its history once the read is done).
     */
    void moving() {
        moves.incrementAndGet();
    }

    /** The moves announced so far: what a read of the thread starting now will have seen. */
    long moves() {
        return moves.get();
    }

    /** A read of the thread that began when {@code announced} moves were known is done. */
    synchronized void settle(long announced) {
        movesRead = Math.max(movesRead, announced);
    }

    private boolean settled() {
        return movesRead >= moves.get();
    }

    boolean wholeThread() {
        return visitor.identified();
    }

    long seenUpTo() {
        return seenUpTo;
    }

    void seen(long messageId) {
        if (messageId > seenUpTo) {
            seenUpTo = messageId;
        }
    }

    /** Whether this visitor may see a message (the agent API's JSON of it) of the given conversation. */
    boolean sees(Long conversation, JsonObject message) {
        String kind = message.getString("kind");
        if (!"in".equals(kind) && !"out".equals(kind)) {
            return false;
        }
        return owns(message) || (wholeThread() && settled() && conversation != null
                && conversation.equals(conversationId));
    }

    /**
     * Written by this visitor, or a reply addressed to it, through the widget: an identity naming the visitor that
     * came another way (an API caller's claim of {@code widget_visitor}) proves nothing.
     */
    boolean owns(JsonObject message) {
        if (!WidgetConnector.KIND.equals(message.getString("channel"))) {
            return false;
        }
        JsonObject metadata = message.getJsonObject("metadata");
        if (metadata == null) {
            return false;
        }
        JsonObject party = metadata.getJsonObject("in".equals(message.getString("kind")) ? "from" : "to");
        return party != null && IdentityKind.WIDGET_VISITOR.wireName().equals(party.getString("kind"))
                && Objects.equals(visitor.publicId(), party.getString("value"));
    }
}
