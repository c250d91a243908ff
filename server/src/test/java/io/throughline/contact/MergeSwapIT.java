package io.throughline.contact;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.testing.ApiClient;
import io.throughline.testing.ShopSystem;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The merge a suggestion most often leads to: one contact claimed the email another contact proved. The proven
 * identity moves to the kept contact, the claimed copy goes the other way, and unmerge puts both back.
 */
class MergeSwapIT {

    private static TestServer server;
    private static ShopSystem shop;
    private static ApiClient admin;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        shop = ShopSystem.connect(server, "Shop");
        admin = server.admin();
    }

    @AfterAll
    static void stop() {
        shop.close();
        server.close();
    }

    @Test
    void mergingAClaimedCopyOfAProvenIdentitySwapsThemAndUnmergeSwapsBack() {
        long proven = shop.say("swap-1", new JsonObject().put("name", "Mail Mia").put("identities", new JsonArray()
                .add(new JsonObject().put("kind", "email").put("value", "mia@example.com"))), "By mail")
                .getLong("contactId");
        long claimed = shop.say("swap-2", new JsonObject().put("name", "Chat Mia").put("identities", new JsonArray()
                .add(new JsonObject().put("kind", "external_id").put("value", "cust-mia"))
                .add(new JsonObject().put("kind", "email").put("value", "mia@example.com").put("proven", false))),
                "By chat").getLong("contactId");
        assertThat(admin.get("/api/v1/contacts/" + claimed).json().getJsonArray("mergeSuggestions")).hasSize(1);

        JsonObject merged = admin.post("/api/v1/contacts/" + claimed + "/merge",
                new JsonObject().put("otherContactId", proven)).expect(200).json();
        assertThat(identities(merged)).containsExactlyInAnyOrder("external_id:cust-mia:proven",
                "email:mia@example.com:proven");
        assertThat(identities(admin.get("/api/v1/contacts/" + proven).json()))
                .containsExactly("email:mia@example.com:claimed");
        // The address's own customer writes while merged: the mail lands in the merged thread, and goes back with
        // its sender on undo, though the kept contact holds a claimed copy of the address again.
        JsonObject whileMerged = shop.say("swap-3", new JsonObject().put("name", "Mail Mia").put("identities",
                new JsonArray().add(new JsonObject().put("kind", "email").put("value", "mia@example.com"))),
                "Written while merged");
        assertThat(whileMerged.getLong("contactId")).isEqualTo(claimed);

        JsonObject restored = admin.post("/api/v1/contacts/" + claimed + "/unmerge", new JsonObject()).expect(200)
                .json();
        long mailThread = admin.get("/api/v1/contacts/" + proven).json().getLong("conversationId");
        assertThat(bodies(mailThread)).containsExactly("By mail", "Written while merged");
        assertThat(bodies(whileMerged.getLong("conversationId"))).containsExactly("By chat");
        assertThat(identities(restored)).containsExactlyInAnyOrder("external_id:cust-mia:proven",
                "email:mia@example.com:claimed");
        assertThat(identities(admin.get("/api/v1/contacts/" + proven).json()))
                .containsExactly("email:mia@example.com:proven");
    }

    /**
     * The source only claimed an email; after the merge a message of the target's customer proved it, in the merged
     * thread, where that message stays on undo. So does the proof: the target keeps the proven email, and the source
     * gets back what it had, a claimed copy.
     */
    @Test
    void anIdentityProvenAfterTheMergeStaysWithItsProofOnUndoAndTheSourceGetsItsClaimBack() {
        long kept = shop.say("later-1", new JsonObject().put("name", "Shop Lev").put("identities", new JsonArray()
                .add(new JsonObject().put("kind", "external_id").put("value", "cust-lev"))), "By the shop")
                .getLong("contactId");
        long chat = shop.say("later-2", new JsonObject().put("name", "Chat Lev").put("identities", new JsonArray()
                .add(new JsonObject().put("kind", "external_id").put("value", "chat-lev"))
                .add(new JsonObject().put("kind", "email").put("value", "lev@example.com").put("proven", false))),
                "By chat").getLong("contactId");
        admin.post("/api/v1/contacts/" + kept + "/merge", new JsonObject().put("otherContactId", chat)).expect(200);
        // The shop's system vouches for the address now: its customer cust-lev writes with it.
        JsonObject proof = shop.say("later-3", new JsonObject().put("name", "Lev").put("identities", new JsonArray()
                .add(new JsonObject().put("kind", "external_id").put("value", "cust-lev"))
                .add(new JsonObject().put("kind", "email").put("value", "lev@example.com"))), "My address, confirmed");
        assertThat(proof.getLong("contactId")).isEqualTo(kept);
        assertThat(identities(admin.get("/api/v1/contacts/" + kept).json())).contains("email:lev@example.com:proven");

        JsonObject restored = admin.post("/api/v1/contacts/" + kept + "/unmerge", new JsonObject()).expect(200)
                .json();
        assertThat(identities(restored)).containsExactlyInAnyOrder("external_id:cust-lev:proven",
                "email:lev@example.com:proven");
        assertThat(identities(admin.get("/api/v1/contacts/" + chat).json()))
                .containsExactlyInAnyOrder("external_id:chat-lev:proven", "email:lev@example.com:claimed");
        assertThat(shop.say("later-4", new JsonObject().put("name", "Lev").put("identities", new JsonArray()
                .add(new JsonObject().put("kind", "email").put("value", "lev@example.com"))), "Again from my mailbox")
                .getLong("contactId")).as("the address's mail still goes where its proof is").isEqualTo(kept);
    }

    /**
     * Two merges into one contact, undone out of order. The first brought a claimed email; the second brought
     * another customer's proof of it, and the claimed copy went to that customer's contact. Undoing the first now
     * would take the copy from there, and undoing the second would then leave the kept contact holding the email
     * that customer proved (its replies would go to them): the first waits until the second is undone.
     */
    @Test
    void anOlderMergeWhoseIdentityALaterMergeSwappedAwayIsUndoneOnlyAfterIt() {
        long kept = shop.say("order-1", new JsonObject().put("name", "Shop Tova").put("identities", new JsonArray()
                .add(new JsonObject().put("kind", "external_id").put("value", "cust-tova"))), "By the shop")
                .getLong("contactId");
        long chat = shop.say("order-2", new JsonObject().put("name", "Chat Tova").put("identities", new JsonArray()
                .add(new JsonObject().put("kind", "external_id").put("value", "chat-tova"))
                .add(new JsonObject().put("kind", "email").put("value", "tova@example.com").put("proven", false))),
                "By chat").getLong("contactId");
        long mail = shop.say("order-3", new JsonObject().put("name", "Mail Tova").put("identities", new JsonArray()
                .add(new JsonObject().put("kind", "email").put("value", "tova@example.com"))), "By mail")
                .getLong("contactId");
        admin.post("/api/v1/contacts/" + kept + "/merge", new JsonObject().put("otherContactId", chat)).expect(200);
        JsonObject twice = admin.post("/api/v1/contacts/" + kept + "/merge",
                new JsonObject().put("otherContactId", mail)).expect(200).json();
        assertThat(identities(twice)).contains("email:tova@example.com:proven");
        long first = twice.getJsonArray("merges").stream().map(JsonObject.class::cast)
                .filter(m -> m.getLong("sourceContactId") == chat).findFirst().orElseThrow().getLong("id");

        JsonObject refused = admin.post("/api/v1/contacts/" + kept + "/unmerge", new JsonObject()
                .put("mergeId", first)).expect(409).json();
        assertThat(refused.getString("detail")).contains("contact " + mail).contains("undo the later merges");
        assertThat(identities(admin.get("/api/v1/contacts/" + mail).json()))
                .containsExactly("email:tova@example.com:claimed");

        admin.post("/api/v1/contacts/" + kept + "/unmerge", new JsonObject()).expect(200);
        admin.post("/api/v1/contacts/" + kept + "/unmerge", new JsonObject().put("mergeId", first)).expect(200);
        assertThat(identities(admin.get("/api/v1/contacts/" + kept).json()))
                .containsExactly("external_id:cust-tova:proven");
        assertThat(identities(admin.get("/api/v1/contacts/" + chat).json()))
                .containsExactlyInAnyOrder("external_id:chat-tova:proven", "email:tova@example.com:claimed");
        assertThat(identities(admin.get("/api/v1/contacts/" + mail).json()))
                .containsExactly("email:tova@example.com:proven");
    }

    /** A blocked contact merged into another: one person now, and still blocked, whichever side was kept. */
    @Test
    void aBlockedContactMergedIntoAnotherKeepsItsBlock() {
        long spammer = shop.say("blocked-1", new JsonObject().put("name", "Spam One").put("identities",
                new JsonArray().add(new JsonObject().put("kind", "external_id").put("value", "spam-one"))),
                "Cheap watches").getLong("contactId");
        long twin = shop.say("blocked-2", new JsonObject().put("name", "Spam Two").put("identities",
                new JsonArray().add(new JsonObject().put("kind", "external_id").put("value", "spam-two"))),
                "Cheap watches again").getLong("contactId");
        admin.patch("/api/v1/contacts/" + spammer, new JsonObject().put("blocked", true)).expect(200);
        JsonObject merged = admin.post("/api/v1/contacts/" + twin + "/merge",
                new JsonObject().put("otherContactId", spammer)).expect(200).json();
        assertThat(merged.getBoolean("blocked")).isTrue();
        admin.patch("/api/v1/contacts/" + spammer, new JsonObject().put("blocked", false)).expect(409);
        assertThat(shop.send("blocked-3", "Spam Two", "spam-two", "Refused while merged", null).expect(200).json()
                .getString("outcome")).isEqualTo("blocked");

        // The merge was a mistake: undone, the twin is not blocked for the spammer's sake, the spammer still is.
        JsonObject undone = admin.post("/api/v1/contacts/" + twin + "/unmerge", new JsonObject()).expect(200).json();
        assertThat(undone.getBoolean("blocked")).isFalse();
        assertThat(admin.get("/api/v1/contacts/" + spammer).json().getBoolean("blocked")).isTrue();
        assertThat(shop.say("blocked-4", new JsonObject().put("name", "Spam Two").put("identities",
                new JsonArray().add(new JsonObject().put("kind", "external_id").put("value", "spam-two"))),
                "Stored again").getLong("contactId")).isEqualTo(twin);
    }

    /**
     * After the merge blocked the target, an agent unblocked it and then blocked it again themselves: that block is
     * theirs, and undoing the merge keeps it.
     */
    @Test
    void undoingAMergeKeepsABlockAnAgentSetAfterIt() {
        long spammer = shop.say("agent-block-1", new JsonObject().put("name", "Spam Three").put("identities",
                new JsonArray().add(new JsonObject().put("kind", "external_id").put("value", "spam-three"))),
                "Spam").getLong("contactId");
        long target = shop.say("agent-block-2", new JsonObject().put("name", "Target Three").put("identities",
                new JsonArray().add(new JsonObject().put("kind", "external_id").put("value", "target-three"))),
                "Hello").getLong("contactId");
        admin.patch("/api/v1/contacts/" + spammer, new JsonObject().put("blocked", true)).expect(200);
        admin.post("/api/v1/contacts/" + target + "/merge", new JsonObject().put("otherContactId", spammer))
                .expect(200);
        admin.patch("/api/v1/contacts/" + target, new JsonObject().put("blocked", false)).expect(200);
        admin.patch("/api/v1/contacts/" + target, new JsonObject().put("blocked", true)).expect(200);
        assertThat(admin.post("/api/v1/contacts/" + target + "/unmerge", new JsonObject()).expect(200).json()
                .getBoolean("blocked")).isTrue();
    }

    /**
     * Two blocked spammers merged into one contact, the first merge undone by its id: the second spammer is still
     * in the contact, so the block stays; undoing the second lifts it.
     */
    @Test
    void undoingOneOfTwoBlockedSourcesMergesKeepsTheOthersBlock() {
        long target = shop.say("two-spam-0", new JsonObject().put("name", "Kept Customer").put("identities",
                new JsonArray().add(new JsonObject().put("kind", "external_id").put("value", "two-spam-kept"))),
                "Hello").getLong("contactId");
        List<Long> merges = new ArrayList<>();
        for (int i = 1; i <= 2; i++) {
            long spammer = shop.say("two-spam-" + i, new JsonObject().put("name", "Spammer " + i).put("identities",
                    new JsonArray().add(new JsonObject().put("kind", "external_id").put("value", "two-spam-" + i))),
                    "Cheap watches").getLong("contactId");
            admin.patch("/api/v1/contacts/" + spammer, new JsonObject().put("blocked", true)).expect(200);
            merges.add(admin.post("/api/v1/contacts/" + target + "/merge", new JsonObject()
                    .put("otherContactId", spammer)).expect(200).json().getJsonArray("merges").stream()
                    .map(JsonObject.class::cast).filter(m -> m.getLong("sourceContactId") == spammer)
                    .findFirst().orElseThrow().getLong("id"));
        }
        assertThat(admin.post("/api/v1/contacts/" + target + "/unmerge", new JsonObject()
                .put("mergeId", merges.get(0))).expect(200).json().getBoolean("blocked")).isTrue();
        assertThat(shop.send("two-spam-3", "Spammer 2", "two-spam-2", "Still refused", null).expect(200).json()
                .getString("outcome")).isEqualTo("blocked");
        assertThat(admin.post("/api/v1/contacts/" + target + "/unmerge", new JsonObject()
                .put("mergeId", merges.get(1))).expect(200).json().getBoolean("blocked")).isFalse();
    }

    /**
     * A blocked customer is refused whichever of their proven identities a message names first: a shop naming a
     * customer in good standing's id, then the blocked spammer's email, stores nothing (it was stored into the first
     * one's thread); one merged into a blocked contact is followed to it.
     */
    @Test
    void aMessageNamingABlockedContactsProvenIdentityAfterAnotherIsRefused() {
        long good = shop.say("mixed-0", new JsonObject().put("name", "Good Customer").put("identities",
                new JsonArray().add(new JsonObject().put("kind", "external_id").put("value", "mixed-good"))),
                "Hello").getLong("contactId");
        long spammer = shop.say("mixed-1", new JsonObject().put("name", "Spammer").put("identities",
                new JsonArray().add(new JsonObject().put("kind", "email").put("value", "spam@mixed.example"))),
                "Cheap watches").getLong("contactId");
        admin.patch("/api/v1/contacts/" + spammer, new JsonObject().put("blocked", true)).expect(200);

        JsonObject both = new JsonObject().put("name", "Good Customer").put("identities", new JsonArray()
                .add(new JsonObject().put("kind", "external_id").put("value", "mixed-good"))
                .add(new JsonObject().put("kind", "email").put("value", "Spam@Mixed.example")));
        assertThat(shop.send("mixed-2", both, "More cheap watches").expect(200).json().getString("outcome"))
                .isEqualTo("blocked");
        assertThat(server.throughline().database().sql().single("SELECT count(*) AS n FROM messages"
                + " WHERE external_id = 'mixed-2'").getLong("n")).isZero();
        assertThat(shop.say("mixed-3", new JsonObject().put("identities", new JsonArray().add(new JsonObject()
                .put("kind", "external_id").put("value", "mixed-good"))), "Still here").getLong("contactId"))
                .isEqualTo(good);

        // A proven row left with a contact merged into the blocked one (a merge that raced the message proving
        // it): followed to the block.
        long other = shop.say("mixed-4", new JsonObject().put("name", "Alias").put("identities", new JsonArray()
                .add(new JsonObject().put("kind", "external_id").put("value", "mixed-alias"))), "Hi")
                .getLong("contactId");
        admin.post("/api/v1/contacts/" + spammer + "/merge", new JsonObject().put("otherContactId", other))
                .expect(200);
        server.throughline().database().sql().update("INSERT INTO identities (workspace_id, contact_id, kind, value,"
                + " proven, proven_at) SELECT workspace_id, id, 'phone', '+380501112233', true, now() FROM contacts"
                + " WHERE id = $1", other);
        JsonObject viaPhone = new JsonObject().put("identities", new JsonArray()
                .add(new JsonObject().put("kind", "external_id").put("value", "mixed-good"))
                .add(new JsonObject().put("kind", "phone").put("value", "+380501112233")));
        assertThat(shop.send("mixed-5", viaPhone, "And again").expect(200).json().getString("outcome"))
                .isEqualTo("blocked");
    }

    /** A target blocked before the merge stays blocked when the merge is undone: its block was its own. */
    @Test
    void undoingAMergeKeepsABlockTheTargetHadBefore() {
        long blocked = shop.say("own-block-1", new JsonObject().put("name", "Blocked Before").put("identities",
                new JsonArray().add(new JsonObject().put("kind", "external_id").put("value", "own-1"))),
                "Spam").getLong("contactId");
        long other = shop.say("own-block-2", new JsonObject().put("name", "Other").put("identities",
                new JsonArray().add(new JsonObject().put("kind", "external_id").put("value", "own-2"))),
                "Hello").getLong("contactId");
        admin.patch("/api/v1/contacts/" + blocked, new JsonObject().put("blocked", true)).expect(200);
        admin.post("/api/v1/contacts/" + blocked + "/merge", new JsonObject().put("otherContactId", other))
                .expect(200);
        assertThat(admin.post("/api/v1/contacts/" + blocked + "/unmerge", new JsonObject()).expect(200).json()
                .getBoolean("blocked")).isTrue();
    }

    private static List<String> bodies(long conversationId) {
        return admin.get("/api/v1/conversations/" + conversationId + "/messages").expect(200).json()
                .getJsonArray("messages").stream().map(m -> ((JsonObject) m).getString("body")).toList();
    }

    private static List<String> identities(JsonObject contact) {
        return contact.getJsonArray("identities").stream().map(JsonObject.class::cast)
                .map(i -> i.getString("kind") + ":" + i.getString("value") + ":"
                        + (i.getBoolean("proven") ? "proven" : "claimed"))
                .toList();
    }
}
