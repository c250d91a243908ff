package io.throughline.conversation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.ApiClient;
import io.throughline.testing.ApiInbox;
import io.throughline.testing.TestServer;
import io.throughline.testing.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The agent API on conversations and messages, through the real server and the API channel. */
class ConversationApiIT {

    private TestServer server;
    private WebhookReceiver webhook;
    private ApiClient admin;
    private ApiInbox inbox;

    @BeforeEach
    void start() {
        server = TestServer.start();
        webhook = new WebhookReceiver();
        admin = server.admin();
        inbox = ApiInbox.create(admin, "Shop", webhook.url());
    }

    @AfterEach
    void stop() {
        server.close();
        webhook.close();
    }

    @Test
    void aChangeThatCommitsLastIsStampedLastThoughItsTransactionBeganFirst() throws Exception {
        long conversation = inbox.say("v1", "c-v", "Vera", "Hello").getLong("conversationId");
        long workspace = server.throughline().database().sql().single(
                "SELECT workspace_id FROM conversations WHERE id = $1", conversation).getLong("workspace_id");
        CountDownLatch began = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        // A slow writer (an ingest resolving its sender): its transaction begins now, its write comes later.
        CompletableFuture<Conversation> slow = CompletableFuture.supplyAsync(() -> server.throughline().database()
                .tx(tx -> {
                    tx.rows("SELECT 1");
                    began.countDown();
                    try {
                        go.await(10, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return new ConversationRepository().update(tx, workspace, conversation, Status.OPEN, null,
                            Priority.NONE, List.of("slow"), null).conversation();
                }), Thread::startVirtualThread);
        assertThat(began.await(10, TimeUnit.SECONDS)).isTrue();
        String resolvedAt = admin.patch("/api/v1/conversations/" + conversation,
                new JsonObject().put("status", "resolved")).expect(200).json().getString("updatedAt");
        go.countDown();

        assertThat(slow.get(10, TimeUnit.SECONDS).updatedAt()).isAfter(Instant.parse(resolvedAt));
    }

    @Test
    void theSameIdempotencyKeyTwiceGivesOneMessageAndOneDelivery() {
        long conversation = inbox.say("m1", "c1", "Ann", "Hello").getLong("conversationId");
        String path = "/api/v1/conversations/" + conversation + "/messages";
        JsonObject body = new JsonObject().put("body", "Hi Ann");
        ApiClient.Response first = admin.post(path, body, Map.of("Idempotency-Key", "draft-1")).expect(201);
        ApiClient.Response again = admin.post(path, body, Map.of("Idempotency-Key", "draft-1")).expect(201);
        assertThat(again.json().getLong("id")).isEqualTo(first.json().getLong("id"));
        assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
        admin.post(path, new JsonObject().put("body", "Something else"), Map.of("Idempotency-Key", "draft-1"))
                .expect(409);

        await().atMost(Duration.ofSeconds(10)).until(() -> webhook.received().size() == 1);
        assertThat(thread(conversation).stream().filter(m -> m.getString("kind").equals("out")).count()).isEqualTo(1);
        await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(3)).until(() -> webhook.received().size() == 1);
    }

    /**
     * An agent whose answer was lost withdraws the request by its key: one that was stored is returned as it is;
     * one that never arrived is withdrawn for good, so a late copy of it is refused and nothing is sent.
     */
    @Test
    void aRequestWithdrawnByItsKeyIsEitherFoundStoredOrNeverSent() {
        long conversation = inbox.say("w1", "c1", "Ann", "Hello").getLong("conversationId");
        String path = "/api/v1/conversations/" + conversation + "/messages";
        long stored = admin.post(path, new JsonObject().put("body", "It went"), Map.of("Idempotency-Key", "sent-1"))
                .expect(201).json().getLong("id");

        JsonObject found = admin.post("/api/v1/idempotency-keys/sent-1/withdraw", new JsonObject()).expect(200)
                .json();
        assertThat(found.getBoolean("withdrawn")).isFalse();
        assertThat(found.getJsonObject("message").getLong("id")).isEqualTo(stored);

        // Keys are each agent's own: another agent withdrawing the same key spends only theirs.
        admin.post("/api/v1/agents", new JsonObject().put("email", "wes@test.local").put("name", "Wes")
                .put("role", "agent").put("password", "wes-password-123")).expect(201);
        ApiClient wes = server.anonymous().login("wes@test.local", "wes-password-123");
        assertThat(wes.post("/api/v1/idempotency-keys/sent-1/withdraw", new JsonObject()).expect(200).json()
                .getBoolean("withdrawn")).isTrue();
        assertThat(admin.post(path, new JsonObject().put("body", "It went"), Map.of("Idempotency-Key", "sent-1"))
                .expect(201).json().getLong("id")).as("the first agent's key still answers").isEqualTo(stored);

        for (int i = 0; i < 2; i++) {
            JsonObject withdrawn = admin.post("/api/v1/idempotency-keys/lost-1/withdraw", new JsonObject())
                    .expect(200).json();
            assertThat(withdrawn.getBoolean("withdrawn")).as("withdrawal %d", i).isTrue();
            assertThat(withdrawn.containsKey("message")).isFalse();
        }
        ApiClient.Response late = admin.post(path, new JsonObject().put("body", "It never went"),
                Map.of("Idempotency-Key", "lost-1")).expect(409);
        assertThat(late.json().getString("detail")).contains("withdrawn");

        admin.post("/api/v1/idempotency-keys/" + "k".repeat(256) + "/withdraw", new JsonObject()).expect(400);
        await().atMost(Duration.ofSeconds(10)).until(() -> webhook.received().size() == 1);
        assertThat(thread(conversation).stream().map(m -> m.getString("body"))).containsExactly("Hello", "It went");
    }

    @Test
    void aRepeatedInboundExternalIdStoresOneMessage() {
        JsonObject first = inbox.say("dup-1", "c1", "Ann", "Hello");
        ApiClient.Response again = inbox.send("dup-1", "Ann", new JsonArray()
                .add(ApiInbox.identity("external_id", "c1", true)), "Hello").expect(200);
        assertThat(again.json().getBoolean("duplicate")).isTrue();
        assertThat(again.json().getLong("messageId")).isEqualTo(first.getLong("messageId"));
        assertThat(thread(first.getLong("conversationId"))).hasSize(1);
    }

    @Test
    void aNoteStaysInsideAndIsNeverDelivered() {
        long conversation = inbox.say("m1", "c1", "Ann", "Hello").getLong("conversationId");
        JsonObject note = admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject()
                .put("body", "VIP customer, be nice").put("note", true)).expect(201).json();
        assertThat(note.getString("kind")).isEqualTo("note");
        assertThat(note.getValue("delivery")).isNull();
        admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body", "Hi!"))
                .expect(201);
        await().atMost(Duration.ofSeconds(10)).until(() -> webhook.received().size() == 1);
        assertThat(webhook.received().getFirst().body()).contains("Hi!").doesNotContain("VIP");
    }

