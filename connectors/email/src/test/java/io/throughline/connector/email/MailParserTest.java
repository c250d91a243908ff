package io.throughline.connector.email;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What each mail of the corpus ({@code src/test/resources/corpus}, written by the team and shaped like real mail)
 * becomes when parsed. The same corpus goes through the real server in the server's EmailCorpusIT.
 */
class MailParserTest {

    static final Path CORPUS = Path.of("src/test/resources/corpus");

    static ParsedMail parse(String name) throws Exception {
        return MailParser.parse(CORPUS.resolve(name));
    }

    @Test
    void gmailNewMessageKeepsTextHtmlAndSender() throws Exception {
        ParsedMail mail = parse("gmail-new.eml");
        assertThat(mail.messageId()).isEqualTo("CAJ8q3v=Ux1P5uN0wXg7kB2mQ4ZrT9yDcE_fH6aLpS1oNj2WbVg@mail.gmail.com");
        assertThat(mail.from()).isEqualTo(new MailAddress("ann.lee@gmail.com", "Ann Lee"));
        assertThat(mail.subject()).isEqualTo("Order #4711 arrived damaged");
        assertThat(mail.date()).isEqualTo(Instant.parse("2024-03-12T09:13:55Z"));
        assertThat(mail.text()).startsWith("Hello,\n\nmy order #4711 arrived today").contains("\n-- \nAnn Lee");
        assertThat(mail.html()).contains("class=\"gmail_signature\"");
        assertThat(mail.envelopeTo()).extracting(MailAddress::address).containsExactly("support@acme.test");
        assertThat(mail.automated()).isNull();
        assertThat(mail.complete()).isTrue();
    }

    @Test
    void gmailReplyCarriesItsThreadingHeadersAndReplyToken() throws Exception {
        ParsedMail mail = parse("gmail-reply.eml");
        assertThat(mail.inReplyTo()).isEqualTo("msg-17.5@reply.acme.test");
        // References is folded over two lines; both ids are read, oldest first.
        assertThat(mail.references()).containsExactly(
                "CAJ8q3v=Ux1P5uN0wXg7kB2mQ4ZrT9yDcE_fH6aLpS1oNj2WbVg@mail.gmail.com", "msg-17.5@reply.acme.test");
        assertThat(mail.to()).extracting(MailAddress::address)
                .containsExactly("reply+c5k0123456789abcdef0123@reply.acme.test");
        assertThat(mail.text()).contains("Great, thank you!").contains("> sorry about that.");
    }

    @Test
    void outlookReplyWithCrlfLinesAndNoReferencesStillHasInReplyTo() throws Exception {
        ParsedMail mail = parse("outlook-reply.eml");
        assertThat(mail.from()).isEqualTo(new MailAddress("jan.kowalski@contoso.example", "Kowalski, Jan"));
        assertThat(mail.inReplyTo()).isEqualTo("msg-17.5@reply.acme.test");
        assertThat(mail.references()).isEmpty();
        assertThat(mail.text()).doesNotContain("\r").contains("________________________________\nFrom: Acme Support");
        assertThat(mail.html()).contains("border-top:solid #E1E1E1");
    }

    @Test
    void outlookWebAnswerWithRewrittenHeadersHasOnlyTheReplyAddress() throws Exception {
        ParsedMail mail = parse("outlook-web-rewritten.eml");
        assertThat(mail.inReplyTo()).isNull();
        assertThat(mail.references()).isEmpty();
        assertThat(mail.to()).extracting(MailAddress::address)
                .containsExactly("reply+c5k0123456789abcdef0123@reply.acme.test");
        assertThat(mail.subject()).isEqualTo("RE: [EXTERNAL] Re: Invoice 2024-118 is missing VAT number");
        assertThat(mail.text()).startsWith("Writing from my private address");
    }

    @Test
    void appleMailReplyQuotesWithBlockquoteCite() throws Exception {
        ParsedMail mail = parse("apple-mail-reply.eml");
        assertThat(mail.messageId()).isEqualTo("5E1D2C3B-4A59-4F68-8E77-6D5C4B3A2918@icloud.example");
        assertThat(mail.references()).containsExactly("msg-16.5@reply.acme.test", "msg-17.5@reply.acme.test");
        assertThat(mail.html()).contains("<blockquote type=\"cite\">");
        assertThat(mail.text()).startsWith("Merci! I dropped the parcel");
    }

    @Test
    void appleMailInlineImageIsAnInlineAttachmentWithItsContentId() throws Exception {
        ParsedMail mail = parse("apple-mail-inline-image.eml");
        assertThat(mail.attachments()).singleElement().satisfies(image -> {
            assertThat(image.filename()).isEqualTo("scratch.png");
            assertThat(image.contentType()).isEqualTo("image/png");
            assertThat(image.contentId()).isEqualTo("0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0@home");
            assertThat(image.inline()).isTrue();
            assertThat(bytes(image)).startsWith((byte) 0x89, (byte) 'P', (byte) 'N', (byte) 'G');
        });
        assertThat(mail.html()).contains("src=\"cid:0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0@home\"");
        assertThat(mail.text()).contains("It is about 5 cm long.");
    }

    @Test
    void thunderbirdReplyIsUtf8With8bitTransfer() throws Exception {
        ParsedMail mail = parse("thunderbird-reply.eml");
        assertThat(mail.text()).startsWith("Дякую! The serial number is AX-2291-K.");
        assertThat(mail.html()).contains("class=\"moz-cite-prefix\"").contains("class=\"moz-signature\"");
    }

    @Test
    void rfc2231ContinuedFileNameIsDecoded() throws Exception {
        ParsedMail mail = parse("thunderbird-rfc2231-filename.eml");
        assertThat(mail.attachments()).singleElement().satisfies(pdf -> {
            assertThat(pdf.filename()).isEqualTo("Рахунок № 17.pdf");
            assertThat(pdf.contentType()).isEqualTo("application/pdf");
            assertThat(new String(bytes(pdf))).startsWith("%PDF-1.4");
        });
        assertThat(mail.text()).startsWith("Please find the invoice attached.");
    }

    /** An RFC 2231 name with letters in Latin-1's range (Thunderbird, Apple Mail) is not decoded a second time. */
    @Test
    void rfc2231LatinFileNameKeepsItsAccents() throws Exception {
        assertThat(fileNamed("Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n"
                + " filename*=UTF-8''Re%C3%A7u%20%C3%A9t%C3%A9.pdf")).isEqualTo("Reçu été.pdf");
        // Continued but not encoded (raw UTF-8 bytes), beside an encoded name in Content-Type: still read as UTF-8.
        assertThat(fileNamed("Content-Type: application/pdf; name*=UTF-8''%D0%9E.pdf\r\n"
                + "Content-Disposition: attachment; filename*0=\"Отчёт\"; filename*1=\".pdf\"")).isEqualTo("Отчёт.pdf");
    }

