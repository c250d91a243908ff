package io.throughline.email;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.ApiClient;
import io.throughline.testing.ApiInbox;
import io.throughline.testing.FakeSmtp;
import io.throughline.testing.MailServer;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import jakarta.mail.Flags;
import jakarta.mail.Message;
import jakarta.mail.Part;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The email channel end to end: GreenMail's IMAP (IDLE) and SMTP against the real server. */
class EmailChannelIT {

    private static final String SUPPORT = "support@acme.test";
    private static final String CUSTOMER = "ann@example.com";
    private static final String CUSTOMER_OTHER = "ann.private@example.org";

    private static TestServer server;
    private static MailServer mail;
    private static ApiClient admin;
    private static long inboxId;

    @BeforeAll
    static void start() {
        mail = MailServer.start().user(SUPPORT).user(CUSTOMER).user(CUSTOMER_OTHER);
        server = TestServer.start();
        admin = server.admin();
        inboxId = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Support")
                .put("config", mail.inboxConfig(SUPPORT, "Acme Support", "reply.acme.test"))).expect(201).json()
                .getLong("id");
    }

    @AfterAll
    static void stop() {
        server.close();
        mail.close();
    }

    /**
     * The channel filter lists where the customer wrote: an agent's reply by email to a customer of the API channel
     * does not put the conversation under email, neither when it is sent nor once a merge works its channels out
     * again from its messages.
     */
    @Test
    void aReplyByEmailDoesNotListTheConversationUnderTheEmailChannel() {
        ApiInbox shop = ApiInbox.create(admin, "Shop for channels", null);
        JsonObject ann = shop.send("channels-1", "Ann Channels", new JsonArray().add(ApiInbox.identity("email",
                "ann.channels@example.com", true)), "Where is my order?").expect(201).json();
        long conversation = ann.getLong("conversationId");
        admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body",
                "It is on its way").put("channel", "email")).expect(201);
        JsonObject again = shop.send("channels-2", "Ann Channels", new JsonArray().add(ApiInbox.identity(
                "external_id", "ann-channels-2", true)), "Me again, from the app").expect(201).json();
        admin.post("/api/v1/contacts/" + ann.getLong("contactId") + "/merge", new JsonObject()
                .put("otherContactId", again.getLong("contactId"))).expect(200);

        assertThat(admin.get("/api/v1/conversations/" + conversation).json().getJsonArray("channels"))
                .containsExactly("api");
        assertThat(admin.get("/api/v1/conversations?channel=email&limit=100").json().getJsonArray("conversations")
                .stream().map(c -> ((JsonObject) c).getLong("id"))).doesNotContain(conversation);
    }

    @Test
    void anAddressOrReplyDomainBelongsToOneInboxOnly() {
        JsonObject sameAddress = mail.inboxConfig(SUPPORT.toUpperCase(java.util.Locale.ROOT), "Copycat",
                "reply.copycat.test");
        JsonObject problem = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Copy")
                .put("config", sameAddress)).expect(409).json();
        assertThat(problem.getString("detail")).contains("another email inbox already uses this address");

        // Padded, as an admin of another workspace could try: it is stored as it routes, and refused the same.
        JsonObject padded = mail.inboxConfig(" " + SUPPORT + " ", "Padded", " Reply.Padded.test ");
        admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Padded")
                .put("config", padded)).expect(409);
        JsonObject paddedDomain = mail.inboxConfig("padded@acme.test", "Padded", " reply.acme.test");
        admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Padded domain")
                .put("config", paddedDomain)).expect(409);

        JsonObject sameReplyDomain = mail.inboxConfig("sales@acme.test", "Acme Sales", "reply.acme.test");
        admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Sales")
                .put("config", sameReplyDomain)).expect(409);
        assertThat(admin.get("/api/v1/inboxes").expect(200).json().getJsonArray("inboxes").stream()
                .map(i -> ((JsonObject) i).getString("name"))).doesNotContain("Copy", "Sales", "Padded",
                "Padded domain");
    }

    @Test
    void customerMailBecomesAConversationAndTheReplyThreadsInTheirClient() throws Exception {
        MimeMessage first = mail.compose("<CAF=first-42@mail.example.com>");
        first.setFrom(new InternetAddress(CUSTOMER, "Ann Lee"));
        first.setRecipients(Message.RecipientType.TO, SUPPORT);
        first.setSubject("Order 42 is late");
        first.setText("Hello, my order 42 has not arrived yet.\n\nAnn");
        first.saveChanges();
        String firstId = first.getMessageID();
        mail.send(first);

        JsonObject conversation = await().atMost(Duration.ofSeconds(20)).until(() -> conversationWith("order 42"),
                c -> c != null);
        long conversationId = conversation.getLong("id");
        JsonObject inbound = messages(conversationId).getJsonObject(0);
        assertThat(inbound.getString("channel")).isEqualTo("email");
        assertThat(inbound.getString("subject")).isEqualTo("Order 42 is late");
        assertThat(inbound.getString("body")).contains("has not arrived yet");
        assertThat(inbound.getJsonObject("threading").getString("reason")).isEqualTo("new");
        assertThat(inbound.getString("externalId")).isEqualTo(firstId.substring(1, firstId.length() - 1));

        JsonObject reply = admin.post("/api/v1/conversations/" + conversationId + "/messages",
                new JsonObject().put("body", "Sorry Ann, it ships today.\nTracking: https://track.example/42"))
                .expect(201).json();
        MimeMessage received = await().atMost(Duration.ofSeconds(20)).until(() -> mail.inbox(CUSTOMER),
                list -> !list.isEmpty()).getFirst();
        assertThat(received.getSubject()).isEqualTo("Re: Order 42 is late");
        InternetAddress from = (InternetAddress) received.getFrom()[0];
        assertThat(from.getAddress()).isEqualTo(SUPPORT);
        assertThat(from.getPersonal()).isEqualTo("Admin via Acme Support");
        assertThat(received.getMessageID()).matches("<msg-" + reply.getLong("id") + "\\." + conversationId
                + "\\.[0-9a-f]{20}@reply\\.acme\\.test>");
        assertThat(received.getHeader("In-Reply-To", null)).isEqualTo(firstId);
        assertThat(received.getHeader("References", null)).contains(firstId);
        String replyTo = ((InternetAddress) received.getReplyTo()[0]).getAddress();
        assertThat(replyTo).matches("reply\\+c" + conversationId + "k[0-9a-f]{20}@reply\\.acme\\.test");
        MimeMultipart body = (MimeMultipart) received.getContent();
        assertThat(body.getContentType()).startsWith("multipart/alternative");
        assertThat((String) body.getBodyPart(0).getContent()).contains("it ships today");
        assertThat((String) body.getBodyPart(1).getContent()).contains("<a href=\"https://track.example/42\">");
        await().atMost(Duration.ofSeconds(10)).until(() -> "sent".equals(messages(conversationId)
                .getJsonObject(1).getJsonObject("delivery").getString("status")));

        // Outlook-style answer from the customer's other address: new headers, no In-Reply-To or References,
        // only the reply token in the address they answered to.
        MimeMessage outlook = mail.compose("<AM0PR01MB-outlook-1@eurprd01.prod.outlook.com>");
        outlook.setFrom(new InternetAddress(CUSTOMER_OTHER, "Ann Lee"));
        outlook.setRecipients(Message.RecipientType.TO, replyTo);
        outlook.setSubject("RE: Order 42 is late");
        outlook.setText("Thanks! Please send it to my office instead.");
        mail.send(outlook, SUPPORT);
        JsonObject answer = await().atMost(Duration.ofSeconds(20)).until(() -> messages(conversationId),
                list -> list.size() == 3).getJsonObject(2);
        assertThat(answer.getJsonObject("threading").getString("reason")).isEqualTo("reply_token");
        assertThat(flags(answer)).contains("unverified_sender");

        // A plain answer from the first address, threaded by In-Reply-To only.
        MimeMessage plain = mail.compose("<plain-answer-1@example.com>");
        plain.setFrom(new InternetAddress(CUSTOMER));
        plain.setRecipients(Message.RecipientType.TO, SUPPORT);
        plain.setSubject("totally different subject");
        plain.setHeader("In-Reply-To", received.getMessageID());
        plain.setText("One more thing.");
        mail.send(plain);
        JsonObject byHeader = await().atMost(Duration.ofSeconds(20)).until(() -> messages(conversationId),
                list -> list.size() == 4).getJsonObject(3);
        assertThat(byHeader.getJsonObject("threading").getString("reason")).isEqualTo("in_reply_to");
        assertThat(flags(byHeader)).doesNotContain("unverified_sender");
        // Other tests of this class write too: only this customer's conversations count.
        assertThat(admin.get("/api/v1/conversations").json().getJsonArray("conversations").stream()
                .map(JsonObject.class::cast).filter(c -> c.getLong("contactId") == conversation(conversationId)
                        .getLong("contactId"))).hasSize(1);
    }

    @Test
    void aWronglyThreadedMessageMovesToItsSendersOwnConversation() throws Exception {
        String colleague = "bob.colleague@example.net";
        MimeMessage start = customerMail("move-start@example.com", "carla@example.com", "Carla", "Broken hinge",
                "The hinge on my cabinet broke.");
        mail.send(start);
        JsonObject first = await().atMost(Duration.ofSeconds(20)).until(() -> conversationWith("hinge on my"),
                c -> c != null);
        long carla = first.getLong("id");
        // Carla's colleague answers in the thread she forwarded him: headers point at Carla's conversation.
        MimeMessage forwarded = mail.compose("<move-colleague@example.net>");
        forwarded.setFrom(new InternetAddress(colleague, "Bob Colleague"));
        forwarded.setRecipients(Message.RecipientType.TO, SUPPORT);
        forwarded.setSubject("Re: Broken hinge");
        forwarded.setHeader("In-Reply-To", "<move-start@example.com>");
        forwarded.setText("I have the same problem with my own order 7781.");
        mail.send(forwarded);
        JsonObject wrong = await().atMost(Duration.ofSeconds(20)).until(() -> messages(carla),
                list -> list.size() == 2).getJsonObject(1);
        assertThat(flags(wrong)).contains("unverified_sender");
        long carlaContact = admin.get("/api/v1/conversations/" + carla).json().getLong("contactId");
        assertThat(identities(carlaContact)).contains("email:" + colleague + ":claimed");

        JsonObject moved = admin.post("/api/v1/messages/" + wrong.getLong("id") + "/move", new JsonObject())
                .expect(200).json();
        long bobConversation = moved.getLong("conversationId");
        assertThat(bobConversation).isNotEqualTo(carla);
        assertThat(moved.getBoolean("contactCreated")).isTrue();
        JsonObject message = moved.getJsonObject("message");
        assertThat(message.getJsonObject("threading").getString("reason")).isEqualTo("moved");
        assertThat(message.getJsonObject("threading").getJsonObject("previous").getString("reason"))
                .isEqualTo("in_reply_to");
        assertThat(flags(message)).doesNotContain("unverified_sender");
        assertThat(messages(carla)).hasSize(1);
        assertThat(identities(carlaContact)).noneMatch(i -> i.contains(colleague));
        assertThat(identities(moved.getLong("contactId"))).containsExactly("email:" + colleague + ":proven");
        assertThat(server.throughline().database().sql().single("""
                SELECT count(*) AS n FROM events WHERE type = 'contact.updated' AND data ->> 'contactId' = $1
                  AND data ->> 'otherContactId' = $2""", String.valueOf(moved.getLong("contactId")),
                String.valueOf(carlaContact)).getLong("n")).isEqualTo(1);
        assertThat(admin.get("/api/v1/contacts/" + moved.getLong("contactId")).json().getString("name"))
                .isEqualTo("Bob Colleague");

        // From now on Bob's own mail threads to his own conversation by sender.
        MimeMessage next = mail.compose("<move-next@example.net>");
        next.setFrom(new InternetAddress(colleague));
        next.setRecipients(Message.RecipientType.TO, SUPPORT);
        next.setSubject("Order 7781");
        next.setText("Any news on order 7781?");
        mail.send(next);
        JsonObject followUp = await().atMost(Duration.ofSeconds(20)).until(() -> messages(bobConversation),
                list -> list.size() == 2).getJsonObject(1);
        assertThat(followUp.getJsonObject("threading").getString("reason")).isEqualTo("sender");
        admin.post("/api/v1/messages/" + followUp.getLong("id") + "/move", new JsonObject()
                .put("contactId", moved.getLong("contactId"))).expect(400);
        // Nor to "its sender's own contact": that is this one (a contact made for it would get no identity, and
        // Bob's next mail would come back here, leaving him two threads).
        long contactsBefore = server.throughline().database().sql().single("SELECT count(*) AS n FROM contacts")
                .getLong("n");
        JsonObject refused = admin.post("/api/v1/messages/" + followUp.getLong("id") + "/move", new JsonObject())
                .expect(400).json();
        assertThat(refused.getJsonArray("errors").getJsonObject(0).getString("field")).isEqualTo("contactId");
        assertThat(server.throughline().database().sql().single("SELECT count(*) AS n FROM contacts")
                .getLong("n")).isEqualTo(contactsBefore);
        assertThat(messages(bobConversation)).hasSize(2);
        admin.post("/api/v1/messages/999999/move", new JsonObject()).expect(404);
    }

    @Test
    void anAnswerToAReplySentWhileTwoCustomersWereMergedGoesToItsSendersThreadOnceUnmerged() throws Exception {
        mail.user("eli@example.org");
        mail.send(customerMail("desk-1@example.org", "dora@example.org", "Dora", "Desk wobbles",
                "My new desk wobbles."));
        long dora = await().atMost(Duration.ofSeconds(20)).until(() -> conversationWith("desk wobbles"),
                c -> c != null).getLong("id");
        mail.send(customerMail("chair-1@example.org", "eli@example.org", "Eli", "Chair squeaks",
                "My chair squeaks."));
        long eli = await().atMost(Duration.ofSeconds(20)).until(() -> conversationWith("chair squeaks"),
                c -> c != null).getLong("id");
        long doraContact = conversation(dora).getLong("contactId");
        long eliContact = conversation(eli).getLong("contactId");
        admin.post("/api/v1/contacts/" + doraContact + "/merge", new JsonObject().put("otherContactId", eliContact))
                .expect(200);
        // The merged thread's reply goes to Eli, who wrote last, with the thread's token and ids.
        admin.post("/api/v1/conversations/" + dora + "/messages", new JsonObject().put("body", "Which model is it?"))
                .expect(201);
        MimeMessage received = await().atMost(Duration.ofSeconds(20)).until(() -> mail.inbox("eli@example.org"),
                list -> !list.isEmpty()).getFirst();
        admin.post("/api/v1/contacts/" + doraContact + "/unmerge", new JsonObject()).expect(200);

        MimeMessage answer = mail.compose("<chair-2@example.org>");
        answer.setFrom(new InternetAddress("eli@example.org", "Eli"));
        answer.setRecipients(Message.RecipientType.TO, received.getReplyTo()[0].toString());
        answer.setSubject("Re: Chair squeaks");
        answer.setHeader("In-Reply-To", received.getMessageID());
        answer.setText("It is the Oslo chair.");
        mail.send(answer, SUPPORT);

        JsonObject stored = await().atMost(Duration.ofSeconds(20)).until(() -> byExternalId("chair-2@example.org"),
                m -> m != null);
        assertThat(stored.getLong("conversationId")).isEqualTo(eli);
        assertThat(stored.getJsonObject("threading").getString("reason")).isEqualTo("sender");
        assertThat(flags(stored)).doesNotContain("unverified_sender");
        assertThat(messages(dora).stream().map(m -> ((JsonObject) m).getString("body")))
                .noneMatch(body -> body.contains("Oslo"));

        // Eli answering Dora's own mail (a colleague in CC) names her thread, not a reply he was sent: it stays
        // there, flagged, as any other sender's would.
        MimeMessage cc = mail.compose("<chair-3@example.org>");
        cc.setFrom(new InternetAddress("eli@example.org", "Eli"));
        cc.setRecipients(Message.RecipientType.TO, SUPPORT);
        cc.setSubject("Re: Desk wobbles");
        cc.setHeader("In-Reply-To", "<desk-1@example.org>");
        cc.setText("Mine wobbled too until I tightened the legs.");
        mail.send(cc);
        JsonObject colleague = await().atMost(Duration.ofSeconds(20)).until(() -> byExternalId("chair-3@example.org"),
                m -> m != null);
        assertThat(colleague.getLong("conversationId")).isEqualTo(dora);
        assertThat(flags(colleague)).contains("unverified_sender");
    }

    @Test
    void aTextFileInACyrillicCharsetIsServedWithItsCharset() throws Exception {
        MimeMessage withNotes = customerMail("notes-1@example.org", "yulia@example.org", "Yulia", "Order notes",
                "The notes are attached.");
        MimeBodyPart text = new MimeBodyPart();
        text.setText("The notes are attached.", "utf-8");
        MimeBodyPart notes = new MimeBodyPart();
        notes.setText("Замовлення 5531: доставка у вівторок", "windows-1251");
        notes.setFileName("notes.txt");
        notes.setDisposition(Part.ATTACHMENT);
        withNotes.setContent(new MimeMultipart(text, notes));
        mail.send(withNotes);

        JsonObject message = await().atMost(Duration.ofSeconds(20)).until(() -> byExternalId("notes-1@example.org"),
                m -> m != null);
        JsonObject file = message.getJsonArray("attachments").getJsonObject(0);
        ApiClient.Response download = admin.get(file.getString("url")).expect(200);
        assertThat(download.headers().firstValue("Content-Type")).hasValue("text/plain; charset=windows-1251");
        assertThat(download.body()).isEqualTo("Замовлення 5531: доставка у вівторок");
    }

    @Test
    void aBounceOfMailSentOutsideThroughlineStaysReadableAsAnAutomatedMessage() throws Exception {
        byte[] dsn = Files.readAllBytes(Path.of(EmailChannelIT.class
                .getResource("/email-corpus/dsn-bounce-postfix.eml").toURI()));
        String text = new String(dsn, StandardCharsets.ISO_8859_1).replace("msg-17.5@reply.acme.test",
                "written-in-webmail-1@acme.test").replace("20240402100005.4F2A1C0D3E@mx.acme.test", "foreign-dsn-1@mx");
        mail.append(SUPPORT, "INBOX", text.getBytes(StandardCharsets.ISO_8859_1), null);
        JsonObject bounce = await().atMost(Duration.ofSeconds(20)).until(() -> byExternalId("foreign-dsn-1@mx"),
                m -> m != null);
        assertThat(flags(bounce)).contains("automated");
        assertThat(bounce.getJsonObject("metadata").getJsonObject("email").getJsonObject("deliveryStatus")
                .getString("reason")).startsWith("550 5.1.1 <nobody@example.com>");
    }

    /**
     * Message and conversation ids are sequential, so "msg-<message>.<conversation>@domain" can be guessed: our
     * Message-IDs carry a tag only the installation can make, and an id without it is not ours.
     */
    @Test
    void messageIdsThatOnlyLookLikeOursAreNotTakenAsOurs() throws Exception {
        MimeMessage question = customerMail("guess-1@example.org", "gus@example.org", "Gus", "Order 77",
                "Where is order 77?");
        mail.send(question);
        long conversationId = await().atMost(Duration.ofSeconds(20)).until(() -> conversationWith("order 77?"),
                c -> c != null).getLong("id");
        long reply = admin.post("/api/v1/conversations/" + conversationId + "/messages",
                new JsonObject().put("body", "It left the warehouse today.")).expect(201).json().getLong("id");
        await().atMost(Duration.ofSeconds(20)).until(() -> "sent".equals(messages(conversationId).getJsonObject(1)
                .getJsonObject("delivery").getString("status")));
        String guessed = "msg-" + reply + "." + conversationId + "@reply.acme.test";

        // A bounce forged by someone who never saw the reply: it cannot mark it failed.
        byte[] dsn = Files.readAllBytes(Path.of(EmailChannelIT.class
                .getResource("/email-corpus/dsn-bounce-postfix.eml").toURI()));
        String forged = new String(dsn, StandardCharsets.ISO_8859_1).replace("msg-17.5@reply.acme.test", guessed)
                .replace("20240402100005.4F2A1C0D3E@mx.acme.test", "forged-dsn-1@mx");
        mail.append(SUPPORT, "INBOX", forged.getBytes(StandardCharsets.ISO_8859_1), null);
        JsonObject bounce = await().atMost(Duration.ofSeconds(20)).until(() -> byExternalId("forged-dsn-1@mx"),
                m -> m != null);
        assertThat(flags(bounce)).as("kept as a message agents can read").contains("automated");
        assertThat(messages(conversationId).getJsonObject(1).getJsonObject("delivery").getString("status"))
                .isEqualTo("sent");

        // A customer's mail whose Message-ID merely looks like one of ours is not skipped as our own copy.
        MimeMessage lookalike = mail.compose("<msg-" + (reply + 1000) + "." + conversationId + "@reply.acme.test>");
        lookalike.setFrom(new InternetAddress("gus@example.org", "Gus"));
        lookalike.setRecipients(Message.RecipientType.TO, SUPPORT);
        lookalike.setSubject("Order 77 again");
        lookalike.setText("Still waiting for order 77, my mail client makes odd ids.");
        mail.send(lookalike);
        await().atMost(Duration.ofSeconds(20)).until(() -> messages(conversationId).stream()
                .map(JsonObject.class::cast).anyMatch(m -> m.getString("body", "").contains("odd ids")));
    }

    /** A bounce is applied once: read again after an agent's retry went out, it does not fail the retry. */
    @Test
    void aBounceReadAgainAfterARetryLeavesTheRetrySent() throws Exception {
        MimeMessage question = customerMail("vase-q-1@example.org", "vera@example.org", "Vera", "Vase",
                "The vase came with a chip.");
        mail.send(question);
        long conversationId = await().atMost(Duration.ofSeconds(20)).until(() -> conversationWith("with a chip"),
                c -> c != null).getLong("id");
        long reply = admin.post("/api/v1/conversations/" + conversationId + "/messages",
                new JsonObject().put("body", "Sorry about that: a new one is on its way.")).expect(201).json()
                .getLong("id");
        await().atMost(Duration.ofSeconds(20)).until(() -> status(conversationId, reply), "sent"::equals);
        String sentId = server.throughline().database().sql().single(
                "SELECT external_id FROM deliveries WHERE message_id = $1", reply).getString("external_id");

        byte[] bounce = bounce(sentId, "vase-dsn-1@mx", "vera@example.org");
        mail.append(SUPPORT, "INBOX", bounce, null);
        await().atMost(Duration.ofSeconds(20)).until(() -> status(conversationId, reply), "failed"::equals);
        admin.post("/api/v1/messages/" + reply + "/retry", new JsonObject()).expect(200);
        await().atMost(Duration.ofSeconds(20)).until(() -> status(conversationId, reply), "sent"::equals);

        // The same bounce read again (a folder read anew): the mail after it is stored, so it was read first.
        MimeMessage after = customerMail("vase-q-2@example.org", "vera@example.org", "Vera", "Re: Vase",
                "Thanks, I will look out for the parcel.");
        ByteArrayOutputStream afterBytes = new ByteArrayOutputStream();
        after.writeTo(afterBytes);
        mail.append(SUPPORT, "INBOX", List.of(bounce, afterBytes.toByteArray()), null);
        await().atMost(Duration.ofSeconds(20)).until(() -> byExternalId("vase-q-2@example.org"), m -> m != null);
        assertThat(status(conversationId, reply)).isEqualTo("sent");

        // A new bounce, about the retry, is applied.
        mail.append(SUPPORT, "INBOX", bounce(sentId, "vase-dsn-2@mx", "vera@example.org"), null);
        await().atMost(Duration.ofSeconds(20)).until(() -> status(conversationId, reply), "failed"::equals);
    }

    /**
     * A bounce about a copy the customer's server forwarded on (to an address the reply never named, refused
     * there) leaves the reply sent: the customer got it. One about the customer's address is applied.
     */
    @Test
    void aBounceOfACopyForwardedOnLeavesTheReplySent() throws Exception {
        mail.send(customerMail("fern-q-1@example.org", "fern@example.org", "Fern", "Fern pot",
                "Does the fern pot have a drainage hole?"));
        long conversationId = await().atMost(Duration.ofSeconds(20)).until(() -> conversationWith("drainage hole"),
                c -> c != null).getLong("id");
        long reply = admin.post("/api/v1/conversations/" + conversationId + "/messages",
                new JsonObject().put("body", "Yes, with a saucer.")).expect(201).json().getLong("id");
        await().atMost(Duration.ofSeconds(20)).until(() -> status(conversationId, reply), "sent"::equals);
        String sentId = server.throughline().database().sql().single(
                "SELECT external_id FROM deliveries WHERE message_id = $1", reply).getString("external_id");

        MimeMessage after = customerMail("fern-q-2@example.org", "fern@example.org", "Fern", "Re: Fern pot",
                "Great, ordering two.");
        ByteArrayOutputStream afterBytes = new ByteArrayOutputStream();
        after.writeTo(afterBytes);
        mail.append(SUPPORT, "INBOX", List.of(bounce(sentId, "fern-dsn-1@mx", "fern@example.org",
                "fern.old@elsewhere.example"),
                afterBytes.toByteArray()), null);
        await().atMost(Duration.ofSeconds(20)).until(() -> byExternalId("fern-q-2@example.org"), m -> m != null);
        assertThat(status(conversationId, reply)).isEqualTo("sent");

        mail.append(SUPPORT, "INBOX", bounce(sentId, "fern-dsn-2@mx", "Fern@Example.org"), null);
        await().atMost(Duration.ofSeconds(20)).until(() -> status(conversationId, reply), "failed"::equals);
    }

    /**
     * A bounce read before its reply is recorded as sent (the relay took the mail and is slow to confirm it; a node
     * that sent and could not record it) is kept, and marks the reply failed once it is recorded.
     */
    @Test
    void aBounceReadBeforeItsReplyIsRecordedSentFailsTheReplyOnceItIs() throws Exception {
        String slow = "slow@acme.test";
        mail.user(slow);
        try (FakeSmtp relay = FakeSmtp.holding()) {
            JsonObject config = mail.inboxConfig(slow, "Acme Slow", null);
            config.getJsonObject("smtp").put("port", relay.port());
            long slowInbox = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Slow")
                    .put("config", config)).expect(201).json().getLong("id");
            MimeMessage question = mail.compose("<bea-q-1@example.org>");
            question.setFrom(new InternetAddress("bea@example.org", "Bea"));
            question.setRecipients(Message.RecipientType.TO, slow);
            question.setSubject("Gift wrap");
            question.setText("Can you gift-wrap the teapot?");
            question.saveChanges();
            mail.send(question);
            long conversationId = await().atMost(Duration.ofSeconds(20))
                    .until(() -> conversationWith("gift-wrap the teapot"), c -> c != null).getLong("id");
            long reply = admin.post("/api/v1/conversations/" + conversationId + "/messages",
                    new JsonObject().put("body", "Of course, at no charge.")).expect(201).json().getLong("id");
            byte[] held = await().atMost(Duration.ofSeconds(20)).until(relay::accepted, l -> !l.isEmpty()).getFirst();
            String sentId = new MimeMessage(null, new ByteArrayInputStream(held)).getMessageID();

            MimeMessage after = mail.compose("<bea-q-2@example.org>");
            after.setFrom(new InternetAddress("bea@example.org", "Bea"));
            after.setRecipients(Message.RecipientType.TO, slow);
            after.setSubject("Re: Gift wrap");
            after.setText("And a card, please.");
            after.saveChanges();
            ByteArrayOutputStream afterBytes = new ByteArrayOutputStream();
            after.writeTo(afterBytes);
            // The mail after the bounce is stored once the bounce was read.
            mail.append(slow, "INBOX", List.of(bounce(sentId.substring(1, sentId.length() - 1), "bea-dsn-1@mx",
                    "bea@example.org"),
                    afterBytes.toByteArray()), null);
            await().atMost(Duration.ofSeconds(20)).until(() -> byExternalId("bea-q-2@example.org"), m -> m != null);
            assertThat(status(conversationId, reply)).isEqualTo("pending");

            relay.release();
            await().atMost(Duration.ofSeconds(20)).until(() -> status(conversationId, reply), "failed"::equals);
            assertThat(server.throughline().database().sql().single(
                    "SELECT count(*) AS n FROM early_delivery_reports").getLong("n")).isZero();

            // Retried, the reply goes out again with its Message-ID, and the relay is slow again: a bounce of the
            // retry read meanwhile is kept as well (its delivery is waiting, not unknown), and applied once sent.
            relay.hold();
            admin.post("/api/v1/messages/" + reply + "/retry", new JsonObject()).expect(200);
            await().atMost(Duration.ofSeconds(20)).until(() -> relay.accepted().size() == 2);
            mail.append(slow, "INBOX", bounce(sentId.substring(1, sentId.length() - 1), "bea-dsn-2@mx",
                    "bea@example.org"), null);
            await().atMost(Duration.ofSeconds(20)).until(() -> server.throughline().database().sql().single(
                    "SELECT count(*) AS n FROM early_delivery_reports").getLong("n") == 1);
            assertThat(status(conversationId, reply)).isEqualTo("pending");
            relay.release();
            await().atMost(Duration.ofSeconds(20)).until(() -> status(conversationId, reply), "failed"::equals);
            admin.delete("/api/v1/inboxes/" + slowInbox).expect(204);
        }
    }

    /**
     * One mail to two of the workspace's addresses, each an inbox (To support@, Cc sales@): both import it, and the
     * thread shows it once. Another sender's mail with the same Message-ID (a script's fixed id) is its own mail.
     */
    @Test
    void oneMailToTwoInboxesIsOneMessageOfTheThread() throws Exception {
        String sales = "sales@acme.test";
        mail.user(sales);
        long salesInbox = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Sales")
                .put("config", mail.inboxConfig(sales, "Acme Sales", null))).expect(201).json().getLong("id");
        MimeMessage both = mail.compose("<kettle-both-1@example.net>");
        both.setFrom(new InternetAddress("kim@example.net", "Kim"));
        both.setRecipients(Message.RecipientType.TO, SUPPORT);
        both.setRecipients(Message.RecipientType.CC, sales);
        both.setSubject("Kettle order");
        both.setText("Please send two blue kettles.");
        both.saveChanges();
        mail.send(both);
        long conversationId = await().atMost(Duration.ofSeconds(20))
                .until(() -> conversationWith("two blue kettles"), c -> c != null).getLong("id");

        // The Sales inbox reads in order: once this later mail is in, it has read the first one too.
        MimeMessage later = mail.compose("<kettle-later-1@example.net>");
        later.setFrom(new InternetAddress("kim@example.net", "Kim"));
        later.setRecipients(Message.RecipientType.TO, sales);
        later.setSubject("Re: Kettle order");
        later.setText("And a red one.");
        later.saveChanges();
        mail.send(later);
        await().atMost(Duration.ofSeconds(20)).until(() -> byExternalId("kettle-later-1@example.net"), m -> m != null);
        List<String> bodies = messages(conversationId).stream().map(m -> ((JsonObject) m).getString("body"))
                .filter(b -> b.contains("blue kettles")).toList();
        assertThat(bodies).hasSize(1);

        // Whichever inbox read it first holds it; the other one takes a stranger's mail with the same id as its own.
        long holder = server.throughline().database().sql().single("SELECT inbox_id FROM messages"
                + " WHERE external_id = 'kettle-both-1@example.net'").getLong("inbox_id");
        MimeMessage sameIdOtherSender = mail.compose("<kettle-both-1@example.net>");
        sameIdOtherSender.setFrom(new InternetAddress("lou@example.net", "Lou"));
        sameIdOtherSender.setRecipients(Message.RecipientType.TO, holder == salesInbox ? SUPPORT : sales);
        sameIdOtherSender.setSubject("Scripted");
        sameIdOtherSender.setText("A report from a script that always uses one Message-ID.");
        sameIdOtherSender.saveChanges();
        mail.send(sameIdOtherSender);
        await().atMost(Duration.ofSeconds(20)).until(() -> conversationWith("always uses one message-id"),
                c -> c != null);
        admin.delete("/api/v1/inboxes/" + salesInbox).expect(204);
    }

    /** The corpus's Postfix bounce, about {@code original} sent to {@code recipient}, with its own Message-ID. */
    private static byte[] bounce(String original, String bounceId, String recipient) throws Exception {
        return bounce(original, bounceId, recipient, recipient);
    }

    /** As {@link #bounce(String, String, String)}, refused at {@code finalRecipient} (a forward's address). */
    private static byte[] bounce(String original, String bounceId, String recipient, String finalRecipient)
            throws Exception {
        byte[] dsn = Files.readAllBytes(Path.of(EmailChannelIT.class
                .getResource("/email-corpus/dsn-bounce-postfix.eml").toURI()));
        return new String(dsn, StandardCharsets.ISO_8859_1).replace("msg-17.5@reply.acme.test", original)
                .replace("20240402100005.4F2A1C0D3E@mx.acme.test", bounceId)
                .replace("Final-Recipient: rfc822; nobody@example.com", "Final-Recipient: rfc822; " + finalRecipient)
                .replace("nobody@example.com", recipient).getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String status(long conversationId, long messageId) {
        for (Object message : messages(conversationId)) {
            JsonObject m = (JsonObject) message;
            if (m.getLong("id") == messageId) {
                return m.getJsonObject("delivery").getString("status");
            }
        }
        return null;
    }

    /** Another channel's ids are guessable (an order number, a widget reply's {@code widget-msg-<id>}). */
    @Test
    void aMailNamingAnotherChannelsIdDoesNotJoinThatCustomersConversation() throws Exception {
        ApiInbox shop = ApiInbox.create(admin, "Shop orders", null);
        JsonObject order = shop.say("4711", "cust-vic", "Vic Victim", "My order 4711 is late");
        long victim = order.getLong("conversationId");

        MimeMessage forged = mail.compose("<forged-ref-1@example.net>");
        forged.setFrom(new InternetAddress("mallory@example.net", "Mallory"));
        forged.setRecipients(Message.RecipientType.TO, SUPPORT);
        forged.setSubject("Re: order 4711");
        forged.setHeader("In-Reply-To", "<4711>");
        forged.setHeader("References", "<4711>");
        forged.setText("Please send the refund for 4711 to my card instead.");
        mail.send(forged);
        JsonObject stored = await().atMost(Duration.ofSeconds(20)).until(() -> byExternalId("forged-ref-1@example.net"),
                m -> m != null);
        assertThat(stored.getLong("conversationId")).isNotEqualTo(victim);
        assertThat(messages(victim)).hasSize(1);
        assertThat(identities(order.getLong("contactId"))).containsExactly("external_id:cust-vic:proven");
    }

    /**
     * A From no reply could reach (a script's {@code root@localhost}) leaves the author to Reply-To, which no
     * server vouches for (DMARC covers the From only): that address is only claimed, so it cannot open the thread
     * of the customer who owns it.
     */
    @Test
    void anAuthorTakenFromReplyToIsOnlyClaimed() throws Exception {
        MimeMessage scripted = mail.compose("<cron-1@host.example.org>");
        scripted.setFrom(new InternetAddress("root@localhost"));
        scripted.setReplyTo(new InternetAddress[] {new InternetAddress("yana@example.org", "Yana")});
        scripted.setRecipients(Message.RecipientType.TO, SUPPORT);
        scripted.setSubject("Nightly export");
        scripted.setText("The nightly export of the yurt catalogue failed.");
        mail.send(scripted);
        JsonObject conversation = await().atMost(Duration.ofSeconds(20))
                .until(() -> conversationWith("yurt catalogue"), c -> c != null);
        assertThat(identities(conversation.getLong("contactId"))).containsExactly("email:yana@example.org:claimed");
    }

    /**
     * A stranger who wrote into a customer's thread (a colleague answering in CC) and got a reply is not proven
     * the customer by answering it: the round trip proves an address for a contact only where nobody but the
     * contact put it in the thread (an email a chat visitor typed), or the colleague would become the customer's
     * proven address, reached by the customer's chat transcripts from then on.
     */
    @Test
    void aStrangerAnsweringAReplyTheyGotInACustomersThreadStaysAStranger() throws Exception {
        String colleague = "ivo.colleague@example.net";
        mail.user(colleague);
        mail.send(customerMail("hedge-1@example.com", "hana@example.com", "Hana", "Hedge trimmer",
                "The hedge trimmer stopped after ten minutes."));
        long hana = await().atMost(Duration.ofSeconds(20)).until(() -> conversationWith("hedge trimmer stopped"),
                c -> c != null).getLong("id");
        MimeMessage cc = mail.compose("<hedge-cc-1@example.net>");
        cc.setFrom(new InternetAddress(colleague, "Ivo Colleague"));
        cc.setRecipients(Message.RecipientType.TO, SUPPORT);
        cc.setSubject("Re: Hedge trimmer");
        cc.setHeader("In-Reply-To", "<hedge-1@example.com>");
        cc.setText("Mine too, same model.");
        mail.send(cc);
        await().atMost(Duration.ofSeconds(20)).until(() -> messages(hana).size() == 2);
        // The reply goes to whoever wrote last (the colleague), as the composer shows.
        admin.post("/api/v1/conversations/" + hana + "/messages", new JsonObject()
                .put("body", "Does it stop when the battery is full?")).expect(201);
        MimeMessage received = await().atMost(Duration.ofSeconds(20)).until(() -> mail.inbox(colleague),
                list -> !list.isEmpty()).getFirst();
        MimeMessage answer = mail.compose("<hedge-cc-2@example.net>");
        answer.setFrom(new InternetAddress(colleague, "Ivo Colleague"));
        answer.setRecipients(Message.RecipientType.TO, received.getReplyTo()[0].toString());
        answer.setSubject("Re: Hedge trimmer");
        answer.setHeader("In-Reply-To", received.getMessageID());
        answer.setText("Yes, even with a full battery.");
        mail.send(answer, SUPPORT);
        JsonObject answered = await().atMost(Duration.ofSeconds(20)).until(() -> messages(hana),
                list -> list.size() == 4).getJsonObject(3);
        assertThat(flags(answered)).contains("unverified_sender");
        long hanaContact = admin.get("/api/v1/conversations/" + hana).json().getLong("contactId");
        assertThat(identities(hanaContact)).containsExactlyInAnyOrder("email:hana@example.com:proven",
                "email:" + colleague + ":claimed");
    }

    /**
     * A mail in the thread from an address no reply can reach (a script's {@code root@localhost}, kept under an
     * external id) is not whom the next reply goes to: the customer's address is, through the same inbox.
     */
    @Test
    void aReplyAfterAMailFromAnUnreachableAddressGoesToTheCustomer() throws Exception {
        String customer = "kira.kettle@example.com";
        mail.user(customer);
        mail.send(customerMail("kettle-1@example.com", customer, "Kira", "Kettle", "The kettle leaks at the base."));
        long kira = await().atMost(Duration.ofSeconds(20)).until(() -> conversationWith("kettle leaks"),
                c -> c != null).getLong("id");
        MimeMessage scripted = mail.compose("<kettle-cron-1@host.example.org>");
        scripted.setFrom(new InternetAddress("root@localhost"));
        scripted.setRecipients(Message.RecipientType.TO, SUPPORT);
        scripted.setSubject("Re: Kettle");
        scripted.setHeader("In-Reply-To", "<kettle-1@example.com>");
        scripted.setText("Ticket updated by the nightly job.");
        mail.send(scripted);
        await().atMost(Duration.ofSeconds(20)).until(() -> messages(kira).size() == 2);

        JsonObject reply = admin.post("/api/v1/conversations/" + kira + "/messages", new JsonObject()
                .put("body", "A new seal is on its way.")).expect(201).json();
        assertThat(reply.getJsonObject("metadata").getJsonObject("to").getString("value")).isEqualTo(customer);
        MimeMessage received = await().atMost(Duration.ofSeconds(20)).until(() -> mail.inbox(customer),
                list -> !list.isEmpty()).getFirst();
        assertThat(received.getSubject()).contains("Kettle");
    }

    /** An out-of-office or a ticket system's acknowledgement needs no answer, and is not whom replies go to. */
    @Test
    void anAutomatedAnswerIsKeptButNeitherReopensTheConversationNorTakesTheReply() throws Exception {
        MimeMessage question = customerMail("strap-q-1@example.org", "rita@example.org", "Rita", "Broken strap",
                "The strap of my bag broke after a week.");
        mail.send(question);
        long conversationId = await().atMost(Duration.ofSeconds(20)).until(() -> conversationWith("strap of my bag"),
                c -> c != null).getLong("id");
        admin.patch("/api/v1/conversations/" + conversationId, new JsonObject().put("status", "resolved"))
                .expect(200);

        MimeMessage auto = mail.compose("<strap-auto-1@helpdesk.example.org>");
        auto.setFrom(new InternetAddress("helpdesk@example.org", "Example Helpdesk"));
        auto.setRecipients(Message.RecipientType.TO, SUPPORT);
        auto.setSubject("Automatic reply: Broken strap");
        auto.setHeader("Auto-Submitted", "auto-replied");
        auto.setHeader("In-Reply-To", "<strap-q-1@example.org>");
        auto.setText("Your request was received; we answer within two days.");
        mail.send(auto);
        await().atMost(Duration.ofSeconds(20)).until(() -> messages(conversationId).size() == 2);

        JsonObject conversation = admin.get("/api/v1/conversations/" + conversationId).expect(200).json();
        assertThat(conversation.getString("status")).isEqualTo("resolved");
        JsonObject options = admin.get("/api/v1/conversations/" + conversationId + "/reply-options").expect(200)
                .json();
        assertThat(options.getJsonObject("default").getJsonObject("to").getString("value"))
                .isEqualTo("rita@example.org");
        assertThat(flags(messages(conversationId).getJsonObject(1))).contains("automated", "auto_reply");
        // The reply keeps the customer's subject, not the auto-responder's.
        mail.user("rita@example.org");
        admin.post("/api/v1/conversations/" + conversationId + "/messages",
                new JsonObject().put("body", "Sorry about the strap: a new one is on its way.")).expect(201);
        MimeMessage reply = await().atMost(Duration.ofSeconds(20)).until(() -> mail.inbox("rita@example.org"),
                list -> !list.isEmpty()).getFirst();
        assertThat(reply.getSubject()).isEqualTo("Re: Broken strap");
        admin.patch("/api/v1/conversations/" + conversationId, new JsonObject().put("status", "resolved"))
                .expect(200);

        // A person answering through a list is automated mail too, but wants an answer: it reopens.
        MimeMessage listed = mail.compose("<strap-list-1@lists.example.org>");
        listed.setFrom(new InternetAddress("billing@example.org", "Rita via Billing"));
        listed.setRecipients(Message.RecipientType.TO, SUPPORT);
        listed.setSubject("Re: Broken strap");
        listed.setHeader("List-Id", "<billing.example.org>");
        listed.setHeader("In-Reply-To", "<strap-q-1@example.org>");
        listed.setText("Any news about the strap?");
        mail.send(listed);
        await().atMost(Duration.ofSeconds(20)).until(() -> "open".equals(admin.get("/api/v1/conversations/"
                + conversationId).expect(200).json().getString("status")));
        assertThat(flags(messages(conversationId).getJsonObject(3))).contains("automated").doesNotContain("auto_reply");
    }

    /**
     * A mailer daemon's notice about mail an agent sent from webmail, in reply to the customer: it joins the thread
     * and reopens it (the agent must learn the mail failed), but it is not whom the next reply goes to.
     */
    @Test
    void aFailureNoticeJoiningTheThreadReopensItButRepliesStillGoToTheCustomer() throws Exception {
        MimeMessage question = customerMail("lamp-q-1@example.org", "lena@example.org", "Lena", "Lamp flickers",
                "My new desk lamp flickers.");
        mail.send(question);
        long conversationId = await().atMost(Duration.ofSeconds(20)).until(() -> conversationWith("desk lamp"),
                c -> c != null).getLong("id");
        admin.patch("/api/v1/conversations/" + conversationId, new JsonObject().put("status", "resolved"))
                .expect(200);

        byte[] dsn = Files.readAllBytes(Path.of(EmailChannelIT.class
                .getResource("/email-corpus/dsn-bounce-postfix.eml").toURI()));
        String notice = new String(dsn, StandardCharsets.ISO_8859_1)
                .replace("msg-17.5@reply.acme.test", "webmail-lamp-1@acme.test")
                .replace("20240402100005.4F2A1C0D3E@mx.acme.test", "foreign-dsn-2@mx")
                .replaceFirst("(?m)^Subject: ", "In-Reply-To: <lamp-q-1@example.org>\r\nSubject: ");
        mail.append(SUPPORT, "INBOX", notice.getBytes(StandardCharsets.ISO_8859_1), null);
        JsonObject bounce = await().atMost(Duration.ofSeconds(20)).until(() -> byExternalId("foreign-dsn-2@mx"),
                m -> m != null);
        assertThat(bounce.getLong("conversationId")).isEqualTo(conversationId);
        assertThat(flags(bounce)).contains("automated", "no_reply").doesNotContain("auto_reply");
        assertThat(admin.get("/api/v1/conversations/" + conversationId).expect(200).json().getString("status"))
                .isEqualTo("open");
        JsonObject options = admin.get("/api/v1/conversations/" + conversationId + "/reply-options").expect(200)
                .json();
        assertThat(options.getJsonObject("default").getJsonObject("to").getString("value"))
                .isEqualTo("lena@example.org");
    }

    @Test
    void mailAlreadyReadInAnotherClientIsStillImported() {
        byte[] raw = ("From: Dana <dana@example.com>\r\nTo: " + SUPPORT + "\r\nSubject: read elsewhere\r\n"
                + "Message-ID: <seen-1@example.com>\r\n\r\nA colleague opened this in Thunderbird first.\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        mail.append(SUPPORT, "INBOX", raw, new Flags(Flags.Flag.SEEN));
        JsonObject conversation = await().atMost(Duration.ofSeconds(20))
                .until(() -> conversationWith("a colleague opened"), c -> c != null);
        assertThat(messages(conversation.getLong("id")).getJsonObject(0).getString("externalId"))
                .isEqualTo("seen-1@example.com");
    }

    @Test
    void mailFromABlockedContactNeverReachesAgentsAndDoesNotStopTheMailbox() throws Exception {
        MimeMessage first = mail.compose("<spam-1@spammer.example>");
        first.setFrom(new InternetAddress("spammer@spammer.example"));
        first.setRecipients(Message.RecipientType.TO, SUPPORT);
        first.setSubject("Cheap watches");
        first.setText("Buy cheap watches now");
        mail.send(first);
        JsonObject spam = await().atMost(Duration.ofSeconds(20)).until(() -> conversationWith("cheap watches"),
                c -> c != null);
        String contact = "/api/v1/contacts/" + spam.getLong("contactId");
        admin.patch(contact, new JsonObject()).expect(400);
        admin.patch(contact, new JsonObject().put("name", " ")).expect(400);
        admin.patch(contact, new JsonObject().put("blocked", "yes")).expect(400);
        JsonObject blocked = admin.patch(contact, new JsonObject().put("blocked", true).put("name", "Watch spammer"))
                .expect(200).json();
        assertThat(blocked.getBoolean("blocked")).isTrue();
        assertThat(blocked.getString("name")).isEqualTo("Watch spammer");
        MimeMessage again = mail.compose("<spam-2@spammer.example>");
        again.setFrom(new InternetAddress("spammer@spammer.example"));
        again.setRecipients(Message.RecipientType.TO, SUPPORT);
        again.setSubject("Cheap watches again");
        again.setText("Buy more cheap watches");
        mail.send(again);
        MimeMessage after = mail.compose("<after-spam@example.com>");
        after.setFrom(new InternetAddress("erin@example.com"));
        after.setRecipients(Message.RecipientType.TO, SUPPORT);
        after.setSubject("Real question");
        after.setText("Do you ship to Norway?");
        mail.send(after);
        await().atMost(Duration.ofSeconds(20)).until(() -> conversationWith("ship to norway"), c -> c != null);
        assertThat(messages(spam.getLong("id"))).hasSize(1);

        // Unblocked, their mail reaches the inbox again.
        assertThat(admin.patch(contact, new JsonObject().put("blocked", false)).expect(200).json()
                .getBoolean("blocked")).isFalse();
        MimeMessage third = mail.compose("<spam-3@spammer.example>");
        third.setFrom(new InternetAddress("spammer@spammer.example"));
        third.setRecipients(Message.RecipientType.TO, SUPPORT);
        third.setSubject("Sorry");
        third.setText("Sorry about the watches, I have a real question");
        mail.send(third);
        await().atMost(Duration.ofSeconds(20)).until(() -> messages(spam.getLong("id")).size() == 2);
    }

    @Test
    void aStoredPasswordIsNeverSentToAServerItWasNotGivenFor() {
        JsonObject shown = admin.get("/api/v1/inboxes/" + inboxId).expect(200).json().getJsonObject("config");
        assertThat(admin.post("/api/v1/inboxes/" + inboxId + "/test", new JsonObject().put("config", shown))
                .expect(200).json().getBoolean("ok")).isTrue();

        JsonObject elsewhere = shown.copy();
        elsewhere.getJsonObject("smtp").put("host", "smtp.attacker.example");
        for (ApiClient.Response refused : List.of(
                admin.post("/api/v1/inboxes/" + inboxId + "/test", new JsonObject().put("config", elsewhere)),
                admin.patch("/api/v1/inboxes/" + inboxId, new JsonObject().put("config", elsewhere)))) {
            JsonObject problem = refused.expect(400).json();
            assertThat(problem.getJsonArray("errors").stream().map(e -> ((JsonObject) e).getString("field")))
                    .containsExactly("config.smtp.password");
            assertThat(problem.encode()).contains("smtp.host");
        }
        assertThat(admin.get("/api/v1/inboxes/" + inboxId).expect(200).json().getJsonObject("config")
                .getJsonObject("smtp").getString("host")).isEqualTo(shown.getJsonObject("smtp").getString("host"));
    }

    /**
     * A stored secret can be removed: an inbox that stops reading IMAP loses its IMAP password (it was kept and then
     * checked against a server no longer named, a 400), and SMTP moves from its password to an OAuth2 token.
     */
    @Test
    void aStoredSecretIsRemovedWithItsSectionOrWhenSentAsNull() {
        String address = "sales@acme.test";
        mail.user(address);
        long id = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Sales")
                .put("config", mail.inboxConfig(address, "Acme Sales", null))).expect(201).json().getLong("id");
        try {
            JsonObject withoutImap = admin.get("/api/v1/inboxes/" + id).expect(200).json().getJsonObject("config");
            withoutImap.remove("imap");
            JsonObject saved = admin.patch("/api/v1/inboxes/" + id, new JsonObject().put("config", withoutImap))
                    .expect(200).json().getJsonObject("config");
            assertThat(saved.containsKey("imap")).isFalse();

            mail.password(address, "sales-oauth2-token");
            saved.getJsonObject("smtp").putNull("password").put("oauth2Token", "sales-oauth2-token");
            JsonObject smtp = admin.patch("/api/v1/inboxes/" + id, new JsonObject().put("config", saved))
                    .expect(200).json().getJsonObject("config").getJsonObject("smtp");
            assertThat(smtp.containsKey("password")).isFalse();
            assertThat(smtp.getString("oauth2Token")).isEqualTo("********");
            Row stored = server.throughline().database().sql().single("SELECT config -> 'smtp' ? 'password' AS kept,"
                    + " config ? 'imap' AS imap FROM inboxes WHERE id = $1", id);
            assertThat(stored.getBoolean("kept")).isFalse();
            assertThat(stored.getBoolean("imap")).isFalse();
            JsonObject test = admin.post("/api/v1/inboxes/" + id + "/test", null).expect(200).json();
            assertThat(test.getBoolean("ok")).as(test.encode()).isTrue();
        } finally {
            admin.delete("/api/v1/inboxes/" + id).expect(204);
        }
    }

    @Test
    void testConnectionChecksImapAndSmtpAndSaysWhatFailed() {
        JsonObject ok = admin.post("/api/v1/inboxes/" + inboxId + "/test", null).expect(200).json();
        assertThat(ok.getBoolean("ok")).isTrue();
        assertThat(ok.getJsonArray("checks").stream().map(c -> ((JsonObject) c).getString("step")).toList())
                .containsExactly("imap connect", "imap login", "imap folder INBOX", "imap idle", "smtp connect",
                        "smtp login");
        JsonObject candidate = mail.inboxConfig(SUPPORT, "Acme Support", "reply.acme.test");
        candidate.getJsonObject("imap").put("password", "wrong-password").put("folders", new JsonArray()
                .add("INBOX"));
        candidate.getJsonObject("smtp").put("port", 1);
        JsonObject failed = admin.post("/api/v1/inboxes/" + inboxId + "/test", new JsonObject()
                .put("config", candidate)).expect(200).json();
        assertThat(failed.getBoolean("ok")).isFalse();
        JsonArray checks = failed.getJsonArray("checks");
        assertThat(checks.getJsonObject(1).getString("step")).isEqualTo("imap login");
        assertThat(checks.getJsonObject(1).getBoolean("ok")).isFalse();
        assertThat(checks.getJsonObject(1).getString("detail")).contains("refused the login of " + SUPPORT);
        JsonObject smtp = checks.getJsonObject(checks.size() - 1);
        assertThat(smtp.getString("step")).isEqualTo("smtp connect");
        assertThat(smtp.getString("detail")).contains("was refused");
    }

    @Test
    void anInvalidConfigListsEveryProblemAndSecretsAreNeverShown() {
        JsonObject problem = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Bad")
                .put("config", new JsonObject().put("address", "not-an-address")
                        .put("imap", new JsonObject().put("port", 99999).put("security", "ssl"))
                        .put("replyDomain", "no domain"))).expect(400).json();
        List<String> fields = problem.getJsonArray("errors").stream()
                .map(e -> ((JsonObject) e).getString("field")).toList();
        assertThat(fields).contains("config.address", "config.imap.host", "config.imap.port",
                "config.imap.security", "config.imap.password", "config.replyDomain", "config.smtp");
        JsonObject stored = admin.get("/api/v1/inboxes/" + inboxId).expect(200).json().getJsonObject("config");
        assertThat(stored.getJsonObject("imap").getString("password")).isEqualTo("********");
        assertThat(stored.getJsonObject("smtp").getString("password")).isEqualTo("********");
    }

    /** A customer's mail to the support address, with this Message-ID (without angle brackets). */
    private static MimeMessage customerMail(String messageId, String address, String name, String subject,
                                            String text) throws Exception {
        MimeMessage message = mail.compose("<" + messageId + ">");
        message.setFrom(new InternetAddress(address, name));
        message.setRecipients(Message.RecipientType.TO, SUPPORT);
        message.setSubject(subject);
        message.setText(text);
        return message;
    }

    private static JsonObject conversation(long conversationId) {
        JsonObject body = admin.get("/api/v1/conversations/" + conversationId).expect(200).json();
        return body.containsKey("conversation") ? body.getJsonObject("conversation") : body;
    }

    private static List<String> identities(long contactId) {
        return admin.get("/api/v1/contacts/" + contactId).expect(200).json().getJsonArray("identities").stream()
                .map(i -> (JsonObject) i).map(i -> i.getString("kind") + ":" + i.getString("value") + ":"
                        + (i.getBoolean("proven") ? "proven" : "claimed")).toList();
    }

    private static JsonObject conversationWith(String text) {
        JsonArray list = admin.get("/api/v1/conversations").expect(200).json().getJsonArray("conversations");
        for (int i = 0; i < list.size(); i++) {
            JsonObject c = list.getJsonObject(i);
            JsonObject last = c.getJsonObject("lastMessage");
            if (last != null && last.getString("preview", "").toLowerCase().contains(text)) {
                return c;
            }
        }
        return null;
    }

    private static JsonObject byExternalId(String externalId) {
        JsonArray list = admin.get("/api/v1/conversations").expect(200).json().getJsonArray("conversations");
        for (int i = 0; i < list.size(); i++) {
            for (Object message : messages(list.getJsonObject(i).getLong("id"))) {
                if (externalId.equals(((JsonObject) message).getString("externalId"))) {
                    return (JsonObject) message;
                }
            }
        }
        return null;
    }

    private static JsonArray messages(long conversationId) {
        return admin.get("/api/v1/conversations/" + conversationId + "/messages").expect(200).json()
                .getJsonArray("messages");
    }

    private static List<String> flags(JsonObject message) {
        return message.getJsonArray("flags").stream().map(String::valueOf).toList();
    }
}
