package io.throughline.widget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.realtime.EventType;
import io.throughline.store.Database;
import io.throughline.testing.ApiClient;
import io.throughline.testing.StreamClient;
import io.throughline.testing.TestServer;
import io.throughline.testing.VisitorClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * An event whose transaction held its seq past {@code realtime.gapTimeout} (the feed moved on without it) still
 * reaches the open agent stream and the visitor's chat when it commits: marked late, without moving the point
 * either resumes from.
 */
class LateEventsIT {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void aLateEditReachesTheAgentStreamAndTheVisitorsChat() throws Exception {
        try (TestServer server = TestServer.start(Map.of("realtime.gapTimeout", "300ms", "realtime.heartbeat", "1s"))) {
            ApiClient admin = server.admin();
            String siteKey = Widgets.create(admin, Widgets.SHOP).getString("siteKey");
            VisitorClient visitor = new VisitorClient(server.url(), siteKey, Widgets.SHOP).start();
            try (StreamClient agent = StreamClient.connect(admin, null);
                 VisitorClient.Socket chat = visitor.connect(visitor.seq())) {
                chat.next("ready", WAIT);
                chat.message("My clarinet is broken");
                long messageId = chat.next("ack", WAIT).getLong("messageId");
                long conversation = Widgets.conversationOf(server, messageId);
                JsonObject message = admin.get("/api/v1/conversations/" + conversation + "/messages").expect(200)
                        .json().getJsonArray("messages").getJsonObject(0);

                CountDownLatch release = new CountDownLatch(1);
                Thread edit = holdingEdit(server, conversation, message.copy().put("body", "My bassoon is broken"),
                        release);
                // A reply committed meanwhile: the feed passes the held seq to deliver it.
                long replyId = admin.post("/api/v1/conversations/" + conversation + "/messages",
                        new JsonObject().put("body", "We will fix it.")).expect(201).json().getLong("id");
                long passed = agent.next(f -> "message.created".equals(f.getString("type")) && f.getJsonObject("data")
                        .getJsonObject("message").getLong("id") == replyId, WAIT).getLong("seq");
                chat.next(f -> "message".equals(f.getString("type"))
                        && f.getJsonObject("message").getLong("id") == replyId, WAIT);

                release.countDown();
                edit.join();
                JsonObject late = agent.next(f -> "message.updated".equals(f.getString("type"))
                        && f.getJsonObject("data").getJsonObject("message").getLong("id") == messageId, WAIT);
                assertThat(late.getBoolean("late")).isTrue();
                assertThat(late.getLong("seq")).isLessThan(passed);
                JsonObject shown = chat.next(f -> "message.updated".equals(f.getString("type"))
                        && f.getJsonObject("message").getLong("id") == messageId, WAIT);
                assertThat(shown.getBoolean("late")).isTrue();
                assertThat(shown.getJsonObject("message").getString("body")).isEqualTo("My bassoon is broken");
                assertThat(agent.next(f -> "heartbeat".equals(f.getString("type")), WAIT).getJsonObject("data")
                        .getLong("seq")).as("the resume point stays").isGreaterThanOrEqualTo(passed);
            }
        }
    }

    /**
     * A late event that commits while the visitor is away (between two long polls, reconnecting) lies below where
     * the visitor resumes: it is offered to the resumed socket all the same, for a minute after it came.
     */
    @Test
    void aLateEditThatCameWhileTheVisitorWasAwayReachesItOnResume() throws Exception {
        try (TestServer server = TestServer.start(Map.of("realtime.gapTimeout", "300ms"))) {
            Away away = awayDuringALateEdit(server, "My oboe is broken", "My flute is broken");
            try (VisitorClient.Socket back = away.visitor().connect(away.resumeFrom())) {
                JsonObject shown = back.next(f -> "message.updated".equals(f.getString("type"))
                        && f.getJsonObject("message").getLong("id") == away.messageId(), WAIT);
                assertThat(shown.getBoolean("late")).isTrue();
                assertThat(shown.getJsonObject("message").getString("body")).isEqualTo("My flute is broken");
            }
        }
    }

    /**
     * A late event does not move a long poll's resume point: the poll answered with it comes back from the same
     * seq at once, and was answered with it again for the minute it is kept, each poll costing queries and a
     * signal until the visitor was rate-limited. It is offered once per resume point and tab: that tab's next poll
     * waits, and another tab polling from the same seq has it.
     */
    @Test
    void aLongPollIsOfferedALateEventOnceNotInALoop() throws Exception {
        try (TestServer server = TestServer.start(Map.of("realtime.gapTimeout", "300ms"))) {
            Away away = awayDuringALateEdit(server, "My cello is broken", "My viola is broken");
            String poll = "/widget/v1/messages?since=" + away.resumeFrom() + "&tab=a1&wait=";
            JsonArray first = away.visitor().get(poll + "20").expect(200).json().getJsonArray("events");
            assertThat(first.stream().map(JsonObject.class::cast)).anySatisfy(f -> assertThat(
                    f.getJsonObject("message").getString("body")).isEqualTo("My viola is broken"));
            JsonArray again = away.visitor().get(poll + "2").expect(200).json().getJsonArray("events");
            assertThat(again).as("waited its 2 s with nothing new").isEmpty();
            JsonArray otherTab = away.visitor().get("/widget/v1/messages?since=" + away.resumeFrom()
                    + "&tab=b2&wait=20").expect(200).json().getJsonArray("events");
            assertThat(otherTab.stream().map(JsonObject.class::cast)).as("another tab's poll").anySatisfy(f ->
                    assertThat(f.getJsonObject("message").getString("body")).isEqualTo("My viola is broken"));
            away.visitor().get("/widget/v1/messages?since=0&tab=" + "x".repeat(65)).expect(400);
            // A socket from the same point (another tab, or one that dropped before the frame reached it) has it.
            try (VisitorClient.Socket tab = away.visitor().connect(away.resumeFrom())) {
                assertThat(tab.next(f -> "message.updated".equals(f.getString("type"))
                        && f.getJsonObject("message").getLong("id") == away.messageId(), WAIT)
                        .getJsonObject("message").getString("body")).isEqualTo("My viola is broken");
            }
        }
    }

