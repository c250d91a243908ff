package io.throughline.widget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.ApiClient;
import io.throughline.testing.TestServer;
import io.throughline.testing.VisitorClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Widget inboxes and visitor sessions at the protocol level: the site key and secret, origin rules, tokens that
 * grant one visitor's own thread, HMAC-proven identities that grant the whole thread, and claimed emails that
 * never do.
 */
class WidgetSessionIT {

    private static TestServer server;
    private static ApiClient admin;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("widget.newSessionsPerIp", "1000"));
        admin = server.admin();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void creatingAWidgetInboxMintsAPublicSiteKeyAndASecretShownOnce() {
        JsonObject created = Widgets.create(admin, Widgets.SHOP);
        String siteKey = created.getString("siteKey");
        assertThat(siteKey).startsWith("tlw_");
        assertThat(created.getString("identitySecret")).startsWith("tlwid_");
        assertThat(created.getString("snippet")).isEqualTo("<script src=\"" + server.url()
                + "/widget.js\" data-site-key=\"" + siteKey + "\" async></script>");

        long id = created.getLong("id");
        JsonObject stored = admin.get("/api/v1/inboxes/" + id).expect(200).json().getJsonObject("config");
        assertThat(stored.getString("siteKey")).isEqualTo(siteKey);
        assertThat(stored.getString("identitySecret")).isEqualTo("********");
        assertThat(admin.get("/api/v1/inboxes/" + id + "/widget").expect(200).json().getString("snippet"))
                .isEqualTo(created.getString("snippet"));

        JsonObject patched = admin.patch("/api/v1/inboxes/" + id, new JsonObject().put("config", new JsonObject()
                .put("allowedOrigins", new JsonArray().add(Widgets.SHOP)).put("greeting", "Hello!"))).expect(200)
                .json().getJsonObject("config");
        assertThat(patched.getString("siteKey")).as("the key survives a config change").isEqualTo(siteKey);
        assertThat(patched.getString("greeting")).isEqualTo("Hello!");
    }

    /** One visitor holds at most ten sockets (its tabs): the eleventh is refused with 4429, and others go on. */
    @Test
    void aVisitorMayHoldTenSocketsAndTheNextIsRefused() {
        String siteKey = Widgets.create(admin, Widgets.SHOP).getString("siteKey");
        VisitorClient visitor = new VisitorClient(server.url(), siteKey, Widgets.SHOP).start();
        List<VisitorClient.Socket> tabs = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                VisitorClient.Socket tab = visitor.connect(visitor.seq());
                tab.next("ready", Duration.ofSeconds(10));
                tabs.add(tab);
            }
            // The ten are counted once attached (a moment after ready): an eleventh let in before that is closed,
            // and the next one tried.
            int refused = await().atMost(Duration.ofSeconds(20)).until(() -> {
                VisitorClient.Socket extra = visitor.connect(visitor.seq());
                try {
                    return extra.awaitClose(Duration.ofSeconds(2));
                } catch (RuntimeException stillOpen) {
                    extra.close();
                    return null;
                }
            }, code -> code != null);
            assertThat(refused).isEqualTo(4429);
            tabs.getFirst().send(new JsonObject().put("type", "ping"));
            assertThat(tabs.getFirst().next("pong", Duration.ofSeconds(10))).isNotNull();
        } finally {
            tabs.forEach(VisitorClient.Socket::close);
        }
    }

    /** The HTTP fallback's signals are limited as socket frames are: 240 a minute per visitor, 429 beyond. */
    @Test
    void fallbackSignalsAreLimitedPerVisitor() {
        String siteKey = Widgets.create(admin, Widgets.SHOP).getString("siteKey");
        VisitorClient visitor = new VisitorClient(server.url(), siteKey, Widgets.SHOP).start();
        int limited = 0;
        ApiClient.Response refused = null;
        long started = System.nanoTime();
        for (int i = 0; i < 2_000 && limited == 0; i++) {
            ApiClient.Response answer = visitor.post("/widget/v1/typing", new JsonObject().put("typing", i % 2 == 0),
                    true);
            assertThat(answer.status()).isIn(204, 429);
            if (answer.status() == 429) {
                limited = i + 1;
                refused = answer;
            }
        }
        // The bucket refills 4 a second while the loop runs: the first refusal comes that much after the 240th.
        long refilled = (System.nanoTime() - started) / 250_000_000L;
        assertThat(limited).as("the first refused signal").isBetween(241, (int) (241 + refilled + 1));
        assertThat(refused.json().getString("detail")).contains("too many requests");
        // The other fallback endpoints draw on the same signals: one of a few reads right after is refused too.
        List<Integer> reads = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            reads.add(visitor.get("/widget/v1/messages").status());
        }
        assertThat(reads).contains(429);
    }

    @Test
    void anInvalidConfigNamesEveryProblemAtOnce() {
        JsonObject problem = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "widget").put("name", "Bad")
                .put("config", new JsonObject().put("colors", new JsonObject().put("primary", "blue"))
                        .put("locale", "de").put("allowedOrigins", new JsonArray().add("https://shop.test/path"))))
                .expect(400).json();
        assertThat(problem.getJsonArray("errors").stream().map(e -> ((JsonObject) e).getString("field")))
                .contains("config.colors.primary", "config.locale", "config.allowedOrigins[0]");
    }

    @Test
    void aSessionFromAnAllowedOriginGetsATokenAndResumesWithIt() {
        String siteKey = Widgets.create(admin, Widgets.SHOP).getString("siteKey");
        VisitorClient visitor = new VisitorClient(server.url(), siteKey, Widgets.SHOP).start();
        assertThat(visitor.token()).startsWith("tlv_");
        assertThat(visitor.session().getJsonObject("socket").getString("url")).startsWith("/widget/v1/ws?token=wst_");
        assertThat(visitor.session().getJsonObject("settings").containsKey("identitySecret")).isFalse();

        ApiClient.Response resumed = visitor.session(null, visitor.token()).expect(200);
        assertThat(resumed.json().getJsonObject("visitor").getString("id")).isEqualTo(visitor.visitorId());
    }

    @Test
    void aDisallowedOriginGetsNoSessionNoConfigAndNoCors() {
        String siteKey = Widgets.create(admin, Widgets.SHOP).getString("siteKey");
        long before = visitors();
        VisitorClient evil = new VisitorClient(server.url(), siteKey, "https://evil.test");
        assertThat(evil.session(null, null).expect(403).body()).contains("https://evil.test");
        assertThat(new VisitorClient(server.url(), siteKey, "https://shop.test.evil.test").session(null, null)
                .status()).isEqualTo(403);
        ApiClient noOrigin = new ApiClient(server.url());
        noOrigin.post("/widget/v1/sessions", new JsonObject().put("siteKey", siteKey)).expect(403);
        assertThat(visitors()).isEqualTo(before);

        ApiClient.Response config = new ApiClient(server.url()).withHeader("Origin", "https://evil.test")
                .get("/widget/v1/config?siteKey=" + siteKey).expect(403);
        assertThat(config.header("Access-Control-Allow-Origin")).isNull();
        ApiClient.Response allowed = new ApiClient(server.url()).withHeader("Origin", Widgets.SHOP)
                .get("/widget/v1/config?siteKey=" + siteKey).expect(200);
        assertThat(allowed.header("Access-Control-Allow-Origin")).isEqualTo(Widgets.SHOP);
        assertThat(allowed.json().getString("frameUrl")).isEqualTo("/widget/v1/frame?siteKey=" + siteKey);
    }

    @Test
    void wildcardOriginsAllowSubdomainsOnly() {
        String siteKey = Widgets.create(admin, "https://*.example.test").getString("siteKey");
        new VisitorClient(server.url(), siteKey, "https://eu.shop.example.test").start();
        assertThat(new VisitorClient(server.url(), siteKey, "https://example.test").session(null, null).status())
                .isEqualTo(403);
        assertThat(new VisitorClient(server.url(), siteKey, "http://eu.example.test").session(null, null).status())
                .as("the scheme must match").isEqualTo(403);
    }

    @Test
    void anUnknownSiteKeyIsNotFound() {
        new VisitorClient(server.url(), "tlw_no_such_key_000000", Widgets.SHOP).session(null, null).expect(404);
    }

    @Test
    void aForgedVisitorTokenGrantsNothing() {
        String siteKey = Widgets.create(admin, Widgets.SHOP).getString("siteKey");
        VisitorClient victim = new VisitorClient(server.url(), siteKey, Widgets.SHOP).start();
        victim.send(UUID.randomUUID().toString(), "my order number is 4411").expect(201);

        VisitorClient forger = new VisitorClient(server.url(), siteKey, Widgets.SHOP);
        ApiClient.Response fresh = forger.session(null, "tlv_" + "A".repeat(43)).expect(201);
        assertThat(fresh.json().getJsonObject("visitor").getString("id")).isNotEqualTo(victim.visitorId());

        new ApiClient(server.url()).withToken("tlv_forged").get("/widget/v1/messages").expect(401);
        new ApiClient(server.url()).get("/widget/v1/messages").expect(401);
    }

    @Test
    void aForgedOrTamperedSocketTicketIsRefused() {
        String siteKey = Widgets.create(admin, Widgets.SHOP).getString("siteKey");
        VisitorClient visitor = new VisitorClient(server.url(), siteKey, Widgets.SHOP).start();
        try (VisitorClient.Socket socket = visitor.connect("wst_forged.ticket", null)) {
            assertThat(socket.awaitClose(Duration.ofSeconds(10))).isEqualTo(4401);
        }
        String ticket = visitor.session().getJsonObject("socket").getString("token");
        String tampered = ticket.substring(0, ticket.length() - 2) + (ticket.endsWith("AA") ? "BB" : "AA");
        try (VisitorClient.Socket socket = visitor.connect(tampered, null)) {
            assertThat(socket.awaitClose(Duration.ofSeconds(10))).isEqualTo(4401);
        }
        try (VisitorClient.Socket socket = visitor.connect(ticket, null)) {
            assertThat(socket.next("ready", Duration.ofSeconds(10)).getString("visitorId"))
                    .isEqualTo(visitor.visitorId());
        }
    }

    @Test
    void whenHmacIsRequiredAnUnsignedOrWronglySignedIdentityIsRefused() {
        JsonObject inbox = Widgets.create(admin, "Signed", new JsonObject().put("hmacRequired", true), Widgets.SHOP);
        String siteKey = inbox.getString("siteKey");
        String secret = inbox.getString("identitySecret");
        VisitorClient visitor = new VisitorClient(server.url(), siteKey, Widgets.SHOP);

        visitor.session(new JsonObject().put("externalId", "user-7"), null).expect(403);
        visitor.session(new JsonObject().put("externalId", "user-7").put("hmac", "00".repeat(32)), null).expect(403);
        visitor.session(new JsonObject().put("externalId", "user-7")
                .put("hmac", IdentitySignature.sign(secret, "user-8")), null).expect(403);
        visitor.session(new JsonObject().put("externalId", "user-7").put("email", "other@example.test")
                .put("hmac", IdentitySignature.sign(secret, "user-7")), null).expect(403);

        JsonObject proven = visitor.session(new JsonObject().put("externalId", "user-7").put("name", "Jo")
                .put("hmac", IdentitySignature.sign(secret, "user-7")), null).expect(201).json();
        assertThat(proven.getJsonObject("visitor").getBoolean("identified")).isTrue();
        new VisitorClient(server.url(), siteKey, Widgets.SHOP).session(null, null).expect(201);
    }

    @Test
    void aResetEndsTheVisitorAndItsTokenEverywhere() {
        JsonObject inbox = Widgets.create(admin, Widgets.SHOP);
        VisitorClient visitor = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP).start();
        String token = visitor.token();
        String before = visitor.visitorId();
        String ticket = visitor.session().getJsonObject("socket").getString("token");
        visitor.send(UUID.randomUUID().toString(), "written before the logout").expect(201);

        // What the frame sends on Throughline('reset'): the old token, so the server can end it.
        JsonObject fresh = visitor.post("/widget/v1/sessions", new JsonObject()
                .put("siteKey", inbox.getString("siteKey")).put("visitorToken", token).put("reset", true), false)
                .expect(201).json();
        assertThat(fresh.getJsonObject("visitor").getString("id")).isNotEqualTo(before);
        assertThat(fresh.getString("visitorToken")).isNotEqualTo(token);
        // Another tab still holding the old token is signed out too, and the old socket ticket opens nothing.
        assertThat(new ApiClient(server.url()).withHeader("Origin", Widgets.SHOP).withToken(token)
                .get("/widget/v1/messages").status()).isEqualTo(401);
        try (VisitorClient.Socket socket = visitor.connect(ticket, null)) {
            assertThat(socket.awaitClose(Duration.ofSeconds(10))).isEqualTo(4401);
        }
    }

    @Test
    void aResetEndsTheSocketsAndPollsAlreadyOpenForTheOldToken() {
        JsonObject inbox = Widgets.create(admin, Widgets.SHOP);
        VisitorClient visitor = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP).start();
        visitor.send(UUID.randomUUID().toString(), "written before the logout").expect(201);
        WidgetHub hub = server.throughline().widget().hub();
        // Once the hub has routed the message, a poll from here waits rather than answering with its echo.
        long written = server.throughline().database().sql().single("SELECT max(seq) AS s FROM events").getLong("s");
        await().atMost(Duration.ofSeconds(10)).until(() -> hub.routed() >= written);
        long seq = visitor.get("/widget/v1/messages").expect(200).json().getLong("seq");
        try (VisitorClient.Socket socket = visitor.connect(null)) {
            socket.next("ready", Duration.ofSeconds(10));
            CompletableFuture<ApiClient.Response> poll = CompletableFuture.supplyAsync(() ->
                    visitor.get("/widget/v1/messages?since=" + seq + "&wait=60"));
            // This visitor's socket and poll, counted apart from other tests' connections still closing.
            await().atMost(Duration.ofSeconds(10)).until(() -> hub.streams().stream()
                    .filter(s -> s.viewer.publicId().equals(visitor.visitorId())).count() == 2);

            // Another tab logs out: the connections still open with the old token end now, not when they drop.
            visitor.post("/widget/v1/sessions", new JsonObject().put("siteKey", inbox.getString("siteKey"))
                    .put("visitorToken", visitor.token()).put("reset", true), false).expect(201);
            assertThat(socket.awaitClose(Duration.ofSeconds(10))).isEqualTo(4401);
            assertThat(poll.orTimeout(20, TimeUnit.SECONDS).join().status())
                    .as("the poll answers at once instead of waiting its 60 s").isEqualTo(200);
            assertThat(visitor.get("/widget/v1/messages?since=" + seq + "&wait=0").status()).isEqualTo(401);
        }
    }

    @Test
    void aProvenIdentitySeesTheCustomersWholeThreadFromEveryChannel() {
        JsonObject inbox = Widgets.create(admin, Widgets.SHOP);
        Widgets.customerElsewhere(server, admin, "order-mail-1", "Invoice for order 991 attached",
                new JsonObject().put("name", "Dana").put("identities", new JsonArray()
                        .add(new JsonObject().put("kind", "external_id").put("value", "cust-991"))
                        .add(new JsonObject().put("kind", "email").put("value", "dana@example.test"))));

        String hmac = IdentitySignature.sign(inbox.getString("identitySecret"), "cust-991\ndana@example.test");
        VisitorClient dana = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP)
                .start(new JsonObject().put("externalId", "cust-991").put("email", "dana@example.test")
                        .put("hmac", hmac));
        JsonArray thread = dana.history();
        assertThat(thread).hasSize(1);
        assertThat(thread.getJsonObject(0).getString("body")).isEqualTo("Invoice for order 991 attached");
        assertThat(thread.getJsonObject(0).getString("channel")).isEqualTo("api");

        long sent = dana.send(UUID.randomUUID().toString(), "Thanks, and when does it ship?").expect(201).json()
                .getLong("messageId");
        assertThat(dana.history()).hasSize(2);
        // Agents see her browser among the conversation's visitors, found by her proven identity.
        long conversation = Widgets.conversationOf(server, sent);
        assertThat(admin.get("/api/v1/conversations/" + conversation + "/visitors").expect(200).json()
                .getJsonArray("visitors").stream().map(v -> ((JsonObject) v).getString("visitorId")))
                .containsExactly(dana.visitorId());
        assertThat(admin.get("/api/v1/conversations").expect(200).json().getJsonArray("conversations").stream()
                .map(c -> ((JsonObject) c).getJsonObject("contact").getString("name")).filter("Dana"::equals))
                .as("one conversation for the contact, across channels").hasSize(1);
    }

    /**
     * A customer known so far by their address only (their mail, a back office vouching for it): once the site signs
     * them in with their id and that address, the chat shows that thread from the start, and their first message
     * joins it, rather than an empty chat whose first message brings the thread in unseen.
     */
    @Test
    void aCustomerKnownByTheirEmailOnlySeesThatThreadWhenSignedInWithIdAndEmail() {
        JsonObject inbox = Widgets.create(admin, Widgets.SHOP);
        Widgets.customerElsewhere(server, admin, "mail-only-1", "My parcel never came",
                new JsonObject().put("name", "Olha").put("identities", new JsonArray()
                        .add(new JsonObject().put("kind", "email").put("value", "olha@example.test")
                                .put("proven", true))));

        String hmac = IdentitySignature.sign(inbox.getString("identitySecret"), "cust-olha\nolha@example.test");
        VisitorClient olha = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP)
                .start(new JsonObject().put("externalId", "cust-olha").put("email", "olha@example.test")
                        .put("hmac", hmac));
        assertThat(olha.history().stream().map(m -> ((JsonObject) m).getString("body")))
                .containsExactly("My parcel never came");
        olha.send(UUID.randomUUID().toString(), "Any news?").expect(201);
        assertThat(olha.history().stream().map(m -> ((JsonObject) m).getString("body")))
                .containsExactly("My parcel never came", "Any news?");
    }

    /**
     * An email signed other than as it is stored (another case, spaces, mailto:) proves nothing: a site that keeps
     * "Dora@Example.test" and "dora@example.test" as two accounts must not hand the second's thread to the first.
     */
    @Test
    void anEmailSignedOtherThanAsStoredProvesNothing() {
        JsonObject inbox = Widgets.create(admin, Widgets.SHOP);
        Widgets.customerElsewhere(server, admin, "dora-mail-1", "My card ends in 4242", new JsonObject()
                .put("name", "Dora").put("identities", new JsonArray()
                        .add(new JsonObject().put("kind", "email").put("value", "dora@example.test"))));
        String secret = inbox.getString("identitySecret");

        VisitorClient other = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP)
                .start(new JsonObject().put("email", "Dora@Example.test")
                        .put("hmac", IdentitySignature.sign(secret, "Dora@Example.test")));
        assertThat(other.history()).as("the thread of the address as stored stays closed").isEmpty();

        VisitorClient dora = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP)
                .start(new JsonObject().put("email", "dora@example.test")
                        .put("hmac", IdentitySignature.sign(secret, "dora@example.test")));
        assertThat(dora.history()).hasSize(1);
    }

    /**
     * A merge racing a message that proves an identity can leave that identity with the contact merged away (see
     * MergeRacesIT); a signed-in visitor proving it still sees the whole thread the merge made.
     */
    @Test
    void aSignedInVisitorWhoseIdentityStayedWithAMergedAwayContactSeesTheMergedThread() {
        JsonObject inbox = Widgets.create(admin, Widgets.SHOP);
        String hmac = IdentitySignature.sign(inbox.getString("identitySecret"), "cust-vera");
        VisitorClient vera = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP)
                .start(new JsonObject().put("externalId", "cust-vera").put("hmac", hmac));
        long sent = vera.send(UUID.randomUUID().toString(), "Is the blue one in stock?").expect(201).json()
                .getLong("messageId");
        long veraContact = server.throughline().database().sql().single(
                "SELECT author_contact_id FROM messages WHERE id = $1", sent).getLong("author_contact_id");
        JsonObject api = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", "CRM"))
                .expect(201).json();
        long phone = new ApiClient(server.url()).withToken(api.getString("token"))
                .post("/api/v1/inboxes/" + api.getLong("id") + "/inbound", new JsonObject()
                        .put("externalId", "crm-77").put("body", "Order 77 placed by phone")
                        .put("contact", new JsonObject().put("name", "Vera").put("identities", new JsonArray()
                                .add(new JsonObject().put("kind", "phone").put("value", "+380441234567")))))
                .expect(201).json().getLong("contactId");
        admin.post("/api/v1/contacts/" + phone + "/merge", new JsonObject().put("otherContactId", veraContact))
                .expect(200);
        server.throughline().database().sql().update("UPDATE identities SET contact_id = $1"
                + " WHERE kind = 'external_id' AND value = 'cust-vera'", veraContact);

        assertThat(vera.history()).extracting(m -> ((JsonObject) m).getString("body"))
                .containsExactly("Is the blue one in stock?", "Order 77 placed by phone");
    }

    /**
     * A site whose users choose their own ids signs typed: with hmacVersion 2, an id's signature can no longer be
     * presented as an email's (which would open the thread of whoever proved that address), and an untyped
     * signature is refused.
     */
    @Test
    void withTypedSignaturesAnIdsSignatureNeverProvesTheSameTextAsAnEmail() {
        JsonObject inbox = Widgets.create(admin, "Typed", new JsonObject().put("hmacVersion", 2), Widgets.SHOP);
        String secret = inbox.getString("identitySecret");
        String chosenId = "owner@shop.test";
        String typed = "v2=" + IdentitySignature.sign(secret, IdentitySignature.typedText(chosenId, null));
        VisitorClient user = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP);

        assertThat(user.session(new JsonObject().put("externalId", chosenId).put("hmac", typed), null).status())
                .isEqualTo(201);
        assertThat(user.session(new JsonObject().put("email", chosenId).put("hmac", typed), null).status())
                .isEqualTo(403);
        assertThat(user.session(new JsonObject().put("externalId", chosenId)
                .put("hmac", IdentitySignature.sign(secret, chosenId)), null).status())
                .as("untyped signatures refused").isEqualTo(403);
        assertThat(admin.post("/api/v1/inboxes", new JsonObject().put("kind", "widget").put("name", "Bad")
                .put("config", new JsonObject().put("allowedOrigins", new JsonArray().add(Widgets.SHOP))
                        .put("hmacVersion", 3))).expect(400).body()).contains("config.hmacVersion");
    }

    /**
     * The pre-chat form's required fields hold for the form: the email the offline form asks for later, of a visitor
     * who filled the form or of a signed-in customer who never saw it, is taken alone (it was a 400 "name is
     * required" beside a form with no name field).
     */
    @Test
    void theOfflineEmailIsTakenWithoutTheFormsOtherRequiredFields() {
        JsonObject inbox = Widgets.create(admin, "Required", new JsonObject().put("preChatForm", new JsonObject()
                .put("enabled", true).put("fields", new JsonArray()
                        .add(new JsonObject().put("name", "name").put("required", true))
                        .add(new JsonObject().put("name", "email")))), Widgets.SHOP);
        VisitorClient anonymous = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP).start();
        JsonObject emailOnly = new JsonObject().put("email", "later@example.test");
        assertThat(anonymous.post("/widget/v1/profile", emailOnly, true).expect(400).body()).contains("name");
        anonymous.post("/widget/v1/profile", new JsonObject().put("name", "Lena"), true).expect(200);
        assertThat(anonymous.post("/widget/v1/profile", emailOnly, true).expect(200).json()
                .getJsonObject("visitor").getString("email")).isEqualTo("later@example.test");

        VisitorClient signedIn = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP)
                .start(new JsonObject().put("externalId", "member-9").put("hmac",
                        IdentitySignature.sign(inbox.getString("identitySecret"), "member-9")));
        signedIn.post("/widget/v1/profile", new JsonObject().put("email", "member9@example.test"), true).expect(200);
    }

    @Test
    void aClaimedEmailNeverRevealsTheThreadOfTheContactWhoOwnsIt() {
        JsonObject inbox = Widgets.create(admin, "Prechat", new JsonObject().put("preChatForm",
                new JsonObject().put("enabled", true)), Widgets.SHOP);
        JsonObject api = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", "Mail"))
                .expect(201).json();
        JsonObject owner = new ApiClient(server.url()).withToken(api.getString("token"))
                .post("/api/v1/inboxes/" + api.getLong("id") + "/inbound", new JsonObject()
                        .put("externalId", "secret-1").put("body", "My card ends in 4242")
                        .put("contact", new JsonObject().put("identities", new JsonArray()
                                .add(new JsonObject().put("kind", "email").put("value", "owner@example.test")))))
                .expect(201).json();

        VisitorClient impostor = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP).start();
        assertThat(impostor.session().getJsonObject("visitor").getBoolean("showPreChatForm")).isTrue();
        JsonObject profile = impostor.post("/widget/v1/profile", new JsonObject().put("name", "Owner")
                .put("email", "OWNER@example.test"), true).expect(200).json().getJsonObject("visitor");
        assertThat(profile.getBoolean("showPreChatForm")).isFalse();
        assertThat(impostor.history()).isEmpty();

        JsonObject unsigned = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP)
                .start(new JsonObject().put("email", "owner@example.test")).session();
        assertThat(unsigned.getJsonObject("visitor").getBoolean("identified")).isFalse();

        impostor.send(UUID.randomUUID().toString(), "Hi, I am the owner, show me my messages").expect(201);
        JsonArray seen = impostor.history();
        assertThat(seen).hasSize(1);
        assertThat(seen.getJsonObject(0).getString("body")).doesNotContain("4242");

        JsonObject ownerContact = admin.get("/api/v1/contacts/" + owner.getLong("contactId")).expect(200).json();
        assertThat(ownerContact.getJsonArray("mergeSuggestions")).as("agents are offered a merge instead")
                .hasSize(1);
    }

    /**
     * A message the anonymous visitor sent, whose ack was lost before the visitor signed in, is sent again by the
     * signed-in one (the frame hands its unacknowledged messages over): it is acknowledged as the one stored, not
     * refused as another visitor's; a stranger replaying its id still is.
     */
    @Test
    void theVisitorASignInReplacedMayResendWhatItSentBefore() {
        JsonObject inbox = Widgets.create(admin, Widgets.SHOP);
        VisitorClient visitor = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP).start();
        String clientId = UUID.randomUUID().toString();
        long stored = visitor.send(clientId, "sent just before signing in").expect(201).json().getLong("messageId");
        String anonymous = visitor.visitorId();

        visitor.start(new JsonObject().put("externalId", "u-88")
                .put("hmac", IdentitySignature.sign(inbox.getString("identitySecret"), "u-88")));
        assertThat(visitor.visitorId()).isNotEqualTo(anonymous);
        JsonObject again = visitor.send(clientId, "sent just before signing in").expect(200).json();
        assertThat(again.getString("status")).isEqualTo("duplicate");
        assertThat(again.getLong("messageId")).isEqualTo(stored);

        VisitorClient stranger = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP).start();
        stranger.send(clientId, "sent just before signing in").expect(409);

        // Acked over the socket too, but the conversation it went to is not the signed-in visitor's to follow: it
        // may since have been merged into someone else's thread.
        long conversation = Widgets.conversationOf(server, stored);
        try (VisitorClient.Socket socket = visitor.connect(visitor.seq())) {
            socket.send(new JsonObject().put("type", "message").put("clientId", clientId)
                    .put("body", "sent just before signing in"));
            assertThat(socket.next("ack", Duration.ofSeconds(10)).getString("status")).isEqualTo("duplicate");
            admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject()
                    .put("body", "a reply in the anonymous visitor's thread")).expect(201);
            // Once this node's widget hub has routed the reply's event, anything it was sent is on its way.
            long replied = server.throughline().database().sql().single("SELECT max(seq) AS seq FROM events")
                    .getLong("seq");
            WidgetHub hub = server.throughline().widget().hub();
            await().atMost(Duration.ofSeconds(10)).until(() -> hub.routed() >= replied);
            assertThat(socket.drain(Duration.ofMillis(500))).noneMatch(f -> "message".equals(f.getString("type")));
        }
    }

    /**
     * A site that turns attachments off (abuse, say) sends no file uploaded before: each upload was checked, and
     * a message could still carry those made earlier. An upload no message took within a day is not taken either.
     */
    @Test
    void uploadsMadeBeforeAttachmentsWereTurnedOffOrADayAgoAreNotSent() {
        JsonObject inbox = Widgets.create(admin, Widgets.SHOP);
        VisitorClient visitor = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP).start();
        long early = visitor.upload("uploaded before".getBytes(StandardCharsets.UTF_8), "early.txt", "text/plain")
                .expect(201).json().getLong("id");
        long old = visitor.upload("uploaded long ago".getBytes(StandardCharsets.UTF_8), "old.txt", "text/plain")
                .expect(201).json().getLong("id");
        server.throughline().database().sql().update(
                "UPDATE widget_uploads SET created_at = now() - interval '25 hours' WHERE id = $1", old);
        assertThat(visitor.send(new JsonObject().put("clientId", UUID.randomUUID().toString()).put("body", "old")
                .put("attachmentIds", new JsonArray().add(old))).expect(400).json().encode())
                .contains("unknown upload ids");

        try (VisitorClient.Socket socket = visitor.connect(null)) {
            admin.patch("/api/v1/inboxes/" + inbox.getLong("id"), new JsonObject().put("config", new JsonObject()
                    .put("allowedOrigins", new JsonArray().add(Widgets.SHOP)).put("attachments", false)))
                    .expect(200);
            assertThat(visitor.send(new JsonObject().put("clientId", UUID.randomUUID().toString())
                    .put("body", "early").put("attachmentIds", new JsonArray().add(early))).expect(403).json()
                    .getString("detail")).contains("does not accept attachments");
            // A socket open from before the change: it keeps the site it opened with, not its settings.
            socket.send(new JsonObject().put("type", "message").put("clientId", UUID.randomUUID().toString())
                    .put("body", "early, by socket").put("attachmentIds", new JsonArray().add(early)));
            assertThat(socket.next("nack", Duration.ofSeconds(10)).getJsonObject("error").getInteger("status"))
                    .isEqualTo(403);
        }
        // No message of this widget took a file (the class's other tests store theirs on the same server).
        assertThat(server.throughline().database().sql().single("SELECT count(*) AS n FROM attachments a"
                + " JOIN messages m ON m.id = a.message_id WHERE m.inbox_id = $1", inbox.getLong("id"))
                .getLong("n")).isZero();
    }

    /**
     * What the anonymous visitor left unsent goes out after the sign-in with the files it uploaded; what it had
     * sent is acknowledged again even once its uploads were cleared (they live a day), not refused as unknown.
     */
    @Test
    void theVisitorASignInReplacedMaySendItsFilesAfterIt() {
        JsonObject inbox = Widgets.create(admin, Widgets.SHOP);
        VisitorClient visitor = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP).start();
        long sentFile = visitor.upload("Order 4412, the receipt".getBytes(StandardCharsets.UTF_8), "receipt.txt",
                "text/plain").expect(201).json().getLong("id");
        String sent = UUID.randomUUID().toString();
        long stored = visitor.send(new JsonObject().put("clientId", sent).put("body", "here is the receipt")
                .put("attachmentIds", new JsonArray().add(sentFile))).expect(201).json().getLong("messageId");
        long queuedFile = visitor.upload("Order 4412, the photo list".getBytes(StandardCharsets.UTF_8),
                "photos.txt", "text/plain").expect(201).json().getLong("id");

        visitor.start(new JsonObject().put("externalId", "u-89")
                .put("hmac", IdentitySignature.sign(inbox.getString("identitySecret"), "u-89")));
        server.throughline().database().sql().update("DELETE FROM widget_uploads WHERE id = $1", sentFile);
        JsonObject again = visitor.send(new JsonObject().put("clientId", sent).put("body", "here is the receipt")
                .put("attachmentIds", new JsonArray().add(sentFile))).expect(200).json();
        assertThat(again.getString("status")).isEqualTo("duplicate");
        assertThat(again.getLong("messageId")).isEqualTo(stored);

        long queued = visitor.send(new JsonObject().put("clientId", UUID.randomUUID().toString())
                .put("body", "and the photos").put("attachmentIds", new JsonArray().add(queuedFile))).expect(201)
                .json().getLong("messageId");
        JsonObject agentView = admin.get("/api/v1/conversations/" + Widgets.conversationOf(server, queued)
                + "/messages").expect(200).json().getJsonArray("messages").stream().map(JsonObject.class::cast)
                .filter(m -> m.getLong("id") == queued).findFirst().orElseThrow();
        assertThat(agentView.getJsonArray("attachments").getJsonObject(0).getString("filename"))
                .isEqualTo("photos.txt");
        // Another visitor still cannot attach them.
        VisitorClient stranger = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP).start();
        stranger.send(new JsonObject().put("clientId", UUID.randomUUID().toString()).put("body", "mine now")
                .put("attachmentIds", new JsonArray().add(queuedFile))).expect(400);
    }

    /**
     * What a page says about itself is taken as far as it fits (a URL full of tracking parameters, a long title),
     * and a site's numeric user id is an id: neither refuses the chat.
     */
    @Test
    void aLongPageUrlIsCutAndANumericUserIdIsTaken() {
        JsonObject inbox = Widgets.create(admin, Widgets.SHOP);
        String longUrl = Widgets.SHOP + "/product?" + "utm_campaign=x&".repeat(400);
        ApiClient.Response session = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP)
                .post("/widget/v1/sessions", new JsonObject().put("siteKey", inbox.getString("siteKey"))
                        .put("pageUrl", longUrl).put("pageTitle", "Lamp ".repeat(100))
                        .put("identity", new JsonObject().put("externalId", 4242).put("hmac",
                                IdentitySignature.sign(inbox.getString("identitySecret"), "4242"))), false);
        session.expect(201);
        String visitorId = session.json().getJsonObject("visitor").getString("id");
        Row visitor = server.throughline().database().sql().single("SELECT principal_value, context"
                + " FROM widget_visitors WHERE public_id = $1", visitorId);
        assertThat(visitor.getString("principal_value")).isEqualTo("4242");
        assertThat(visitor.getJsonObject("context").getString("pageUrl")).hasSize(2000).startsWith(longUrl
                .substring(0, 100));
        assertThat(visitor.getJsonObject("context").getString("pageTitle")).hasSize(300);
    }

    /** Resuming writes the visitor: a script looping on one token meets 429, as one starting sessions does. */
    @Test
    void resumingOneTokenInALoopIsRateLimited() {
        JsonObject inbox = Widgets.create(admin, Widgets.SHOP);
        VisitorClient visitor = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP).start();
        ApiClient.Response refused = null;
        for (int i = 0; i < 100 && refused == null; i++) {
            ApiClient.Response answer = visitor.session(new JsonObject().put("name", "Looping " + i), visitor.token());
            if (answer.status() == 429) {
                refused = answer;
            } else {
                assertThat(answer.status()).isEqualTo(200);
            }
        }
        assertThat(refused).as("refused within 100 resumes").isNotNull();
        assertThat(refused.json().getString("detail")).contains("too many session requests");
        assertThat(Long.parseLong(refused.header("Retry-After"))).isPositive();
        // Another visitor is not held back by it.
        new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP).start();
    }

    @Test
    void anIdentifiedVisitorsTokenWithoutFreshProofOpensNothing() {
        JsonObject inbox = Widgets.create(admin, Widgets.SHOP);
        String secret = inbox.getString("identitySecret");
        VisitorClient customer = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP)
                .start(new JsonObject().put("externalId", "u-55").put("hmac", IdentitySignature.sign(secret, "u-55")));
        customer.send(UUID.randomUUID().toString(), "private question").expect(201);

        JsonObject next = customer.session(null, customer.token()).expect(201).json();
        assertThat(next.getJsonObject("visitor").getString("id")).isNotEqualTo(customer.visitorId());
        ApiClient stranger = new ApiClient(server.url()).withToken(next.getString("visitorToken"));
        assertThat(stranger.get("/widget/v1/messages").expect(200).json().getJsonArray("messages")).isEmpty();

        // The identified token presented without its proof is retired: a copy left in a shared browser, or taken
        // from it, opens nothing any more, not even as a bearer token.
        new ApiClient(server.url()).withToken(customer.token()).get("/widget/v1/messages").expect(401);

        // Signed in again, the customer sees their thread, from a fresh visitor session.
        JsonObject again = customer.session(new JsonObject().put("externalId", "u-55")
                .put("hmac", IdentitySignature.sign(secret, "u-55")), customer.token()).expect(201).json();
        ApiClient signedIn = new ApiClient(server.url()).withToken(again.getString("visitorToken"));
        assertThat(signedIn.get("/widget/v1/messages").expect(200).json().getJsonArray("messages").stream()
                .map(m -> ((JsonObject) m).getString("body"))).containsExactly("private question");
    }

    @Test
    void anIdentifiedVisitorsTokenLapsesADayAfterItsLastProofAndTheNextSignInRenewsIt() {
        JsonObject inbox = Widgets.create(admin, Widgets.SHOP);
        String secret = inbox.getString("identitySecret");
        JsonObject identity = new JsonObject().put("externalId", "u-77")
                .put("hmac", IdentitySignature.sign(secret, "u-77"));
        VisitorClient customer = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP)
                .start(identity);
        customer.send(UUID.randomUUID().toString(), "where is my order?").expect(201);
        VisitorClient anonymous = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP).start();
        anonymous.send(UUID.randomUUID().toString(), "just browsing").expect(201);

        // More than widget.identifiedTokenTtl (24 h by default) since the site last proved who the customer is.
        server.throughline().database().sql().update("""
                UPDATE widget_visitors SET proven_at = proven_at - interval '25 hours',
                                           created_at = created_at - interval '25 hours'
                WHERE public_id IN ($1, $2)""", customer.visitorId(), anonymous.visitorId());
        new ApiClient(server.url()).withToken(customer.token()).get("/widget/v1/messages").expect(401);
        assertThat(new ApiClient(server.url()).withToken(anonymous.token()).get("/widget/v1/messages").expect(200)
                .json().getJsonArray("messages")).as("an anonymous token has nothing to lapse").hasSize(1);

        // The next page load signs the customer in again: the same token, the same thread.
        JsonObject resumed = customer.session(identity, customer.token()).expect(200).json();
        assertThat(resumed.getJsonObject("visitor").getString("id")).isEqualTo(customer.visitorId());
        assertThat(new ApiClient(server.url()).withToken(customer.token()).get("/widget/v1/messages").expect(200)
                .json().getJsonArray("messages").stream().map(m -> ((JsonObject) m).getString("body")))
                .containsExactly("where is my order?");
    }

    /**
     * An open socket of a signed-in visitor ends once the site's proof is older than widget.identifiedTokenTtl, as
     * the token's other uses do (a socket opened with a copied token streamed the whole thread for as long as it
     * stayed open); an anonymous visitor's socket stays, and signing in again opens a socket at once.
     */
    @Test
    void aSignedInVisitorsOpenSocketEndsWhenTheProofLapses() {
        // Sockets are swept every heartbeat (6 s): the first sweep after the proof's 5 s ends the socket, by 11 s;
        // a silent one would go after three heartbeats (18 s). The 5 s also cover a session's start to its connect.
        try (TestServer lapsing = TestServer.start(Map.of("widget.identifiedTokenTtl", "5s",
                "widget.heartbeat", "6s"))) {
            JsonObject inbox = Widgets.create(lapsing.admin(), Widgets.SHOP);
            JsonObject identity = new JsonObject().put("externalId", "u-88")
                    .put("hmac", IdentitySignature.sign(inbox.getString("identitySecret"), "u-88"));
            VisitorClient customer = new VisitorClient(lapsing.url(), inbox.getString("siteKey"), Widgets.SHOP)
                    .start(identity);
            VisitorClient anonymous = new VisitorClient(lapsing.url(), inbox.getString("siteKey"), Widgets.SHOP)
                    .start();
            try (VisitorClient.Socket signedIn = customer.connect(customer.seq());
                 VisitorClient.Socket open = anonymous.connect(anonymous.seq())) {
                signedIn.next("ready", Duration.ofSeconds(10));
                open.next("ready", Duration.ofSeconds(10));
                assertThat(signedIn.awaitClose(Duration.ofSeconds(30))).as("the signed-in socket").isEqualTo(4401);

                String clientId = open.message("still here");
                open.next(f -> "ack".equals(f.getString("type")) && clientId.equals(f.getString("clientId")),
                        Duration.ofSeconds(10));
                assertThat(open.closedByServer()).as("the anonymous socket").isFalse();
            }
            customer.session(identity, customer.token()).expect(200);
            try (VisitorClient.Socket again = customer.connect(customer.seq())) {
                again.next("ready", Duration.ofSeconds(10));
            }
        }
    }

    /**
     * A site that rotates its identity secret (after a leak, say) ends the sessions the old one signed in, a forger's
     * among them: their tokens and socket tickets open nothing, and signing in with the new secret works at once.
     * Moving to typed signatures (hmacVersion 2) does the same.
     */
    @Test
    void rotatingTheIdentitySecretEndsTheSessionsTheOldOneSignedIn() {
        JsonObject inbox = Widgets.create(admin, Widgets.SHOP);
        String old = inbox.getString("identitySecret");
        VisitorClient forger = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP)
                .start(new JsonObject().put("externalId", "u-4711").put("hmac", IdentitySignature.sign(old, "u-4711")));
        forger.send(UUID.randomUUID().toString(), "what did I order?").expect(201);
        new ApiClient(server.url()).withToken(forger.token()).get("/widget/v1/messages").expect(200);

        String rotated = "tlwid_" + "r".repeat(40);
        try (VisitorClient.Socket open = forger.connect(forger.seq())) {
            open.next("ready", Duration.ofSeconds(10));
            admin.patch("/api/v1/inboxes/" + inbox.getLong("id"), new JsonObject().put("config",
                    new JsonObject().put("allowedOrigins", new JsonArray().add(Widgets.SHOP))
                            .put("identitySecret", rotated))).expect(200);
            assertThat(open.awaitClose(Duration.ofSeconds(10))).as("the socket open as the secret changed")
                    .isEqualTo(4401);
        }
        new ApiClient(server.url()).withToken(forger.token()).get("/widget/v1/messages").expect(401);
        try (VisitorClient.Socket socket = forger.connect(forger.seq())) {
            assertThat(socket.awaitClose(Duration.ofSeconds(10))).as("the old socket ticket").isEqualTo(4401);
        }

        JsonObject identity = new JsonObject().put("externalId", "u-4711")
                .put("hmac", IdentitySignature.sign(rotated, "u-4711"));
        VisitorClient customer = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP)
                .start(identity);
        assertThat(new ApiClient(server.url()).withToken(customer.token()).get("/widget/v1/messages").expect(200)
                .json().getJsonArray("messages").stream().map(m -> ((JsonObject) m).getString("body")))
                .containsExactly("what did I order?");

        admin.patch("/api/v1/inboxes/" + inbox.getLong("id"), new JsonObject().put("config",
                new JsonObject().put("allowedOrigins", new JsonArray().add(Widgets.SHOP)).put("hmacVersion", 2)))
                .expect(200);
        new ApiClient(server.url()).withToken(customer.token()).get("/widget/v1/messages").expect(401);
    }

    @Test
    void aVisitorPollingInALoopIsToldToSlowDown() {
        VisitorClient visitor = new VisitorClient(server.url(), Widgets.create(admin, Widgets.SHOP)
                .getString("siteKey"), Widgets.SHOP).start();
        ApiClient.Response last = null;
        for (int i = 0; i < 400 && (last == null || last.status() == 200); i++) {
            last = visitor.get("/widget/v1/messages?since=" + visitor.seq() + "&wait=0");
        }
        assertThat(last.status()).isEqualTo(429);
        assertThat(last.header("Retry-After")).isNotBlank();
    }

    @Test
    void anExternalIdMustBeSignedAsItIsStored() {
        JsonObject inbox = Widgets.create(admin, Widgets.SHOP);
        String secret = inbox.getString("identitySecret");
        VisitorClient visitor = new VisitorClient(server.url(), inbox.getString("siteKey"), Widgets.SHOP);
        for (String padded : new String[] {" u-56", "u-56\nmallory@example.test"}) {
            JsonObject problem = visitor.session(new JsonObject().put("externalId", padded)
                    .put("hmac", IdentitySignature.sign(secret, padded)), null).expect(400).json();
            assertThat(problem.getJsonArray("errors").getJsonObject(0).getString("field"))
                    .isEqualTo("identity.externalId");
        }
    }

    @Test
    void theChatFrameMayBeFramedOnlyByAllowedOriginsAndNothingElseMayBe() {
        String siteKey = Widgets.create(admin, Widgets.SHOP, "https://*.example.test").getString("siteKey");
        ApiClient.Response frame = new ApiClient(server.url()).get("/widget/v1/frame?siteKey=" + siteKey).expect(200);
        assertThat(frame.header("Content-Security-Policy"))
                .contains("frame-ancestors 'self' " + Widgets.SHOP + " https://*.example.test");
        assertThat(frame.header("X-Frame-Options")).isNull();
        assertThat(frame.body()).contains("/widget/assets/frame.js");

        assertThat(new ApiClient(server.url()).get("/widget/v1/frame?siteKey=nope").header("X-Frame-Options"))
                .isEqualTo("DENY");
        assertThat(new ApiClient(server.url()).get("/").header("X-Frame-Options")).isEqualTo("DENY");
        assertThat(new ApiClient(server.url()).get("/health").header("X-Frame-Options")).isEqualTo("DENY");
        ApiClient.Response loader = new ApiClient(server.url()).get("/widget.js").expect(200);
        assertThat(loader.header("Content-Type")).startsWith("text/javascript");
        assertThat(loader.body()).contains("data-site-key");
    }

    @Test
    void corsPreflightAnswersAllowedOriginsOnly() {
        Widgets.create(admin, Widgets.SHOP);
        ApiClient.Response allowed = new ApiClient(server.url()).withHeader("Origin", Widgets.SHOP)
                .withHeader("Access-Control-Request-Method", "POST")
                .raw("OPTIONS", "/widget/v1/messages", null, new byte[0]);
        assertThat(allowed.status()).isEqualTo(204);
        assertThat(allowed.header("Access-Control-Allow-Origin")).isEqualTo(Widgets.SHOP);
        assertThat(allowed.header("Access-Control-Allow-Headers")).contains("Authorization");
        assertThat(allowed.header("Access-Control-Allow-Credentials")).isNull();
        ApiClient.Response refused = new ApiClient(server.url()).withHeader("Origin", "https://evil.test")
                .withHeader("Access-Control-Request-Method", "POST")
                .raw("OPTIONS", "/widget/v1/messages", null, new byte[0]);
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.header("Access-Control-Allow-Origin")).isNull();
    }

    @Test
    void newSessionsAreRateLimitedPerAddressWithRetryAfter() {
        try (TestServer limited = TestServer.start(Map.of("widget.newSessionsPerIp", "3",
                "widget.sessionWindow", "1h"))) {
            String siteKey = Widgets.create(limited.admin(), Widgets.SHOP).getString("siteKey");
            VisitorClient first = new VisitorClient(limited.url(), siteKey, Widgets.SHOP).start();
            new VisitorClient(limited.url(), siteKey, Widgets.SHOP).start();
            new VisitorClient(limited.url(), siteKey, Widgets.SHOP).start();
            ApiClient.Response refused = new VisitorClient(limited.url(), siteKey, Widgets.SHOP)
                    .session(null, null).expect(429);
            assertThat(Long.parseLong(refused.header("Retry-After"))).isBetween(1L, 3600L);
            assertThat(refused.json().getLong("retryAfterSeconds")).isPositive();
            first.session(null, first.token()).expect(200);
        }
    }

    @Test
    void madeUpSiteKeysAreRefusedPerAddressOnceItsLookupsAreUsedUp() {
        try (TestServer proxied = TestServer.start(Map.of("http.trustProxy", "true"))) {
            JsonObject widget = Widgets.create(proxied.admin(), Widgets.SHOP);
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> proxied.throughline().widget().sites().isOpen(widget.getLong("id")));
            ApiClient script = new ApiClient(proxied.url()).withHeader("X-Forwarded-For", "203.0.113.5")
                    .withHeader("Origin", Widgets.SHOP);
            int unknown = 0;
            ApiClient.Response answer = script.get("/widget/v1/config?siteKey=made-up-0");
            while (answer.status() == 404 && unknown < 100) {
                unknown++;
                answer = script.get("/widget/v1/config?siteKey=made-up-" + unknown);
            }
            assertThat(answer.status()).isEqualTo(429);
            // Tokens come back one per two seconds, so a slow run may see one or two more pass.
            assertThat(unknown).isBetween(SiteDirectory.MISSES_PER_MINUTE, SiteDirectory.MISSES_PER_MINUTE + 3);
            assertThat(Long.parseLong(answer.header("Retry-After"))).isBetween(1L, 60L);
            assertThat(answer.header("Content-Type")).startsWith("application/problem+json");
            // A token comes back every two seconds: one may pass before the refusal, none more.
            assertThat(refusedWithin(2, () -> script.get("/widget/v1/frame?siteKey=made-up-frame"))).isTrue();
            assertThat(refusedWithin(2, () -> script.post("/widget/v1/sessions",
                    new JsonObject().put("siteKey", "made-up-session")))).isTrue();

            assertThat(script.get("/widget/v1/config?siteKey=" + widget.getString("siteKey")).status())
                    .as("an open widget is a map read, served whatever the address tried before").isEqualTo(200);
            assertThat(new ApiClient(proxied.url()).withHeader("X-Forwarded-For", "198.51.100.7")
                    .get("/widget/v1/config?siteKey=made-up-elsewhere").status()).isEqualTo(404);
        }
    }

    /** Whether a 429 answers one of the first {@code tries} requests, the ones before it answering 404. */
    private static boolean refusedWithin(int tries, Supplier<ApiClient.Response> request) {
        for (int i = 0; i < tries; i++) {
            ApiClient.Response answer = request.get();
            if (answer.status() == 429) {
                return true;
            }
            assertThat(answer.status()).isEqualTo(404);
        }
        return false;
    }

    @Test
    void visitorsWhoNeverWroteAreForgottenAfterTheConfiguredTimeAndWritersAreKept() {
        String siteKey = Widgets.create(admin, Widgets.SHOP).getString("siteKey");
        VisitorClient silent = new VisitorClient(server.url(), siteKey, Widgets.SHOP).start();
        VisitorClient writer = new VisitorClient(server.url(), siteKey, Widgets.SHOP).start();
        writer.send(UUID.randomUUID().toString(), "I wrote once").expect(201);
        server.throughline().database().sql().update("UPDATE widget_visitors SET last_active_at = now()"
                + " - interval '100 days' WHERE public_id IN ($1, $2)", silent.visitorId(), writer.visitorId());

        assertThat(server.throughline().widget().forgetIdle()).isGreaterThanOrEqualTo(1);
        assertThat(silent.session(null, silent.token()).expect(201).json().getJsonObject("visitor").getString("id"))
                .as("a forgotten visitor starts afresh").isNotEqualTo(silent.visitorId());
        assertThat(writer.session(null, writer.token()).expect(200).json().getJsonObject("visitor")
                .getString("id")).isEqualTo(writer.visitorId());
        assertThat(writer.history()).hasSize(1);
    }

    private static long visitors() {
        return server.throughline().database().sql().single("SELECT count(*) AS n FROM widget_visitors")
                .getLong("n");
    }
}
