package io.throughline.contact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.conversation.ConversationRepository;
import io.throughline.conversation.MessageKind;
import io.throughline.conversation.MessageRepository;
import io.throughline.conversation.NewMessage;
import io.throughline.store.Database;
import io.throughline.testing.ApiClient;
import io.throughline.testing.HeldTransaction;
import io.throughline.testing.ShopSystem;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Merges meet messages being written, and undos meet later merges: no message may end in a conversation that was
 * merged away, and an undo never splits more, or other, contacts than the one merge it names.
 */
class MergeRacesIT {

    private static final Duration WAIT = Duration.ofSeconds(15);

    private static TestServer server;
    private static ShopSystem shop;
    private static ApiClient admin;
    private static Database database;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        shop = ShopSystem.connect(server, "Shop");
        admin = server.admin();
        database = server.throughline().database();
    }

    @AfterAll
    static void stop() {
        shop.close();
        server.close();
    }

    @Test
    void aNoteStillBeingWrittenIntoTheSourceMovesWithTheMerge() throws Exception {
        JsonObject ann = shop.say("write-a", "Ann Write", "cust-ann-write", "Hello from Ann");
        JsonObject bea = shop.say("write-b", "Bea Write", "cust-bea-write", "Hello from Bea");
        long workspace = workspaceOf(bea.getLong("conversationId"));
        long agent = admin.get("/api/v1/auth/me").json().getLong("agentId");
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch written = new CountDownLatch(1);
        // What an agent's post does (lock the conversation, insert), left uncommitted while the merge starts. Unlike
        // a customer message, it holds no lock on either contact, so only the conversation orders the two.
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> database.tx(tx -> {
            new ConversationRepository().lock(tx, workspace, bea.getLong("conversationId")).orElseThrow();
            new MessageRepository().insert(tx, new NewMessage(workspace, bea.getLong("conversationId"), null, null,
                    MessageKind.NOTE, "agent", null, agent, "Written while the merge ran", null, null, null, null,
                    null, List.of(), null)).orElseThrow();
            written.countDown();
            awaitQuietly(release);
            return null;
        }), Thread::startVirtualThread);
        assertThat(written.await(10, TimeUnit.SECONDS)).isTrue();

        CompletableFuture<ApiClient.Response> merge = CompletableFuture.supplyAsync(() ->
                admin.post("/api/v1/contacts/" + ann.getLong("contactId") + "/merge",
                        new JsonObject().put("otherContactId", bea.getLong("contactId"))), Thread::startVirtualThread);
        await().atMost(WAIT).until(() -> HeldTransaction.someoneWaits(database));
        release.countDown();
        writer.get(10, TimeUnit.SECONDS);
        merge.get(10, TimeUnit.SECONDS).expect(200);

        assertThat(bodies(ann.getLong("conversationId"))).containsExactly("Hello from Ann", "Hello from Bea",
                "Written while the merge ran");
        assertThat(bodies(bea.getLong("conversationId"))).isEmpty();
    }

    @Test
    void aMessagePlacedBeforeAMergeCommittedFollowsTheMerge() throws Exception {
        JsonObject ann = shop.say("place-a", "Ann Place", "cust-ann-place", "First from Ann");
        JsonObject bea = shop.say("place-b", "Bea Place", "cust-bea-place", "First from Bea");
        JsonObject cid = shop.say("place-c", "Cid Place", "cust-cid-place", "First from Cid");
        // An uncommitted row with the external id Ann's next message will carry: her ingest places the message in
        // her conversation, then waits at the insert for this transaction to end. It rolls back.
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> blocker = holdExternalId(cid, "place-a2", release);
        CompletableFuture<JsonObject> ingest = CompletableFuture.supplyAsync(() ->
                shop.say("place-a2", "Ann Place", "cust-ann-place", "Second from Ann"), Thread::startVirtualThread);
        await().atMost(WAIT).until(() -> HeldTransaction.someoneWaits(database));

        admin.post("/api/v1/contacts/" + bea.getLong("contactId") + "/merge",
                new JsonObject().put("otherContactId", ann.getLong("contactId"))).expect(200);
        release.countDown();
        blocker.get(10, TimeUnit.SECONDS);
        JsonObject receipt = ingest.get(10, TimeUnit.SECONDS);

        assertThat(receipt.getLong("conversationId")).isEqualTo(bea.getLong("conversationId"));
        assertThat(bodies(bea.getLong("conversationId"))).containsExactly("First from Ann", "First from Bea",
                "Second from Ann");
        assertThat(bodies(ann.getLong("conversationId"))).isEmpty();
    }

    /**
     * What a merge racing a message that proves an identity can leave behind: the merge read the source's
     * identities before that message's transaction made one proven and committed, so the proven row stayed with
     * the contact merged away (here put there by hand; the target holds it claimed). The customer's next messages
     * follow the merge, rather than failing for ever on the merged conversation or on the target's claimed copy.
     */
    @Test
    void anIdentityLeftProvenOnAMergedAwayContactLeadsToTheContactItWasMergedInto() {
        JsonObject ann = shop.say("left-a", "Ann Left", "cust-ann-left", "First from Ann");
        JsonObject bea = shop.say("left-b", new JsonObject().put("name", "Bea Left").put("identities", new JsonArray()
                .add(new JsonObject().put("kind", "external_id").put("value", "cust-bea-left"))
                .add(new JsonObject().put("kind", "email").put("value", "ann.left@example.com")
                        .put("proven", false))), "First from Bea");
        shop.say("left-a-mail", new JsonObject().put("name", "Ann Left").put("identities", new JsonArray()
                .add(new JsonObject().put("kind", "external_id").put("value", "cust-ann-left"))
                .add(new JsonObject().put("kind", "email").put("value", "ann.left@example.com"))), "My email");
        admin.post("/api/v1/contacts/" + bea.getLong("contactId") + "/merge",
                new JsonObject().put("otherContactId", ann.getLong("contactId"))).expect(200);
        // The merge swapped the email's rows (proven to Bea, claimed to Ann): the race leaves them the other way.
        database.tx(tx -> {
            tx.update("DELETE FROM identities WHERE NOT proven AND value = 'ann.left@example.com'");
            tx.update("UPDATE identities SET contact_id = $1 WHERE proven AND value = ANY($2)",
                    ann.getLong("contactId"), new String[] {"cust-ann-left", "ann.left@example.com"});
            return tx.update("INSERT INTO identities (workspace_id, contact_id, kind, value, proven)"
                    + " SELECT workspace_id, id, 'email', 'ann.left@example.com', false FROM contacts WHERE id = $1",
                    bea.getLong("contactId"));
        });

        JsonObject byId = shop.say("left-a2", "Ann Left", "cust-ann-left", "Second from Ann");
        JsonObject byMail = shop.say("left-a3", new JsonObject().put("name", "Ann Left").put("identities",
                new JsonArray().add(new JsonObject().put("kind", "email").put("value", "ann.left@example.com"))),
                "Third from Ann");

        assertThat(byId.getLong("conversationId")).isEqualTo(bea.getLong("conversationId"));
        assertThat(byMail.getLong("conversationId")).isEqualTo(bea.getLong("conversationId"));
        assertThat(byMail.getLong("contactId")).isEqualTo(bea.getLong("contactId"));
        assertThat(bodies(bea.getLong("conversationId"))).contains("Second from Ann", "Third from Ann");
        assertThat(database.sql().single("SELECT count(*) AS n FROM identities WHERE contact_id = $1 AND proven"
                + " AND value = 'ann.left@example.com'", bea.getLong("contactId")).getLong("n"))
                .as("the claimed copy stays claimed: the proven one is the merged-away contact's").isZero();
    }

    /**
     * The race itself, through ingest: a message proves an email its contact had only claimed, and while it is
     * being written (held at its insert) an agent merges that contact into one claiming the email too. The merge
     * waits for the message, then carries the proven row and the message over; before, it read the row as claimed,
     * left it behind with the contact merged away, and could deadlock with the message on the contact's lock.
     */
    @Test
    void aMergeWaitsForAMessageProvingAnIdentityAndCarriesTheProofOver() throws Exception {
        JsonObject ann = shop.say("proof-a", new JsonObject().put("name", "Ann Proof").put("identities",
                new JsonArray().add(new JsonObject().put("kind", "external_id").put("value", "cust-ann-proof"))
                        .add(new JsonObject().put("kind", "email").put("value", "ann.proof@example.com")
                                .put("proven", false))), "First from Ann");
        JsonObject bea = shop.say("proof-b", new JsonObject().put("name", "Bea Proof").put("identities",
                new JsonArray().add(new JsonObject().put("kind", "external_id").put("value", "cust-bea-proof"))
                        .add(new JsonObject().put("kind", "email").put("value", "ann.proof@example.com")
                                .put("proven", false))), "First from Bea");
        JsonObject cid = shop.say("proof-c", "Cid Proof", "cust-cid-proof", "First from Cid");
        // An uncommitted row with the external id Ann's next message carries: her ingest proves the email, then
        // waits at the message insert for this transaction, which rolls back.
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Void> blocker = holdExternalId(cid, "proof-a2", release);
        CompletableFuture<JsonObject> ingest = CompletableFuture.supplyAsync(() -> shop.say("proof-a2",
                new JsonObject().put("name", "Ann Proof").put("identities", new JsonArray()
                        .add(new JsonObject().put("kind", "external_id").put("value", "cust-ann-proof"))
                        .add(new JsonObject().put("kind", "email").put("value", "ann.proof@example.com"))),
                "It is me, here is my email"), Thread::startVirtualThread);
        await().atMost(WAIT).until(() -> lockWaiters() == 1);
        CompletableFuture<ApiClient.Response> merge = CompletableFuture.supplyAsync(() ->
                admin.post("/api/v1/contacts/" + bea.getLong("contactId") + "/merge",
                        new JsonObject().put("otherContactId", ann.getLong("contactId"))), Thread::startVirtualThread);
        await().atMost(WAIT).until(() -> lockWaiters() == 2);
        long deadlocksBefore = deadlocks();

        release.countDown();
        blocker.get(10, TimeUnit.SECONDS);
        JsonObject receipt = ingest.get(20, TimeUnit.SECONDS);
        merge.get(20, TimeUnit.SECONDS).expect(200);

        assertThat(database.sql().list("SELECT contact_id FROM identities WHERE proven"
                + " AND value = 'ann.proof@example.com'", row -> row.getLong("contact_id")))
                .containsExactly(bea.getLong("contactId"));
        assertThat(receipt.getLong("contactId")).isEqualTo(ann.getLong("contactId"));
        assertThat(bodies(bea.getLong("conversationId"))).contains("It is me, here is my email");
        // The deadlock's victim counts it in its own statistics, flushed within a second or so of going idle.
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                .until(() -> deadlocks() == deadlocksBefore);
    }

    @Test
    void anUndoWaitsUntilTheLaterMergeOfItsTargetIsUndone() {
        JsonObject ann = shop.say("chain-a", "Ann Chain", "cust-ann-chain", "Ann's question");
        JsonObject bea = shop.say("chain-b", "Bea Chain", "cust-bea-chain", "Bea's question");
        JsonObject cid = shop.say("chain-c", "Cid Chain", "cust-cid-chain", "Cid's question");
        long first = mergeId(admin.post("/api/v1/contacts/" + bea.getLong("contactId") + "/merge",
                new JsonObject().put("otherContactId", ann.getLong("contactId"))).expect(200).json());
        long second = mergeId(admin.post("/api/v1/contacts/" + cid.getLong("contactId") + "/merge",
                new JsonObject().put("otherContactId", bea.getLong("contactId"))).expect(200).json());

        JsonObject refused = admin.post("/api/v1/contacts/" + bea.getLong("contactId") + "/unmerge",
                new JsonObject().put("mergeId", first)).expect(409).json();
        assertThat(refused.getString("detail")).contains("undo that merge first");
        assertThat(bodies(cid.getLong("conversationId"))).hasSize(3);

        admin.post("/api/v1/contacts/" + cid.getLong("contactId") + "/unmerge",
                new JsonObject().put("mergeId", second)).expect(200);
        admin.post("/api/v1/contacts/" + bea.getLong("contactId") + "/unmerge",
                new JsonObject().put("mergeId", first)).expect(200);
        assertThat(bodies(ann.getLong("conversationId"))).containsExactly("Ann's question");
        assertThat(bodies(bea.getLong("conversationId"))).containsExactly("Bea's question");
        assertThat(bodies(cid.getLong("conversationId"))).containsExactly("Cid's question");
        assertThat(shop.say("chain-a2", "Ann Chain", "cust-ann-chain", "Ann again").getLong("conversationId"))
                .isEqualTo(ann.getLong("conversationId"));
    }

    @Test
    void anUndoWithoutAMergeIdUndoesTheNewestMergeOnceOnly() {
        JsonObject ann = shop.say("twice-a", "Ann Twice", "cust-ann-twice", "Ann writes");
        JsonObject bea = shop.say("twice-b", "Bea Twice", "cust-bea-twice", "Bea writes");
        JsonObject cid = shop.say("twice-c", "Cid Twice", "cust-cid-twice", "Cid writes");
        String unmerge = "/api/v1/contacts/" + cid.getLong("contactId") + "/unmerge";
        admin.post("/api/v1/contacts/" + cid.getLong("contactId") + "/merge",
                new JsonObject().put("otherContactId", ann.getLong("contactId"))).expect(200);
        admin.post("/api/v1/contacts/" + cid.getLong("contactId") + "/merge",
                new JsonObject().put("otherContactId", bea.getLong("contactId"))).expect(200);

        admin.post(unmerge, new JsonObject()).expect(200);
        JsonObject again = admin.post(unmerge, new JsonObject()).expect(409).json();
        assertThat(again.getString("detail")).contains("undone already");
        assertThat(bodies(cid.getLong("conversationId"))).containsExactly("Ann writes", "Cid writes");
    }

    @Test
    void aMergeKeepsTheSourcesOpenWorkInViewAndItsUndoGivesItBack() {
        long agent = agentId();
        JsonObject[] pair = resolvedThreadMergedWithAnAssignedQuestion("state", agent);
        JsonObject old = pair[0];
        JsonObject fresh = pair[1];
        JsonObject merged = conversation(old);
        assertThat(merged.getString("status")).isEqualTo("open");
        assertThat(merged.getLong("assigneeId")).isEqualTo(agent);
        assertThat(merged.getJsonArray("labels")).containsExactly("billing", "urgent");

        admin.post("/api/v1/contacts/" + old.getLong("contactId") + "/unmerge", new JsonObject()).expect(200);
        JsonObject restored = conversation(old);
        assertThat(restored.getString("status")).isEqualTo("resolved");
        assertThat(restored.getLong("assigneeId")).isNull();
        assertThat(restored.getJsonArray("labels")).containsExactly("billing");
        JsonObject source = conversation(fresh);
        assertThat(source.getString("status")).isEqualTo("open");
        assertThat(source.getLong("assigneeId")).isEqualTo(agent);
        assertThat(source.getJsonArray("labels")).containsExactly("urgent");
        assertThat(eventReasons(old.getLong("conversationId"))).contains("merged", "unmerged");
    }

    /**
     * A snoozed question merged into a resolved thread keeps its reminder there: the thread is snoozed until the
     * question's time and wakes then; the merged-away conversation never wakes on its own.
     */
    @Test
    void aSnoozeMergedIntoAResolvedThreadWakesThatThread() {
        JsonObject old = shop.say("snooze-a", "Old snooze", "cust-old-snooze", "Last year's question");
        JsonObject fresh = shop.say("snooze-b", "New snooze", "cust-new-snooze", "Call me back tomorrow");
        admin.patch(conversationPath(old), new JsonObject().put("status", "resolved")).expect(200);
        Instant until = Instant.now().plus(Duration.ofHours(20)).truncatedTo(ChronoUnit.SECONDS);
        admin.patch(conversationPath(fresh), new JsonObject().put("status", "snoozed")
                .put("snoozedUntil", until.toString())).expect(200);
        admin.post("/api/v1/contacts/" + old.getLong("contactId") + "/merge",
                new JsonObject().put("otherContactId", fresh.getLong("contactId"))).expect(200);
        JsonObject merged = conversation(old);
        assertThat(merged.getString("status")).isEqualTo("snoozed");
        assertThat(Instant.parse(merged.getString("snoozedUntil"))).isEqualTo(until);

        database.sql().update("UPDATE conversations SET snoozed_until = now() - interval '1 second'"
                + " WHERE id IN ($1, $2)", old.getLong("conversationId"), fresh.getLong("conversationId"));
        server.throughline().conversations().wakeSnoozed();
        assertThat(conversation(old).getString("status")).isEqualTo("open");
        assertThat(database.sql().single("SELECT status FROM conversations WHERE id = $1",
                fresh.getLong("conversationId")).getString("status")).isEqualTo("snoozed");
    }

    /**
     * A merge keeps the target's labels and takes the source's, in order, while there is room: the union of two
     * conversations' labels passed a conversation's fifty, and every label added later was refused.
     */
    @Test
    void aMergeKeepsTheLabelsWithinAConversationsLimit() {
        JsonObject target = shop.say("labels-t", "Lea Labels", "cust-lea-labels", "Target");
        JsonObject source = shop.say("labels-s", "Lou Labels", "cust-lou-labels", "Source");
        JsonArray targetLabels = new JsonArray();
        JsonArray sourceLabels = new JsonArray().add("t0").add("t1");
        JsonArray expected = new JsonArray();
        for (int i = 0; i < 45; i++) {
            targetLabels.add("t" + i);
            expected.add("t" + i);
        }
        for (int i = 0; i < 10; i++) {
            sourceLabels.add("s" + i);
            if (i < 5) {
                expected.add("s" + i);
            }
        }
        admin.patch(conversationPath(target), new JsonObject().put("labels", targetLabels)).expect(200);
        admin.patch(conversationPath(source), new JsonObject().put("labels", sourceLabels)).expect(200);
        admin.post("/api/v1/contacts/" + target.getLong("contactId") + "/merge",
                new JsonObject().put("otherContactId", source.getLong("contactId"))).expect(200);
        assertThat(conversation(target).getJsonArray("labels")).isEqualTo(expected);
    }

    @Test
    void anUndoLeavesWhatAgentsAndTheCustomerChangedSinceTheMerge() {
        JsonObject old = resolvedThreadMergedWithAnAssignedQuestion("since", agentId())[0];

        // Since the merge: the customer asked again in the target's thread, and an agent added a label.
        shop.say("since-a2", "Old since", "cust-old-since", "Any news?");
        admin.patch(conversationPath(old), new JsonObject()
                .put("labels", new JsonArray().add("billing").add("urgent").add("vip"))).expect(200);

        admin.post("/api/v1/contacts/" + old.getLong("contactId") + "/unmerge", new JsonObject()).expect(200);
        JsonObject restored = conversation(old);
        assertThat(restored.getString("status")).isEqualTo("open");
        assertThat(restored.getLong("assigneeId")).isNull();
        assertThat(restored.getJsonArray("labels")).containsExactly("billing", "vip");
    }

    /**
     * What the source's customer wrote into the merged thread after the merge, and the reply to it, go back with it
     * on an undo: the target's thread keeps its own customer's messages, and replies default to them again.
     */
    @Test
    void anUndoTakesBackWhatTheSourcesCustomerWroteSinceTheMergeAndTheRepliesToIt() {
        JsonObject target = shop.say("back-a", "Tanya Target", "cust-back-target", "My first question");
        JsonObject source = shop.say("back-b", "Sam Source", "cust-back-source", "A different person asks");
        admin.post("/api/v1/contacts/" + target.getLong("contactId") + "/merge",
                new JsonObject().put("otherContactId", source.getLong("contactId"))).expect(200);
        shop.say("back-a2", "Tanya Target", "cust-back-target", "Tanya again, after the merge");
        shop.say("back-b2", "Sam Source", "cust-back-source", "Sam again, after the merge");
        admin.post(conversationPath(target) + "/messages", new JsonObject().put("body", "Answer for Sam"))
                .expect(201);

        admin.post("/api/v1/contacts/" + target.getLong("contactId") + "/unmerge", new JsonObject()).expect(200);
        assertThat(bodies(target)).containsExactly("My first question", "Tanya again, after the merge");
        assertThat(bodies(source)).containsExactly("A different person asks", "Sam again, after the merge",
                "Answer for Sam");
        JsonObject options = admin.get(conversationPath(target) + "/reply-options").expect(200).json();
        assertThat(options.getJsonObject("default").getJsonObject("to").getString("value"))
                .isEqualTo("cust-back-target");

        // Merged and undone again, the moved messages count as the source's own.
        admin.post("/api/v1/contacts/" + target.getLong("contactId") + "/merge",
                new JsonObject().put("otherContactId", source.getLong("contactId"))).expect(200);
        admin.post("/api/v1/contacts/" + target.getLong("contactId") + "/unmerge", new JsonObject()).expect(200);
        assertThat(bodies(source)).containsExactly("A different person asks", "Sam again, after the merge",
                "Answer for Sam");
    }

    /**
     * A resolved customer writes again while merged away; undone, the merge takes the question back to their own
     * thread, which opens: it stayed resolved, the question waiting unseen among the resolved. A question the merge
     * answered leaves it as it was.
     */
    @Test
    void anUndoOpensTheRestoredThreadWhoseCustomerAskedSince() {
        JsonObject target = shop.say("asked-since-a", "Tess Target", "cust-reopen-target", "My order is late");
        JsonObject source = shop.say("asked-since-b", "Rob Resolved", "cust-reopen-source", "Thanks, all sorted");
        admin.patch(conversationPath(source), new JsonObject().put("status", "resolved")).expect(200);
        admin.post("/api/v1/contacts/" + target.getLong("contactId") + "/merge",
                new JsonObject().put("otherContactId", source.getLong("contactId"))).expect(200);
        shop.say("asked-since-b2", "Rob Resolved", "cust-reopen-source", "Actually, the charger is missing");

        admin.post("/api/v1/contacts/" + target.getLong("contactId") + "/unmerge", new JsonObject()).expect(200);
        assertThat(bodies(source)).containsExactly("Thanks, all sorted", "Actually, the charger is missing");
        assertThat(admin.get(conversationPath(source)).expect(200).json().getString("status")).isEqualTo("open");

        // Resolved and merged again, its question answered in the merged thread: undone, the answer is its newest
        // message, and it stays resolved.
        admin.patch(conversationPath(source), new JsonObject().put("status", "resolved")).expect(200);
        admin.post("/api/v1/contacts/" + target.getLong("contactId") + "/merge",
                new JsonObject().put("otherContactId", source.getLong("contactId"))).expect(200);
        shop.say("asked-since-b3", "Rob Resolved", "cust-reopen-source", "And the manual");
        admin.post(conversationPath(target) + "/messages", new JsonObject().put("body", "Both are on their way"))
                .expect(201);
        admin.post("/api/v1/contacts/" + target.getLong("contactId") + "/unmerge", new JsonObject()).expect(200);
        assertThat(bodies(source)).endsWith("And the manual", "Both are on their way");
        assertThat(admin.get(conversationPath(source)).expect(200).json().getString("status")).isEqualTo("resolved");

        // A thank-you an agent resolved in the merged thread without an answer: undone, it stays resolved too.
        admin.post("/api/v1/contacts/" + target.getLong("contactId") + "/merge",
                new JsonObject().put("otherContactId", source.getLong("contactId"))).expect(200);
        shop.say("asked-since-b4", "Rob Resolved", "cust-reopen-source", "Got them, thanks!");
        admin.patch(conversationPath(target), new JsonObject().put("status", "resolved")).expect(200);
        admin.post("/api/v1/contacts/" + target.getLong("contactId") + "/unmerge", new JsonObject()).expect(200);
        assertThat(bodies(source)).endsWith("Got them, thanks!");
        assertThat(admin.get(conversationPath(source)).expect(200).json().getString("status")).isEqualTo("resolved");
    }

    private static List<String> bodies(JsonObject receipt) {
        return admin.get(conversationPath(receipt) + "/messages").expect(200).json().getJsonArray("messages")
                .stream().map(m -> ((JsonObject) m).getString("body")).toList();
    }

    @Test
    void anUndoKeepsALabelAnotherMergeStillInEffectBrought() {
        JsonObject target = shop.say("two-a", "Target Two", "cust-target-two", "First");
        JsonObject first = shop.say("two-b", "First Source", "cust-first-two", "Second");
        JsonObject second = shop.say("two-c", "Second Source", "cust-second-two", "Third");
        admin.patch(conversationPath(first), new JsonObject().put("labels", new JsonArray().add("urgent")))
                .expect(200);
        admin.patch(conversationPath(second), new JsonObject().put("labels", new JsonArray().add("urgent")))
                .expect(200);
        String merge = "/api/v1/contacts/" + target.getLong("contactId") + "/merge";
        long undone = mergeId(admin.post(merge, new JsonObject().put("otherContactId", first.getLong("contactId")))
                .expect(200).json());
        admin.post(merge, new JsonObject().put("otherContactId", second.getLong("contactId"))).expect(200);

        admin.post("/api/v1/contacts/" + target.getLong("contactId") + "/unmerge",
                new JsonObject().put("mergeId", undone)).expect(200);
        assertThat(conversation(target).getJsonArray("labels")).containsExactly("urgent");
    }

    @Test
    void anUndoKeepsAStatusAnAgentSetAfterTheMerge() {
        JsonObject old = shop.say("set-a", "Old Set", "cust-old-set", "Last year's question");
        JsonObject fresh = shop.say("set-b", "New Set", "cust-new-set", "A new question");
        admin.patch(conversationPath(old), new JsonObject().put("status", "resolved")).expect(200);
        admin.post("/api/v1/contacts/" + old.getLong("contactId") + "/merge",
                new JsonObject().put("otherContactId", fresh.getLong("contactId"))).expect(200);
        admin.patch(conversationPath(old), new JsonObject().put("status", "pending")).expect(200);

        admin.post("/api/v1/contacts/" + old.getLong("contactId") + "/unmerge", new JsonObject()).expect(200);
        assertThat(conversation(old).getString("status")).isEqualTo("pending");
    }

    @Test
    void aMergeWithoutAContactToMergeIsABadRequest() {
        long ann = shop.say("null-a", "Ann Null", "cust-ann-null", "Hello").getLong("contactId");
        JsonObject problem = admin.post("/api/v1/contacts/" + ann + "/merge",
                new JsonObject().putNull("otherContactId")).expect(400).json();
        assertThat(problem.encode()).contains("otherContactId");
    }

    @Test
    void aMessageAnotherAgentMovedMeanwhileIsNotMovedAgainFromWhereItWas() throws Exception {
        JsonObject ann = shop.say("moved-a", "Ann Moved", "cust-ann-moved", "Hello from Ann");
        JsonObject bea = shop.say("moved-b", "Bea Moved", "cust-bea-moved", "Hello from Bea");
        JsonObject cid = shop.say("moved-c", "Cid Moved", "cust-cid-moved", "Hello from Cid");
        JsonObject stray = shop.say("moved-a2", "Ann Moved", "cust-ann-moved", "Meant for another thread");
        long workspace = workspaceOf(ann.getLong("conversationId"));
        // Another agent's move of the message to Cid, holding what a move locks, not yet committed.
        HeldTransaction<Integer> other = HeldTransaction.start(database, tx -> {
            new ContactRepository().lock(tx, workspace, ann.getLong("contactId"), cid.getLong("contactId"));
            new ConversationRepository().lockBoth(tx, workspace, ann.getLong("conversationId"),
                    cid.getLong("conversationId"));
            return tx.update("UPDATE messages SET conversation_id = $2, origin_conversation_id = $2 WHERE id = $1",
                    stray.getLong("messageId"), cid.getLong("conversationId"));
        });
        CompletableFuture<ApiClient.Response> move = CompletableFuture.supplyAsync(() -> admin.post(
                "/api/v1/messages/" + stray.getLong("messageId") + "/move",
                new JsonObject().put("contactId", bea.getLong("contactId"))), Thread::startVirtualThread);
        await().atMost(WAIT).until(() -> HeldTransaction.someoneWaits(database));
        other.commit();

        assertThat(move.get(10, TimeUnit.SECONDS).expect(409).json().getString("detail"))
                .contains("moved to conversation " + cid.getLong("conversationId"));
        assertThat(bodies(cid.getLong("conversationId"))).contains("Meant for another thread");
        assertThat(bodies(bea.getLong("conversationId"))).containsExactly("Hello from Bea");
    }

    @Test
    void aCustomerMessageMovedIntoAResolvedThreadAsItsNewestReopensIt() {
        JsonObject bea = shop.say("reopen-b", "Bea Reopen", "cust-bea-reopen", "Last month's question");
        admin.patch(conversationPath(bea), new JsonObject().put("status", "resolved")).expect(200);
        JsonObject stray = shop.say("reopen-a", "Ann Reopen", "cust-ann-reopen", "Bea's new question");

        admin.post("/api/v1/messages/" + stray.getLong("messageId") + "/move",
                new JsonObject().put("contactId", bea.getLong("contactId"))).expect(200);
        assertThat(conversation(bea).getString("status")).isEqualTo("open");
        assertThat(eventReasons(bea.getLong("conversationId"))).contains("customer message moved in");

        // An older message moved in after an answer stays answered: the thread stays as the agent left it.
        JsonObject old = shop.say("reopen-a2", "Ann Reopen", "cust-ann-reopen", "An older aside");
        admin.post(conversationPath(bea) + "/messages", new JsonObject().put("body", "Answered")).expect(201);
        admin.patch(conversationPath(bea), new JsonObject().put("status", "resolved")).expect(200);
        admin.post("/api/v1/messages/" + old.getLong("messageId") + "/move",
                new JsonObject().put("contactId", bea.getLong("contactId"))).expect(200);
        assertThat(conversation(bea).getString("status")).isEqualTo("resolved");
    }

    @Test
    void twoIngestsSuggestingOnePairEachWayRoundRecordItOnce() throws Exception {
        long ann = shop.say("pair-a", "Ann Pair", "cust-ann-pair", "Hello").getLong("contactId");
        long bea = shop.say("pair-b", "Bea Pair", "cust-bea-pair", "Hello").getLong("contactId");
        long workspace = database.sql().single("SELECT workspace_id FROM contacts WHERE id = $1", ann)
                .getLong("workspace_id");
        ContactRepository contacts = new ContactRepository();
        JsonObject evidence = new JsonObject().put("kind", "email").put("value", "pair@example.com")
                .put("reason", "claimed by both contacts");
        // One node's ingest records the pair and has not committed yet when another's records it the other way.
        HeldTransaction<Optional<Long>> first = HeldTransaction.start(database, tx ->
                contacts.suggestMerge(tx, workspace, ann, bea, evidence));
        CompletableFuture<Optional<Long>> second = CompletableFuture.supplyAsync(() -> database.tx(tx ->
                contacts.suggestMerge(tx, workspace, bea, ann, evidence)), Thread::startVirtualThread);
        await().atMost(WAIT).until(() -> HeldTransaction.someoneWaits(database));

        assertThat(first.commit()).isPresent();
        assertThat(second.get(10, TimeUnit.SECONDS)).isEmpty();
        assertThat(admin.get("/api/v1/contacts/" + ann).expect(200).json().encode()).contains("Bea Pair");
        assertThat(database.sql().single("""
                SELECT count(*) AS n FROM merge_suggestions
                WHERE (contact_id = $1 AND other_contact_id = $2) OR (contact_id = $2 AND other_contact_id = $1)""",
                ann, bea).getLong("n")).isEqualTo(1);
    }

    /**
     * An old customer's thread, resolved and labelled billing, into which a newer customer's open question,
     * assigned to {@code agent} and labelled urgent, is merged. Returns the receipts of both first messages.
     */
    private static JsonObject[] resolvedThreadMergedWithAnAssignedQuestion(String tag, long agent) {
        JsonObject old = shop.say(tag + "-a", "Old " + tag, "cust-old-" + tag, "Last year's question");
        JsonObject fresh = shop.say(tag + "-b", "New " + tag, "cust-new-" + tag, "A new question");
        admin.patch(conversationPath(old), new JsonObject().put("status", "resolved")
                .put("labels", new JsonArray().add("billing"))).expect(200);
        admin.patch(conversationPath(fresh), new JsonObject().put("assigneeId", agent)
                .put("labels", new JsonArray().add("urgent"))).expect(200);
        admin.post("/api/v1/contacts/" + old.getLong("contactId") + "/merge",
                new JsonObject().put("otherContactId", fresh.getLong("contactId"))).expect(200);
        return new JsonObject[] {old, fresh};
    }

    private static long agentId() {
        return admin.get("/api/v1/auth/me").json().getLong("agentId");
    }

    private static String conversationPath(JsonObject receipt) {
        return "/api/v1/conversations/" + receipt.getLong("conversationId");
    }

    private static JsonObject conversation(JsonObject receipt) {
        JsonObject body = admin.get(conversationPath(receipt)).expect(200).json();
        return body.containsKey("conversation") ? body.getJsonObject("conversation") : body;
    }

    /** The reasons given by the events that changed this conversation's state for a merge or an unmerge. */
    private static List<String> eventReasons(long conversation) {
        return database.sql().list("""
                SELECT data ->> 'reason' AS reason FROM events
                WHERE data -> 'conversation' ->> 'id' = $1 AND data ? 'reason' ORDER BY seq""",
                row -> row.getString("reason"), String.valueOf(conversation));
    }

    private static long workspaceOf(long conversation) {
        return database.sql().single("SELECT workspace_id FROM conversations WHERE id = $1", conversation)
                .getLong("workspace_id");
    }

    private static List<String> bodies(long conversation) {
        return database.sql().list("SELECT body FROM messages WHERE conversation_id = $1 ORDER BY id",
                row -> row.getString("body"), conversation);
    }

    private static long mergeId(JsonObject contact) {
        return database.sql().single("SELECT max(id) AS id FROM contact_merges WHERE target_contact_id = $1",
                contact.getLong("id")).getLong("id");
    }

    /**
     * Inserts, in a transaction left open until {@code release}, a placeholder message in {@code owner}'s
     * conversation with this external id: an ingest of a message carrying it waits at its insert, and goes on when
     * the placeholder rolls back. Returns once the row is in, with the transaction's end.
     */
    private static CompletableFuture<Void> holdExternalId(JsonObject owner, String externalId, CountDownLatch release)
            throws InterruptedException {
        long workspace = workspaceOf(owner.getLong("conversationId"));
        CountDownLatch holding = new CountDownLatch(1);
        CompletableFuture<Void> blocker = CompletableFuture.runAsync(() -> {
            try {
                database.tx(tx -> {
                    new MessageRepository().insert(tx, new NewMessage(workspace, owner.getLong("conversationId"),
                            shop.inboxId(), "api", MessageKind.IN, "contact", owner.getLong("contactId"), null,
                            "placeholder", null, null, externalId, new JsonObject(), new JsonObject(), List.of(),
                            null)).orElseThrow();
                    holding.countDown();
                    awaitQuietly(release);
                    throw new RolledBack();
                });
            } catch (RolledBack expected) {
                // the placeholder is gone
            }
        }, Thread::startVirtualThread);
        assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
        return blocker;
    }

    private static long lockWaiters() {
        return database.sql().single("""
                SELECT count(*) AS n FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock'""").getLong("n");
    }

    /** Deadlocks PostgreSQL broke in this database, as its statistics count them (flushed now). */
    private static long deadlocks() {
        return database.sql().single("SELECT pg_stat_force_next_flush() IS NULL AS flushed,"
                + " (SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()) AS n").getLong("n");
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final class RolledBack extends RuntimeException {
    }
}
