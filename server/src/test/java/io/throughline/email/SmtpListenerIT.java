package io.throughline.email;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.ApiClient;
import io.throughline.testing.MailServer;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The inbound SMTP listener, for MX records or forwards pointed at Throughline: it takes mail for an inbox's
 * address and reply domain, refuses every other recipient (never a relay) and oversized mail, and what it takes
 * becomes messages exactly as IMAP mail does.
 */
class SmtpListenerIT {

    private static final String SUPPORT = "help@listen.test";

    private static TestServer server;
    private static MailServer outbound;
    private static ApiClient admin;
    private static int port;

    @BeforeAll
    static void start() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        outbound = MailServer.start().user(SUPPORT).user("lena@example.com");
        server = TestServer.start(Map.of("email.listener.enabled", "true", "email.listener.host", "127.0.0.1",
                "email.listener.port", String.valueOf(port), "email.listener.maxMessageSize", "100KB",
                "email.listener.hostname", "mx.listen.test"));
        admin = server.admin();
        admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Help").put("config",
                new JsonObject().put("address", SUPPORT).put("displayName", "Listen Help")
                        .put("replyDomain", "reply.listen.test")
                        .put("smtp", new JsonObject().put("host", "127.0.0.1").put("port", outbound.smtpPort())
                                .put("security", "none").put("username", SUPPORT)
                                .put("password", MailServer.PASSWORD)))).expect(201);
    }

    @AfterAll
    static void stop() {
        server.close();
        outbound.close();
    }

    @Test
    void mailForTheInboxAddressBecomesAConversationAndItsAnswerComesBackByReplyAddress() throws Exception {
        MimeMessage first = message("<listener-1@example.com>");
        first.setFrom(new InternetAddress("lena@example.com", "Lena"));
        first.setRecipients(Message.RecipientType.TO, SUPPORT);
        first.setSubject("Forwarded from our MX");
        first.setText("Does the listener work?");
        Transport.send(first);
        JsonObject message = await().atMost(Duration.ofSeconds(10)).until(() -> find("listener-1@example.com"),
                m -> m != null);
        long conversation = message.getLong("conversationId");
        assertThat(message.getString("channel")).isEqualTo("email");
        assertThat(message.getString("body")).contains("Does the listener work?");

        admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body", "It does."))
                .expect(201);
        MimeMessage reply = await().atMost(Duration.ofSeconds(20)).until(() -> outbound.inbox("lena@example.com"),
                list -> !list.isEmpty()).getFirst();
        String replyAddress = ((InternetAddress) reply.getReplyTo()[0]).getAddress();
        assertThat(replyAddress).endsWith("@reply.listen.test");

        MimeMessage answer = message("<listener-2@example.org>");
        answer.setFrom(new InternetAddress("lena.work@example.org"));
        answer.setRecipients(Message.RecipientType.TO, replyAddress);
        answer.setSubject("Re: Forwarded from our MX");
        answer.setText("Great, thanks.");
        Transport.send(answer);
        JsonObject back = await().atMost(Duration.ofSeconds(10)).until(() -> find("listener-2@example.org"),
                m -> m != null);
        assertThat(back.getLong("conversationId")).isEqualTo(conversation);
        assertThat(back.getJsonObject("threading").getString("reason")).isEqualTo("reply_token");
    }

    @Test
    void otherRecipientsAreRefusedSoItIsNeverARelay() throws Exception {
        for (String stranger : new String[] {"nobody@listen.test", "victim@gmail.example", "reply@listen.test"}) {
            MimeMessage mail = new MimeMessage(session());
            mail.setFrom(new InternetAddress("spammer@spam.example"));
            mail.setRecipients(Message.RecipientType.TO, stranger);
            mail.setSubject("relay?");
            mail.setText("Please relay me.");
            assertThatThrownBy(() -> Transport.send(mail)).isInstanceOf(SendFailedException.class)
                    .satisfies(e -> {
                        SMTPAddressFailedException refused = (SMTPAddressFailedException)
                                ((MessagingException) e).getNextException();
                        assertThat(refused.getReturnCode()).isEqualTo(550);
                        assertThat(refused.getMessage()).contains("no such mailbox here");
                    });
        }
    }

    /**
     * The listener serves every workspace and routes by address, so a domain it takes mail for belongs to the
     * workspace whose inbox routes it: another workspace's admin can neither add an address of it (and take mail the
     * owner's MTA sends there) nor route it as a reply domain, by creating an inbox or by changing one. Two
     * workspaces that each read a mailbox of one provider over IMAP (two Gmail accounts) route nothing and coexist.
     */
    @Test
    void aDomainTheListenerRoutesBelongsToItsWorkspace() throws Exception {
        server.throughline().workspaces().create("Rival", "boss@rival.test", "Boss", "rival-password");
        ApiClient rival = server.anonymous().login("boss@rival.test", "rival-password");
        JsonObject smtp = new JsonObject().put("host", "127.0.0.1").put("port", outbound.smtpPort())
                .put("security", "none").put("username", "boss@rival.test").put("password", MailServer.PASSWORD);
        JsonObject grab = new JsonObject().put("address", "sales@listen.test").put("smtp", smtp);
        JsonObject problem = rival.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Grab")
                .put("config", grab)).expect(409).json();
        assertThat(problem.getString("detail")).contains("listen.test", "another workspace");
        JsonObject grabByImap = outbound.inboxConfig("sales@listen.test", "Grab", null);
        rival.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Grab")
                .put("config", grabByImap)).expect(409);
        JsonObject replies = new JsonObject().put("address", "help@rival.test").put("replyDomain", "Listen.test ")
                .put("smtp", smtp);
        rival.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Replies")
                .put("config", replies)).expect(409);

        outbound.user("acme@mailhost.test").user("rival@mailhost.test");
        admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Hosted").put("config",
                outbound.inboxConfig("acme@mailhost.test", "Acme", null))).expect(201);
        long hosted = rival.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Hosted")
                .put("config", outbound.inboxConfig("rival@mailhost.test", "Rival", null))).expect(201).json()
                .getLong("id");
        rival.patch("/api/v1/inboxes/" + hosted, new JsonObject().put("config",
                outbound.inboxConfig("rival@mailhost.test", "Rival", "listen.test"))).expect(409);
        rival.patch("/api/v1/inboxes/" + hosted, new JsonObject().put("config",
                outbound.inboxConfig("sales@listen.test", "Rival", null))).expect(409);
        assertThat(rival.get("/api/v1/inboxes/" + hosted).expect(200).json().getJsonObject("config")
                .getString("address")).isEqualTo("rival@mailhost.test");
        // An inbox that reads its mailbox over IMAP claims no routing: the listener takes no mail for its address.
        MimeMessage viaListener = new MimeMessage(session());
        viaListener.setFrom(new InternetAddress("lena@example.com"));
        viaListener.setRecipients(Message.RecipientType.TO, "rival@mailhost.test");
        viaListener.setSubject("Through the listener?");
        viaListener.setText("Not for an IMAP inbox.");
        assertThatThrownBy(() -> Transport.send(viaListener)).isInstanceOf(SendFailedException.class)
                .satisfies(e -> assertThat(((SMTPAddressFailedException) ((MessagingException) e).getNextException())
                        .getReturnCode()).isEqualTo(550));

        // A clash from before the rule (stored then) stops no other change of the inbox, only a new clash.
        server.throughline().database().sql().update("UPDATE inboxes SET config = jsonb_set(config, '{address}',"
                + " '\"old@listen.test\"') WHERE id = $1", hosted);
        JsonObject rotated = outbound.inboxConfig("old@listen.test", "Rival", null);
        rotated.getJsonObject("smtp").put("password", "rotated-password");
        rival.patch("/api/v1/inboxes/" + hosted, new JsonObject().put("config", rotated)).expect(200);
        rival.patch("/api/v1/inboxes/" + hosted, new JsonObject().put("config",
                outbound.inboxConfig("old@listen.test", "Rival", "reply.rival-elsewhere.test"))).expect(200);
        JsonObject newClash = new JsonObject().put("address", "second@listen.test").put("smtp", smtp);
        rival.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Second")
                .put("config", newClash)).expect(409);
        rival.delete("/api/v1/inboxes/" + hosted).expect(204);
    }

    /**
     * An inbox closes and opens again on every save, and stays closed while disabled: mail for its address meanwhile
     * is asked to come again later (451), never refused for good, and arrives once the inbox is back.
     */
    @Test
    void mailForAnInboxThatIsClosedForNowIsAskedToComeLaterNotRefused() throws Exception {
        String address = "pause@listen.test";
        long inbox = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Paused")
                .put("config", new JsonObject().put("address", address)
                        .put("smtp", new JsonObject().put("host", "127.0.0.1").put("port", outbound.smtpPort())
                                .put("security", "none").put("username", SUPPORT)
                                .put("password", MailServer.PASSWORD)))).expect(201).json().getLong("id");
        admin.patch("/api/v1/inboxes/" + inbox, new JsonObject().put("enabled", false)).expect(200);
        MimeMessage mail = message("<paused-1@example.com>");
        mail.setFrom(new InternetAddress("lena@example.com"));
        mail.setRecipients(Message.RecipientType.TO, address);
        mail.setSubject("While you were away");
        mail.setText("Is anyone reading this?");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThatThrownBy(() -> Transport.send(mail))
                .isInstanceOf(SendFailedException.class).satisfies(e -> {
                    SMTPAddressFailedException later = (SMTPAddressFailedException)
                            ((MessagingException) e).getNextException();
                    assertThat(later.getReturnCode()).isEqualTo(451);
                }));

        admin.patch("/api/v1/inboxes/" + inbox, new JsonObject().put("enabled", true)).expect(200);
        await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
            Transport.send(mail);
            return true;
        });
        assertThat(await().atMost(Duration.ofSeconds(10)).until(() -> find("paused-1@example.com"), m -> m != null)
                .getString("body")).contains("Is anyone reading this?");
    }

    @Test
    void mailOverTheSizeLimitIsRefusedWith552() throws Exception {
        MimeMessage big = new MimeMessage(session());
        big.setFrom(new InternetAddress("lena@example.com"));
        big.setRecipients(Message.RecipientType.TO, SUPPORT);
        big.setSubject("too big");
        big.setText("x".repeat(300 * 1024));
        assertThatThrownBy(() -> Transport.send(big)).satisfies(e -> {
            Exception cause = e instanceof SMTPSendFailedException ? (Exception) e
                    : ((MessagingException) e).getNextException();
            assertThat(((SMTPSendFailedException) cause).getReturnCode()).isEqualTo(552);
        });
    }

    /**
     * A sender that declared a size within the limit (or none) and sent more gets 552 once its whole DATA is in, and
     * the connection goes on: the rest of the mail is never read as commands, and the next mail needs no RSET.
     */
    @Test
    void aMailOverTheLimitIsReadToItsEndAndTheConnectionTakesTheNextOne() throws Exception {
        try (RawSmtp smtp = RawSmtp.connect()) {
            smtp.startMail("MAIL FROM:<lena@example.com> SIZE=2000");
            // 200 KB against the 100 KB limit, written while the answers are read.
            CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
                StringBuilder mail = new StringBuilder("Subject: far too big\r\n\r\n");
                for (int i = 0; i < 2_000; i++) {
                    mail.append("x".repeat(98)).append("\r\n");
                }
                try {
                    smtp.send(mail.append(".").toString());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            assertThat(smtp.readLine()).startsWith("552");
            writing.get(10, TimeUnit.SECONDS);
            assertThat(smtp.exchange("NOOP")).as("the mail's lines were not taken for commands").startsWith("250");

            // The refusal ended the transaction (RFC 5321 4.1.1.4): the next mail needs no RSET.
            smtp.startMail("MAIL FROM:<lena@example.com>");
            assertThat(smtp.exchange("Message-ID: <after-oversize@example.com>\r\nFrom: lena@example.com\r\n"
                    + "To: " + SUPPORT + "\r\nSubject: small\r\n\r\nThe short one.\r\n.")).startsWith("250");
            assertThat(smtp.exchange("QUIT")).startsWith("221");
        }
        assertThat(await().atMost(Duration.ofSeconds(10)).until(() -> find("after-oversize@example.com"),
                m -> m != null).getString("body")).isEqualToIgnoringWhitespace("The short one.");
    }

    /** A DATA that goes on past ten times the limit without ending is cut off: 552, and the connection closes. */
    @Test
    void aMailThatNeverEndsIsCutOffPastTenTimesTheLimit() throws Exception {
        try (RawSmtp smtp = RawSmtp.connect()) {
            smtp.startMail("MAIL FROM:<lena@example.com>");
            // 1.2 MB against the 100 KB limit, and no end: the connection is still open afterwards.
            CompletableFuture.runAsync(() -> {
                String line = "y".repeat(98);
                try {
                    for (int i = 0; i < 12_000; i++) {
                        smtp.send(line);
                    }
                } catch (IOException e) {
                    // the server hung up, as it should
                }
            });
            assertThat(smtp.readLine()).startsWith("552");
            String after;
            try {
                after = smtp.readLine();
            } catch (SocketException e) {
                after = null; // closed with bytes still unread on the server's side: a reset, a close all the same
            }
            assertThat(after).as("the connection is closed").isNull();
        }
    }

    /** An SMTP client that types the commands itself, as a misbehaving sender would, line by line. */
    private record RawSmtp(Socket socket, BufferedReader in, OutputStream out) implements AutoCloseable {

        /** Connected to the listener, greeted, and past EHLO. */
        static RawSmtp connect() throws IOException {
            Socket socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(10_000);
            RawSmtp smtp = new RawSmtp(socket, new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII)), socket.getOutputStream());
            assertThat(smtp.readLine()).startsWith("220");
            smtp.send("EHLO client.example");
            String line;
            do {
                line = smtp.readLine();
            } while (line.startsWith("250-"));
            assertThat(line).startsWith("250 ");
            return smtp;
        }

        /** {@code mailFrom}, a recipient of the inbox and DATA, each accepted. */
        void startMail(String mailFrom) throws IOException {
            assertThat(exchange(mailFrom)).startsWith("250");
            assertThat(exchange("RCPT TO:<" + SUPPORT + ">")).startsWith("250");
            assertThat(exchange("DATA")).startsWith("354");
        }

        void send(String line) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        String readLine() throws IOException {
            return in.readLine();
        }

        String exchange(String line) throws IOException {
            send(line);
            return readLine();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Test
    void rawEightBitHeadersArriveByteForByte() throws Exception {
        Path file = Path.of(SmtpListenerIT.class.getResource("/email-corpus/raw-8bit-headers-cp1251.eml").toURI());
        MimeMessage raw = new MimeMessage(session(), new ByteArrayInputStream(Files.readAllBytes(file)));
        // sendMessage without saveChanges: the mail goes out exactly as the file has it.
        try (Transport transport = session().getTransport("smtp")) {
            transport.connect();
            transport.sendMessage(raw, new InternetAddress[] {new InternetAddress(SUPPORT)});
        }
        JsonObject message = await().atMost(Duration.ofSeconds(10)).until(
                () -> find("raw8bit-1251-0001@old.example"), m -> m != null);
        assertThat(message.getString("subject")).isEqualTo("Возврат товара по заказу 1205");
        assertThat(message.getJsonObject("author").getString("name")).isEqualTo("Светлана Иванова");
    }

    /**
     * A sender delivering again after a lost answer: without a Message-ID the mail's id is a hash of its bytes,
     * which our own Received header, different in each session, must not change.
     */
    @Test
    void aMailWithoutMessageIdDeliveredTwiceIsStoredOnce() throws Exception {
        String raw = "From: Ivo <ivo@example.com>\r\nTo: " + SUPPORT + "\r\nSubject: no id here\r\n"
                + "Date: Sat, 05 Dec 2026 10:00:00 +0000\r\n\r\nMy parcel 8812 never arrived.\r\n";
        for (int i = 0; i < 2; i++) {
            MimeMessage mail = new MimeMessage(session(), new ByteArrayInputStream(raw.getBytes(
                    StandardCharsets.US_ASCII)));
            try (Transport transport = session().getTransport("smtp")) {
                transport.connect();
                transport.sendMessage(mail, new InternetAddress[] {new InternetAddress(SUPPORT)});
            }
        }
        // The listener commits before it answers 250: both deliveries are in by now.
        assertThat(countWith("parcel 8812")).isEqualTo(1);
    }

    /** PostgreSQL cannot store U+0000: one in a header the server keeps as it came failed the mail for good. */
    @Test
    void aMailWithNulBytesInItsIdsIsStoredWithoutThem() throws Exception {
        try (RawSmtp smtp = RawSmtp.connect()) {
            smtp.startMail("MAIL FROM:<nul@example.com>");
            for (String line : List.of("From: Nia <nul@example.com>", "To: " + SUPPORT, "Subject: nul ids",
                    "Message-ID: <nul\u0000-1@example.com>", "In-Reply-To: <elsewhere\u0000@example.com>",
                    "MIME-Version: 1.0", "Content-Type: multipart/related; boundary=b", "",
                    "--b", "Content-Type: text/html; charset=utf-8", "",
                    "<p>The crack:</p><img src=\"cid:crack\u0000@example.com\">",
                    "--b", "Content-Type: image/png", "Content-Transfer-Encoding: base64",
                    "Content-ID: <crack\u0000@example.com>", "", "iVBORw0KGgo=", "--b--", ".")) {
                smtp.send(line);
            }
            assertThat(smtp.readLine()).startsWith("250");
        }
        JsonObject message = await().atMost(Duration.ofSeconds(10)).until(() -> find("nul-1@example.com"),
                m -> m != null);
        assertThat(message.getString("body")).contains("The crack");
        assertThat(message.getJsonArray("attachments")).hasSize(1);
    }

    /**
     * A mail that fails ingest for a reason of its own (here PostgreSQL refuses it, as it would refuse data no check
     * of ours foresaw) is stored unparsed at once, the original attached, and answered 250: a 451 had the sender
     * send it again for days, then bounce it.
     */
    @Test
    void aMailThatFailsIngestIsStoredUnparsedWithItsOriginal() throws Exception {
        var sql = server.throughline().database().sql();
        sql.update("""
                CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.body LIKE '%poison 4471%' THEN RAISE EXCEPTION 'refused by the test'; END IF;
                    RETURN NEW;
                END $$""");
        sql.update("CREATE TRIGGER refuse_poison BEFORE INSERT ON messages FOR EACH ROW"
                + " EXECUTE FUNCTION refuse_poison()");
        try (RawSmtp smtp = RawSmtp.connect()) {
            smtp.startMail("MAIL FROM:<poison@example.com>");
            for (String line : List.of("From: Pia <poison@example.com>", "To: " + SUPPORT, "Subject: poison",
                    "Message-ID: <poison-1@example.com>", "", "My order poison 4471 is stuck.", ".")) {
                smtp.send(line);
            }
            assertThat(smtp.readLine()).startsWith("250");
        } finally {
            sql.update("DROP TRIGGER refuse_poison ON messages");
            sql.update("DROP FUNCTION refuse_poison()");
        }
        // Committed before the 250.
        Row kept = sql.single("""
                SELECT m.body, m.flags, m.metadata #>> '{email,problems,0}' AS problem, a.id AS attachment
                FROM messages m JOIN attachments a ON a.message_id = m.id
                WHERE 'unparsed' = ANY (m.flags) AND a.filename = 'original.eml'
                  AND m.metadata #>> '{email,problems,0}' = 'ingest failed'""");
        assertThat(kept.getString("body")).isEmpty();
        assertThat(admin.get("/api/v1/attachments/" + kept.getLong("attachment")).expect(200).body())
                .contains("Message-ID: <poison-1@example.com>").contains("My order poison 4471 is stuck.");
    }

    private static long countWith(String text) {
        return admin.get("/api/v1/conversations").json().getJsonArray("conversations").stream()
                .map(c -> ((JsonObject) c).getLong("id"))
                .flatMap(id -> admin.get("/api/v1/conversations/" + id + "/messages").json()
                        .getJsonArray("messages").stream())
                .filter(m -> ((JsonObject) m).getString("body", "").contains(text)).count();
    }

    /** A mail whose Message-ID stays as given through saveChanges. */
    private static MimeMessage message(String messageId) {
        return new MimeMessage(session()) {
            @Override
            protected void updateMessageID() throws MessagingException {
                setHeader("Message-ID", messageId);
            }
        };
    }

    private static Session session() {
        Properties props = new Properties();
        props.put("mail.smtp.host", "127.0.0.1");
        props.put("mail.smtp.port", String.valueOf(port));
        return Session.getInstance(props);
    }

    private static JsonObject find(String externalId) {
        JsonArray conversations = admin.get("/api/v1/conversations").json().getJsonArray("conversations");
        for (int i = 0; i < conversations.size(); i++) {
            JsonArray messages = admin.get("/api/v1/conversations/" + conversations.getJsonObject(i).getLong("id")
                    + "/messages").json().getJsonArray("messages");
            for (int j = 0; j < messages.size(); j++) {
                if (externalId.equals(messages.getJsonObject(j).getString("externalId"))) {
                    return messages.getJsonObject(j);
                }
            }
        }
        return null;
    }

}
