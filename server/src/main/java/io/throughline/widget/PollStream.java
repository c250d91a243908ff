package io.throughline.widget;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One long poll of the HTTP fallback ({@code GET /widget/v1/messages?since=}): it catches up like a socket, then
 * answers as soon as it has frames (gathering those that follow within a few milliseconds) or when the wait is
 * over, with {@code {events, seq}}; the client polls again from {@code seq}. While polls keep coming the visitor
 * counts as online: the presence grace covers the moment between two polls.
 */
final class PollStream extends VisitorStream {

    private static final long GATHER_MS = 15;
    /** Long polls one visitor may hold open on this node (its tabs without a socket); 429 beyond. */
    static final int MAX_PER_VISITOR = 20;

    private final RoutingContext rc;
    /** The tab this poll comes from, as its client names it (null when it does not): see WidgetHub. */
    final String tab;
    private final Context context;
    private final Vertx vertx;
    private final WidgetChannel channel;
    private final List<JsonObject> frames = new ArrayList<>();
    private boolean answering;
    private boolean answered;
    private long gatherTimer = -1;
    private long waitTimer = -1;
    /** The visitor's poll slot (WidgetHub.reservePoll) this poll holds until it answers. */
    private final AtomicBoolean holdsSlot = new AtomicBoolean(true);

    PollStream(RoutingContext rc, Context context, Viewer viewer, WidgetChannel channel, long since, String tab) {
        super(viewer, channel.hub(), since);
        this.tab = tab;
        this.rc = rc;
        this.context = context;
        this.vertx = rc.vertx();
        this.channel = channel;
    }

    /** Runs off the event loop: presence and the catch-up touch PostgreSQL. */
    void start(long since, long waitMs) {
        channel.presence().connected(viewer);
        channel.hub().attach(this, since);
        synchronized (this) {
            if (!answering) {
                waitTimer = vertx.setTimer(Math.max(1, waitMs), t -> answer());
            }
        }
        context.runOnContext(v -> {
            if (rc.response().ended() || rc.response().closed()) {
                // Answered during the catch-up (a logout in its history), or the client left meanwhile: a close
                // handler set now would never run, and the poll would hold its slot and keep the visitor online
                // until its wait is over.
                answer();
                return;
            }
            rc.response().closeHandler(x -> answer());
        });
    }

    @Override
    void write(JsonObject frame) {
        synchronized (this) {
            if (answered) {
                return;
            }
            frames.add(frame);
            if (gatherTimer < 0) {
                gatherTimer = vertx.setTimer(GATHER_MS, t -> answer());
            }
        }
    }

    /** Answers now: the next poll, with the retired token, gets 401 and the client starts a session. */
    @Override
    void end() {
        answer();
    }

    /** Answers now: the next poll reads the thread afresh. */
    @Override
    void reconnect() {
        answer();
    }

    /** Answers now: the next poll is refused (409), and the client says the chat is not available. */
    @Override
    void gone() {
        answer();
    }

    /** Gives the visitor's poll slot back, once, whether the poll answered or never started. */
    void releaseSlot() {
        if (holdsSlot.compareAndSet(true, false)) {
            channel.hub().releasePoll(viewer.publicId());
        }
    }

    private void answer() {
        synchronized (this) {
            if (answering) {
                return;
            }
            answering = true;
            vertx.cancelTimer(gatherTimer);
            vertx.cancelTimer(waitTimer);
        }
        // The stream stops first, then the frames are taken: a frame written until then is in the answer, and the
        // seq answered never covers one that is not (the next poll would skip it).
        long seq = seal();
        List<JsonObject> out;
        synchronized (this) {
            answered = true;
            out = new ArrayList<>(frames);
        }
        channel.hub().detach(this);
        releaseSlot();
        channel.presence().disconnected(viewer);
        context.runOnContext(v -> {
            if (!rc.response().ended() && !rc.response().closed()) {
                rc.response().putHeader("Content-Type", "application/json; charset=utf-8")
                        .putHeader("Cache-Control", "no-store")
                        .end(new JsonObject().put("events", new JsonArray(out)).put("seq", seq).toBuffer());
            }
        });
    }
}
