package io.throughline.email;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.throughline.testing.ApiClient;
import io.throughline.testing.ImapProxy;
import io.throughline.testing.MailServer;
import io.throughline.testing.TestPostgres;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Receiving survives what mailboxes and servers do: a restart in the middle of a backlog loses and duplicates
 * nothing, a changed UIDVALIDITY is read again without duplicates or downloading stored mail again, and only one node polls a mailbox at a time,
 * with another taking over when it stops.
 */
class EmailReceiveIT {

    private static final String SUPPORT = "support@acme.test";

    @Test
    void aRestartInTheMiddleOfABacklogLosesAndDuplicatesNothing() {
        try (MailServer mail = MailServer.start().user(SUPPORT)) {
            String database = TestPostgres.newDatabase();
            Path data = TestServer.tempDir();
            int total = 150;
            TestServer first = TestServer.startOn(database, data, Map.of());
            createInbox(first.admin(), mail, "INBOX");
            List<byte[]> backlog = new ArrayList<>();
            for (int i = 0; i < total; i++) {
                backlog.add(mail(i, "backlog"));
            }
            mail.append(SUPPORT, "INBOX", backlog, null);
            await().atMost(Duration.ofSeconds(30)).until(() -> inboundCount(first) >= 5);
            long beforeStop = inboundCount(first);
            first.close();
            assertThat(beforeStop).as("stopped in the middle of the backlog").isLessThan(total);

            try (TestServer second = TestServer.startOn(database, data, Map.of())) {
                await().atMost(Duration.ofSeconds(60)).until(() -> inboundCount(second) == total);
                var counts = second.throughline().database().sql().single("""
                        SELECT count(DISTINCT external_id) AS ids, count(*) AS rows FROM messages
                        WHERE kind = 'in'""");
                assertThat(counts.getLong("rows")).isEqualTo(total);
                assertThat(counts.getLong("ids")).isEqualTo(total);
                // The checkpoint follows the commits it covers.
                await().atMost(Duration.ofSeconds(10)).until(() -> checkpoint(second, "imap:INBOX")
                        .getLong("lastUid") == total);
            }
        }
    }

