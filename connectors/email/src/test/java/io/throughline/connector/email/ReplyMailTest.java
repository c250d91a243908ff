package io.throughline.connector.email;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.throughline.connector.IdentityKind;
import io.throughline.connector.OutboundMessage;
import io.throughline.connector.Recipient;
import io.throughline.connector.ReplyThread;
import io.throughline.connector.TranscriptLine;
import io.vertx.core.json.JsonObject;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The email a reply becomes: headers that thread it, and its body. */
class ReplyMailTest {

    private static final EmailConfig CONFIG = EmailConfig.of(new JsonObject()
            .put("address", "Support@Acme.test").put("displayName", "Acme Support").put("replyDomain", "reply.acme.test")
            .put("smtp", new JsonObject().put("host", "smtp.acme.test")));

    private static final MessageIds IDS = new MessageIds(new byte[32], "reply.acme.test");

    private static OutboundMessage reply(String subject, List<String> references, List<TranscriptLine> transcript) {
        return new OutboundMessage(5, 17, 3, new Recipient(IdentityKind.EMAIL, "ann@example.com", "Ann Lee"), "Bob",
                "Hello Ann,\n\nsee https://acme.test/track?id=1.\n", null, List.of(),
                new ReplyThread("c3kabcdefabcdefabcdefab", "Лампа <разбита>", "CAold-2@mail.gmail.com",
                        new JsonObject(), references), transcript);
    }

    @Test
    void threadingHeadersAndFromAreSet() throws Exception {
        MimeMessage mail = ReplyMail.build(MailParser.PARSING, reply("x", List.of("CAold-1@mail.gmail.com",
                "CAold-2@mail.gmail.com", "msg-9.3@reply.acme.test"), List.of()), CONFIG, IDS);
        assertThat(mail.getMessageID()).isEqualTo("<" + IDS.of(17, 3) + ">");
        assertThat(mail.getHeader("In-Reply-To", null)).isEqualTo("<CAold-2@mail.gmail.com>");
        assertThat(mail.getHeader("References", " ").replaceAll("\\s+", " "))
                .isEqualTo("<CAold-1@mail.gmail.com> <msg-9.3@reply.acme.test> <CAold-2@mail.gmail.com>");
        assertThat(((InternetAddress) mail.getReplyTo()[0]).getAddress())
                .isEqualTo("reply+c3kabcdefabcdefabcdefab@reply.acme.test");
        InternetAddress from = (InternetAddress) mail.getFrom()[0];
        assertThat(from.getAddress()).isEqualTo("support@acme.test");
        assertThat(from.getPersonal()).isEqualTo("Bob via Acme Support");
        assertThat(mail.getSubject()).isEqualTo("Re: Лампа <разбита>");
    }

    @Test
    void aNameWithLineBreaksCannotWriteHeadersOrBody() throws Exception {
        OutboundMessage hostile = new OutboundMessage(5, 17, 3, new Recipient(IdentityKind.EMAIL, "ann@example.com",
                "Bob\r\n\r\nYour account is locked: https://evil.test"), "Eve\r\nBcc: all@acme.test", "Hello", null,
                List.of(), new ReplyThread(null, "Hi", null, new JsonObject(), List.of()), List.of());
        MimeMessage mail = ReplyMail.build(MailParser.PARSING, hostile, CONFIG, IDS);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        mail.writeTo(out);
        String head = out.toString().split("\r\n\r\n", 2)[0];
        assertThat(head).contains("Message-ID: <" + IDS.of(17, 3) + ">").contains("Subject: Re: Hi")
                .doesNotContain("\r\nBcc:").doesNotContain("evil.test\r\n");
        assertThat(((InternetAddress) mail.getRecipients(MimeMessage.RecipientType.TO)[0]).getPersonal())
                .isEqualTo("Bob Your account is locked: https://evil.test");
        assertThat(mail.getHeader("Bcc")).isNull();
    }

    @Test
    void anInternationalDomainGoesOutInItsAsciiFormAndANonAsciiMailboxIsRefused() throws Exception {
        assertThat(ReplyMail.asciiAddress("info@müller.de")).isEqualTo("info@xn--mller-kva.de");
        assertThat(ReplyMail.asciiAddress("olena@приклад.укр")).isEqualTo("olena@xn--80aikifvh.xn--j1amh");
        assertThat(ReplyMail.asciiAddress("ann@example.com")).isEqualTo("ann@example.com");
        assertThatThrownBy(() -> ReplyMail.asciiAddress("олена@example.com"))
                .isInstanceOf(AddressException.class).hasMessageContaining("non-ASCII");
    }

