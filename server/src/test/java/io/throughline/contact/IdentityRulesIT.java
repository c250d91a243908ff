package io.throughline.contact;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.testing.ApiClient;
import io.throughline.testing.ApiInbox;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Rule 2: proven identities join threads automatically; claimed ones only suggest; merges can be undone. */
class IdentityRulesIT {

    private TestServer server;
    private ApiClient admin;
    private ApiInbox shop;
    private ApiInbox crm;

    @BeforeEach
    void start() {
        server = TestServer.start();
        admin = server.admin();
        shop = ApiInbox.create(admin, "Shop", null);
        crm = ApiInbox.create(admin, "CRM", null);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /**
     * A name an agent gives is kept on one line, as one that comes with a message is: it reaches mail headers (a line
     * break there is a header injection), events and every agent's inbox. Only breaks and blanks is no name.
     */
    @Test
    void aNameAnAgentGivesIsKeptOnOneLine() {
        long contact = shop.say("n1", "c-rita", "Rita", "Hello").getLong("contactId");

        admin.patch("/api/v1/contacts/" + contact,
                new JsonObject().put("name", "Rita\r\nBcc: x@evil.example\u0007Reyes")).expect(200);

        assertThat(admin.get("/api/v1/contacts/" + contact).expect(200).json().getString("name"))
                .isEqualTo("Rita Bcc: x@evil.example Reyes");
        assertThat(admin.patch("/api/v1/contacts/" + contact, new JsonObject().put("name", "\r\n\t"))
                .expect(400).json().encode()).contains("must not be empty");
    }

    /**
     * Thirty customers each claim the address one customer proved (a script, an office's address): each new claim
     * suggested a merge with every earlier holder, quadratic in rows and events, and the owner's panel listed them
     * all. A claim suggests at most ten merges (the proven holder first), and a panel shows the newest twenty.
     */
    @Test
    void manyCustomersClaimingOneAddressSuggestALimitedNumberOfMerges() {
        long first = shop.send("shared-owner", "Office Owner", new JsonArray()
                .add(ApiInbox.identity("email", "office@example.com", true)), "The office's own mail")
                .expect(201).json().getLong("contactId");
        for (int i = 0; i < 30; i++) {
            shop.send("shared-" + i, "Member " + i, new JsonArray()
                    .add(ApiInbox.identity("external_id", "member-" + i, true))
                    .add(ApiInbox.identity("email", "office@example.com", false)), "Hello from the office")
                    .expect(201);
        }
        long suggestions = server.throughline().database().sql()
                .single("SELECT count(*) AS n FROM merge_suggestions").getLong("n");
        assertThat(suggestions).isLessThanOrEqualTo(10L * 30);
        assertThat(admin.get("/api/v1/contacts/" + first).expect(200).json().getJsonArray("mergeSuggestions"))
                .hasSize(20);
    }

    @Test
    void theSameProvenEmailThroughTwoChannelsIsOneCustomerWithOneThread() {
        JsonObject first = shop.send("s1", "Ann", new JsonArray().add(ApiInbox.identity("email", "Ann@Example.com",
                true)), "Order question").expect(201).json();
        JsonObject second = crm.send("c1", "Ann L.", new JsonArray().add(ApiInbox.identity("email",
                "ann@example.com", true)).add(ApiInbox.identity("phone", "+380 44 123 45 67", true)), "Follow-up")
                .expect(201).json();
        assertThat(second.getLong("contactId")).isEqualTo(first.getLong("contactId"));
        assertThat(second.getLong("conversationId")).isEqualTo(first.getLong("conversationId"));
        JsonObject contact = admin.get("/api/v1/contacts/" + first.getLong("contactId")).expect(200).json();
        assertThat(contact.getString("name")).isEqualTo("Ann");
        assertThat(contact.getJsonArray("identities")).extracting(i -> ((JsonObject) i).getString("value"))
                .containsExactlyInAnyOrder("ann@example.com", "+380441234567");
        assertThat(admin.get("/api/v1/conversations/" + first.getLong("conversationId")).json()
                .getJsonArray("channels")).containsExactly("api");
        // The phone came with the second message: an open contact panel is told to show it.
        assertThat(server.throughline().database().sql().single("""
                SELECT count(*) AS n FROM events WHERE type = 'contact.updated' AND data ->> 'contactId' = $1""",
                String.valueOf(first.getLong("contactId"))).getLong("n")).isEqualTo(1);
    }

    /** Another system cannot prove a Telegram account or a widget visitor: only their own channel does. */
    @Test
    void anApiSystemNamingATelegramAccountOrAVisitorOnlyClaimsIt() {
        ApiInbox shop = ApiInbox.create(admin, "Shop naming others", null);
        JsonObject receipt = shop.send("names-1", "Named Elsewhere", new JsonArray()
                .add(ApiInbox.identity("external_id", "crm-5001", true))
                .add(ApiInbox.identity("telegram", "777000111", true))
                .add(ApiInbox.identity("widget_visitor", "wv_someone_else", true)), "A note from the CRM")
                .expect(201).json();
        JsonArray identities = admin.get("/api/v1/contacts/" + receipt.getLong("contactId")).expect(200).json()
                .getJsonArray("identities");
        assertThat(identities.stream().map(i -> (JsonObject) i).map(i -> i.getString("kind") + ":"
                + (i.getBoolean("proven") ? "proven" : "claimed")))
                .containsExactlyInAnyOrder("external_id:proven", "telegram:claimed", "widget_visitor:claimed");

        // Nor is a reply routed to that chat: it would show in the chat of whoever the visitor really is.
        admin.post("/api/v1/inboxes", new JsonObject().put("kind", "widget").put("name", "Website")
                .put("config", new JsonObject().put("allowedOrigins", new JsonArray().add("https://shop.example"))))
                .expect(201);
        long conversation = receipt.getLong("conversationId");
        JsonObject widget = admin.get("/api/v1/conversations/" + conversation + "/reply-options").expect(200).json()
                .getJsonArray("options").stream().map(JsonObject.class::cast)
                .filter(o -> "widget".equals(o.getString("channel"))).findFirst().orElseThrow();
        assertThat(widget.getBoolean("available")).isFalse();
        assertThat(widget.getString("reason")).contains("proven widget_visitor");
        admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body", "Hello")
                .put("channel", "widget")).expect(400);
    }