    @Test
    void statusAssigneePriorityAndLabelsChangeAndFilterTheList() {
        long ann = inbox.say("m1", "c1", "Ann", "Hello").getLong("conversationId");
        long bob = inbox.say("m2", "c2", "Bob", "Hey").getLong("conversationId");
        long me = admin.get("/api/v1/auth/me").json().getLong("agentId");

        JsonObject patched = admin.patch("/api/v1/conversations/" + ann, new JsonObject().put("status", "pending")
                .put("assigneeId", me).put("priority", "high").put("labels", new JsonArray().add("Refund")
                        .add("refund").add("vip"))).expect(200).json();
        assertThat(patched.getString("status")).isEqualTo("pending");
        assertThat(patched.getJsonObject("assignee").getString("name")).isEqualTo("Admin");
        assertThat(patched.getJsonArray("labels")).containsExactly("refund", "vip");

        assertThat(ids("/api/v1/conversations?status=pending")).containsExactly(ann);
        assertThat(ids("/api/v1/conversations?status=open")).containsExactly(bob);
        assertThat(ids("/api/v1/conversations?assignee=me")).containsExactly(ann);
        assertThat(ids("/api/v1/conversations?assignee=" + me)).containsExactly(ann);
        assertThat(ids("/api/v1/conversations?assignee=none")).containsExactly(bob);
        assertThat(ids("/api/v1/conversations?channel=api")).containsExactlyInAnyOrder(ann, bob);
        assertThat(ids("/api/v1/conversations?channel=email")).isEmpty();

        admin.patch("/api/v1/conversations/" + ann, new JsonObject().put("assigneeId", null)).expect(200);
        assertThat(ids("/api/v1/conversations?assignee=none")).containsExactlyInAnyOrder(ann, bob);
    }