    /** The file name of a mail's one attachment, a PDF whose part has these headers. */
    private static String fileNamed(String headers) throws Exception {
        ParsedMail mail = parseText("From: a@example.org\r\nSubject: Receipt\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nAttached."
                + "\r\n--B\r\n" + headers + "\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--B--\r\n");
        assertThat(mail.attachments()).hasSize(1);
        return mail.attachments().getFirst().filename();
    }

    @Test
    void rfc2047FileNameSplitInsideACharacterIsJoinedBeforeDecoding() throws Exception {
        ParsedMail mail = parse("rfc2047-filename-split.eml");
        assertThat(mail.attachments()).singleElement()
                .satisfies(doc -> assertThat(doc.filename()).isEqualTo("Акт приёмки.docx"));
        assertThat(mail.subject()).isEqualTo("Акт приёмки");
        assertThat(mail.from().name()).isEqualTo("Анна");
        assertThat(mail.text()).isEqualTo("Подписанный акт во вложении.\n");
    }

    @Test
    void inlineForwardKeepsTheForwardedText() throws Exception {
        ParsedMail mail = parse("forwarded-inline.eml");
        assertThat(mail.subject()).startsWith("Fwd:");
        assertThat(mail.text()).contains("---------- Forwarded message ---------").contains("Total: 89.00 EUR");
        assertThat(mail.attachments()).isEmpty();
    }

    @Test
    void forwardAsAttachmentIsKeptAsEmlAndItsTextShown() throws Exception {
        ParsedMail mail = parse("forwarded-as-attachment.eml");
        assertThat(mail.attachments()).singleElement().satisfies(eml -> {
            assertThat(eml.filename()).isEqualTo("Your delivery was left at my door.eml");
            assertThat(eml.contentType()).isEqualTo("message/rfc822");
            assertThat(new String(bytes(eml))).contains("Message-ID: <inner-original-42@web.example>");
        });
        assertThat(mail.forwarded()).containsExactly(
                "Lisa Weber <lisa.weber@web.example>: Your delivery was left at my door");
        assertThat(mail.text()).contains("the Acme courier left your parcel at my door again");
    }

    /** A forward its mailer wrote in base64 (RFC 6532 allows any encoding for message/global) is decoded. */
    @Test
    void aForwardInBase64IsDecodedForItsSummaryTextAndEml() throws Exception {
        ParsedMail mail = parse("forwarded-base64.eml");
        assertThat(mail.forwarded()).containsExactly("Оксана <oksana@web.example>: Order 17 arrived broken");
        assertThat(mail.text()).contains("Доброго дня, the lamp of order 17 arrived broken.");
        assertThat(mail.attachments()).singleElement().satisfies(eml -> {
            assertThat(eml.filename()).isEqualTo("Order 17 arrived broken.eml");
            assertThat(new String(bytes(eml), StandardCharsets.UTF_8)).startsWith("From: =?utf-8?B?")
                    .contains("Message-ID: <inner-encoded-17@web.example>");
        });
        assertThat(mail.problems()).isEmpty();
    }

    /**
     * Encoded forwards are decoded into memory within one budget per mail, nested ones included: past it, a forward
     * is read in part (a problem says so), and its .eml stays whole.
     */
    @Test
    void encodedForwardsShareOneBudgetOfMemoryPerMail() throws Exception {
        String words = "The lamp arrived broken, the box was crushed on one side.\r\n"
                .repeat(MimeWalk.MAX_DECODED_FORWARDS / 2 / 58 + 1000);
        StringBuilder eml = new StringBuilder("From: peter@gmail.example\r\nSubject: Fw: two\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=F\r\n\r\n--F\r\nContent-Type: text/plain\r\n\r\n\r\n");
        for (String subject : new String[] {"First", "Second"}) {
            String inner = "From: anna@web.example\r\nSubject: " + subject + "\r\nContent-Type: text/plain\r\n\r\n"
                    + words;
            eml.append("--F\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n")
                    .append(Base64.getMimeEncoder().encodeToString(inner.getBytes(StandardCharsets.US_ASCII)))
                    .append("\r\n");
        }
        ParsedMail mail = parseText(eml.append("--F--\r\n").toString());
        assertThat(mail.forwarded()).containsExactly("anna@web.example: First", "anna@web.example: Second");
        assertThat(mail.problems()).singleElement().asString().contains("read only in part");
        assertThat(mail.attachments()).hasSize(2).allSatisfy(a -> assertThat(bytes(a).length)
                .isGreaterThan(MimeWalk.MAX_DECODED_FORWARDS / 2));
    }

    /** A bounce whose returned message is in base64 is still the bounce of the reply it quotes. */
    @Test
    void aReturnedMessageInBase64IsReadForItsMessageId() throws Exception {
        String dsn = Files.readString(CORPUS.resolve("dsn-bounce-postfix.eml"), StandardCharsets.ISO_8859_1);
        String head = "Content-Transfer-Encoding: 8bit\n\n";
        String end = "\n--4F2A1C0D3E.1712052005/mx.acme.test--";
        int from = dsn.indexOf(head) + head.length();
        int to = dsn.indexOf(end);
        String encoded = dsn.substring(0, from).replace(head, "Content-Transfer-Encoding: base64\n\n")
                + Base64.getMimeEncoder().encodeToString(dsn.substring(from, to).getBytes(StandardCharsets.ISO_8859_1))
                + dsn.substring(to);
        assertThat(encoded).doesNotContain("msg-17.5");
        ParsedMail mail = MailParser.parse(new MimeMessage(MailParser.PARSING,
                new ByteArrayInputStream(encoded.getBytes(StandardCharsets.ISO_8859_1))));
        assertThat(mail.bounce().originalMessageId()).isEqualTo("msg-17.5@reply.acme.test");
    }

    @Test
    void htmlOnlyMailGetsAPlainTextRendering() throws Exception {
        ParsedMail mail = parse("html-only.eml");
        assertThat(mail.html()).contains("<script>");
        assertThat(mail.text()).startsWith("Wholesale inquiry\n\nWe would like to order 200 lamps for our shops.")
                .contains("- Model: Aurora\n- Colour: white").doesNotContain("alert").doesNotContain("Georgia");
    }

    @Test
    void gmailInlineImageAndAttachmentAreToldApart() throws Exception {
        ParsedMail mail = parse("gmail-inline-image.eml");
        assertThat(mail.attachments()).hasSize(2);
        MailAttachment inline = mail.attachments().get(0);
        MailAttachment receipt = mail.attachments().get(1);
        assertThat(inline.filename()).isEqualTo("crack.png");
        assertThat(inline.contentId()).isEqualTo("ii_ltz1abcd0");
        assertThat(inline.inline()).isTrue();
        assertThat(receipt.filename()).isEqualTo("receipt.png");
        assertThat(receipt.inline()).isFalse();
        assertThat(mail.text()).isEqualTo("Here it is:\n[image: crack.png]\nAnd the receipt is attached.\n");
    }

