package io.throughline.widget;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.connector.IdentityKind;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A visitor connection's transient frames and thread, while it attaches (the hub's catch-up is not needed). */
class VisitorStreamTest {

    private static final Visitor VISITOR = new Visitor(7, 1, 1, "v_test", IdentityKind.WIDGET_VISITOR, "v_test",
            null, null, null, null, true, null, null, null, Instant.EPOCH, null, null);

    /** A stream that keeps what it writes. */
    private static final class Recording extends VisitorStream {
        final List<JsonObject> written = new ArrayList<>();

        Recording() {
            super(new Viewer(VISITOR, null, null), new WidgetHub(null, null, null, null, null), 10);
        }

        @Override
        void write(JsonObject frame) {
            written.add(frame);
        }

        @Override
        void end() {
        }

        @Override
        void reconnect() {
        }

        @Override
        void gone() {
        }

        List<String> frames() {
            return written.stream().map(f -> f.getString("type") + (f.containsKey("typing")
                    ? ":" + f.getBoolean("typing") : "")).toList();
        }
    }

    private static JsonObject typing(boolean typing) {
        return new JsonObject().put("type", "typing").put("typing", typing);
    }

    @Test
    void anAgentTypingWhileTheStreamCatchesUpIsShownOnceItIsLiveLatestStateOnly() {
        Recording stream = new Recording();
        stream.signal(typing(false));
        stream.signal(typing(true));
        assertThat(stream.written).as("nothing reaches a stream still catching up").isEmpty();

        stream.goLive(List.of(), 12);
        assertThat(stream.frames()).containsExactly("typing:true");
        stream.signal(typing(false));
        assertThat(stream.frames()).containsExactly("typing:true", "typing:false");
    }

    @Test
    void aResetComesBeforeTheHeldTypingFrame() {
        Recording stream = new Recording();
        stream.signal(typing(true));
        stream.reset(15);
        assertThat(stream.frames()).containsExactly("reset", "typing:true");
        stream.goLive(List.of(), 20);
        assertThat(stream.frames()).as("held once, written once").containsExactly("reset", "typing:true");
    }

    @Test
    void aClosedStreamHoldsNothing() {
        Recording stream = new Recording();
        stream.markClosed();
        stream.signal(typing(true));
        stream.reset(15);
        assertThat(stream.written).isEmpty();
    }

    @Test
    void aThreadReadThatFoundNoneDoesNotUndoAFirstMessageAdoptedWhileItRan() {
        Viewer viewer = new Viewer(VISITOR, null, null);
        Long before = viewer.conversationId();
        viewer.adopt(42, 9L);
        viewer.reread(null, before);
        assertThat(viewer.conversationId()).isEqualTo(42);
        assertThat(viewer.contactId()).isEqualTo(9);

        viewer.reread(new VisitorRepository.Thread(9, 50L, false), 42L);
        assertThat(viewer.conversationId()).as("a thread found is the news").isEqualTo(50);
        viewer.reread(null, 50L);
        assertThat(viewer.conversationId()).as("nothing adopted meanwhile: the thread is gone").isNull();
    }
}