    /**
     * An agent resolves the conversation they read: with the version they read in If-Match, a customer message that
     * came meanwhile makes the change fail (412) rather than resolve what nobody saw. The version is the ETag of
     * the conversation (and its updatedAt); * and the current version pass, a weak tag never does.
     */
    @Test
    void aChangeIfMatchingAVersionFailsOnceTheConversationMoved() {
        long ann = inbox.say("m1", "c1", "Ann", "Hello").getLong("conversationId");
        String path = "/api/v1/conversations/" + ann;
        ApiClient.Response read = admin.get(path).expect(200);
        String etag = read.header("ETag");
        assertThat(etag).isEqualTo("\"" + read.json().getString("updatedAt") + "\"");

        inbox.say("m2", "c1", "Ann", "One more thing: the box was wet");
        JsonObject stale = admin.patch(path, new JsonObject().put("status", "resolved"), Map.of("If-Match", etag))
                .expect(412).json();
        assertThat(stale.getString("type")).isEqualTo("urn:throughline:problem:precondition-failed");
        assertThat(stale.getString("detail")).contains("changed since the version in If-Match");
        assertThat(admin.get(path).json().getString("status")).isEqualTo("open");

        ApiClient.Response fresh = admin.get(path).expect(200);
        admin.patch(path, new JsonObject().put("status", "resolved"), Map.of("If-Match", "W/" + fresh.header("ETag")))
                .expect(412);
        ApiClient.Response resolved = admin.patch(path, new JsonObject().put("status", "resolved"),
                Map.of("If-Match", "\"elsewhere\", " + fresh.header("ETag"))).expect(200);
        assertThat(resolved.json().getString("status")).isEqualTo("resolved");
        assertThat(resolved.header("ETag")).isNotEqualTo(fresh.header("ETag"))
                .isEqualTo("\"" + resolved.json().getString("updatedAt") + "\"");
        ApiClient.Response high = admin.patch(path, new JsonObject().put("priority", "high"),
                Map.of("If-Match", "*")).expect(200);
        // A change that changes nothing makes no new version: another tab's If-Match still holds.
        ApiClient.Response same = admin.patch(path, new JsonObject().put("priority", "high").put("status",
                "resolved").put("addLabels", new JsonArray())).expect(200);
        assertThat(same.header("ETag")).isEqualTo(high.header("ETag"));
        admin.patch(path, new JsonObject().put("status", "open"), Map.of("If-Match", high.header("ETag")))
                .expect(200);
    }

