package io.throughline.email;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.ApiClient;
import io.throughline.testing.MailServer;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.mail.Flags;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every mail of the team's corpus, placed byte for byte in the watched mailbox over IMAP, and what each becomes in
 * the real server: text, trimmed display, sanitized HTML, files, flags, threading, contacts and bounces. The
 * corpus mails that answer our replies name "msg-17.5@reply.acme.test" and the token "c5k0123456789abcdef0123":
 * the test puts in the real ones first, as the customer's client would have quoted them.
 */
class EmailCorpusIT {

    private static final String SUPPORT = "support@acme.test";
    private static final String ANN = "ann.lee@gmail.com";
    private static final String PLACEHOLDER_ID = "msg-17.5@reply.acme.test";
    private static final String PLACEHOLDER_TOKEN = "c5k0123456789abcdef0123";

    private static TestServer server;
    private static MailServer mail;
    private static ApiClient admin;
    private static long annConversation;
    private static final List<String> replyIds = new ArrayList<>();
    private static String token;
    private static final Map<String, JsonObject> byExternalId = new HashMap<>();
    private static byte[] largeFile;

    @BeforeAll
    static void importTheCorpus() throws Exception {
        mail = MailServer.start().user(SUPPORT).user("karin.berg@post.example").user(ANN);
        // The corpus mails keep their 2024 dates as IMAP INTERNALDATE: import them whatever their age.
        server = TestServer.start(Map.of("email.imap.backfill", "36500d"));
        admin = server.admin();
        admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", "Support")
                .put("config", mail.inboxConfig(SUPPORT, "Acme Support", "reply.acme.test"))).expect(201);

