package io.throughline.email;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.ImapProxy;
import io.throughline.testing.MailServer;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * What an IMAP server does wrong must not lose mail or stop the mailbox: a refused batch fetch, an answer that
 * leaves out a mail that still exists, a mail it never hands over, or only the start of (a proxy in front of
 * GreenMail plays that server).
 */
class ImapFaultsIT {

    private static final String SUPPORT = "support@acme.test";
    /** Tests of a mail given up on need not wait the production default of minutes. */
    private static final Map<String, String> GIVE_UP_AT_ONCE = Map.of("email.imap.giveUpAfter", "0s");

    @Test
    void aServerThatRefusesABatchFetchIsAskedForEachMailAlone() {
        receiveThrough(ImapProxy.Fault.REFUSE_BATCH_FETCH);
    }

    @Test
    void aMailLeftOutOfABatchAnswerIsFetchedAloneNotSkipped() {
        receiveThrough(ImapProxy.Fault.OMIT_LAST_OF_BATCH);
    }

    /**
     * One mail the server never hands over is recorded as unreadable after a few tries (over no time at all here:
     * {@code email.imap.giveUpAfter} is 0s), and left in the mailbox while the others are moved away as processed.
     */
    @Test
    void aMailTheServerNeverHandsOverIsRecordedAsUnreadableAndTheFolderGoesOn() {
        try (MailServer mail = MailServer.start().user(SUPPORT);
             ImapProxy proxy = ImapProxy.start(mail.imapPort(), ImapProxy.Fault.REFUSE_MAIL_2);
             TestServer server = TestServer.start(GIVE_UP_AT_ONCE)) {
            mail.append(SUPPORT, "INBOX", waiting(), null);
            JsonObject config = mail.inboxConfig(SUPPORT, "Acme Support", "reply.acme.test");
            config.getJsonObject("imap").put("port", proxy.port()).put("moveTo", "Processed");
            server.admin().post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Support")
                    .put("config", config)).expect(201);

            await().atMost(Duration.ofSeconds(30)).until(() -> externalIds(server).size() == 3);
            assertThat(externalIds(server)).contains("waiting-0@example.com", "waiting-2@example.com");
            await().atMost(Duration.ofSeconds(10)).until(() -> mail.count(SUPPORT, "Processed") == 2);
            assertThat(mail.count(SUPPORT, "INBOX")).as("the unreadable mail stays where its message says it is")
                    .isEqualTo(1);
            Row unreadable = server.throughline().database().sql().single("SELECT external_id, subject, body, flags"
                    + " FROM messages WHERE external_id LIKE 'imap-unreadable:%'");
            assertThat(unreadable.getString("external_id")).startsWith("imap-unreadable:INBOX:").endsWith(":2");
            assertThat(unreadable.getString("subject")).as("from the envelope").isEqualTo("waiting 1");
            assertThat(unreadable.getString("body")).contains("folder INBOX, UID 2").contains("simulated");
            assertThat(unreadable.getArrayOfStrings("flags")).contains("unparsed");
            assertThat(proxy.faults()).as("asked for alone more than once first").isGreaterThan(2);

            // The folder goes on: new mail still comes in.
            mail.append(SUPPORT, "INBOX", List.of(mail(3)), null);
            await().atMost(Duration.ofSeconds(30)).until(() -> externalIds(server).contains("waiting-3@example.com"));
        }
    }

    /**
     * A mail the server drops the connection on, fetched with others or alone, is counted against itself (after
     * the drop its batch is fetched mail by mail) and recorded unreadable; the mails around it come in.
     */
    @Test
    void aMailTheServerDropsTheConnectionOnIsRecordedAsUnreadableAndTheFolderGoesOn() {
        try (MailServer mail = MailServer.start().user(SUPPORT);
             ImapProxy proxy = ImapProxy.start(mail.imapPort(), ImapProxy.Fault.DROP_ON_MAIL_2);
             TestServer server = TestServer.start(GIVE_UP_AT_ONCE)) {
            mail.append(SUPPORT, "INBOX", waiting(), null);
            createInbox(server, mail, proxy);

            await().atMost(Duration.ofSeconds(60)).until(() -> externalIds(server).size() == 3);
            assertThat(externalIds(server)).contains("waiting-0@example.com", "waiting-2@example.com")
                    .anySatisfy(id -> assertThat(id).startsWith("imap-unreadable:INBOX:").endsWith(":2"));
            assertThat(proxy.faults()).as("the batch, then mail 2 alone three times").isGreaterThanOrEqualTo(4);
            await().atMost(Duration.ofSeconds(10)).until(() -> lastUid(server) == 3);
        }
    }

    /**
     * A refusal the server calls temporary ({@code NO [UNAVAILABLE]}, here for a mail asked for alone) is retried for
     * as long as it lasts, even past the attempts that make another refusal give up: the mail comes in whole once
     * the server hands it over.
     */
    @Test
    void aTemporaryRefusalIsRetriedUntilTheMailComesInNotRecordedUnreadable() {
        try (MailServer mail = MailServer.start().user(SUPPORT);
             ImapProxy proxy = ImapProxy.start(mail.imapPort(), ImapProxy.Fault.UNAVAILABLE_MAIL_2);
             TestServer server = TestServer.start(GIVE_UP_AT_ONCE)) {
            mail.append(SUPPORT, "INBOX", waiting(), null);
            createInbox(server, mail, proxy);

            await().atMost(Duration.ofSeconds(60)).until(() -> externalIds(server).size() == 3);
            assertThat(externalIds(server))
                    .containsExactlyInAnyOrder("waiting-0@example.com", "waiting-1@example.com", "waiting-2@example.com");
            assertThat(proxy.temporaryRefusals()).as("refused more often than a lasting refusal is tried")
                    .isEqualTo(ImapProxy.TEMPORARY_REFUSALS).isGreaterThan(3);
        }
    }

    /**
     * A large mail (fetched in 1 MB slices) whose later slices the server refuses is recorded as unreadable, never
     * imported cut short (Jakarta Mail's own streaming takes such a NO for the end of the mail).
     */
    @Test
    void aLargeMailCutShortByTheServerIsRecordedAsUnreadableNotImportedTruncated() {
        try (MailServer mail = MailServer.start().user(SUPPORT);
             ImapProxy proxy = ImapProxy.start(mail.imapPort(), ImapProxy.Fault.REFUSE_LATER_SLICES);
             TestServer server = TestServer.start(GIVE_UP_AT_ONCE)) {
            String text = "a long letter\r\n".repeat(3 * 1024 * 1024 / 15);
            byte[] large = ("From: Customer 7 <customer7@example.com>\r\nTo: " + SUPPORT + "\r\nSubject: the long one\r\n"
                    + "Message-ID: <long-7@example.com>\r\n\r\n" + text + "\r\n").getBytes(StandardCharsets.US_ASCII);
            mail.append(SUPPORT, "INBOX", List.of(large, mail(0)), null);
            createInbox(server, mail, proxy);

            await().atMost(Duration.ofSeconds(60)).until(() -> externalIds(server).size() == 2);
            assertThat(externalIds(server)).contains("waiting-0@example.com").doesNotContain("long-7@example.com");
            Row unreadable = server.throughline().database().sql().single("SELECT external_id, subject, body, flags"
                    + " FROM messages WHERE external_id LIKE 'imap-unreadable:%'");
            assertThat(unreadable.getString("external_id")).endsWith(":1");
            assertThat(unreadable.getString("subject")).isEqualTo("the long one");
            assertThat(unreadable.getString("body")).contains("simulated");
            assertThat(proxy.faults()).as("a later slice was refused more than once").isGreaterThan(2);
        }
    }

    /**
     * A server that answers a slice of a large mail short, with OK, is not at the end of the mail for that: the rest
     * is asked for until the size the server gave is reached (or an empty answer ends a mail the size overstated).
     */
    @Test
    void aLargeMailWhoseSlicesComeShortIsImportedWhole() {
        try (MailServer mail = MailServer.start().user(SUPPORT);
             ImapProxy proxy = ImapProxy.start(mail.imapPort(), ImapProxy.Fault.SHORT_SLICES);
             TestServer server = TestServer.start(GIVE_UP_AT_ONCE)) {
            byte[] file = new byte[2 * 1024 * 1024];
            new Random(8).nextBytes(file);
            String base64 = Base64.getMimeEncoder().encodeToString(file);
            byte[] large = ("From: Customer 8 <customer8@example.com>\r\nTo: " + SUPPORT + "\r\nSubject: the long one\r\n"
                    + "Message-ID: <long-8@example.com>\r\nMIME-Version: 1.0\r\n"
                    + "Content-Type: multipart/mixed; boundary=\"b8\"\r\n\r\n--b8\r\nContent-Type: text/plain\r\n\r\n"
                    + "The recording you asked for.\r\n--b8\r\nContent-Type: application/octet-stream\r\n"
                    + "Content-Disposition: attachment; filename=\"recording.bin\"\r\n"
                    + "Content-Transfer-Encoding: base64\r\n\r\n" + base64 + "\r\n--b8--\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            mail.append(SUPPORT, "INBOX", List.of(large), null);
            createInbox(server, mail, proxy);

            await().atMost(Duration.ofSeconds(60)).until(() -> externalIds(server).contains("long-8@example.com"));
            Row attachment = server.throughline().database().sql().single("SELECT a.size, a.sha256 FROM attachments a"
                    + " JOIN messages m ON m.id = a.message_id WHERE m.external_id = 'long-8@example.com'");
            assertThat(attachment.getLong("size")).isEqualTo(file.length);
            assertThat(attachment.getString("sha256")).isEqualTo(sha256(file));
            assertThat(proxy.faults()).as("slices came short").isGreaterThan(3);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void receiveThrough(ImapProxy.Fault fault) {
        try (MailServer mail = MailServer.start().user(SUPPORT);
             ImapProxy proxy = ImapProxy.start(mail.imapPort(), fault);
             TestServer server = TestServer.start()) {
            mail.append(SUPPORT, "INBOX", waiting(), null);
            createInbox(server, mail, proxy);

            await().atMost(Duration.ofSeconds(30)).until(() -> externalIds(server).size() == 3);
            assertThat(externalIds(server))
                    .containsExactlyInAnyOrder("waiting-0@example.com", "waiting-1@example.com", "waiting-2@example.com");
            assertThat(proxy.faults()).as("the server misbehaved").isPositive();
            await().atMost(Duration.ofSeconds(10)).until(() -> lastUid(server) == 3);
        }
    }

    /** Three mails already in the mailbox when the inbox is added: the first sync fetches them as one batch. */
    private static List<byte[]> waiting() {
        List<byte[]> mails = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            mails.add(mail(i));
        }
        return mails;
    }

    private static byte[] mail(int i) {
        return ("From: Customer " + i + " <customer" + i + "@example.com>\r\nTo: " + SUPPORT + "\r\nSubject: waiting "
                + i + "\r\nMessage-ID: <waiting-" + i + "@example.com>\r\n\r\nMail number " + i + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static void createInbox(TestServer server, MailServer mail, ImapProxy proxy) {
        JsonObject config = mail.inboxConfig(SUPPORT, "Acme Support", "reply.acme.test");
        config.getJsonObject("imap").put("port", proxy.port());
        server.admin().post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Support")
                .put("config", config)).expect(201);
    }

    /** The INBOX checkpoint's last UID: how far the receiver has committed. */
    private static long lastUid(TestServer server) {
        return server.throughline().database().sql()
                .one("SELECT value FROM inbox_checkpoints WHERE name = 'imap:INBOX'")
                .map(r -> r.getJsonObject("value").getLong("lastUid")).orElse(0L);
    }

    private static List<String> externalIds(TestServer server) {
        return server.throughline().database().sql().list("SELECT external_id FROM messages WHERE kind = 'in'",
                row -> row.getString("external_id"));
    }
}