    @Test
    void windows1251BodyAndEncodedWordsAreDecoded() throws Exception {
        ParsedMail mail = parse("windows-1251.eml");
        assertThat(mail.subject()).isEqualTo("Нет инструкции к заказу №3390");
        assertThat(mail.from().name()).isEqualTo("Игорь Петров");
        assertThat(mail.text()).startsWith("Здравствуйте!\n\nЗаказ №3390 пришёл без инструкции.");
    }

    @Test
    void koi8rBodyAndQuotedPrintableSubjectAreDecoded() throws Exception {
        ParsedMail mail = parse("koi8-r.eml");
        assertThat(mail.subject()).isEqualTo("Оплата счёта 77-14");
        assertThat(mail.text()).contains("Счёт 77-14 оплачен вчера");
    }

    @Test
    void koi8uKeepsTheUkrainianLetters() throws Exception {
        ParsedMail mail = parse("koi8-u.eml");
        assertThat(mail.subject()).isEqualTo("Обмін куртки");
        assertThat(mail.from().name()).isEqualTo("Євген Ґонта");
        assertThat(mail.text()).contains("Їжак").contains("ґудзик").contains("Євген");
    }

    @Test
    void iso2022JpIsDecodedAlthoughEveryByteIsSevenBit() throws Exception {
        ParsedMail mail = parse("iso-2022-jp.eml");
        assertThat(mail.subject()).isEqualTo("注文のテスト");
        assertThat(mail.from().name()).isEqualTo("山田");
        assertThat(mail.text()).isEqualTo("ご注文番号 #A-10492 の配送について質問があります。\n");
    }

    @Test
    void textAcrossManyLargePartsStopsAtTheTotalAndTheRestIsAttached() throws Exception {
        StringBuilder eml = new StringBuilder("From: Bulk <bulk@example.com>\r\nTo: support@acme.test\r\n"
                + "Subject: logs\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n");
        String line = "x".repeat(99) + "\r\n";
        for (int i = 0; i < 30; i++) {
            eml.append("--B\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n").append(line.repeat(1_000));
        }
        eml.append("--B--\r\n");
        ParsedMail mail = MailParser.parse(new MimeMessage(MailParser.PARSING,
                new ByteArrayInputStream(eml.toString().getBytes(StandardCharsets.US_ASCII))));
        assertThat(mail.text().length()).isBetween(MimeWalk.MAX_TOTAL_TEXT_CHARS,
                MimeWalk.MAX_TOTAL_TEXT_CHARS + 110_000);
        assertThat(mail.problems()).anyMatch(p -> p.contains("remaining text parts are attached"));
        int taken = mail.text().split("\n\n", -1).length;
        assertThat(mail.attachments()).hasSize(30 - taken).allMatch(a -> a.filename().equals("body.txt"));
        assertThat(taken).isLessThan(15);
    }