    /**
     * Labels added and removed one by one apply to what is stored when the change commits: two agents each adding a
     * label from the same view keep both, where replacing the list would keep the last one only.
     */
    @Test
    void labelsAddedAndRemovedApplyToTheStoredLabels() {
        long ann = inbox.say("m1", "c1", "Ann", "Hello").getLong("conversationId");
        String path = "/api/v1/conversations/" + ann;
        admin.patch(path, new JsonObject().put("labels", new JsonArray().add("old"))).expect(200);
        admin.patch(path, new JsonObject().put("addLabels", new JsonArray().add("Refund"))).expect(200);
        JsonObject both = admin.patch(path, new JsonObject().put("addLabels", new JsonArray().add("vip")
                .add("refund"))).expect(200).json();
        assertThat(both.getJsonArray("labels")).containsExactly("old", "refund", "vip");
        JsonObject removed = admin.patch(path, new JsonObject().put("removeLabels", new JsonArray().add("OLD")
                .add("never-there")).put("addLabels", new JsonArray().add("new"))).expect(200).json();
        assertThat(removed.getJsonArray("labels")).containsExactly("refund", "vip", "new");

        JsonObject mixed = admin.patch(path, new JsonObject().put("labels", new JsonArray().add("x"))
                .put("removeLabels", new JsonArray().add("vip"))).expect(400).json();
        assertThat(mixed.getJsonArray("errors").getJsonObject(0).getString("field")).isEqualTo("labels");
        JsonObject bad = admin.patch(path, new JsonObject().put("addLabels", new JsonArray().add(" "))
                .put("removeLabels", "vip")).expect(400).json();
        assertThat(bad.getJsonArray("errors").stream().map(e -> ((JsonObject) e).getString("field")))
                .containsExactlyInAnyOrder("addLabels[0]", "removeLabels");
        // A label that shows as nothing, or as another, is refused; one typed composed or not is one label.
        JsonObject invisible = admin.patch(path, new JsonObject().put("addLabels", new JsonArray().add("\u200b")
                .add("vip\u200b").add("tab\there").add("\u00a0\u3164"))).expect(400).json();
        assertThat(invisible.getJsonArray("errors").stream().map(e -> ((JsonObject) e).getString("field")))
                .containsExactly("addLabels[0]", "addLabels[1]", "addLabels[2]", "addLabels[3]");
        JsonObject cafe = admin.patch(path, new JsonObject().put("addLabels", new JsonArray().add("caf\u00e9")
                .add("cafe\u0301").add("vip\ufe0f").add("big\u00a0\u00a0deal"))).expect(200).json();
        assertThat(cafe.getJsonArray("labels")).containsExactly("refund", "vip", "new", "caf\u00e9", "big deal");
        admin.patch(path, new JsonObject().put("removeLabels", new JsonArray().add("cafe\u0301").add("big deal")))
                .expect(200);
        // One stored before these rules (an invisible character in it) can still be removed as it is stored.
        server.throughline().database().sql().update("UPDATE conversations SET labels = labels || '{\"old\u200b\"}'"
                + " WHERE id = $1", ann);
        assertThat(admin.patch(path, new JsonObject().put("removeLabels", new JsonArray().add("old\u200b")))
                .expect(200).json().getJsonArray("labels")).containsExactly("refund", "vip", "new");

        JsonArray many = new JsonArray();
        for (int i = 0; i < 48; i++) {
            many.add("l" + i);
        }
        admin.patch(path, new JsonObject().put("addLabels", many)).expect(400);
        assertThat(admin.get(path).json().getJsonArray("labels")).containsExactly("refund", "vip", "new");
        admin.patch(path, new JsonObject().put("addLabels", new JsonArray(many.getList().subList(0, 47))))
                .expect(200);
        assertThat(admin.get(path).json().getJsonArray("labels")).hasSize(50);
    }

    @Test
    void badPatchesNameEveryBadField() {
        long ann = inbox.say("m1", "c1", "Ann", "Hello").getLong("conversationId");
        JsonObject problem = admin.patch("/api/v1/conversations/" + ann, new JsonObject().put("status", "closed")
                .put("priority", "asap").put("labels", new JsonArray().add(7)).put("assigneeId", "x")).expect(400)
                .json();
        assertThat(problem.getJsonArray("errors").stream().map(e -> ((JsonObject) e).getString("field")))
                .containsExactlyInAnyOrder("status", "priority", "labels[0]", "assigneeId");
        admin.patch("/api/v1/conversations/" + ann, new JsonObject().put("assigneeId", 987654)).expect(400);
        admin.patch("/api/v1/conversations/" + ann, new JsonObject().put("status", "snoozed")
                .put("snoozedUntil", "2001-01-01T00:00:00Z")).expect(400);
        // A snooze needs its end, and an end needs a snooze: neither is dropped without a word.
        assertThat(admin.patch("/api/v1/conversations/" + ann, new JsonObject().put("status", "snoozed"))
                .expect(400).json().getJsonArray("errors").getJsonObject(0).getString("field"))
                .isEqualTo("snoozedUntil");
        admin.patch("/api/v1/conversations/" + ann, new JsonObject().put("snoozedUntil",
                Instant.now().plusSeconds(3600).toString())).expect(400);
        assertThat(admin.get("/api/v1/conversations/" + ann).json().getString("status")).isEqualTo("open");
        // Past a long's range: 2^64 + an agent's id must not wrap around to that agent.
        long me = admin.get("/api/v1/auth/me").json().getLong("agentId");
        admin.patch("/api/v1/conversations/" + ann, new JsonObject().put("assigneeId",
                BigInteger.TWO.pow(64).add(BigInteger.valueOf(me)))).expect(400);
        admin.patch("/api/v1/conversations/" + ann, new JsonObject().put("assigneeId", (double) me + 0.5))
                .expect(400);
        assertThat(admin.get("/api/v1/conversations/" + ann).json().getValue("assigneeId")).isNull();
        admin.get("/api/v1/conversations?status=closed").expect(400);
        admin.get("/api/v1/conversations?assignee=somebody").expect(400);
        admin.get("/api/v1/conversations?cursor=not-a-cursor").expect(400);
        admin.get("/api/v1/conversations?limit=1000").expect(400);
    }