    @Test
    void aClaimedEmailNeverJoinsAnotherCustomersThreadButSuggestsAMerge() {
        JsonObject owner = shop.send("s1", "Ann", new JsonArray().add(ApiInbox.identity("email", "ann@example.com",
                true)), "My order").expect(201).json();
        JsonObject claimer = crm.send("c1", "Someone", new JsonArray()
                .add(ApiInbox.identity("external_id", "visitor-77", true))
                .add(ApiInbox.identity("email", "ann@example.com", false)), "I am Ann, show me my order")
                .expect(201).json();
        assertThat(claimer.getLong("contactId")).isNotEqualTo(owner.getLong("contactId"));
        assertThat(claimer.getLong("conversationId")).isNotEqualTo(owner.getLong("conversationId"));
        JsonArray suggestions = admin.get("/api/v1/contacts/" + claimer.getLong("contactId")).json()
                .getJsonArray("mergeSuggestions");
        assertThat(suggestions).hasSize(1);
        JsonObject suggestion = suggestions.getJsonObject(0);
        assertThat(suggestion.getLong("otherContactId")).isEqualTo(owner.getLong("contactId"));
        assertThat(suggestion.getJsonObject("evidence").getString("value")).isEqualTo("ann@example.com");
        assertThat(admin.get("/api/v1/contacts/" + owner.getLong("contactId")).json()
                .getJsonArray("mergeSuggestions")).hasSize(1);

        // An agent says they are two people: the suggestion leaves both panels, and the same claim made again does
        // not bring it back.
        long suggestionId = suggestion.getLong("id");
        String dismiss = "/api/v1/contacts/" + claimer.getLong("contactId") + "/suggestions/" + suggestionId
                + "/dismiss";
        assertThat(admin.post(dismiss, null).expect(200).json().getJsonArray("mergeSuggestions")).isEmpty();
        assertThat(admin.get("/api/v1/contacts/" + owner.getLong("contactId")).json()
                .getJsonArray("mergeSuggestions")).isEmpty();
        admin.post(dismiss, null).expect(200);
        crm.send("c2", "Someone", new JsonArray().add(ApiInbox.identity("external_id", "visitor-77", true))
                .add(ApiInbox.identity("email", "ann@example.com", false)), "Still Ann").expect(201);
        assertThat(admin.get("/api/v1/contacts/" + claimer.getLong("contactId")).json()
                .getJsonArray("mergeSuggestions")).isEmpty();
        admin.post("/api/v1/contacts/999999/suggestions/" + suggestionId + "/dismiss", null).expect(404);
        long stranger = shop.send("s9", "Stranger", new JsonArray().add(ApiInbox.identity("external_id", "x-9",
                true)), "Unrelated").expect(201).json().getLong("contactId");
        admin.post("/api/v1/contacts/" + stranger + "/suggestions/" + suggestionId + "/dismiss", null).expect(404);
        // Merged by hand after all, the merge says so rather than citing the dismissed suggestion.
        JsonObject merged = admin.post("/api/v1/contacts/" + owner.getLong("contactId") + "/merge",
                new JsonObject().put("otherContactId", claimer.getLong("contactId"))).expect(200).json();
        assertThat(merged.getJsonArray("merges").getJsonObject(0).getJsonObject("evidence").getString("source"))
                .isEqualTo("agent");
    }