    /**
     * A late copy kept for visitors away is dropped once a newer change of its message is routed: removed by an
     * agent meanwhile, the message's old text is never offered to the visitor who resumes.
     */
    @Test
    void aLateEditOfAMessageRemovedSinceIsNotOfferedOnResume() throws Exception {
        try (TestServer server = TestServer.start(Map.of("realtime.gapTimeout", "300ms"))) {
            ApiClient admin = server.admin();
            Away away = awayDuringALateEdit(server, "My card number is 4111 1111 1111 1111",
                    "Card 4111 1111 1111 1112");
            try (StreamClient agent = StreamClient.connect(admin, null)) {
                agent.next(f -> "ready".equals(f.getString("type")), WAIT);
                admin.post("/api/v1/messages/" + away.messageId() + "/redact", null).expect(200);
                long redacted = agent.next(f -> "message.updated".equals(f.getString("type"))
                        && f.getJsonObject("data").getJsonObject("message").getString("redactedAt") != null, WAIT)
                        .getLong("seq");
                WidgetHub hub = server.throughline().widget().hub();
                await().atMost(WAIT).until(() -> hub.routed() >= redacted);
            }
            try (VisitorClient.Socket back = away.visitor().connect(away.resumeFrom())) {
                back.next(f -> "message.updated".equals(f.getString("type"))
                        && f.getJsonObject("message").getLong("id") == away.messageId()
                        && f.getJsonObject("message").getString("redactedAt") != null, WAIT);
                long after = admin.post("/api/v1/conversations/" + away.conversation() + "/messages",
                        new JsonObject().put("body", "Removed for your safety.")).expect(201).json().getLong("id");
                back.next(f -> "message".equals(f.getString("type"))
                        && f.getJsonObject("message").getLong("id") == after, WAIT);
                assertThat(back.received()).noneMatch(f -> f.encode().contains("4111"));
            }
        }
    }

    /** A visitor away (its socket closed) while the edit of its message came late; where it resumes from. */
    private record Away(VisitorClient visitor, long messageId, long conversation, long resumeFrom) {
    }

    /**
     * A visitor writes {@code body}; an edit to {@code edited} is held while an agent's reply passes its seq; the
     * visitor's socket closes at that reply, and the edit commits: returns once the agent's stream has had it late.
     */
    private static Away awayDuringALateEdit(TestServer server, String body, String edited) throws Exception {
        ApiClient admin = server.admin();
        String siteKey = Widgets.create(admin, Widgets.SHOP).getString("siteKey");
        VisitorClient visitor = new VisitorClient(server.url(), siteKey, Widgets.SHOP).start();
        long messageId;
        long conversation;
        long resumeFrom;
        CountDownLatch release = new CountDownLatch(1);
        Thread edit;
        try (VisitorClient.Socket chat = visitor.connect(visitor.seq())) {
            chat.next("ready", WAIT);
            chat.message(body);
            messageId = chat.next("ack", WAIT).getLong("messageId");
            conversation = Widgets.conversationOf(server, messageId);
            JsonObject message = admin.get("/api/v1/conversations/" + conversation + "/messages").expect(200)
                    .json().getJsonArray("messages").getJsonObject(0);
            edit = holdingEdit(server, conversation, message.copy().put("body", edited), release);
            long replyId = admin.post("/api/v1/conversations/" + conversation + "/messages",
                    new JsonObject().put("body", "We will look into it.")).expect(201).json().getLong("id");
            resumeFrom = chat.next(f -> "message".equals(f.getString("type"))
                    && f.getJsonObject("message").getLong("id") == replyId, WAIT).getLong("seq");
        }
        // Away: the held edit commits now, its seq below the reply's, which the visitor resumes from; the agent's
        // stream says when the feed has handed it on as late.
        try (StreamClient agent = StreamClient.connect(admin, null)) {
            agent.next(f -> "ready".equals(f.getString("type")), WAIT);
            release.countDown();
            edit.join();
            agent.next(f -> "message.updated".equals(f.getString("type")) && f.getBoolean("late", false)
                    && f.getJsonObject("data").getJsonObject("message").getLong("id") == messageId, WAIT);
        }
        return new Away(visitor, messageId, conversation, resumeFrom);
    }

    /** The edit an agent would make, with its event, held uncommitted until {@code release}. */
    private static Thread holdingEdit(TestServer server, long conversation, JsonObject edited, CountDownLatch release)
            throws InterruptedException {
        Database database = server.throughline().database();
        long workspace = database.sql().single("SELECT workspace_id FROM conversations WHERE id = $1", conversation)
                .getLong("workspace_id");
        CountDownLatch holding = new CountDownLatch(1);
        Thread thread = Thread.ofVirtual().start(() -> database.tx(tx -> {
            tx.rows("UPDATE messages SET body = $2 WHERE id = $1", edited.getLong("id"), edited.getString("body"));
            server.throughline().eventLog().append(tx, workspace, EventType.MESSAGE_UPDATED, new JsonObject()
                    .put("conversationId", conversation).put("message", edited).put("change", "edited"));
            tx.rows("SELECT 1"); // the append is only sent: a later statement's answer means it has run
            holding.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        }));
        assertThat(holding.await(5, TimeUnit.SECONDS)).isTrue();
        return thread;
    }
}
