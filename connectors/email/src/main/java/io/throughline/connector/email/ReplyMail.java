package io.throughline.connector.email;

import io.throughline.connector.OutboundAttachment;
import io.throughline.connector.OutboundMessage;
import io.throughline.connector.ReplyThread;
import io.throughline.connector.Texts;
import io.throughline.connector.TranscriptLine;
import jakarta.activation.DataHandler;
import jakarta.activation.FileDataSource;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.internet.MimeUtility;
import java.io.UnsupportedEncodingException;
import java.net.IDN;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds the email for one reply (ARCHITECTURE.md rule 3): From the inbox as "Agent via Company", a signed
 * {@code Message-ID: <msg-{message}.{conversation}.{tag}@domain>} ({@link MessageIds}), In-Reply-To and References so the customer's client
 * threads it, {@code Reply-To: reply+{token}@replyDomain} so an answer finds the conversation even when a client
 * rewrites the other headers, a subject that stays "Re: original" without stacking, and text plus HTML with the
 * attachments.
 */
final class ReplyMail {

    private static final Pattern MESSAGE_ID = Pattern.compile("[\\x21-\\x3b\\x3d\\x3f-\\x7e]{1,900}@"
            + "[\\x21-\\x3b\\x3d\\x3f-\\x7e]{1,255}");

    private static final Pattern URL = Pattern.compile("https?://[^\\s<>\"]+[^\\s<>\".,;:!?)\\]]");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("d MMM yyyy, HH:mm 'UTC'",
            Locale.ENGLISH).withZone(ZoneOffset.UTC);

    private ReplyMail() {
    }

    /** Whether an external id is a Message-ID (without its angle brackets) that headers may carry. */
    static boolean messageId(String id) {
        return MESSAGE_ID.matcher(id).matches();
    }

    /** The reply address naming the conversation, or null when the inbox has no reply domain. */
    static String replyAddress(ReplyThread thread, EmailConfig config) {
        if (config.replyDomain() == null || thread.replyToken() == null) {
            return null;
        }
        return "reply+" + thread.replyToken() + "@" + config.replyDomain();
    }

    static String subject(OutboundMessage reply, EmailConfig config) {
        String original = reply.thread().subject();
        if (original != null && !original.isBlank()) {
            return "Re: " + original.strip();
        }
        String company = config.displayName() != null ? config.displayName() : config.address();
        return reply.transcript().isEmpty() ? "Message from " + company : "Your conversation with " + company;
    }

    /**
     * A display name as it may go into an address header: Jakarta Mail neither folds nor escapes CR and LF in a
     * personal name, so a customer name decoded from "=?UTF-8?Q?Bob=0D=0A...?=" would end the headers early and
     * write the rest of our reply. Control characters become spaces.
     */
    static String phrase(String name) {
        if (name == null) {
            return null;
        }
        String clean = Texts.oneLine(name);
        return clean.isEmpty() ? null : clean;
    }

    /**
     * The address as SMTP carries it without SMTPUTF8: an internationalized domain ({@code müller.de}) in its
     * ASCII form ({@code xn--mller-kva.de}). Jakarta Mail would otherwise cut each character to one byte and
     * send the reply to a mangled, or even another, address. A local part beyond ASCII cannot be sent that way:
     * that is said plainly instead.
     */
    static String asciiAddress(String address) throws AddressException {
        int at = address.lastIndexOf('@');
        if (at <= 0) {
            throw new AddressException("not an email address", address);
        }
        String local = address.substring(0, at);
        if (!StandardCharsets.US_ASCII.newEncoder().canEncode(local)) {
            throw new AddressException("the part before the @ has non-ASCII characters, which this inbox cannot"
                    + " send to", address);
        }
        try {
            return local + "@" + IDN.toASCII(address.substring(at + 1), IDN.ALLOW_UNASSIGNED);
        } catch (IllegalArgumentException e) {
            throw new AddressException("the domain is not a valid internationalized name", address);
        }
    }

    static MimeMessage build(Session session, OutboundMessage reply, EmailConfig config, MessageIds ids)
            throws MessagingException {
        MimeMessage mail = new ThreadedMessage(session, ids.of(reply));
        try {
            mail.setFrom(new InternetAddress(config.address(), phrase(config.fromName(reply.authorName())),
                    "UTF-8"));
            mail.setRecipient(MimeMessage.RecipientType.TO, new InternetAddress(asciiAddress(reply.to().value()),
                    phrase(reply.to().name()), "UTF-8"));
            String replyTo = replyAddress(reply.thread(), config);
            if (replyTo != null) {
                mail.setReplyTo(new InternetAddress[] {new InternetAddress(replyTo, phrase(config.displayName()),
                        "UTF-8")});
            }
        } catch (UnsupportedEncodingException e) {
            throw new IllegalStateException("UTF-8 is always supported", e);
        }
        mail.setSubject(subject(reply, config), "UTF-8");
        mail.setSentDate(new Date());
        ReplyThread thread = reply.thread();
        // Only real Message-IDs: a mail kept without one is known by a made-up id (sha256:..., imap-unreadable:...)
        // that has no place in these headers.
        List<String> references = new ArrayList<>(thread.references().stream().filter(ReplyMail::messageId)
                .toList());
        if (thread.inReplyTo() != null && messageId(thread.inReplyTo())) {
            mail.setHeader("In-Reply-To", "<" + thread.inReplyTo() + ">");
            references.remove(thread.inReplyTo());
            references.add(thread.inReplyTo());
        }
        if (!references.isEmpty()) {
            StringBuilder value = new StringBuilder();
            for (String reference : references) {
                value.append(value.isEmpty() ? "" : " ").append('<').append(reference).append('>');
            }
            mail.setHeader("References", MimeUtility.fold("References: ".length(), value.toString()));
        }
        mail.setContent(body(reply));
        mail.saveChanges();
        return mail;
    }