    /**
     * A suggestion made for a contact that is merged into another since stays in sight, at the contact it lives in:
     * both panels show it (they showed it nowhere), the contact it lives in may dismiss it, merging through it cites
     * it, and undoing that merge dismisses it.
     */
    @Test
    void aSuggestionFollowsItsContactIntoAMerge() {
        long owner = shop.send("fo1", "Olena Owner", new JsonArray().add(ApiInbox.identity("email",
                "olena@example.com", true)), "My order").expect(201).json().getLong("contactId");
        long other = shop.send("fo2", "Petro Owner", new JsonArray().add(ApiInbox.identity("email",
                "petro@example.com", true)), "A question").expect(201).json().getLong("contactId");
        long otherWork = shop.send("fo3", "Petro at work", new JsonArray().add(ApiInbox.identity("email",
                "petro@work.example", true)), "From the office").expect(201).json().getLong("contactId");
        long claimer = crm.send("fc1", "Someone", new JsonArray()
                .add(ApiInbox.identity("external_id", "claimer-1", true))
                .add(ApiInbox.identity("email", "olena@example.com", false))
                .add(ApiInbox.identity("email", "petro@example.com", false))
                .add(ApiInbox.identity("email", "petro@work.example", false)), "Show me my orders").expect(201)
                .json().getLong("contactId");
        long kept = crm.send("fk1", "Dmytro Duplicate", new JsonArray()
                .add(ApiInbox.identity("external_id", "kept-1", true)), "Hello again").expect(201).json()
                .getLong("contactId");
        admin.post("/api/v1/contacts/" + kept + "/merge", new JsonObject().put("otherContactId", claimer))
                .expect(200);
        // Petro's work address, claimed too, is merged into Petro: a second suggestion between the same two.
        admin.post("/api/v1/contacts/" + other + "/merge", new JsonObject().put("otherContactId", otherWork))
                .expect(200);

        JsonArray atOwner = suggestions(owner);
        assertThat(atOwner).hasSize(1);
        assertThat(atOwner.getJsonObject(0).getLong("otherContactId")).isEqualTo(kept);
        assertThat(atOwner.getJsonObject(0).getString("otherContactName")).isEqualTo("Dmytro Duplicate");
        JsonArray atKept = suggestions(kept);
        assertThat(atKept).extracting(s -> ((JsonObject) s).getLong("otherContactId"))
                .containsExactlyInAnyOrder(owner, other);
        long petros = atKept.stream().map(JsonObject.class::cast).filter(s -> s.getLong("otherContactId") == other)
                .findFirst().orElseThrow().getLong("id");
        assertThat(admin.post("/api/v1/contacts/" + kept + "/suggestions/" + petros + "/dismiss", null)
                .expect(200).json().getJsonArray("mergeSuggestions")).hasSize(1);
        assertThat(suggestions(other)).as("both suggestions between the two go").isEmpty();

        JsonObject merged = admin.post("/api/v1/contacts/" + kept + "/merge",
                new JsonObject().put("otherContactId", owner)).expect(200).json();
        assertThat(merged.getJsonArray("merges").getJsonObject(0).getJsonObject("evidence").getString("source"))
                .isEqualTo("suggestion");
        assertThat(merged.getJsonArray("mergeSuggestions")).isEmpty();
        admin.post("/api/v1/contacts/" + kept + "/unmerge", new JsonObject()).expect(200);
        assertThat(suggestions(owner)).as("undone: the two are two people").isEmpty();
        assertThat(suggestions(kept)).isEmpty();
    }