    @Test
    void aSnoozeThatRanOutBeforeItsWakeUpStillLetsTheConversationBeEdited() {
        long ann = inbox.say("m1", "c1", "Ann", "Hello").getLong("conversationId");
        admin.patch("/api/v1/conversations/" + ann, new JsonObject().put("status", "snoozed")
                .put("snoozedUntil", Instant.now().plusSeconds(3600).toString())).expect(200);
        // Its time passed a moment ago; the wake-up runs every 15 seconds.
        server.throughline().database().sql().update("UPDATE conversations SET snoozed_until = now()"
                + " - interval '1 second' WHERE id = $1", ann);
        admin.patch("/api/v1/conversations/" + ann, new JsonObject().put("labels", new JsonArray().add("vip")))
                .expect(200);
        admin.patch("/api/v1/conversations/" + ann, new JsonObject().put("status", "snoozed")
                .put("snoozedUntil", "2001-01-01T00:00:00Z")).expect(400);
    }

    /** A snooze preset ("tomorrow at 9") puts many on one instant: one wake-up run reopens them all. */
    @Test
    void oneWakeUpRunReopensEverySnoozeThatCameDue() {
        for (int i = 0; i < 150; i++) {
            inbox.say("wake-" + i, "cust-wake-" + i, "Waker " + i, "Call me tomorrow");
        }
        server.throughline().database().sql().update("UPDATE conversations SET status = 'snoozed',"
                + " snoozed_until = now() - interval '1 second'");

        // The server's own run (every 15 s) may take some of them first: what counts is that none is left.
        server.throughline().conversations().wakeSnoozed();
        assertThat(server.throughline().database().sql().single("SELECT count(*) AS n FROM conversations"
                + " WHERE status = 'snoozed'").getLong("n")).isZero();
    }

    @Test
    void aCustomerMessageReopensAResolvedOrSnoozedConversation() {
        long ann = inbox.say("m1", "c1", "Ann", "Hello").getLong("conversationId");
        admin.patch("/api/v1/conversations/" + ann, new JsonObject().put("status", "resolved")).expect(200);
        inbox.say("m2", "c1", "Ann", "One more thing");
        assertThat(admin.get("/api/v1/conversations/" + ann).json().getString("status")).isEqualTo("open");

        admin.patch("/api/v1/conversations/" + ann, new JsonObject().put("status", "snoozed")
                .put("snoozedUntil", Instant.now().plusSeconds(3600).toString())).expect(200);
        inbox.say("m3", "c1", "Ann", "Hello again");
        JsonObject reopened = admin.get("/api/v1/conversations/" + ann).json();
        assertThat(reopened.getString("status")).isEqualTo("open");
        assertThat(reopened.getValue("snoozedUntil")).isNull();
    }