    private static MimeMultipart body(OutboundMessage reply) throws MessagingException {
        MimeMultipart alternative = new MimeMultipart("alternative");
        MimeBodyPart plain = new MimeBodyPart();
        plain.setText(plainText(reply), "UTF-8");
        alternative.addBodyPart(plain);
        MimeBodyPart html = new MimeBodyPart();
        html.setText(html(reply), "UTF-8", "html");
        alternative.addBodyPart(html);
        if (reply.attachments().isEmpty()) {
            return alternative;
        }
        MimeMultipart mixed = new MimeMultipart("mixed");
        MimeBodyPart text = new MimeBodyPart();
        text.setContent(alternative);
        mixed.addBodyPart(text);
        for (OutboundAttachment attachment : reply.attachments()) {
            MimeBodyPart file = new MimeBodyPart();
            file.setDataHandler(new DataHandler(new TypedFileSource(attachment)));
            file.setFileName(attachment.filename());
            file.setDisposition(MimeBodyPart.ATTACHMENT);
            mixed.addBodyPart(file);
        }
        return mixed;
    }

    static String plainText(OutboundMessage reply) {
        StringBuilder out = new StringBuilder(reply.text().strip());
        if (!reply.transcript().isEmpty()) {
            out.append("\n\n---- Earlier in your conversation ----\n");
            for (TranscriptLine line : reply.transcript()) {
                out.append('\n').append(author(line)).append(", ").append(TIME.format(line.at())).append(":\n")
                        .append(line.text().strip()).append('\n');
            }
        }
        return out.append('\n').toString();
    }

    static String html(OutboundMessage reply) {
        StringBuilder out = new StringBuilder("<!doctype html><html><body style=\"font-family:-apple-system,"
                + "'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:14px;line-height:1.5;color:#1f2328\">");
        out.append(reply.html() != null ? reply.html() : paragraphs(reply.text()));
        if (!reply.transcript().isEmpty()) {
            out.append("<div style=\"margin-top:24px;padding-top:12px;border-top:1px solid #d0d7de;color:#57606a\">")
                    .append("<p style=\"margin:0 0 8px\"><strong>Earlier in your conversation</strong></p>");
            for (TranscriptLine line : reply.transcript()) {
                out.append("<p style=\"margin:0 0 8px\"><strong>").append(escape(author(line)))
                        .append("</strong> <span style=\"font-size:12px\">").append(TIME.format(line.at()))
                        .append("</span><br>").append(lines(line.text().strip())).append("</p>");
            }
            out.append("</div>");
        }
        return out.append("</body></html>").toString();
    }

    private static String author(TranscriptLine line) {
        if (line.fromCustomer()) {
            return "You";
        }
        return line.authorName() == null || line.authorName().isBlank() ? "Support" : line.authorName();
    }

    /** Plain text as HTML paragraphs, with line breaks kept and links made clickable. */
    static String paragraphs(String text) {
        StringBuilder out = new StringBuilder();
        for (String paragraph : text.strip().split("\\n\\s*\\n")) {
            if (!paragraph.isBlank()) {
                out.append("<p style=\"margin:0 0 12px\">").append(lines(paragraph.strip())).append("</p>");
            }
        }
        return out.toString();
    }

    private static String lines(String text) {
        StringBuilder out = new StringBuilder();
        Matcher m = URL.matcher(text);
        int last = 0;
        while (m.find()) {
            out.append(escape(text.substring(last, m.start())));
            String url = escape(m.group());
            out.append("<a href=\"").append(url).append("\">").append(url).append("</a>");
            last = m.end();
        }
        out.append(escape(text.substring(last)));
        return out.toString().replace("\r\n", "\n").replace("\n", "<br>\n");
    }

    static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /**
     * Keeps the Message-ID we chose: {@code saveChanges()} would otherwise make up a new one (a trap listed in
     * STACK.md).
     */
    private static final class ThreadedMessage extends MimeMessage {
        private final String id;

        ThreadedMessage(Session session, String id) {
            super(session);
            this.id = id;
        }

        @Override
        protected void updateMessageID() throws MessagingException {
            setHeader("Message-ID", "<" + id + ">");
        }
    }

    /** A stored file with the type it was uploaded with, not one guessed from its content-addressed name. */
    private static final class TypedFileSource extends FileDataSource {
        private final String type;

        TypedFileSource(OutboundAttachment attachment) {
            super(attachment.content().toFile());
            this.type = attachment.contentType() == null ? "application/octet-stream" : attachment.contentType();
        }

        @Override
        public String getContentType() {
            return type;
        }
    }
}