    private JsonArray suggestions(long contact) {
        return admin.get("/api/v1/contacts/" + contact).expect(200).json().getJsonArray("mergeSuggestions");
    }

    @Test
    void aMergeJoinsBothThreadsAndAnUnmergeRestoresThemExactly() {
        JsonObject ann = shop.send("s1", "Ann", new JsonArray().add(ApiInbox.identity("email", "ann@example.com",
                true)), "first from shop").expect(201).json();
        JsonObject visitor = crm.send("c1", "Visitor", new JsonArray()
                .add(ApiInbox.identity("external_id", "v-1", true))
                .add(ApiInbox.identity("email", "ann@example.com", false)), "first from crm").expect(201).json();
        long annContact = ann.getLong("contactId");
        long visitorContact = visitor.getLong("contactId");

        JsonObject merged = admin.post("/api/v1/contacts/" + annContact + "/merge",
                new JsonObject().put("otherContactId", visitorContact)).expect(200).json();
        assertThat(merged.getJsonArray("identities")).extracting(i -> ((JsonObject) i).getString("value"))
                .contains("ann@example.com", "v-1");
        assertThat(merged.getJsonArray("merges").getJsonObject(0).getJsonObject("evidence").getString("source"))
                .isEqualTo("suggestion");
        assertThat(bodies(ann.getLong("conversationId"))).containsExactly("first from shop", "first from crm");
        admin.get("/api/v1/conversations/" + visitor.getLong("conversationId")).expect(200);
        assertThat(admin.get("/api/v1/conversations").json().getJsonArray("conversations")).hasSize(1);

        // After the merge the visitor's proven id reaches Ann's thread.
        crm.send("c2", "Visitor", new JsonArray().add(ApiInbox.identity("external_id", "v-1", true)), "after merge")
                .expect(201);
        assertThat(bodies(ann.getLong("conversationId"))).containsExactly("first from shop", "first from crm",
                "after merge");

        JsonObject unmerged = admin.post("/api/v1/contacts/" + annContact + "/unmerge", new JsonObject())
                .expect(200).json();
        assertThat(unmerged.getLong("restoredContactId")).isEqualTo(visitorContact);
        // What the visitor wrote since the merge goes back with it: it is the visitor's, not Ann's.
        assertThat(bodies(visitor.getLong("conversationId"))).containsExactly("first from crm", "after merge");
        assertThat(bodies(ann.getLong("conversationId"))).containsExactly("first from shop");
        assertThat(admin.get("/api/v1/contacts/" + visitorContact).json().getJsonArray("identities"))
                .extracting(i -> ((JsonObject) i).getString("value")).contains("v-1");
        assertThat(admin.get("/api/v1/conversations").json().getJsonArray("conversations")).hasSize(2);
        // The suggestion that led to the merge does not come back once it is undone; merging again by hand says so.
        assertThat(unmerged.getJsonArray("mergeSuggestions")).isEmpty();
        assertThat(admin.get("/api/v1/contacts/" + visitorContact).json().getJsonArray("mergeSuggestions")).isEmpty();
        JsonObject again = admin.post("/api/v1/contacts/" + annContact + "/merge",
                new JsonObject().put("otherContactId", visitorContact)).expect(200).json();
        assertThat(again.getJsonArray("merges").getJsonObject(0).getJsonObject("evidence").getString("source"))
                .isEqualTo("agent");
        admin.post("/api/v1/contacts/" + annContact + "/unmerge", new JsonObject()).expect(200);
        admin.post("/api/v1/contacts/" + annContact + "/unmerge", new JsonObject()).expect(409);
        admin.post("/api/v1/contacts/" + annContact + "/merge", new JsonObject().put("otherContactId", annContact))
                .expect(400);
    }