    @Test
    void theListPagesByCursorNewestActivityFirstWithoutRepeats() {
        List<Long> created = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            created.add(inbox.say("m" + i, "c" + i, "Customer " + i, "Hello " + i).getLong("conversationId"));
        }
        List<Long> seen = new ArrayList<>();
        String cursor = null;
        do {
            JsonObject page = admin.get("/api/v1/conversations?limit=3" + (cursor == null ? "" : "&cursor=" + cursor))
                    .expect(200).json();
            page.getJsonArray("conversations").forEach(c -> seen.add(((JsonObject) c).getLong("id")));
            cursor = page.getString("nextCursor");
            if (seen.size() == 3) {
                // Activity arriving between pages moves a conversation to the front, never into a later page twice.
                inbox.say("late", "c0", "Customer 0", "Still there?");
            }
        } while (cursor != null);
        assertThat(new HashSet<>(seen)).hasSize(seen.size());
        assertThat(seen.subList(0, 3)).containsExactly(created.get(6), created.get(5), created.get(4));
        Set<Long> all = new HashSet<>(seen);
        assertThat(all).containsAll(created.subList(1, 7));
    }

    @Test
    void aLongThreadPagesBackwardsInOrder() {
        long conversation = inbox.say("m0", "c1", "Ann", "message 0").getLong("conversationId");
        for (int i = 1; i < 12; i++) {
            inbox.say("m" + i, "c1", "Ann", "message " + i);
        }
        JsonObject page = admin.get("/api/v1/conversations/" + conversation + "/messages?limit=5").expect(200).json();
        assertThat(bodies(page)).containsExactly("message 7", "message 8", "message 9", "message 10", "message 11");
        JsonObject older = admin.get("/api/v1/conversations/" + conversation + "/messages?limit=5&before="
                + page.getLong("nextBefore")).expect(200).json();
        assertThat(bodies(older)).containsExactly("message 2", "message 3", "message 4", "message 5", "message 6");
        JsonObject oldest = admin.get("/api/v1/conversations/" + conversation + "/messages?limit=5&before="
                + older.getLong("nextBefore")).expect(200).json();
        assertThat(bodies(oldest)).containsExactly("message 0", "message 1");
        assertThat(oldest.getValue("nextBefore")).isNull();
        // A cursor naming no message is no end of the thread (an empty page without a cursor reads as one).
        admin.get("/api/v1/conversations/" + conversation + "/messages?before=999999999").expect(404);
        admin.get("/api/v1/conversations/" + conversation + "/messages?after=999999999").expect(404);
    }

    @Test
    void aReplyWithNowhereToGoWaitsVisiblyAndGoesOnceItCan() {
        ApiInbox noHook = ApiInbox.create(admin, "No webhook", null);
        long conversation = noHook.say("m1", "c9", "Zed", "Hello").getLong("conversationId");
        long message = admin.post("/api/v1/conversations/" + conversation + "/messages",
                new JsonObject().put("body", "Hi")).expect(201).json().getLong("id");
        // Nowhere to send it yet: it waits, saying why, and goes once the inbox has a webhook URL.
        await().atMost(Duration.ofSeconds(10)).until(() -> String.valueOf(delivery(conversation, message)
                .getString("lastError")).contains("no webhookUrl"));
        assertThat(delivery(conversation, message).getString("status")).isEqualTo("pending");
        // Nothing failed: a retry answers the reply as it is, waiting.
        assertThat(admin.post("/api/v1/messages/" + message + "/retry", new JsonObject()).expect(200).json()
                .getJsonObject("delivery").getString("status")).isEqualTo("pending");
        admin.patch("/api/v1/inboxes/" + noHook.id(), new JsonObject().put("config",
                new JsonObject().put("webhookUrl", webhook.url()))).expect(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> "sent".equals(delivery(conversation, message)
                .getString("status")));
        assertThat(webhook.received()).hasSize(1);
        admin.post("/api/v1/messages/" + message + "/retry", new JsonObject()).expect(409);
    }

    @Test
    void replyValidationIsClear() {
        long conversation = inbox.say("m1", "c1", "Ann", "Hello").getLong("conversationId");
        String path = "/api/v1/conversations/" + conversation + "/messages";
        assertThat(admin.post(path, new JsonObject()).expect(400).json().getString("detail")).contains("body");
        admin.post(path, new JsonObject().put("body", "x").put("channel", "carrier-pigeon")).expect(400);
        admin.post(path, new JsonObject().put("body", "x").put("channel", "email")).expect(400);
        admin.post(path, new JsonObject().put("body", "x").put("note", true).put("channel", "api")).expect(400);
        admin.post(path, new JsonObject().put("body", "x".repeat(64_001))).expect(400);
        admin.post("/api/v1/conversations/999999/messages", new JsonObject().put("body", "x")).expect(404);
    }

    private JsonObject delivery(long conversation, long message) {
        return thread(conversation).stream().filter(m -> m.getLong("id") == message).findFirst().orElseThrow()
                .getJsonObject("delivery");
    }

    private List<JsonObject> thread(long conversation) {
        List<JsonObject> out = new ArrayList<>();
        admin.get("/api/v1/conversations/" + conversation + "/messages?limit=200").expect(200).json()
                .getJsonArray("messages").forEach(m -> out.add((JsonObject) m));
        return out;
    }

    private List<Long> ids(String path) {
        List<Long> out = new ArrayList<>();
        admin.get(path).expect(200).json().getJsonArray("conversations")
                .forEach(c -> out.add(((JsonObject) c).getLong("id")));
        return out;
    }

    private static List<String> bodies(JsonObject page) {
        List<String> out = new ArrayList<>();
        page.getJsonArray("messages").forEach(m -> out.add(((JsonObject) m).getString("body")));
        return out;
    }
}