        append("gmail-new.eml", corpus("gmail-new.eml"));
        JsonObject first = await().atMost(Duration.ofSeconds(20)).until(() -> find(
                "CAJ8q3v=Ux1P5uN0wXg7kB2mQ4ZrT9yDcE_fH6aLpS1oNj2WbVg@mail.gmail.com"), m -> m != null);
        annConversation = first.getLong("conversationId");
        List<Long> replies = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            replies.add(admin.post("/api/v1/conversations/" + annConversation + "/messages",
                    new JsonObject().put("body", "Reply " + i)).expect(201).json().getLong("id"));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> messages(annConversation).stream()
                .map(JsonObject.class::cast).filter(m -> "out".equals(m.getString("kind")))
                .allMatch(m -> "sent".equals(m.getJsonObject("delivery").getString("status"))));
        // The real Message-IDs, as the customer's client quotes them: signed, so they cannot be made up here.
        for (long reply : replies) {
            replyIds.add(server.throughline().database().sql().single(
                    "SELECT external_id FROM deliveries WHERE message_id = $1", reply).getString("external_id"));
        }
        MimeMessage sent = mail.inbox(ANN).getFirst();
        String replyTo = ((InternetAddress) sent.getReplyTo()[0]).getAddress();
        token = replyTo.substring("reply+".length(), replyTo.indexOf('@'));

        for (Path file : corpusFiles()) {
            String name = file.getFileName().toString();
            if (name.equals("gmail-new.eml")) {
                continue;
            }
            String reply = switch (name) {
                case "dsn-bounce-postfix.eml" -> replyIds.get(1);
                case "dsn-bounce-exchange.eml" -> replyIds.get(2);
                case "bounce-plain-qmail.eml" -> replyIds.get(3);
                default -> replyIds.get(0);
            };
            byte[] raw = substitute(Files.readAllBytes(file), reply);
            // A bounce of a reply to Ann names Ann (the corpus's bounces name recipients of their own).
            append(name, name.startsWith("dsn-") ? new String(raw, StandardCharsets.ISO_8859_1)
                    .replace("nobody@example.com", ANN).replace("jan.kowalski@contoso.example", ANN)
                    .getBytes(StandardCharsets.ISO_8859_1) : raw);
        }
        largeFile = new byte[20 * 1024 * 1024];
        new Random(42).nextBytes(largeFile);
        append("large", largeAttachmentMail(largeFile));
        append("sentinel", ("From: Last <last@example.com>\nTo: " + SUPPORT + "\nSubject: sentinel\n"
                + "Message-ID: <sentinel@example.com>\n\nend of corpus\n").getBytes(StandardCharsets.US_ASCII));
        await().atMost(Duration.ofSeconds(90)).until(() -> {
            index();
            return byExternalId.containsKey("sentinel@example.com");
        });
    }

    @AfterAll
    static void stop() {
        server.close();
        mail.close();
    }

    @Test
    void gmailSignatureIsTrimmedForTheThreadViewAndKeptInTheOriginal() {
        JsonObject m = find("CAJ8q3v=Ux1P5uN0wXg7kB2mQ4ZrT9yDcE_fH6aLpS1oNj2WbVg@mail.gmail.com");
        assertThat(m.getJsonObject("threading").getString("reason")).isEqualTo("new");
        assertThat(m.getString("body")).contains("+44 20 7946 0958");
        assertThat(m.getJsonObject("display").getString("body")).endsWith("Thanks,\nAnn")
                .doesNotContain("7946");
        assertThat(m.getJsonObject("display").getString("html")).contains("Photos are on their way")
                .doesNotContain("7946");
        assertThat(m.getString("html")).contains("data-quote=\"signature\"");
    }

    @Test
    void gmailReplyJoinsByReplyTokenWithTheQuoteTrimmed() {
        JsonObject m = find("CAJ8q3v-reply2_kD9wQpLmN4sZxY7tR3uVb1eF0gH5jK2lM8nO@mail.gmail.com");
        assertThat(m.getLong("conversationId")).isEqualTo(annConversation);
        assertThat(m.getJsonObject("threading").getString("reason")).isEqualTo("reply_token");
        assertThat(flags(m)).doesNotContain("unverified_sender");
        assertThat(m.getJsonObject("display").getString("body"))
                .isEqualTo("Great, thank you! The replacement can go to the same address.\n\nAnn");
        assertThat(m.getJsonObject("display").getString("html")).doesNotContain("sorry about that");
        assertThat(m.getString("html")).contains("sorry about that");
    }

    @Test
    void outlookReplyFromAnotherSenderJoinsByInReplyToButIsFlagged() {
        JsonObject m = find("AM9PR01MB1234F0B7C2E1A3D4B5C6D7E8A9B0@AM9PR01MB1234.eurprd01.prod.outlook.com");
        assertThat(m.getLong("conversationId")).isEqualTo(annConversation);
        assertThat(m.getJsonObject("threading").getString("reason")).isEqualTo("in_reply_to");
        assertThat(m.getJsonObject("threading").getBoolean("senderVerified")).isFalse();
        assertThat(flags(m)).contains("unverified_sender");
        assertThat(m.getJsonObject("display").getString("body")).endsWith("Contoso Sp. z o.o.")
                .doesNotContain("which VAT number");
        assertThat(m.getJsonObject("display").getString("html")).contains("PL5213017228")
                .doesNotContain("which VAT number");
    }

    @Test
    void outlookWebAnswerWithOnlyTheTokenJoinsTheConversation() {
        JsonObject m = find("DB8P189MB0987A1B2C3D4E5F6A7B8C9D0E1F2@DB8P189MB0987.EURP189.PROD.OUTLOOK.COM");
        assertThat(m.getLong("conversationId")).isEqualTo(annConversation);
        assertThat(m.getJsonObject("threading").getString("reason")).isEqualTo("reply_token");
        assertThat(m.getJsonObject("display").getString("body"))
                .isEqualTo("Writing from my private address: the corrected invoice arrived, thank you.\n\nJan");
        assertThat(m.getJsonObject("display").getString("html")).doesNotContain("corrected invoice.</div>")
                .doesNotContain("Outlook for Android");
    }

    /** An answer to us and to another helpdesk names two reply+ addresses: ours threads it, wherever it stands. */
    @Test
    void anAnswerNamingAnotherHelpdesksReplyAddressFirstJoinsByOurToken() {
        JsonObject m = find("two-reply-addresses-0001@nowak-home.example");
        assertThat(m.getLong("conversationId")).isEqualTo(annConversation);
        assertThat(m.getJsonObject("threading").getString("reason")).isEqualTo("reply_token");
    }

    /** A forward its mailer wrote in base64 shows the forwarded mail's text, and keeps it as an .eml. */
    @Test
    void aForwardInBase64ShowsItsText() {
        JsonObject m = find("fwd-encoded-0001@gmail.example");
        assertThat(m.getString("body")).contains("the lamp of order 17 arrived broken");
        assertThat(m.getJsonArray("attachments")).singleElement()
                .satisfies(a -> assertThat(((JsonObject) a).getString("filename"))
                        .isEqualTo("Order 17 arrived broken.eml"));
    }

    @Test
    void appleAndThunderbirdQuotesAreTrimmed() {
        JsonObject apple = find("5E1D2C3B-4A59-4F68-8E77-6D5C4B3A2918@icloud.example");
        assertThat(apple.getJsonObject("display").getString("html")).contains("post office")
                .doesNotContain("return label is attached");
        assertThat(apple.getJsonObject("display").getString("body")).isEqualTo(
                "Merci! I dropped the parcel at the post office this afternoon.\n\nMarie");
        JsonObject thunderbird = find("3f1a9c2e-7b4d-4e8f-9a1b-2c3d4e5f6a7b@posteo.example");
        assertThat(thunderbird.getJsonObject("display").getString("body"))
                .isEqualTo("Дякую! The serial number is AX-2291-K.");
        assertThat(thunderbird.getJsonObject("display").getString("html")).contains("AX-2291-K")
                .doesNotContain("serial number on the bottom").doesNotContain("Kyiv");
    }

    @Test
    void inlineImagesPointAtTheirStoredAttachment() {
        JsonObject m = find("CAimg-inline-9f8e7d6c5b4a@mail.gmail.com");
        JsonArray files = m.getJsonArray("attachments");
        assertThat(files).hasSize(2);
        JsonObject crack = files.getJsonObject(0);
        assertThat(crack.getString("filename")).isEqualTo("crack.png");
        assertThat(crack.getBoolean("inline")).isTrue();
        assertThat(crack.getString("contentId")).isEqualTo("ii_ltz1abcd0");
        assertThat(files.getJsonObject(1).getString("filename")).isEqualTo("receipt.png");
        assertThat(m.getString("html")).contains("src=\"" + crack.getString("url") + "\"")
                .contains("data-cid=\"ii_ltz1abcd0\"").doesNotContain("cid:");
        assertThat(admin.bytes(crack.getString("url"))).startsWith((byte) 0x89, (byte) 'P', (byte) 'N');
        JsonObject apple = find("9A8B7C6D-5E4F-4A3B-8C2D-1E0F9A8B7C6D@icloud.example");
        String url = apple.getJsonArray("attachments").getJsonObject(0).getString("url");
        assertThat(apple.getString("html")).contains("src=\"" + url + "\"");
    }

    @Test
    void htmlIsSanitizedAndRemoteImagesBlocked() {
        JsonObject m = find("html-only-7781@boutique.example");
        String html = m.getString("html");
        assertThat(html).contains("<b>200 lamps</b>").contains("<li>Model: Aurora</li>")
                .doesNotContain("<script").doesNotContain("alert(").doesNotContain("onload")
                .doesNotContain("onclick").doesNotContain("<form").doesNotContain("<input")
                .doesNotContain("<iframe").doesNotContain("javascript:").doesNotContain("<style")
                .contains("data-remote-src=\"https://tracker.example/pixel.gif?id=991\"")
                .doesNotContainPattern("\\ssrc=\"https://tracker").contains("rel=\"noopener noreferrer nofollow\"");
        assertThat(m.getString("body")).startsWith("Wholesale inquiry\n\nWe would like to order 200 lamps");
    }

    @Test
    void forwardsAreNeverTrimmed() {
        JsonObject inline = find("CAfwd-inline-1234567890abcdef@mail.gmail.com");
        assertThat(inline.getValue("display")).isNull();
        assertThat(inline.getString("body")).contains("Total: 89.00 EUR");
        JsonObject attached = find("fwd-attach-0001@gmail.example");
        assertThat(attached.getString("body")).contains("left your parcel at my door again");
        assertThat(attached.getJsonArray("attachments").getJsonObject(0).getString("filename"))
                .isEqualTo("Your delivery was left at my door.eml");
        assertThat(attached.getJsonObject("metadata").getJsonObject("email").getJsonArray("forwarded").getString(0))
                .startsWith("Lisa Weber");
        // Its content removed, the forwarded mail's author and subject go too (they were kept in its metadata).
        JsonObject removed = admin.post("/api/v1/messages/" + attached.getLong("id") + "/redact", null).expect(200)
                .json();
        assertThat(removed.getJsonObject("metadata").encode()).doesNotContain("Lisa Weber")
                .doesNotContain("left at my door").contains("messageId");
    }

    @Test
    void legacyCharsetsBecomeReadableText() {
        JsonObject cp1251 = find("1811235442.20240325091542@mail.example");
        assertThat(cp1251.getString("subject")).isEqualTo("Нет инструкции к заказу №3390");
        assertThat(cp1251.getJsonObject("author").getString("name")).isEqualTo("Игорь Петров");
        assertThat(cp1251.getString("body")).contains("пришёл без инструкции");
        assertThat(find("20240326140000.GA1234@koi.example").getString("body")).contains("Счёт 77-14 оплачен");
        JsonObject koi8u = find("koi8u-5566@koi-u.example");
        assertThat(koi8u.getString("subject")).isEqualTo("Обмін куртки");
        assertThat(koi8u.getString("body")).contains("Їжак").contains("ґудзик");
        JsonObject raw = find("raw8bit-1251-0001@old.example");
        assertThat(raw.getString("subject")).isEqualTo("Возврат товара по заказу 1205");
        assertThat(raw.getJsonObject("author").getString("name")).isEqualTo("Светлана Иванова");
        assertThat(find("raw8bit-koi8-0002@koi-old.example").getString("subject")).isEqualTo("Где мой заказ?");
        assertThat(find("utf8-headers-7@umlaut.example").getString("subject"))
                .isEqualTo("Lieferung für Zoë – falsche Farbe");
        assertThat(find("pl-8812@poczta.example").getString("body")).contains("dotarło uszkodzone");
        assertThat(find("fr-0001@courriel.example").getString("subject")).isEqualTo("Facture non reçue");
    }

    @Test
    void encodedFileNamesAreDecoded() {
        JsonObject pdf = find("7c2d9e1f-aaaa-4bbb-8ccc-0d1e2f3a4b5c@ukr.example").getJsonArray("attachments")
                .getJsonObject(0);
        assertThat(pdf.getString("filename")).isEqualTo("Рахунок № 17.pdf");
        assertThat(pdf.getString("contentType")).isEqualTo("application/pdf");
        assertThat(find("2047-filename-1@firma.example").getJsonArray("attachments").getJsonObject(0)
                .getString("filename")).isEqualTo("Акт приёмки.docx");
        assertThat(find("invite-1@calendar.example").getJsonArray("attachments").getJsonObject(0)
                .getString("filename")).isEqualTo("invite.ics");
    }

    @Test
    void bouncesMarkTheirDeliveryFailedWithTheReasonAndAreNotMessages() {
        JsonArray thread = messages(annConversation);
        assertThat(delivery(thread, replyIds.get(1)).getString("status")).isEqualTo("failed");
        assertThat(delivery(thread, replyIds.get(1)).getString("lastError"))
                .contains("550 5.1.1 <" + ANN + ">: Recipient address rejected");
        assertThat(delivery(thread, replyIds.get(2)).getString("lastError"))
                .startsWith("550 5.1.10 RESOLVER.ADR.RecipientNotFound");
        assertThat(delivery(thread, replyIds.get(3)).getString("lastError")).contains("552 5.2.2 mailbox full");
        assertThat(delivery(thread, replyIds.get(0)).getString("status")).isEqualTo("sent");
        assertThat(find("20240402100005.4F2A1C0D3E@mx.acme.test")).isNull();
        assertThat(find("20240404061200.qmail.12345@mail.oldhost.example")).isNull();
        JsonObject delayed = find("delayed-1@mx.acme.test");
        assertThat(flags(delayed)).contains("automated");
        // In the conversation of the reply it is about, where its agent reads it, not one of the relay's own.
        assertThat(delayed.getLong("conversationId")).isEqualTo(annConversation);
        // The relay's address is not taken for one of Ann's: it would be where her email fallbacks went next.
        long ann = admin.get("/api/v1/conversations/" + annConversation).expect(200).json()
                .getJsonObject("contact").getLong("id");
        assertThat(admin.get("/api/v1/contacts/" + ann).expect(200).json().getJsonArray("identities").encode())
                .contains(ANN).doesNotContainIgnoringCase("mailer-daemon");
    }

    @Test
    void autoRepliesAndBulkMailAreFlaggedAutomated() {
        for (String id : List.of("oof-0001@AM9PR01MB1234.eurprd01.prod.outlook.com",
                "CAvacation-00112233@mail.gmail.com", "autoresponder-ru-3390@mail.example", "digest-12-3@lists.example")) {
            assertThat(flags(find(id))).as(id).contains("automated");
        }
        assertThat(find("oof-0001@AM9PR01MB1234.eurprd01.prod.outlook.com").getLong("conversationId"))
                .isEqualTo(annConversation);
        assertThat(flags(find("form-20240409133700-42@acme-web.example")))
                .doesNotContain("automated");
    }

    @Test
    void contactFormMailIsAnsweredToThePersonInReplyTo() throws Exception {
        JsonObject form = find("form-20240409133700-42@acme-web.example");
        assertThat(form.getJsonObject("author").getString("name")).isEqualTo("Karin Berg");
        long conversation = form.getLong("conversationId");
        admin.post("/api/v1/conversations/" + conversation + "/messages",
                new JsonObject().put("body", "Yes, with any trailing-edge dimmer.")).expect(201);
        MimeMessage answer = await().atMost(Duration.ofSeconds(20)).until(() -> mail.inbox("karin.berg@post.example"),
                list -> !list.isEmpty()).getFirst();
        assertThat(answer.getHeader("In-Reply-To", null)).isEqualTo("<form-20240409133700-42@acme-web.example>");
    }

    /**
     * A form that sends as the shop's own address (to pass SPF) speaks for the person in Reply-To; mail an agent
     * sent from the mailbox outside Throughline stays out.
     */
    @Test
    void mailFromOurAddressComesInOnlyOnBehalfOfSomeoneElse() {
        JsonObject enquiry = find("enquiry-20240410091500-77@acme.test");
        assertThat(enquiry).isNotNull();
        assertThat(enquiry.getJsonObject("author").getString("name")).isEqualTo("Lena Fox");
        assertThat(enquiry.getString("body")).contains("Do you deliver to Tromsø?");
        assertThat(find("outlook-sent-5@acme.test")).isNull();
        // Our own reply whose Message-ID a relay rewrote: its Reply-To is ours, not a customer's.
        assertThat(find("relay-rewritten-9@mx.acme.test")).isNull();
    }

    @Test
    void unparseableMailIsKeptRawAndFlagged() {
        JsonObject broken = find("malformed-no-boundary-1@broken.example");
        assertThat(flags(broken)).contains("unparsed");
        assertThat(broken.getString("body")).contains("order 6001");
        JsonObject original = broken.getJsonArray("attachments").getJsonObject(0);
        assertThat(original.getString("filename")).isEqualTo("original.eml");
        assertThat(new String(admin.bytes(original.getString("url")), StandardCharsets.US_ASCII))
                .contains("Message-ID: <malformed-no-boundary-1@broken.example>");

        JsonObject badBase64 = find("bad-base64-1@office.example");
        assertThat(flags(badBase64)).contains("unparsed");
        assertThat(badBase64.getString("body")).isEqualTo("The delivery note is attached.\n");
        assertThat(badBase64.getJsonObject("metadata").getJsonObject("email").getJsonArray("problems").getString(0))
                .contains("note.pdf");

        assertThat(flags(find("unclosed-1@jp.example"))).doesNotContain("unparsed");
        JsonObject noFrom = find("no-from-1@printer.invalid");
        assertThat(noFrom.getString("body")).isEqualTo("Scan from device 5 – page 1 of 1\n");
        JsonObject noId = byExternalId.values().stream()
                .filter(m -> "Please restore my account data".equals(m.getString("subject"))).findFirst().orElseThrow();
        assertThat(noId.getString("externalId")).startsWith("sha256:");
    }

    @Test
    void signedMailShowsItsTextAndSpoofedSenderDoesNotJoinTheRealCustomer() {
        assertThat(find("smime-1@klinik.example").getString("body")).startsWith("We order 12 examination lamps");
        JsonObject spoof = find("spoof-1@198.51.100.9");
        assertThat(spoof.getLong("conversationId")).isNotEqualTo(annConversation);
        assertThat(spoof.getJsonObject("metadata").getJsonObject("email").getBoolean("senderAuthFailed")).isTrue();
    }

    @Test
    void russianReplyIsTrimmedAtItsSignature() {
        JsonObject m = find("123451713249000@mail.yandex.example");
        assertThat(m.getLong("conversationId")).isEqualTo(annConversation);
        assertThat(m.getJsonObject("display").getString("body")).isEqualTo("Спасибо, инструкцию получил.");
    }

    @Test
    void twentyMegabyteAttachmentArrivesWhole() throws Exception {
        JsonObject file = find("large-attachment@example.com").getJsonArray("attachments").getJsonObject(0);
        assertThat(file.getLong("size")).isEqualTo(largeFile.length);
        assertThat(file.getString("filename")).isEqualTo("backup.bin");
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        assertThat(HexFormat.of().formatHex(sha.digest(admin.bytes(file.getString("url")))))
                .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(largeFile)));
    }

    private static byte[] largeAttachmentMail(byte[] content) {
        String encoded = Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(content);
        String mail = "From: Big Sender <big@example.com>\r\nTo: " + SUPPORT + "\r\nSubject: the backup\r\n"
                + "Message-ID: <large-attachment@example.com>\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=\"LARGE\"\r\n\r\n--LARGE\r\n"
                + "Content-Type: text/plain; charset=us-ascii\r\n\r\nThe backup is attached.\r\n--LARGE\r\n"
                + "Content-Type: application/octet-stream; name=\"backup.bin\"\r\n"
                + "Content-Disposition: attachment; filename=\"backup.bin\"\r\n"
                + "Content-Transfer-Encoding: base64\r\n\r\n" + encoded + "\r\n--LARGE--\r\n";
        return mail.getBytes(StandardCharsets.US_ASCII);
    }

    private static JsonObject delivery(JsonArray thread, String replyId) {
        String id = replyId.substring(4, replyId.indexOf('.'));
        for (int i = 0; i < thread.size(); i++) {
            if (String.valueOf(thread.getJsonObject(i).getLong("id")).equals(id)) {
                return thread.getJsonObject(i).getJsonObject("delivery");
            }
        }
        throw new AssertionError("no reply " + replyId);
    }

    private static void append(String name, byte[] raw) {
        mail.append(SUPPORT, "INBOX", raw, name.startsWith("vacation") ? new Flags(Flags.Flag.SEEN) : null);
    }

    private static byte[] substitute(byte[] raw, String replyId) {
        // Latin-1 maps every byte to one char and back: 8-bit corpus mails survive the replacement unchanged.
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        return text.replace(PLACEHOLDER_ID, replyId).replace(PLACEHOLDER_TOKEN, token)
                .getBytes(StandardCharsets.ISO_8859_1);
    }

    private static JsonObject find(String externalId) {
        if (!byExternalId.containsKey(externalId)) {
            index();
        }
        return byExternalId.get(externalId);
    }

    private static void index() {
        JsonArray list = admin.get("/api/v1/conversations?limit=100").expect(200).json()
                .getJsonArray("conversations");
        for (int i = 0; i < list.size(); i++) {
            for (Object m : messages(list.getJsonObject(i).getLong("id"))) {
                JsonObject message = (JsonObject) m;
                if (message.getString("externalId") != null) {
                    byExternalId.put(message.getString("externalId"), message);
                }
            }
        }
    }

    private static JsonArray messages(long conversationId) {
        return admin.get("/api/v1/conversations/" + conversationId + "/messages?limit=200").expect(200).json()
                .getJsonArray("messages");
    }

    private static byte[] corpus(String name) throws IOException, URISyntaxException {
        return Files.readAllBytes(corpusDir().resolve(name));
    }

    private static List<Path> corpusFiles() throws IOException, URISyntaxException {
        try (Stream<Path> files = Files.list(corpusDir())) {
            return files.filter(f -> f.toString().endsWith(".eml")).sorted().toList();
        }
    }

    private static Path corpusDir() throws URISyntaxException {
        return Path.of(EmailCorpusIT.class.getResource("/email-corpus").toURI());
    }

    private static List<String> flags(JsonObject message) {
        return message.getJsonArray("flags").stream().map(String::valueOf).toList();
    }
}