    /**
     * While S is merged into T, S's customer writes with an address the shop vouches for: it is attached to the
     * merged contact, T. Undone, the address goes back with S's message (it is S's customer's), and their next mail
     * reaches S, not T.
     */
    @Test
    void anUnmergeGivesBackTheIdentitiesTheSourcesMessagesBroughtMeanwhile() {
        long s = shop.send("s1", "Sam Source", new JsonArray().add(ApiInbox.identity("external_id", "cust-s", true)),
                "I am S").expect(201).json().getLong("contactId");
        long t = shop.send("t1", "Tia Target", new JsonArray().add(ApiInbox.identity("external_id", "cust-t", true))
                .add(ApiInbox.identity("email", "tia@example.com", false)), "I am T").expect(201).json()
                .getLong("contactId");
        admin.post("/api/v1/contacts/" + t + "/merge", new JsonObject().put("otherContactId", s)).expect(200);
        shop.send("s2", "Sam Source", new JsonArray().add(ApiInbox.identity("external_id", "cust-s", true))
                .add(ApiInbox.identity("email", "sam@example.com", true)), "My email, for the record").expect(201);
        assertThat(identities(t)).contains("email:sam@example.com:proven");

        admin.post("/api/v1/contacts/" + t + "/unmerge", new JsonObject()).expect(200);
        assertThat(identities(s)).containsExactlyInAnyOrder("external_id:cust-s:proven",
                "email:sam@example.com:proven");
        assertThat(identities(t)).containsExactlyInAnyOrder("external_id:cust-t:proven",
                "email:tia@example.com:claimed");
        assertThat(shop.send("s3", null, new JsonArray().add(ApiInbox.identity("email", "sam@example.com", true)),
                "Mail from my address").expect(201).json().getLong("contactId")).isEqualTo(s);
    }

