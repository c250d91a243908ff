package io.throughline.widget;

import io.throughline.realtime.Event;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * One visitor connection's place in the event order: a WebSocket ({@link SocketStream}) or one long poll of the
 * HTTP fallback ({@link PollStream}). It first catches up from the seq the client last had (read from the event
 * log) while buffering what the hub routes to it meanwhile, then goes live; events at or below its last seq are
 * dropped, so nothing is missed and nothing is repeated.
 */
abstract class VisitorStream {

    /** A stream buffering more than this while catching up is reset: the client reloads its history. */
    private static final int MAX_BUFFER = 2_000;

    final Viewer viewer;
    private final WidgetHub hub;
    private final Object lock = new Object();
    private final List<Event> buffer = new ArrayList<>();
    /** Late events routed here before the stream went live. */
    private final List<Event> lateBuffer = new ArrayList<>();
    /** The latest typing frame signalled before the stream went live: typing is a state, so one is enough. */
    private JsonObject heldSignal;
    private boolean live;
    private long lastSeq;
    private volatile boolean closed;

    VisitorStream(Viewer viewer, WidgetHub hub, long since) {
        this.viewer = viewer;
        this.hub = hub;
        this.lastSeq = since;
    }

    /** Writes one frame to the client. */
    abstract void write(JsonObject frame);

    /** The visitor's token was retired (a logout): the connection ends, and its client must start a session. */
    abstract void end();

    /**
     * What this stream knows of the visitor's thread may be stale (reading it again failed after a merge): the
     * connection ends, and its client connects again at once, which reads the thread afresh.
     */
    abstract void reconnect();

    /**
     * The widget was switched off or removed: the connection ends so that its client learns at once, not at its
     * next message (a socket closes with 4403; a poll answers, and the next one is refused with 409).
     */
    abstract void gone();

    /** Called once the stream is live (a poll answers what it has by then). */
    void onLive() {
    }

    long since() {
        synchronized (lock) {
            return lastSeq;
        }
    }

    /** The seq up to which this client has everything: what it may resume from. */
    long position() {
        synchronized (lock) {
            return live ? Math.max(lastSeq, hub.routed()) : lastSeq;
        }
    }

    void markClosed() {
        closed = true;
    }

    /**
     * Takes no more events and returns the position covering exactly what was written: read in one step with the
     * closing, so an event delivered in between cannot be counted in the position without being in the answer.
     */
    final long seal() {
        synchronized (lock) {
            closed = true;
            return position();
        }
    }

    /** An event the hub routed here (on the feed context). */
    final void offer(Event event) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            if (!live) {
                buffer.add(event);
                if (buffer.size() > MAX_BUFFER) {
                    resetLocked(hub.routed());
                }
                return;
            }
            deliver(event);
        }
    }

    /**
     * An event committed after the feed passed its seq (see {@code EventFeed}): delivered although its seq is below
     * this stream's, marked {@code late}, without moving the resume position. The frame keeps messages by id.
     */
    final void offerLate(Event event) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            if (!live) {
                lateBuffer.add(event);
                if (lateBuffer.size() > MAX_BUFFER) {
                    resetLocked(hub.routed());
                }
                return;
            }
            deliverLate(event);
        }
    }

    private void deliverLate(Event event) {
        JsonObject frame = hub.project(event, this);
        if (frame != null) {
            write(frame.put("late", true));
        }
    }

    /**
     * A transient frame (typing), never logged: written at once to a live stream; one signalled while the stream
     * still catches up (an agent who starts typing as the visitor's socket attaches) is held, only the latest, and
     * written as the stream goes live.
     */
    final void signal(JsonObject frame) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            if (live) {
                write(frame);
            } else {
                heldSignal = frame;
            }
        }
    }

    private void writeHeldSignal() {
        if (heldSignal != null) {
            write(heldSignal);
            heldSignal = null;
        }
    }

    /** Catch-up done: the stored events up to {@code target}, then whatever the hub routed meanwhile. */
    final void goLive(List<Event> history, long target) {
        synchronized (lock) {
            if (closed || live) {
                return;
            }
            history.forEach(this::deliver);
            buffer.forEach(this::deliver);
            buffer.clear();
            lateBuffer.forEach(this::deliverLate);
            lateBuffer.clear();
            lastSeq = Math.max(lastSeq, target);
            live = true;
            writeHeldSignal();
        }
        onLive();
    }

    /** Tells the client to reload its history (too far behind, or a merge moved its thread), then goes live. */
    final void reset(long seq) {
        synchronized (lock) {
            if (!closed) {
                resetLocked(seq);
            }
        }
        onLive();
    }

    /**
     * A reset to exactly {@code seq}, even below what the client said it had: a client ahead of the log (its
     * database restored from a backup) would otherwise drop every event until the log caught up with it.
     */
    final void rewind(long seq) {
        synchronized (lock) {
            if (!closed) {
                lastSeq = seq;
                resetLocked(seq);
            }
        }
        onLive();
    }

    private void resetLocked(long seq) {
        buffer.clear();
        lateBuffer.clear();
        lastSeq = Math.max(lastSeq, seq);
        live = true;
        write(new JsonObject().put("type", "reset").put("seq", lastSeq));
        writeHeldSignal();
    }

    private void deliver(Event event) {
        if (event.seq() <= lastSeq) {
            return;
        }
        lastSeq = event.seq();
        JsonObject frame = hub.project(event, this);
        if (frame != null) {
            write(frame);
        }
    }
}