    /**
     * An inbox moved to another mailbox reads it as new: its old checkpoint's UIDs name other mail there, and
     * UIDVALIDITY values repeat across accounts (here made to), so resuming at the old UID would skip the new
     * mailbox's mail below it.
     */
    @Test
    void anInboxMovedToAnotherMailboxReadsItAsNew() {
        String help = "help@acme.test";
        try (MailServer mail = MailServer.start().user(SUPPORT).user(help); TestServer server = TestServer.start()) {
            List<byte[]> first = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                first.add(mail(i, "first mailbox"));
            }
            mail.append(SUPPORT, "INBOX", first, null);
            ApiClient admin = server.admin();
            long inbox = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Support")
                    .put("config", inboxConfig(mail, "INBOX"))).expect(201).json().getLong("id");
            await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(5).equals(checkpoint(server,
                    "imap:INBOX").getLong("lastUid")));

            mail.append(help, "INBOX", List.of(mail(0, "second mailbox"), mail(1, "second mailbox")), null);
            JsonObject moved = inboxConfig(mail, "INBOX");
            moved.getJsonObject("imap").put("username", help);
            admin.patch("/api/v1/inboxes/" + inbox, new JsonObject().put("enabled", false).put("config", moved))
                    .expect(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> !Boolean.TRUE.equals(receivingHere(server)));
            server.throughline().database().sql().update("UPDATE inbox_checkpoints SET value = jsonb_set(value,"
                    + " '{uidValidity}', to_jsonb($1::bigint)) WHERE name = 'imap:INBOX'",
                    mail.uidValidity(help, "INBOX"));
            admin.patch("/api/v1/inboxes/" + inbox, new JsonObject().put("enabled", true)).expect(200);

            await().atMost(Duration.ofSeconds(20)).until(() -> inboundCount(server) == 7);
            await().atMost(Duration.ofSeconds(10)).until(() -> checkpoint(server, "imap:INBOX")
                    .getString("mailbox", "").startsWith(help + "@"));
            assertThat(checkpoint(server, "imap:INBOX").getLong("lastUid")).isEqualTo(2);
        }
    }

    @Test
    void answersReadInOneBatchWithTheMailTheyAnswerJoinItsConversation() {
        try (MailServer mail = MailServer.start().user(SUPPORT)) {
            // An outage: the question and six colleagues' answers to all wait in the mailbox, read in one batch.
            mail.append(SUPPORT, "INBOX", ("From: Ann <ann@example.com>\r\nTo: " + SUPPORT + "\r\nCc: team@example.com"
                    + "\r\nSubject: Invoice 77\r\nMessage-ID: <question-77@example.com>\r\n\r\nWhere is invoice 77?\r\n")
                    .getBytes(StandardCharsets.US_ASCII), null);
            for (int i = 0; i < 6; i++) {
                mail.append(SUPPORT, "INBOX", ("From: Colleague " + i + " <colleague" + i + "@example.com>\r\nTo: "
                        + SUPPORT + "\r\nSubject: Re: Invoice 77\r\nMessage-ID: <answer-" + i + "@example.com>\r\n"
                        + "In-Reply-To: <question-77@example.com>\r\nReferences: <question-77@example.com>\r\n\r\n"
                        + "Same question from me, number " + i + "\r\n").getBytes(StandardCharsets.US_ASCII), null);
            }
            try (TestServer server = TestServer.start()) {
                createInbox(server.admin(), mail, "INBOX");
                await().atMost(Duration.ofSeconds(30)).until(() -> inboundCount(server) == 7);
                JsonArray conversations = server.admin().get("/api/v1/conversations").expect(200).json()
                        .getJsonArray("conversations");
                assertThat(conversations).as("every answer threaded by In-Reply-To into the question's").hasSize(1);
                assertThat(server.throughline().database().sql().single("SELECT count(*) AS n FROM messages"
                        + " WHERE threading ->> 'reason' = 'in_reply_to'").getLong("n")).isEqualTo(6);
            }
        }
    }

    @Test
    void aFolderReadAgainAfterAUidValidityChangeLeavesMailOlderThanTheBackfillAlone() {
        try (MailServer mail = MailServer.start().user(SUPPORT)) {
            String database = TestPostgres.newDatabase();
            Path data = TestServer.tempDir();
            byte[] old = oldMail();
            mail.append(SUPPORT, "Support", old, null);
            mail.append(SUPPORT, "Support", mail(0, "recent"), null);
            try (TestServer server = TestServer.startOn(database, data, Map.of())) {
                createInbox(server.admin(), mail, "Support");
                await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(2).equals(checkpoint(server,
                        "imap:Support").getLong("lastUid")));
                assertThat(inboundCount(server)).isEqualTo(1);
            }

            // The folder is recreated (a migration to another server): the old mail comes back with the rest.
            mail.deleteFolder(SUPPORT, "Support");
            mail.append(SUPPORT, "Support", old, null);
            mail.append(SUPPORT, "Support", mail(0, "recent"), null);
            mail.append(SUPPORT, "Support", mail(1, "recent"), null);
            try (TestServer server = TestServer.startOn(database, data, Map.of())) {
                await().atMost(Duration.ofSeconds(30)).until(() -> inboundCount(server) == 2);
                await().atMost(Duration.ofSeconds(10)).until(() -> Long.valueOf(3).equals(checkpoint(server,
                        "imap:Support").getLong("lastUid")));
                assertThat(server.throughline().database().sql().single("SELECT count(*) AS n FROM messages"
                        + " WHERE external_id = 'old-1@example.com'").getLong("n")).isZero();
            }
        }
    }

    /**
     * The first sync's backfill holds after it too: a mail older than the backfill whose UID is above the newest
     * recent one (a folder filled in another order by a migration) is not read as new by the next sync.
     */
    @Test
    void mailOlderThanTheBackfillAboveTheFirstSyncsNewestStaysUnread() {
        try (MailServer mail = MailServer.start().user(SUPPORT)) {
            mail.append(SUPPORT, "Support", mail(0, "recent"), null);
            mail.append(SUPPORT, "Support", oldMail(), null);
            try (TestServer server = TestServer.startOn(TestPostgres.newDatabase(), TestServer.tempDir(), Map.of())) {
                createInbox(server.admin(), mail, "Support");
                await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(2).equals(checkpoint(server,
                        "imap:Support").getLong("lastUid")));
                mail.append(SUPPORT, "Support", mail(1, "recent"), null);
                await().atMost(Duration.ofSeconds(20)).until(() -> inboundCount(server) == 2);
                await().atMost(Duration.ofSeconds(10)).until(() -> Long.valueOf(3).equals(checkpoint(server,
                        "imap:Support").getLong("lastUid")));
                assertThat(server.throughline().database().sql().single("SELECT count(*) AS n FROM messages"
                        + " WHERE external_id = 'old-1@example.com'").getLong("n")).isZero();
            }
        }
    }

    @Test
    void aChangedUidValidityIsReadAgainWithoutDuplicatesOrDownloadingStoredMail() {
        try (MailServer mail = MailServer.start().user(SUPPORT);
             ImapProxy proxy = ImapProxy.start(mail.imapPort(), ImapProxy.Fault.NONE)) {
            String database = TestPostgres.newDatabase();
            Path data = TestServer.tempDir();
            long validity;
            mail.append(SUPPORT, "Support", mail(0, "before"), null);
            try (TestServer server = TestServer.startOn(database, data, Map.of())) {
                JsonObject config = inboxConfig(mail, "Support");
                config.getJsonObject("imap").put("port", proxy.port());
                server.admin().post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Support")
                        .put("config", config)).expect(201);
                mail.append(SUPPORT, "Support", mail(1, "before"), null);
                mail.append(SUPPORT, "Support", mail(2, "before"), null);
                await().atMost(Duration.ofSeconds(20)).until(() -> inboundCount(server) == 3);
                validity = checkpoint(server, "imap:Support").getLong("uidValidity");
                assertThat(proxy.bodiesFetched()).as("the proxy sees the downloads").isNotEmpty();
            }
            proxy.forgetFetches();

            // While the server is down, the admin recreates the folder: new mail first, so its UIDs (1, 2) are
            // below the old checkpoint (3) and only a UIDVALIDITY check finds them; then the three old mails come
            // back (UIDs 3 to 5).
            mail.deleteFolder(SUPPORT, "Support");
            mail.append(SUPPORT, "Support", mail(3, "after"), null);
            mail.append(SUPPORT, "Support", mail(4, "after"), null);
            for (int i = 0; i < 3; i++) {
                mail.append(SUPPORT, "Support", mail(i, "before"), null);
            }
            try (TestServer server = TestServer.startOn(database, data, Map.of())) {
                await().atMost(Duration.ofSeconds(30)).until(() -> checkpoint(server, "imap:Support")
                        .getLong("uidValidity") != validity && checkpoint(server, "imap:Support")
                        .getLong("lastUid") == 5);
                assertThat(inboundCount(server)).isEqualTo(5);
                assertThat(proxy.bodiesFetched()).as("only the new mails were downloaded, the stored ones"
                        + " recognised by their Message-ID").containsExactlyInAnyOrder(1L, 2L);

                // Mail after that comes in as usual, above the new checkpoint.
                mail.append(SUPPORT, "Support", mail(5, "after"), null);
                await().atMost(Duration.ofSeconds(30)).until(() -> inboundCount(server) == 6);
                assertThat(proxy.bodiesFetched()).containsExactlyInAnyOrder(1L, 2L, 6L);
            }
        }
    }

    @Test
    void onlyOneNodeReceivesAMailboxAndAnotherTakesOverWhenItStops() {
        try (MailServer mail = MailServer.start().user(SUPPORT)) {
            String database = TestPostgres.newDatabase();
            TestServer nodeA = TestServer.startOn(database, TestServer.tempDir(), Map.of());
            TestServer nodeB = null;
            TestServer receiver = null;
            try {
                createInbox(nodeA.admin(), mail, "INBOX");
                nodeB = TestServer.startOn(database, TestServer.tempDir(), Map.of());
                TestServer b = nodeB;
                await().atMost(Duration.ofSeconds(20)).until(() -> receivingHere(b) != null);
                assertThat(List.of(receivingHere(nodeA), receivingHere(nodeB))).containsExactlyInAnyOrder(true, false);
                mail.append(SUPPORT, "INBOX", mail(0, "two nodes"), null);
                await().atMost(Duration.ofSeconds(20)).until(() -> inboundCount(b) == 1);

                receiver = receivingHere(nodeA) ? nodeA : nodeB;
                TestServer other = receiver == nodeA ? nodeB : nodeA;
                receiver.close();
                await().atMost(Duration.ofSeconds(30)).until(() -> Boolean.TRUE.equals(receivingHere(other)));
                mail.append(SUPPORT, "INBOX", mail(1, "after failover"), null);
                await().atMost(Duration.ofSeconds(20)).until(() -> inboundCount(other) == 2);
            } finally {
                for (TestServer node : new TestServer[] {nodeA, nodeB}) {
                    if (node != null && node != receiver) {
                        node.close();
                    }
                }
            }
        }
    }

    @Test
    void processedMailCanBeMovedAwayAndOAuth2TokensLogIn() throws Exception {
        try (MailServer mail = MailServer.start().user(SUPPORT).user("customer0@example.com");
             TestServer server = TestServer.start()) {
            JsonObject config = mail.inboxConfig(SUPPORT, "Acme Support", "reply.acme.test");
            // XOAUTH2 (RFC 7628 style SASL) instead of a password, on both IMAP and SMTP.
            config.getJsonObject("imap").remove("password");
            config.getJsonObject("imap").put("oauth2Token", MailServer.PASSWORD).put("moveTo", "Processed");
            config.getJsonObject("smtp").remove("password");
            config.getJsonObject("smtp").put("oauth2Token", MailServer.PASSWORD);
            ApiClient admin = server.admin();
            long inbox = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Support")
                    .put("config", config)).expect(201).json().getLong("id");
            JsonObject test = admin.post("/api/v1/inboxes/" + inbox + "/test", null).expect(200).json();
            assertThat(test.getBoolean("ok")).as(test.encodePrettily()).isTrue();
            for (int i = 0; i < 3; i++) {
                mail.append(SUPPORT, "INBOX", mail(i, "moved"), null);
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> inboundCount(server) == 3);
            await().atMost(Duration.ofSeconds(10)).until(() -> mail.count(SUPPORT, "INBOX") == 0
                    && mail.count(SUPPORT, "Processed") == 3);

            long conversation = server.throughline().database().sql().single(
                    "SELECT conversation_id FROM messages WHERE external_id = 'moved-0@example.com'")
                    .getLong("conversation_id");
            admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body", "Done."))
                    .expect(201);
            await().atMost(Duration.ofSeconds(20)).until(() -> mail.inbox("customer0@example.com").size() == 1);
        }
    }

    /**
     * A mailbox restored from a backup numbers its mail anew but keeps its UIDVALIDITY: every UID is below the
     * checkpoint, and resuming above it skipped new mail until its UIDs passed the old ones.
     */
    @Test
    void aMailboxRenumberedBelowTheCheckpointIsReadAgain() {
        try (MailServer mail = MailServer.start().user(SUPPORT); TestServer server = TestServer.start()) {
            mail.append(SUPPORT, "INBOX", mail(0, "before the restore"), null);
            ApiClient admin = server.admin();
            long inbox = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Support")
                    .put("config", inboxConfig(mail, "INBOX"))).expect(201).json().getLong("id");
            await().atMost(Duration.ofSeconds(20)).until(() -> inboundCount(server) == 1);
            admin.patch("/api/v1/inboxes/" + inbox, new JsonObject().put("enabled", false)).expect(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> !Boolean.TRUE.equals(receivingHere(server)));
            server.throughline().database().sql().update("UPDATE inbox_checkpoints SET value = jsonb_set(value,"
                    + " '{lastUid}', to_jsonb(1000)) WHERE name = 'imap:INBOX'");

            mail.append(SUPPORT, "INBOX", List.of(mail(1, "after the restore"), mail(2, "after the restore")), null);
            admin.patch("/api/v1/inboxes/" + inbox, new JsonObject().put("enabled", true)).expect(200);

            await().atMost(Duration.ofSeconds(20)).until(() -> inboundCount(server) == 3);
            await().atMost(Duration.ofSeconds(10)).until(() -> Long.valueOf(3).equals(checkpoint(server,
                    "imap:INBOX").getLong("lastUid")));
        }
    }

    /**
     * The same with the folder empty (its mail moved away as processed): the checkpoint is saved at the mailbox's own
     * numbering though nothing was imported, or the next mail, below the old checkpoint, was skipped.
     */
    @Test
    void aMailboxRenumberedWhileEmptyTakesTheNextMail() {
        try (MailServer mail = MailServer.start().user(SUPPORT); TestServer server = TestServer.start()) {
            mail.append(SUPPORT, "INBOX", mail(0, "moved away"), null);
            ApiClient admin = server.admin();
            JsonObject config = inboxConfig(mail, "INBOX");
            config.getJsonObject("imap").put("moveTo", "Processed");
            long inbox = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Support")
                    .put("config", config)).expect(201).json().getLong("id");
            await().atMost(Duration.ofSeconds(20)).until(() -> inboundCount(server) == 1
                    && mail.count(SUPPORT, "INBOX") == 0);
            admin.patch("/api/v1/inboxes/" + inbox, new JsonObject().put("enabled", false)).expect(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> !Boolean.TRUE.equals(receivingHere(server)));
            server.throughline().database().sql().update("UPDATE inbox_checkpoints SET value = jsonb_set(value,"
                    + " '{lastUid}', to_jsonb(1000)) WHERE name = 'imap:INBOX'");
            admin.patch("/api/v1/inboxes/" + inbox, new JsonObject().put("enabled", true)).expect(200);
            await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(1).equals(checkpoint(server,
                    "imap:INBOX").getLong("lastUid")));

            mail.append(SUPPORT, "INBOX", mail(1, "after the restore"), null);
            await().atMost(Duration.ofSeconds(20)).until(() -> inboundCount(server) == 2);
        }
    }

    /**
     * The network dies under a receiver in IDLE, and the node loses its receiving lock (its lock connection ended):
     * stopping the receiver waits for the dead connection (up to 20 s a folder), and /health answered only once that
     * was done, as the stop held the monitor the inbox's health takes.
     */
    @Test
    void healthAnswersWhileAReceiverOnADeadConnectionStops() {
        try (MailServer mail = MailServer.start().user(SUPPORT);
             ImapProxy proxy = ImapProxy.start(mail.imapPort(), ImapProxy.Fault.NONE);
             TestServer server = TestServer.start()) {
            JsonObject config = inboxConfig(mail, "INBOX");
            config.getJsonObject("imap").put("port", proxy.port());
            ApiClient admin = server.admin();
            admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Support")
                    .put("config", config)).expect(201);
            await().atMost(Duration.ofSeconds(20)).until(() -> admin.get("/health").expect(200).json().encode()
                    .contains("INBOX: idle"));
            proxy.freeze();

            assertThat(server.throughline().database().sql().single("SELECT count(pg_terminate_backend(pid))::int"
                    + " AS n FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid()")
                    .getInteger("n")).isPositive();
            long until = System.nanoTime() + Duration.ofSeconds(6).toNanos();
            while (System.nanoTime() < until) {
                long started = System.nanoTime();
                admin.get("/health").expect(200);
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
            }
        }
    }

    /**
     * A server that names IDLE but refuses it (a proxy, IDLE switched off): the receiver polls instead of trying
     * IDLE again at every turn (each try lost the connection, here at once, elsewhere only at the read timeout of
     * minutes, and marked the mailbox unhealthy), and mail keeps coming in.
     */
    @Test
    void aServerThatRefusesIdleIsPolled() {
        try (MailServer mail = MailServer.start().user(SUPPORT);
             ImapProxy proxy = ImapProxy.start(mail.imapPort(), ImapProxy.Fault.REFUSE_IDLE);
             TestServer server = TestServer.start()) {
            ApiClient admin = polledEverySecondThrough(server, mail, proxy);
            // 503 while it reconnects after the refusal, 200 once it polls.
            await().atMost(Duration.ofSeconds(20)).until(() -> admin.get("/health").json().encode()
                    .contains("INBOX: polling every 1s (the server refused IDLE)"));

            mail.append(SUPPORT, "INBOX", mail(0, "while polled"), null);
            await().atMost(Duration.ofSeconds(20)).until(() -> inboundCount(server) == 1);
            mail.append(SUPPORT, "INBOX", mail(1, "still polled"), null);
            await().atMost(Duration.ofSeconds(20)).until(() -> inboundCount(server) == 2);
            assertThat(proxy.faults()).as("IDLE tries").isEqualTo(1);
            assertThat(admin.get("/health").expect(200).json().encode()).contains("refused IDLE");
        }
    }

    /** A connection lost just as IDLE began is not a refusal: after the reconnect, the receiver waits in IDLE. */
    @Test
    void aConnectionLostAsIdleBeginsIsNotTakenForARefusal() {
        try (MailServer mail = MailServer.start().user(SUPPORT);
             ImapProxy proxy = ImapProxy.start(mail.imapPort(), ImapProxy.Fault.DROP_ON_FIRST_IDLE);
             TestServer server = TestServer.start()) {
            ApiClient admin = polledEverySecondThrough(server, mail, proxy);
            await().atMost(Duration.ofSeconds(20)).until(() -> proxy.faults() == 1
                    && admin.get("/health").json().encode().contains("INBOX: idle"));
            mail.append(SUPPORT, "INBOX", mail(0, "after the drop"), null);
            await().atMost(Duration.ofSeconds(20)).until(() -> inboundCount(server) == 1);
            assertThat(admin.get("/health").expect(200).json().encode()).doesNotContain("refused IDLE");
        }
    }

    /** Adds the INBOX as an email inbox through {@code proxy}, polled every second when it polls; its admin. */
    private static ApiClient polledEverySecondThrough(TestServer server, MailServer mail, ImapProxy proxy) {
        JsonObject config = inboxConfig(mail, "INBOX");
        config.getJsonObject("imap").put("port", proxy.port()).put("pollInterval", "1s");
        ApiClient admin = server.admin();
        admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Support")
                .put("config", config)).expect(201);
        return admin;
    }

    @Test
    void processedMailIsMovedAwayOnAServerWithoutMove() {
        try (MailServer mail = MailServer.start().user(SUPPORT);
             ImapProxy proxy = ImapProxy.start(mail.imapPort(), ImapProxy.Fault.NO_MOVE);
             TestServer server = TestServer.start()) {
            // In the mailbox before the inbox is added: one first sync takes them all, with nothing arriving as
            // they are moved.
            for (int i = 0; i < 3; i++) {
                mail.append(SUPPORT, "INBOX", mail(i, "copied"), null);
            }
            JsonObject config = inboxConfig(mail, "INBOX");
            config.getJsonObject("imap").put("port", proxy.port()).put("moveTo", "Processed");
            server.admin().post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Support")
                    .put("config", config)).expect(201);
            await().atMost(Duration.ofSeconds(20)).until(() -> inboundCount(server) == 3);
            await().atMost(Duration.ofSeconds(10)).until(() -> mail.count(SUPPORT, "INBOX") == 0
                    && mail.count(SUPPORT, "Processed") == 3);
            assertThat(server.admin().get("/health").expect(200).json().encode()).doesNotContain("MOVE");
        }
    }

    /**
     * With {@code config.oauth2}, IMAP and SMTP log in with access tokens fetched by the refresh-token grant. When
     * the mail server stops taking the token in hand (revoked, or the password behind it changed), the next login
     * fetches a new one at once: the reply goes out on its first attempt.
     */
    @Test
    void oauth2RefreshTokensGiveTheLoginsTheirAccessTokensAndARefusedOneIsReplacedAtOnce() throws Exception {
        AtomicReference<String> issued = new AtomicReference<>(MailServer.PASSWORD);
        List<String> requests = new CopyOnWriteArrayList<>();
        HttpServer endpoint = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        endpoint.createContext("/oauth2/token", exchange -> {
            requests.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] body = new JsonObject().put("access_token", issued.get()).put("token_type", "Bearer")
                    .put("expires_in", 3600).encode().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        endpoint.start();
        try (MailServer mail = MailServer.start().user(SUPPORT).user("customer0@example.com");
             TestServer server = TestServer.start()) {
            JsonObject config = mail.inboxConfig(SUPPORT, "Acme Support", "reply.acme.test");
            config.getJsonObject("imap").remove("password");
            config.getJsonObject("smtp").remove("password");
            config.put("oauth2", new JsonObject()
                    .put("tokenUrl", "http://127.0.0.1:" + endpoint.getAddress().getPort() + "/oauth2/token")
                    .put("clientId", "throughline-test").put("clientSecret", "client-secret-1")
                    .put("refreshToken", "refresh-token-1"));
            ApiClient admin = server.admin();
            JsonObject created = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email")
                    .put("name", "Support").put("config", config)).expect(201).json();
            assertThat(created.getJsonObject("config").getJsonObject("oauth2").getString("refreshToken"))
                    .isEqualTo("********");
            assertThat(created.getJsonObject("config").getJsonObject("oauth2").getString("clientSecret"))
                    .isEqualTo("********");
            long inbox = created.getLong("id");
            JsonObject test = admin.post("/api/v1/inboxes/" + inbox + "/test", null).expect(200).json();
            assertThat(test.getBoolean("ok")).as(test.encodePrettily()).isTrue();
            assertThat(test.getJsonArray("checks").stream().map(c -> ((JsonObject) c).getString("step")))
                    .contains("oauth2 token", "imap login", "smtp login");

            mail.append(SUPPORT, "INBOX", mail(0, "oauth2"), null);
            await().atMost(Duration.ofSeconds(20)).until(() -> inboundCount(server) == 1);

            mail.password(SUPPORT, "rotated-password");
            issued.set("rotated-password");
            long conversation = server.throughline().database().sql().single(
                    "SELECT conversation_id FROM messages WHERE external_id = 'oauth2-0@example.com'")
                    .getLong("conversation_id");
            admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body", "On it."))
                    .expect(201);
            await().atMost(Duration.ofSeconds(20)).until(() -> mail.inbox("customer0@example.com").size() == 1);
            assertThat(server.throughline().database().sql().single(
                    "SELECT status, attempts FROM deliveries WHERE channel = 'email'").toJson())
                    .isEqualTo(new JsonObject().put("status", "sent").put("attempts", 1));
            assertThat(requests).hasSizeGreaterThanOrEqualTo(3).allSatisfy(form -> assertThat(form)
                    .contains("grant_type=refresh_token", "refresh_token=refresh-token-1",
                            "client_id=throughline-test", "client_secret=client-secret-1"));

            // A refresh token the provider rotated (as one would be kept) is a live credential: the admin replacing
            // the configured one takes it from the database, and deleting the inbox takes every checkpoint.
            var sql = server.throughline().database().sql();
            sql.update("INSERT INTO inbox_checkpoints (inbox_id, name, value) VALUES ($1, 'oauth2', $2)", inbox,
                    new JsonObject().put("configured", "hash").put("refreshToken", "rotated-by-the-provider"));
            JsonObject saved = admin.get("/api/v1/inboxes/" + inbox).expect(200).json().getJsonObject("config");
            saved.getJsonObject("oauth2").put("refreshToken", "refresh-token-2");
            admin.patch("/api/v1/inboxes/" + inbox, new JsonObject().put("config", saved)).expect(200);
            assertThat(sql.single("SELECT array_agg(name ORDER BY name) AS names FROM inbox_checkpoints"
                    + " WHERE inbox_id = $1", inbox).getArrayOfStrings("names")).containsExactly("imap:INBOX");
            admin.delete("/api/v1/inboxes/" + inbox).expect(204);
            assertThat(sql.single("SELECT count(*) AS n FROM inbox_checkpoints WHERE inbox_id = $1", inbox)
                    .getLong("n")).isZero();
        } finally {
            endpoint.stop(0);
        }
    }

    private static byte[] mail(int i, String batch) {
        return ("From: Customer " + i + " <customer" + i + "@example.com>\r\nTo: " + SUPPORT + "\r\n"
                + "Subject: " + batch + " " + i + "\r\nMessage-ID: <" + batch.replace(' ', '-') + "-" + i
                + "@example.com>\r\n\r\nMail number " + i + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** APPEND takes the Date header as the mail's received date: one from before the 7-day backfill. */
    private static byte[] oldMail() {
        return ("From: Old <old@example.com>\r\nTo: " + SUPPORT + "\r\nSubject: last year\r\n"
                + "Date: " + DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC)
                .minusDays(40)) + "\r\nMessage-ID: <old-1@example.com>\r\n\r\nAn old mail.\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static void createInbox(ApiClient admin, MailServer mail, String folder) {
        admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Support")
                .put("config", inboxConfig(mail, folder))).expect(201);
    }

    private static JsonObject inboxConfig(MailServer mail, String folder) {
        JsonObject config = mail.inboxConfig(SUPPORT, "Acme Support", "reply.acme.test");
        config.getJsonObject("imap").put("folders", new JsonArray().add(folder));
        return config;
    }

    private static long inboundCount(TestServer server) {
        return server.throughline().database().sql().single("SELECT count(*) AS n FROM messages WHERE kind = 'in'")
                .getLong("n");
    }

    private static JsonObject checkpoint(TestServer server, String name) {
        return server.throughline().database().sql().one("SELECT value FROM inbox_checkpoints WHERE name = $1", name)
                .map(r -> r.getJsonObject("value")).orElse(new JsonObject());
    }

    /** Whether this node receives the email inbox, from its /health; null before the inbox is open there. */
    private static Boolean receivingHere(TestServer server) {
        JsonArray connectors = server.operator().get("/health").json().getJsonObject("checks")
                .getJsonArray("connectors");
        for (int i = 0; i < connectors.size(); i++) {
            if ("email".equals(connectors.getJsonObject(i).getString("kind"))) {
                return connectors.getJsonObject(i).getBoolean("receivingHere");
            }
        }
        return null;
    }
}