    /**
     * While S is merged into T, S's customer writes from an identity new to Throughline listed before the id that
     * finds them (a signed-in customer's widget on a new browser lists its visitor first), then from it alone, and
     * an agent answers. Undone, all of it goes back to S with the new identity: the message is placed by the id S
     * holds again, not by the sender's first identity, which the message itself brought to T.
     */
    @Test
    void anUnmergeGivesBackWhatTheSourcesCustomerWroteFromAnIdentityNewSinceTheMerge() {
        JsonObject nina = shop.send("n1", "Nina Source", new JsonArray()
                .add(ApiInbox.identity("external_id", "cust-nina", true)), "I am Nina").expect(201).json();
        JsonObject theo = shop.send("n2", "Theo Target", new JsonArray()
                .add(ApiInbox.identity("external_id", "cust-theo", true)), "I am Theo").expect(201).json();
        long s = nina.getLong("contactId");
        long t = theo.getLong("contactId");
        admin.post("/api/v1/contacts/" + t + "/merge", new JsonObject().put("otherContactId", s)).expect(200);
        shop.send("n3", "Nina Source", new JsonArray().add(ApiInbox.identity("email", "nina@new.example", true))
                .add(ApiInbox.identity("external_id", "cust-nina", true)), "Writing from my new address")
                .expect(201);
        admin.post("/api/v1/conversations/" + theo.getLong("conversationId") + "/messages",
                new JsonObject().put("body", "Thanks, Nina.")).expect(201);
        shop.send("n4", null, new JsonArray().add(ApiInbox.identity("email", "nina@new.example", true)),
                "And once more from it").expect(201);

        admin.post("/api/v1/contacts/" + t + "/unmerge", new JsonObject()).expect(200);
        assertThat(bodies(nina.getLong("conversationId"))).containsExactly("I am Nina", "Writing from my new address",
                "Thanks, Nina.", "And once more from it");
        assertThat(bodies(theo.getLong("conversationId"))).containsExactly("I am Theo");
        assertThat(identities(s)).containsExactlyInAnyOrder("external_id:cust-nina:proven",
                "email:nina@new.example:proven");
        assertThat(identities(t)).containsExactly("external_id:cust-theo:proven");
        assertThat(shop.send("n5", null, new JsonArray().add(ApiInbox.identity("email", "nina@new.example", true)),
                "After the unmerge").expect(201).json().getLong("contactId")).isEqualTo(s);
    }

    /**
     * S had only claimed an address; merged into T, S's customer proves it (the shop vouches for it with their
     * message). Undone, the proof goes back with that message: the address is S's, proven, and T keeps nothing of it.
     */
    @Test
    void aClaimTheSourcesCustomerProvedWhileMergedGoesBackProven() {
        long s = shop.send("p1", "Pia Source", new JsonArray().add(ApiInbox.identity("external_id", "cust-pia", true))
                .add(ApiInbox.identity("email", "pia@example.com", false)), "I am Pia").expect(201).json()
                .getLong("contactId");
        long t = shop.send("p2", "Tom Target", new JsonArray().add(ApiInbox.identity("external_id", "cust-tom",
                true)), "I am Tom").expect(201).json().getLong("contactId");
        admin.post("/api/v1/contacts/" + t + "/merge", new JsonObject().put("otherContactId", s)).expect(200);
        shop.send("p3", "Pia Source", new JsonArray().add(ApiInbox.identity("external_id", "cust-pia", true))
                .add(ApiInbox.identity("email", "pia@example.com", true)), "Yes, that is my address").expect(201);
        assertThat(identities(t)).contains("email:pia@example.com:proven");

        admin.post("/api/v1/contacts/" + t + "/unmerge", new JsonObject()).expect(200);
        assertThat(identities(s)).containsExactlyInAnyOrder("external_id:cust-pia:proven",
                "email:pia@example.com:proven");
        assertThat(identities(t)).containsExactly("external_id:cust-tom:proven");
    }

    private List<String> identities(long contact) {
        return admin.get("/api/v1/contacts/" + contact).json().getJsonArray("identities").stream()
                .map(JsonObject.class::cast).map(i -> i.getString("kind") + ":" + i.getString("value") + ":"
                        + (i.getBoolean("proven") ? "proven" : "claimed")).toList();
    }

    private List<String> bodies(long conversation) {
        List<String> out = new ArrayList<>();
        admin.get("/api/v1/conversations/" + conversation + "/messages").expect(200).json().getJsonArray("messages")
                .forEach(m -> out.add(((JsonObject) m).getString("body")));
        return out;
    }
}