    /** A UTF-8 text cut at the size limit inside a character stays UTF-8 (it read as KOI8-R). */
    @Test
    void aLongUtf8TextCutInsideACharacterStaysUtf8() throws Exception {
        byte[] head = ("From: Long <long@example.com>\r\nTo: support@acme.test\r\nSubject: log\r\n"
                + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + "Content-Transfer-Encoding: 8bit\r\n\r\na").getBytes(StandardCharsets.UTF_8);
        byte[] body = "я".repeat(2_100_000).getBytes(StandardCharsets.UTF_8);
        byte[] eml = Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, eml, head.length, body.length);
        ParsedMail mail = MailParser.parse(new MimeMessage(MailParser.PARSING, new ByteArrayInputStream(eml)));
        assertThat(mail.text()).startsWith("aяяя").endsWith("яяя");
        assertThat(mail.problems()).anyMatch(p -> p.contains("was cut"));
    }

    /** A part whose transfer encoding no standard names ("utf8") is read as it is, and the parts after it too. */
    @Test
    void aPartWithAnUnknownTransferEncodingIsReadAsItIsAndTheRestToo() throws Exception {
        String eml = "From: Form <form@shop.example>\r\nTo: support@acme.test\r\nSubject: Order form\r\n"
                + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=M\r\n\r\n"
                + "--M\r\nContent-Type: multipart/alternative; boundary=A\r\n\r\n"
                + "--A\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: utf8\r\n\r\n"
                + "Замовлення 1042: два горщики.\r\n"
                + "--A\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable"
                + "\r\n\r\n<p>Order 1042 =E2=80=94 two pots.</p>\r\n--A--\r\n"
                + "--M\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
                + "Content-Disposition: attachment; filename=order.pdf\r\n\r\nJVBERi0xLjcK\r\n--M--\r\n";
        ParsedMail mail = MailParser.parse(new MimeMessage(MailParser.PARSING,
                new ByteArrayInputStream(eml.getBytes(StandardCharsets.UTF_8))));
        assertThat(mail.text()).isEqualTo("Замовлення 1042: два горщики.");
        assertThat(mail.html()).contains("Order 1042 \u2014 two pots.");
        assertThat(mail.attachments()).extracting(MailAttachment::filename).containsExactly("order.pdf");
        try (InputStream pdf = mail.attachments().getFirst().content().open()) {
            assertThat(new String(pdf.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("%PDF-1.7\n");
        }
    }

    /**
     * Jakarta Mail builds every part of a multipart when it is first read; read from a file, each part holds its
     * own buffers (about 90 KB made), so a mail of nine-byte empty parts exhausted the heap before the walk's limit
     * on parts applied. What parsing allocates is measured on this thread, not timed.
     */
    @Test
    void aMailOfCountlessEmptyPartsIsReadWithinItsBudgetOfParts(@TempDir Path dir) throws Exception {
        Path eml = dir.resolve("parts.eml");
        Files.writeString(eml, "From: Eve <eve@example.net>\r\nTo: support@acme.test\r\nSubject: parts\r\n"
                + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                + "--b\r\nContent-Type: text/plain\r\n\r\nThe first part reads.\r\n"
                + "--b\r\n\r\n\r\n".repeat(100_000) + "--b--\r\n", StandardCharsets.US_ASCII);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)
                ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        ParsedMail mail = MailParser.parse(eml);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(mail.problems()).anyMatch(p -> p.contains("more than 500 parts"));
        assertThat(mail.subject()).isEqualTo("parts");
        assertThat(mail.text()).startsWith("The first part reads.");
        assertThat(allocated).isLessThan(512L * 1024 * 1024);
    }

    @Test
    void htmlLongerThanTheServerShowsIsSaidAndAttachedWhole() throws Exception {
        String html = "<p>Screenshot below</p><img src=\"data:image/png;base64," + "A".repeat(2_500_000) + "\">";
        String eml = "From: Ada <ada@example.com>\r\nTo: support@acme.test\r\nSubject: screenshot\r\n"
                + "MIME-Version: 1.0\r\nContent-Type: text/html; charset=us-ascii\r\n\r\n" + html + "\r\n";
        ParsedMail mail = MailParser.parse(new MimeMessage(MailParser.PARSING,
                new ByteArrayInputStream(eml.getBytes(StandardCharsets.US_ASCII))));
        assertThat(mail.problems()).anyMatch(p -> p.contains("HTML is longer than 2 million characters"));
        assertThat(mail.attachments()).singleElement().satisfies(file -> {
            assertThat(file.filename()).isEqualTo("body.html");
            assertThat(bytes(file)).hasSize(html.length() + 2);
        });
        assertThat(mail.text()).startsWith("Screenshot below");
    }

    @Test
    void sevenBitTextMislabelledAsUtf16StaysReadable() {
        byte[] ascii = "Order 42, please".getBytes(StandardCharsets.US_ASCII);
        assertThat(MailCharsets.decode(ascii, StandardCharsets.UTF_16)).isEqualTo("Order 42, please");
    }

    /**
     * Cyrillic in UTF-16 without a byte-order mark is all 7-bit bytes ("П" is 1F 04): read as ASCII it was control
     * characters. The declared UTF-16 is trusted when ASCII would give controls and it gives none.
     */
    @Test
    void cyrillicInUtf16WithoutAByteOrderMarkIsDecodedAsDeclared() {
        for (java.nio.charset.Charset utf16 : List.of(StandardCharsets.UTF_16LE, StandardCharsets.UTF_16BE)) {
            byte[] bytes = "Привіт, де моє замовлення?".getBytes(utf16);
            assertThat(MailCharsets.isAscii(bytes)).isTrue();
            assertThat(MailCharsets.decode(bytes, utf16)).isEqualTo("Привіт, де моє замовлення?");
        }
        byte[] latin = "Hi".getBytes(StandardCharsets.UTF_16LE);
        assertThat(MailCharsets.decode(latin, StandardCharsets.UTF_16LE)).isEqualTo("Hi");
    }

    @Test
    void raw8bitWindows1251HeadersAreRedecodedFromLatin1() throws Exception {
        ParsedMail mail = parse("raw-8bit-headers-cp1251.eml");
        assertThat(mail.subject()).isEqualTo("Возврат товара по заказу 1205");
        assertThat(mail.from()).isEqualTo(new MailAddress("sveta@old.example", "Светлана Иванова"));
        assertThat(mail.text()).startsWith("Хочу вернуть стул");
    }

    @Test
    void raw8bitKoi8HeadersAndAnUndeclaredBodyCharsetAreDetected() throws Exception {
        ParsedMail mail = parse("raw-8bit-headers-koi8r-undeclared.eml");
        assertThat(mail.subject()).isEqualTo("Где мой заказ?");
        assertThat(mail.from().name()).isEqualTo("Пётр Сидоров");
        assertThat(mail.text()).startsWith("Заказ оформлен две недели назад");
    }

    @Test
    void raw8bitUtf8HeadersAreReadAsUtf8() throws Exception {
        ParsedMail mail = parse("raw-8bit-headers-utf8.eml");
        assertThat(mail.subject()).isEqualTo("Lieferung für Zoë – falsche Farbe");
        assertThat(mail.from().name()).isEqualTo("Zoë Müller");
        assertThat(mail.text()).contains("grün statt weiß");
    }

    @Test
    void iso88592QuotedPrintableAndASubjectSplitIntoTwoWords() throws Exception {
        ParsedMail mail = parse("iso-8859-2.eml");
        assertThat(mail.subject()).isEqualTo("Zamówienie 8812 - uszkodzone");
        assertThat(mail.from().name()).isEqualTo("Łukasz Wójcik");
        assertThat(mail.text()).contains("dotarło uszkodzone").contains("pieniędzy");
    }

    @Test
    void iso88591StaysLatin1() throws Exception {
        ParsedMail mail = parse("iso-8859-1.eml");
        assertThat(mail.subject()).isEqualTo("Facture non reçue");
        assertThat(mail.text()).contains("n'a pas été envoyée").endsWith("François\n");
    }

    /** A server that returns the thread's References before the Message-ID: the bounce is the Message-ID's. */
    @Test
    void aReturnedMessageQuotingAnEarlierReplyFirstIsTheBounceOfItsOwnMessageId() throws Exception {
        String dsn = Files.readString(CORPUS.resolve("dsn-bounce-postfix.eml"), StandardCharsets.ISO_8859_1)
                .replace("Message-ID: <msg-17.5@reply.acme.test>",
                        "References: <msg-16.5@reply.acme.test>\r\nMessage-ID: <msg-17.5@reply.acme.test>");
        ParsedMail mail = MailParser.parse(new MimeMessage(MailParser.PARSING,
                new ByteArrayInputStream(dsn.getBytes(StandardCharsets.ISO_8859_1))));
        assertThat(mail.bounce().originalMessageId()).isEqualTo("msg-17.5@reply.acme.test");
        // Forwarded on and refused there: the report is about the final recipient, not the original one.
        String forwarded = dsn.replace("Final-Recipient: rfc822; nobody@example.com",
                "Final-Recipient: rfc822; <nobody@elsewhere.example>");
        assertThat(MailParser.parse(new MimeMessage(MailParser.PARSING, new ByteArrayInputStream(
                forwarded.getBytes(StandardCharsets.ISO_8859_1)))).bounce().recipients())
                .containsExactly("nobody@elsewhere.example");
        // An alias of the customer's own domain counts too, and a domain in either of its forms.
        assertThat(new BounceReport("x@y", "failed", "primary@example.com", "alias@example.com", null, null)
                .recipients()).containsExactly("primary@example.com", "alias@example.com");
        assertThat(new BounceReport("x@y", "failed", "anna@xn--bcher-kva.example", null, null, null).recipients())
                .containsExactly("anna@xn--bcher-kva.example", "anna@bücher.example");
        // A relay rewrote the Message-ID: ours is only in References, an earlier reply, which did not bounce.
        String rewritten = dsn.replace("Message-ID: <msg-17.5@reply.acme.test>",
                "Message-ID: <0100018e4a1b2c3d@email.amazonses.com>");
        assertThat(MailParser.parse(new MimeMessage(MailParser.PARSING,
                new ByteArrayInputStream(rewritten.getBytes(StandardCharsets.ISO_8859_1)))).bounce()
                .originalMessageId()).isEqualTo("0100018e4a1b2c3d@email.amazonses.com");
        assertThat(DeliveryStatus.fromText(new MailAddress("mailer-daemon@mx.example.com", null),
                "Undelivered Mail Returned to Sender", "Your message could not be delivered.\r\n"
                        + "References: <msg-16.5@reply.acme.test>\r\nMessage-ID: <msg-17.5@reply.acme.test>\r\n")
                .originalMessageId()).isEqualTo("msg-17.5@reply.acme.test");
    }

    @Test
    void postfixDsnNamesTheFailedMessageAndTheReason() throws Exception {
        ParsedMail mail = parse("dsn-bounce-postfix.eml");
        assertThat(mail.bounce()).isNotNull();
        assertThat(mail.bounce().failed()).isTrue();
        assertThat(mail.bounce().originalMessageId()).isEqualTo("msg-17.5@reply.acme.test");
        assertThat(mail.bounce().status()).isEqualTo("5.1.1");
        assertThat(mail.bounce().reason()).isEqualTo("550 5.1.1 <nobody@example.com>: Recipient address rejected:"
                + " User unknown in virtual mailbox table");
        assertThat(mail.automated().autoReply()).as("a failure stored as a message reopens the conversation")
                .isFalse();
    }

    @Test
    void exchangeNdrWithOnlyReturnedHeadersStillNamesTheMessage() throws Exception {
        ParsedMail mail = parse("dsn-bounce-exchange.eml");
        assertThat(mail.bounce().originalMessageId()).isEqualTo("msg-17.5@reply.acme.test");
        assertThat(mail.bounce().recipient()).isEqualTo("jan.kowalski@contoso.example");
        assertThat(mail.bounce().recipients()).containsExactly("jan.kowalski@contoso.example");
        assertThat(mail.bounce().reason()).startsWith("550 5.1.10 RESOLVER.ADR.RecipientNotFound");
    }

    @Test
    void plainTextBounceWithoutDsnIsRecognisedByTheQuotedMessageId() throws Exception {
        ParsedMail mail = parse("bounce-plain-qmail.eml");
        assertThat(mail.bounce()).isNotNull();
        assertThat(mail.bounce().originalMessageId()).isEqualTo("msg-17.5@reply.acme.test");
        assertThat(mail.bounce().reason()).isEqualTo("552 5.2.2 mailbox full");
    }

    @Test
    void delayedDsnIsNotAFailure() throws Exception {
        ParsedMail mail = parse("dsn-delayed.eml");
        assertThat(mail.bounce().action()).isEqualTo("delayed");
        assertThat(mail.bounce().failed()).isFalse();
        assertThat(mail.bounce().delivered()).isFalse();
        assertThat(mail.automated().autoReply()).as("a mail server's notice neither reopens nor takes the reply")
                .isTrue();
    }

    @Test
    void exchangeOutOfOfficeIsAutomated() throws Exception {
        ParsedMail mail = parse("out-of-office-exchange.eml");
        assertThat(mail.automated().reason()).isEqualTo("Auto-Submitted: auto-replied");
        assertThat(mail.automated().autoReply()).isTrue();
        assertThat(mail.bounce()).isNull();
    }

    @Test
    void gmailVacationResponderIsAutomated() throws Exception {
        assertThat(parse("vacation-gmail.eml").automated().reason()).isEqualTo("Auto-Submitted: auto-replied");
    }

    @Test
    void autoresponderWithOnlyARussianSubjectIsAutomated() throws Exception {
        ParsedMail mail = parse("autoreply-subject-only-ru.eml");
        assertThat(mail.subject()).isEqualTo("Автоответ: Re: Заказ №3390");
        assertThat(mail.automated().reason()).isEqualTo("auto-reply subject");
        assertThat(mail.automated().autoReply()).isTrue();
    }

    /** Thunderbird's format=flowed text reads as written, not broken where it was wrapped for the wire. */
    @Test
    void flowedTextIsUnwrapped() throws Exception {
        ParsedMail mail = parseText("From: anna@example.org\r\nSubject: Sleeve\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=UTF-8; format=flowed\r\n\r\n"
                + "my order arrived with a torn \r\nsleeve. Could you send a new \r\none?\r\n");
        assertThat(mail.text()).isEqualTo("my order arrived with a torn sleeve. Could you send a new one?\n");
    }

    /** A sender's name whose character is split across two encoded words (as Outlook splits them) reads whole. */
    @Test
    void aNameSplitAcrossEncodedWordsReadsWhole() throws Exception {
        ParsedMail mail = parseText("From: =?utf-8?B?0JDQutE=?= =?utf-8?B?giDQv9GA0LjRkdC80LrQuA==?= <a@example.org>"
                + "\r\nSubject: Hello\r\n\r\nText\r\n");
        assertThat(mail.from()).isEqualTo(new MailAddress("a@example.org", "Акт приёмки"));
        ParsedMail titled = parseText("From: Dr. =?utf-8?B?0JDQutE=?= =?utf-8?B?giDQv9GA0LjRkdC80LrQuA==?="
                + " <a@example.org>\r\nSubject: Hello\r\n\r\nText\r\n");
        assertThat(titled.from().name()).isEqualTo("Dr. Акт приёмки");
    }

    /**
     * A responder's phrase is a prefix of the original subject, or the whole subject; a person asking about one
     * ("Out of office not working in Outlook") writes a person's mail, which reopens their conversation.
     */
    @Test
    void onlyAResponderSubjectIsAnAutoReply() throws Exception {
        for (String subject : List.of("Out of Office: Order 5", "Out of Office AutoReply: Order 5", "Autoreply",
                "Automatic reply: Re: Order 5", "Réponse automatique : Commande 5", "AUTO: Anna is out of the office",
                "Автоответ: Заказ 5", "Abwesenheitsnotiz: Bestellung 5", "Réponse automatique\u00A0: Commande 5",
                "Réponse automatique d'absence du bureau : Commande 5")) {
            ParsedMail mail = parseText("From: a@example.org\r\nSubject: " + subject + "\r\n\r\nAway.\r\n");
            assertThat(mail.automated()).as(subject).isNotNull();
            assertThat(mail.automated().autoReply()).as(subject).isTrue();
        }
        for (String subject : List.of("Out of office not working in Outlook", "Auto reply sends twice",
                "Auto: Schadensmeldung", "Automatische Antwort funktioniert nicht",
                "Automatic responses on weekends?")) {
            ParsedMail mail = parseText("From: a@example.org\r\nSubject: " + subject + "\r\n\r\nHelp!\r\n");
            assertThat(mail.automated()).as(subject).isNull();
        }
    }

    /**
     * Auto-responders that also carry a generic sign: Exchange's out-of-office marked {@code auto-generated}, a
     * responder marking itself {@code Precedence: bulk}. They are auto-replies all the same.
     */
    @Test
    void anAutoResponderWithAGenericSignTooIsAnAutoReply() throws Exception {
        String exchange = """
                From: Oksana <oksana@example.org>\r
                To: support@acme.test\r
                Subject: Automatic reply: Order 77\r
                Auto-Submitted: auto-generated\r
                X-Auto-Response-Suppress: All\r
                X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent\r
                Message-ID: <ooo-77@example.org>\r
                \r
                I am away until Monday.\r
                """;
        String bulk = """
                From: Petro <petro@example.org>\r
                To: support@acme.test\r
                Subject: Re: Order 78\r
                Precedence: bulk\r
                X-Autoreply: yes\r
                Message-ID: <ooo-78@example.org>\r
                \r
                I am on holiday.\r
                """;
        for (String eml : List.of(exchange, bulk)) {
            ParsedMail mail = MailParser.parse(new MimeMessage(MailParser.PARSING,
                    new ByteArrayInputStream(eml.getBytes(StandardCharsets.US_ASCII))));
            assertThat(mail.automated().autoReply()).as(mail.automated().reason()).isTrue();
        }
    }

    @Test
    void mailingListIsBulk() throws Exception {
        assertThat(parse("mailing-list.eml").automated().reason()).isEqualTo("Precedence: list");
        assertThat(parse("mailing-list.eml").automated().autoReply()).as("a list may carry a person's words").isFalse();
    }

    @Test
    void contactFormMailIsThePersonsNotAutomated() throws Exception {
        ParsedMail mail = parse("contact-form-reply-to.eml");
        assertThat(mail.automated()).isNull();
        assertThat(mail.replyTo()).containsExactly(new MailAddress("karin.berg@post.example", "Karin Berg"));
    }

    @Test
    void multipartWithoutBoundaryIsReportedAndItsTextKept() throws Exception {
        ParsedMail mail = parse("malformed-no-boundary.eml");
        assertThat(mail.complete()).isFalse();
        assertThat(mail.problems()).singleElement().asString().contains("boundary");
        assertThat(mail.text()).contains("Hello, is order 6001 shipped yet?");
    }

    @Test
    void corruptBase64FailsOnlyWhenTheAttachmentIsRead() throws Exception {
        ParsedMail mail = parse("malformed-bad-base64.eml");
        assertThat(mail.text()).isEqualTo("The delivery note is attached.\n");
        MailAttachment pdf = mail.attachments().getFirst();
        assertThat(pdf.filename()).isEqualTo("note.pdf");
        assertThatThrownBy(() -> bytes(pdf)).isInstanceOf(IOException.class);
    }

    @Test
    void unclosedMultipartIsReadAsFarAsItGoes() throws Exception {
        ParsedMail mail = parse("malformed-unclosed-multipart.eml");
        assertThat(mail.complete()).isTrue();
        assertThat(mail.text()).startsWith("The box had no screws");
        assertThat(mail.html()).contains("<p>Hana</p>");
    }

    @Test
    void missingFromAndBrokenHeadersStillParse() throws Exception {
        ParsedMail mail = parse("malformed-headers.eml");
        assertThat(mail.from()).isNull();
        assertThat(mail.date()).isNull();
        assertThat(mail.messageId()).isEqualTo("no-from-1@printer.invalid");
        assertThat(mail.text()).isEqualTo("Scan from device 5 – page 1 of 1\n");
    }

    @Test
    void mailWithoutMessageIdHasNone() throws Exception {
        ParsedMail mail = parse("no-message-id.eml");
        assertThat(mail.messageId()).isNull();
        assertThat(mail.from()).isEqualTo(new MailAddress("backup-script@server.example", "Backup Job"));
    }

    @Test
    void calendarInviteInAlternativeBecomesAnIcsFile() throws Exception {
        ParsedMail mail = parse("calendar-invite.eml");
        assertThat(mail.text()).isEqualTo("Can your technician come on Monday at 10:00?\n");
        assertThat(mail.attachments()).singleElement().satisfies(ics -> {
            assertThat(ics.filename()).isEqualTo("invite.ics");
            assertThat(ics.contentType()).isEqualTo("text/calendar; charset=UTF-8");
        });
    }

    @Test
    void smimeSignedMailShowsTheSignedText() throws Exception {
        ParsedMail mail = parse("smime-signed.eml");
        assertThat(mail.text()).startsWith("We order 12 examination lamps");
        assertThat(mail.attachments()).isEmpty();
    }

    @Test
    void dmarcFailureMarksTheSenderAsUnverified() throws Exception {
        assertThat(parse("dmarc-fail-spoof.eml").senderAuthFailed()).isTrue();
        assertThat(parse("gmail-new.eml").senderAuthFailed()).isFalse();
    }

    @Test
    void yandexReplyInRussian() throws Exception {
        ParsedMail mail = parse("yandex-reply-ru.eml");
        assertThat(mail.from().name()).isEqualTo("Игорь Петров");
        assertThat(mail.subject()).isEqualTo("Re: Нет инструкции к заказу №3390");
        assertThat(mail.text()).startsWith("Спасибо, инструкцию получил.");
    }

    /** Read leniently, a long quoted parameter once overflowed the stack, and the mailbox retried it for ever. */
    @Test
    void aHeaderParameterThousandsOfCharactersLongIsReadWithoutOverflowingTheStack() throws Exception {
        String eml = "From: Eve <eve@example.net>\r\nTo: support@acme.test\r\nSubject: odd part\r\n"
                + "Message-ID: <long-param-1@example.net>\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
                + "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the file.\r\n"
                + "--b1\r\nContent-Type: application/octet-stream\r\n"
                + "Content-Disposition: inline; x=\"" + "ab\\\"".repeat(10_000) + "\"; filename=\"report.txt\";"
                + " y=\"\r\n\r\nhello\r\n--b1--\r\n";
        ParsedMail mail = MailParser.parse(new MimeMessage(Session.getInstance(new Properties()),
                new ByteArrayInputStream(eml.getBytes(StandardCharsets.US_ASCII))));
        assertThat(mail.text()).startsWith("See the file.");
        assertThat(mail.attachments()).singleElement()
                .satisfies(attachment -> assertThat(attachment.filename()).isEqualTo("report.txt"));
    }

    /** Search and previews read the text: an HTML mail's words are in it even beside a blank or partial plain one. */
    @Test
    void theHtmlsWordsAreTheTextWhenNoPlainPartRendersThem() throws Exception {
        String blankPlain = "From: eve@example.net\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
                + "--b\r\nContent-Type: text/plain\r\n\r\n \r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n"
                + "<p>Where is my order 42?</p>\r\n--b--\r\n";
        assertThat(parseText(blankPlain).text().strip()).isEqualTo("Where is my order 42?");
        String footer = "From: eve@example.net\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n"
                + "--m\r\nContent-Type: text/html\r\n\r\n<p>Where is my order 42?</p>\r\n"
                + "--m\r\nContent-Type: text/plain\r\n\r\nSent through the shop's list\r\n--m--\r\n";
        assertThat(parseText(footer).text()).startsWith("Where is my order 42?")
                .endsWith("Sent through the shop's list");
        // One content sent twice side by side (some mailers do) is in the text once.
        String twice = "From: eve@example.net\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n"
                + "--m\r\nContent-Type: text/plain\r\n\r\nWhere is my order 42?\r\n"
                + "--m\r\nContent-Type: text/html\r\n\r\n<p>Where is my <b>order</b> 42?</p>\r\n--m--\r\n";
        assertThat(parseText(twice).text().strip()).isEqualTo("Where is my order 42?");
        // A blank plain rendering renders nothing: the HTML's words come with a footer beside it.
        String blankAndFooter = "From: eve@example.net\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n"
                + "--m\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\n"
                + "Content-Type: text/plain\r\n\r\n \r\n--b\r\nContent-Type: text/html\r\n\r\n"
                + "<p>Where is my order 42?</p>\r\n--b--\r\n--m\r\nContent-Type: text/plain\r\n\r\n"
                + "Sent through the shop's list\r\n--m--\r\n";
        assertThat(parseText(blankAndFooter).text()).startsWith("Where is my order 42?")
                .endsWith("Sent through the shop's list");
        // A plain rendering of the HTML is the text alone, as before.
        String both = "From: eve@example.net\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n"
                + "--b\r\nContent-Type: text/plain\r\n\r\nWhere is my order 42?\r\n--b\r\n"
                + "Content-Type: text/html\r\n\r\n<p>Where is my <b>order</b> 42?</p>\r\n--b--\r\n";
        assertThat(parseText(both).text()).isEqualTo("Where is my order 42?");
    }

    /** HTML with no MIME charset is read in the one its own head declares, as a browser would. */
    @Test
    void htmlWithoutAMimeCharsetIsReadInTheCharsetItsHeadDeclares() throws Exception {
        java.io.ByteArrayOutputStream eml = new java.io.ByteArrayOutputStream();
        eml.writeBytes(("From: hanako@example.jp\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: 8bit"
                + "\r\n\r\n<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=Shift_JIS\">"
                + "</head><body><p>").getBytes(StandardCharsets.US_ASCII));
        eml.writeBytes("注文が届きません".getBytes(java.nio.charset.Charset.forName("Shift_JIS")));
        eml.writeBytes("</p></body></html>\r\n".getBytes(StandardCharsets.US_ASCII));
        ParsedMail mail = MailParser.parse(new MimeMessage(Session.getInstance(new Properties()),
                new ByteArrayInputStream(eml.toByteArray())));
        assertThat(mail.text().strip()).isEqualTo("注文が届きません");
        assertThat(mail.html()).contains("注文が届きません");
        // A head that says UTF-16 (Word writes "unicode") in ASCII is not UTF-16: ignored, as browsers do.
        ParsedMail word = MailParser.parse(new MimeMessage(Session.getInstance(new Properties()),
                new ByteArrayInputStream(("From: w@example.net\r\nContent-Type: text/html\r\n\r\n<html><head><meta"
                        + " http-equiv=Content-Type content=\"text/html; charset=unicode\"></head><body><p>Bestellung"
                        + " verspätet</p></body></html>\r\n").getBytes(StandardCharsets.ISO_8859_1))));
        assertThat(word.text().strip()).isEqualTo("Bestellung verspätet");
    }

    private static ParsedMail parseText(String eml) throws Exception {
        return MailParser.parse(new MimeMessage(Session.getInstance(new Properties()),
                new ByteArrayInputStream(eml.getBytes(StandardCharsets.UTF_8))));
    }

    /** A Date whose year PostgreSQL cannot store (the parser takes eight digits) is no date, not a lost mail. */
    @Test
    void aDateOutsideTheYearsOneTo9999IsNoDate() throws Exception {
        for (String date : new String[] {"Mon, 1 Jan 99999999 00:00:00 +0000", "Sat, 1 Jan 10000 00:00:00 +0000"}) {
            ParsedMail mail = MailParser.parse(new MimeMessage(Session.getInstance(new Properties()),
                    new ByteArrayInputStream(("From: eve@example.net\r\nDate: " + date + "\r\nSubject: hi\r\n\r\n"
                            + "Hello\r\n").getBytes(StandardCharsets.US_ASCII))));
            assertThat(mail.date()).as(date).isNull();
            assertThat(mail.text()).isEqualTo("Hello\n");
        }
        ParsedMail dated = MailParser.parse(new MimeMessage(Session.getInstance(new Properties()),
                new ByteArrayInputStream(("From: eve@example.net\r\nDate: Sun, 6 Dec 2026 10:00:00 +0000\r\n\r\n"
                        + "Hello\r\n").getBytes(StandardCharsets.US_ASCII))));
        assertThat(dated.date()).isEqualTo(java.time.Instant.parse("2026-12-06T10:00:00Z"));
    }

    /**
     * A sender sets how long a header is, and the work of reading ids and addresses grew with it: a References of
     * tens of thousands of ids keeps its newest hundred, and an address header is read for its first 64 KB only.
     */
    @Test
    void oversizedIdAndAddressHeadersAreReadForTheirBoundedPart() throws Exception {
        StringBuilder references = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            references.append(i == 0 ? "" : "\r\n ").append("<thread-").append(i).append("@example.net>");
        }
        // The limit falls inside an address's domain ("list-member-N@exa|mple.org"): a display name before the
        // first address shifts the list until it does.
        StringBuilder to = new StringBuilder();
        for (int pad = 0; ; pad++) {
            to.setLength(0);
            to.append("\"S").append("x".repeat(pad)).append("\" <support@acme.test>");
            for (int i = 0; i < 5_000; i++) {
                to.append(",\r\n list-member-").append(i).append("@example.org");
            }
            int at = to.lastIndexOf("@", MailParser.MAX_HEADER_CHARS);
            if (MailParser.MAX_HEADER_CHARS - at == 4) {
                break;
            }
        }
        // A subject of 2 MB (folded lines of encoded words) is read for its first part too.
        String subject = ("=?utf-8?B?" + java.util.Base64.getEncoder().encodeToString("Заказ ".repeat(30)
                .getBytes(StandardCharsets.UTF_8)) + "?=\r\n ").repeat(6_000);
        String eml = "From: Eve <eve@example.net>\r\nTo: " + to + "\r\nSubject: " + subject + "\r\n"
                + "Message-ID: <huge-headers@example.net>\r\nIn-Reply-To: <thread-19999@example.net>\r\n"
                + "References: " + references + "\r\n\r\nHello\r\n";
        ParsedMail mail = MailParser.parse(new MimeMessage(Session.getInstance(new Properties()),
                new ByteArrayInputStream(eml.getBytes(StandardCharsets.US_ASCII))));
        assertThat(mail.references()).hasSize(100).startsWith("thread-19900@example.net")
                .endsWith("thread-19999@example.net");
        assertThat(mail.inReplyTo()).isEqualTo("thread-19999@example.net");
        assertThat(mail.subject()).startsWith("Заказ Заказ").hasSizeBetween(20_000, MailParser.MAX_HEADER_CHARS);
        assertThat(mail.to().getFirst().address()).isEqualTo("support@acme.test");
        assertThat(mail.to().size()).isBetween(1_000, 3_000);
        // None cut in two at the limit: a cut address would become a claimed identity nobody has.
        assertThat(mail.to().subList(1, mail.to().size())).allSatisfy(address ->
                assertThat(address.address()).matches("list-member-\\d+@example\\.org"));
        assertThat(mail.text()).startsWith("Hello");
    }

    /**
     * The patterns run on what senders write read each character a bounded number of times: a megabyte of blank
     * lines in a bounce, or a header of one long word the address parser refused, took hours or seconds to read
     * (each line start, or each character, read on to the end of the run). Counted in reads, not timed.
     */
    @Test
    void patternsOnSendersTextReadItInLinearTime() {
        CountedText blankLines = new CountedText("\n".repeat(20_000) + "Subject: late\nMessage-ID: <msg-1.2@acme.test>\n");
        Matcher line = DeliveryStatus.MESSAGE_ID_LINE.matcher(blankLines);
        assertThat(line.find()).isTrue();
        assertThat(line.group(1)).isEqualTo("msg-1.2@acme.test");
        assertThat(blankLines.reads).isLessThan(10L * blankLines.length());
        assertThat(DeliveryStatus.quotedMessageId("Returned mail\n  Message-ID: <msg-3.4@acme.test>\n"))
                .isEqualTo("msg-3.4@acme.test");
        // Folded, as relays that write the headers again fold a long line: the field's id, not References' first.
        assertThat(DeliveryStatus.quotedMessageId("References: <msg-1.4@acme.test>\r\nMessage-ID:\r\n"
                + " <msg-5.4.0123456789abcdef0123@a-long-reply-domain.acme.test>\r\n"))
                .isEqualTo("msg-5.4.0123456789abcdef0123@a-long-reply-domain.acme.test");

        CountedText longWord = new CountedText("\"" + "a".repeat(20_000) + "\" <bob@example.com>, eve@example.org");
        Matcher bare = MailParser.BARE_ADDRESS.matcher(longWord);
        assertThat(bare.find()).isTrue();
        assertThat(bare.group()).isEqualTo("bob@example.com");
        assertThat(bare.find()).isTrue();
        assertThat(bare.group()).isEqualTo("eve@example.org");
        assertThat(longWord.reads).isLessThan(10L * longWord.length());

        // Whether the plain part already says what the HTML does: one letter, and the HTML's run ends otherwise.
        CountedText plain = new CountedText("a".repeat(200_000));
        CountedText html = new CountedText("a".repeat(100_000) + "b");
        assertThat(MimeWalk.containsText(plain, html)).isFalse();
        assertThat(plain.reads + html.reads).isLessThan(10L * (plain.length() + html.length()));
        assertThat(MimeWalk.containsText("say hello there", "hello")).isTrue();
        assertThat(MimeWalk.containsText("aabaabaaab", "aabaaab")).isTrue();
        assertThat(MimeWalk.containsText("aabaabaab", "aabaaab")).isFalse();
        assertThat(MimeWalk.containsText("plain", "")).isTrue();
    }

    /**
     * What a sender writes into the message's metadata (an automation header, an attached mail's subject) is cut to
     * a header line's length, and attached mails' texts together stay within the mail's text cap: each goes into
     * every event of the message, and a mail of forwards had only each forward's own cap.
     */
    @Test
    void sendersHeadersAndForwardsAreKeptWithinBounds() throws Exception {
        StringBuilder eml = new StringBuilder("From: Bulk <bulk@example.net>\r\nTo: support@acme.test\r\n"
                + "Subject: forwards\r\nMessage-ID: <forwards-1@example.net>\r\nAuto-Submitted: auto-replied; "
                + "x".repeat(50_000) + "\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=\"F\"\r\n\r\n");
        for (int i = 0; i < 3; i++) {
            eml.append("--F\r\nContent-Type: message/rfc822\r\n\r\nFrom: ")
                    .append(i == 2 ? "Long ".repeat(2_000) : "Inner").append(" <inner@example.org>\r\n")
                    .append("Subject: ").append(("forward " + i + " ").repeat(10_000)).append("\r\n")
                    .append("Content-Type: text/plain; charset=us-ascii\r\n\r\n")
                    .append(("line of forward " + i + "\r\n").repeat(30_000)).append("\r\n");
        }
        eml.append("--F--\r\n");
        ParsedMail mail = parseText(eml.toString());
        assertThat(mail.automated().autoReply()).isTrue();
        assertThat(mail.automated().reason()).startsWith("Auto-Submitted: auto-replied")
                .hasSizeLessThanOrEqualTo(Automation.MAX_REASON);
        assertThat(mail.forwarded()).hasSize(3).allSatisfy(summary -> assertThat(summary)
                .hasSizeLessThanOrEqualTo(MimeWalk.MAX_SUMMARY));
        assertThat(mail.forwarded().getFirst()).startsWith("Inner <inner@example.org>: forward 0 forward 0");
        assertThat(mail.text()).contains("line of forward 1").doesNotContain("line of forward 2")
                .hasSizeLessThanOrEqualTo(MimeWalk.MAX_TOTAL_TEXT_CHARS);
    }

    /**
     * Bytes the part's charset has no letter for (0x81 in windows-1252) become U+FFFD: a problem, so the original
     * mail is kept beside the message (a listener's spool file goes once the mail is stored). Text that holds a
     * U+FFFD of its own (valid UTF-8) is no problem.
     */
    @Test
    void textItsCharsetCannotReadWhollyKeepsTheOriginal() throws Exception {
        String head = "From: Ann <ann@example.net>\r\nTo: support@acme.test\r\nSubject: Bytes\r\n"
                + "Message-ID: <bytes-1@example.net>\r\nMIME-Version: 1.0\r\n";
        byte[] eml = (head + "Content-Type: text/plain; charset=windows-1252\r\n"
                + "Content-Transfer-Encoding: 8bit\r\n\r\nCaf\u00e9 \u0081 ordered\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        ParsedMail mail = MailParser.parse(new MimeMessage(Session.getInstance(new Properties()),
                new ByteArrayInputStream(eml)));
        assertThat(mail.text()).startsWith("Café \uFFFD ordered");
        assertThat(mail.problems()).singleElement().asString().contains("could not be read in its charset");

        ParsedMail own = parseText(head + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Transfer-Encoding: 8bit\r\n\r\nA \uFFFD of its own\r\n");
        assertThat(own.text()).startsWith("A \uFFFD of its own");
        assertThat(own.problems()).isEmpty();
    }

    /** A text that counts how often its characters are read. */
    private static final class CountedText implements CharSequence {
        private final String text;
        long reads;

        CountedText(String text) {
            this.text = text;
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public char charAt(int index) {
            reads++;
            return text.charAt(index);
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return text.subSequence(start, end);
        }

        @Override
        public String toString() {
            return text;
        }
    }

    static byte[] bytes(MailAttachment attachment) throws Exception {
        try (InputStream in = attachment.content().open()) {
            return in.readAllBytes();
        }
    }
}
