package io.throughline.connector.email;

import jakarta.mail.MessagingException;
import jakarta.mail.Part;
import jakarta.mail.internet.InternetHeaders;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads bounces: standard delivery status notifications (RFC 3464 {@code message/delivery-status}), and the
 * plain-text bounces of servers that send none, when they quote the Message-ID of a message we sent.
 */
final class DeliveryStatus {

    /**
     * What Throughline's Message-IDs look like ({@code msg-<message>.<conversation>.<tag>@domain}, and without the
     * tag before it was signed): {@link MessageIds} tells whether one really is this inbox's.
     */
    private static final Pattern OUR_MESSAGE_ID = Pattern.compile(
            "<?(msg-\\d{1,19}\\.\\d{1,19}(?:\\.[0-9a-fA-F]{20})?@[A-Za-z0-9.-]{1,253})>?");
    /**
     * A Message-ID field's line, its value perhaps folded onto the next. Blanks, not {@code \s}, around the name:
     * with {@code ^} matching at every line, {@code \s*} ran on over the following empty lines from each of them,
     * so a notice of a megabyte of blank lines took hours to read (quadratic), holding its folder or a listener
     * thread.
     */
    static final Pattern MESSAGE_ID_LINE = Pattern.compile(
            "(?im)^[ \\t]*message-id:[ \\t]*(?:\\r?\\n[ \\t]+)?<([^>\\s]{1,998})>");
    private static final Pattern BOUNCE_SUBJECT = Pattern.compile("undeliver|delivery (status|failure|has failed)"
            + "|mail delivery failed|returned mail|failure notice|delivery notification|nicht zustellbar"
            + "|не доставлено|недоставлен|не може бути доставлено", Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    private static final Pattern SMTP_REPLY = Pattern.compile("\\b([45]\\d\\d[ -][245]\\.\\d{1,3}\\.\\d{1,3}[^\\r\\n]*)");

    private DeliveryStatus() {
    }

    /** A {@code message/delivery-status} part: its first recipient's fields. */
    static BounceReport read(Part status, String originalMessageId) throws IOException, MessagingException {
        byte[] bytes = MimeParts.bytes(status, 256 * 1024);
        InputStream in = new ByteArrayInputStream(bytes);
        new InternetHeaders(in);
        String action = null;
        String recipient = null;
        String original = null;
        String code = null;
        String diagnostic = null;
        while (in.available() > 0 && action == null) {
            InternetHeaders fields = new InternetHeaders(in);
            action = value(fields, "Action");
            original = typed(value(fields, "Original-Recipient"));
            recipient = typed(value(fields, "Final-Recipient"));
            if (recipient == null) {
                recipient = original;
            }
            code = value(fields, "Status");
            diagnostic = typed(value(fields, "Diagnostic-Code"));
        }
        return new BounceReport(originalMessageId, action == null ? "failed" : action.toLowerCase(Locale.ROOT),
                recipient, original, code, diagnostic == null ? null : HeaderText.decode(diagnostic, null));
    }

    /**
     * The Message-ID quoted in a returned message's headers, or null: its Message-ID field's, else (a notice that
     * quotes no such field) the first of ours anywhere. A server that returns References (or In-Reply-To) before
     * the Message-ID quotes an earlier reply of the thread first, and one whose relay rewrote the Message-ID
     * quotes ours only there: either earlier reply would be marked failed in place of the one that bounced.
     */
    static String quotedMessageId(String text) {
        if (text == null) {
            return null;
        }
        Matcher line = MESSAGE_ID_LINE.matcher(text);
        if (line.find()) {
            return line.group(1);
        }
        Matcher ours = OUR_MESSAGE_ID.matcher(text);
        return ours.find() ? ours.group(1) : null;
    }

    /**
     * A bounce from a server that sends no DSN: from a mailer daemon, with a bounce subject, quoting the Message-ID
     * of a message we sent. Null when the mail is not such a bounce.
     */
    static BounceReport fromText(MailAddress from, String subject, String text) {
        boolean daemon = from != null && from.localPart().matches("(?i)mailer-daemon|postmaster|mail-daemon");
        if (!daemon || subject == null || !BOUNCE_SUBJECT.matcher(subject).find()) {
            return null;
        }
        String quoted = quotedMessageId(text);
        if (quoted == null || !OUR_MESSAGE_ID.matcher(quoted).matches()) {
            return null;
        }
        Matcher reply = SMTP_REPLY.matcher(text);
        String diagnostic = reply.find() ? reply.group(1).strip() : subject;
        return new BounceReport(quoted, "failed", null, null, null, diagnostic);
    }

    private static String value(InternetHeaders fields, String name) {
        String value = fields.getHeader(name, " ");
        return value == null ? null : value.strip();
    }

    /** "rfc822; bob@example.com" becomes "bob@example.com"; "smtp; 550 ..." becomes "550 ...". */
    private static String typed(String value) {
        if (value == null) {
            return null;
        }
        int semicolon = value.indexOf(';');
        return (semicolon < 0 ? value : value.substring(semicolon + 1)).replaceAll("\\s+", " ").strip();
    }
}