    @Test
    void madeUpIdsOfMailWithoutAMessageIdStayOutOfTheThreadingHeaders() throws Exception {
        MimeMessage mail = ReplyMail.build(MailParser.PARSING, reply("x", List.of("sha256:4f2a9c",
                "imap-unreadable:Входящие 2:17:4", "CAold-2@mail.gmail.com"), List.of()), CONFIG, IDS);
        assertThat(mail.getHeader("References", " ").replaceAll("\\s+", " ")).isEqualTo("<CAold-2@mail.gmail.com>");
        OutboundMessage unparsed = new OutboundMessage(5, 17, 3, new Recipient(IdentityKind.EMAIL,
                "ann@example.com", "Ann"), "Bob", "Hello", null, List.of(), new ReplyThread(null, "Hi",
                "sha256:4f2a9c", new JsonObject(), List.of("sha256:4f2a9c")), List.of());
        MimeMessage alone = ReplyMail.build(MailParser.PARSING, unparsed, CONFIG, IDS);
        assertThat(alone.getHeader("In-Reply-To")).isNull();
        assertThat(alone.getHeader("References")).isNull();
    }

    @Test
    void theMessageIdSurvivesSerialisation() throws Exception {
        MimeMessage mail = ReplyMail.build(MailParser.PARSING, reply("x", List.of(), List.of()), CONFIG, IDS);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        mail.writeTo(out);
        assertThat(out.toString()).contains("Message-ID: <" + IDS.of(17, 3) + ">");
    }

    @Test
    void bodyIsTextAndHtmlWithLinksAndEscaping() throws Exception {
        MimeMessage mail = ReplyMail.build(MailParser.PARSING, reply("x", List.of(), List.of()), CONFIG, IDS);
        MimeMultipart body = (MimeMultipart) mail.getContent();
        assertThat(body.getContentType()).startsWith("multipart/alternative");
        assertThat((String) body.getBodyPart(0).getContent()).isEqualTo(
                "Hello Ann,\n\nsee https://acme.test/track?id=1.\n");
        assertThat((String) body.getBodyPart(1).getContent()).contains(
                "<a href=\"https://acme.test/track?id=1\">https://acme.test/track?id=1</a>.");
    }

    @Test
    void aFallbackCarriesTheChatTheCustomerMissed() {
        OutboundMessage fallback = reply("x", List.of(), List.of(
                new TranscriptLine(null, true, "Do you ship <to> Spain?", Instant.parse("2024-03-12T10:00:00Z")),
                new TranscriptLine("Bob", false, "Checking.", Instant.parse("2024-03-12T10:01:00Z"))));
        assertThat(ReplyMail.plainText(fallback)).contains("---- Earlier in your conversation ----")
                .contains("You, 12 Mar 2024, 10:00 UTC:\nDo you ship <to> Spain?")
                .contains("Bob, 12 Mar 2024, 10:01 UTC:\nChecking.");
        assertThat(ReplyMail.html(fallback)).contains("Do you ship &lt;to&gt; Spain?");
    }

    @Test
    void withoutASubjectOrReplyDomainTheMailStillGoesOut() throws Exception {
        EmailConfig plain = EmailConfig.of(new JsonObject().put("address", "help@acme.test")
                .put("smtp", new JsonObject().put("host", "smtp.acme.test")));
        OutboundMessage message = new OutboundMessage(1, 2, 3, new Recipient(IdentityKind.EMAIL, "a@b.test", null),
                null, "Hi", null, List.of(), ReplyThread.NONE);
        MimeMessage mail = ReplyMail.build(MailParser.PARSING, message, plain,
                new MessageIds(new byte[32], plain.messageIdDomain()));
        assertThat(mail.getSubject()).isEqualTo("Message from help@acme.test");
        assertThat(mail.getReplyTo()[0].toString()).isEqualTo("help@acme.test");
        assertThat(mail.getMessageID()).as("the inbox address's domain").matches("<msg-2\\.3\\.[0-9a-f]{20}@acme\\.test>");
        assertThat(((InternetAddress) mail.getFrom()[0]).getPersonal()).isNull();
    }
}
