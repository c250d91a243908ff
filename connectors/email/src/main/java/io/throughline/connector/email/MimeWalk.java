package io.throughline.connector.email;

import io.throughline.connector.Texts;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimePart;
import jakarta.mail.util.SharedByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The walk over one mail's MIME tree: it collects the plain and HTML body, the files and inline images, attached
 * mails, a delivery status report, and what could not be read. Part of {@link MailParser}'s pure function.
 */
final class MimeWalk {

    /** A text body beyond this is cut (the server keeps 256K characters); the part is also kept as a file. */
    private static final int MAX_TEXT_BYTES = 4 * 1024 * 1024;
    private static final int MAX_PARTS = 500;
    /** Text (and HTML) taken into the body across all parts; the server keeps 256K characters of it. */
    static final int MAX_TOTAL_TEXT_CHARS = 1024 * 1024;
    /** The longest summary of an attached mail kept ("From: Subject"), a header line's limit. */
    static final int MAX_SUMMARY = 998;
    /** The HTML the server sanitizes of one message (its HtmlSanitizer's limit); the rest is cut there. */
    static final int MAX_HTML_CHARS = 2 * 1024 * 1024;
    static final int MAX_DEPTH = 20;
    /**
     * How much of a mail's encoded attached mails is decoded into memory, in all (forwards nested in forwards share
     * it), to read their summaries and text.
     */
    static final int MAX_DECODED_FORWARDS = 8 * 1024 * 1024;
    /**
     * Parts one mail's multiparts may make in all, read or not (the walk reads {@value #MAX_PARTS} of them). Each
     * costs about 2.5 KB kept and 90 KB of garbage when the mail is read from a file.
     */
    static final int MAX_MADE_PARTS = 2 * MAX_PARTS;
    private static final String TOO_MANY_PARTS = "the mail has more than " + MAX_PARTS
            + " parts or is nested too deeply; the rest is in the original";

    final StringBuilder text = new StringBuilder();
    final StringBuilder html = new StringBuilder();
    final StringBuilder forwardedText = new StringBuilder();
    /**
     * The HTML parts no plain part renders (an HTML-only mail a list or gateway added a plain footer to),
     * in order; and whether such a part came before any plain text.
     */
    final List<String> htmlOnly = new ArrayList<>();
    boolean htmlOnlyFirst;
    /** How many alternatives with a plain rendering the walk is inside the HTML rendering of. */
    private int renderedAsPlain;
    final List<MailAttachment> attachments = new ArrayList<>();
    final List<String> forwarded = new ArrayList<>();
    final List<String> problems = new ArrayList<>();
    BounceReport bounce;
    private int parts;
    private final BoundedMultipart.Budget madeParts;
    /** The bytes of encoded attached mails this mail may still decode into memory ({@link #MAX_DECODED_FORWARDS}). */
    private final long[] decodable;

    MimeWalk() {
        this(new BoundedMultipart.Budget(MAX_MADE_PARTS), new long[] {MAX_DECODED_FORWARDS});
    }

    /** A walk of a mail inside another (an attached message), sharing its budgets of parts and decoded bytes. */
    private MimeWalk(BoundedMultipart.Budget madeParts, long[] decodable) {
        this.madeParts = madeParts;
        this.decodable = decodable;
    }
    private boolean textCapped;

    /**
     * The mail's text, for search and previews: the plain text; the HTML's words when there is none, or only
     * spaces; both when HTML no plain part renders sits beside plain text (a footer a list added to an HTML-only
     * mail), unless the plain text already says what the HTML does (a mailer sending one content twice).
     */
    String bodyText() {
        String plain = text.toString();
        if (plain.isBlank()) {
            return html.isEmpty() ? plain : HtmlText.toText(html.toString());
        }
        if (htmlOnly.isEmpty()) {
            return plain;
        }
        String htmlText = HtmlText.toText(String.join("\n", htmlOnly)).strip();
        if (htmlText.isEmpty() || containsText(spaced(plain), spaced(htmlText))) {
            return plain;
        }
        return htmlOnlyFirst ? htmlText + "\n\n" + plain.strip() : plain.strip() + "\n\n" + htmlText;
    }

    private static String spaced(String text) {
        return text.replaceAll("\\s+", " ").strip();
    }

    /**
     * Whether {@code text} contains {@code part}, reading each in linear time (Knuth-Morris-Pratt).
     * {@link String#contains} compares from every start: a sender's megabyte of one letter in the plain part beside
     * half a megabyte of it and another letter in the HTML took minutes of a folder's only thread.
     */
    static boolean containsText(CharSequence text, CharSequence part) {
        int m = part.length();
        if (m == 0) {
            return true;
        }
        int[] fallback = new int[m];
        for (int i = 1, k = 0; i < m; i++) {
            char c = part.charAt(i);
            while (k > 0 && c != part.charAt(k)) {
                k = fallback[k - 1];
            }
            if (c == part.charAt(k)) {
                k++;
            }
            fallback[i] = k;
        }
        for (int i = 0, k = 0, n = text.length(); i < n; i++) {
            char c = text.charAt(i);
            while (k > 0 && c != part.charAt(k)) {
                k = fallback[k - 1];
            }
            if (c == part.charAt(k) && ++k == m) {
                return true;
            }
        }
        return false;
    }

    void part(Part part, int depth, boolean inRelated) throws MessagingException, IOException {
        if (++parts > MAX_PARTS || depth > MAX_DEPTH) {
            problems.add(TOO_MANY_PARTS);
            return;
        }
        ContentType type = MimeParts.contentType(part, "text/plain");
        String base = MimeParts.baseType(type);
        String disposition = MimeParts.disposition(part);
        Charset charset = MailCharsets.resolve(type.getParameter("charset"));
        String filename = MimeParts.filename(part, type, charset);
        // A named text part is a file even when shown inline (Apple Mail attaches .txt files that way).
        boolean attachment = "attachment".equals(disposition) || filename != null && !inRelated;
        if (base.startsWith("multipart/")) {
            multipart(part, type, base, depth);
        } else if (base.equals("message/rfc822") || base.equals("message/global")) {
            attachedMail(part, filename, depth);
        } else if ((base.equals("text/plain") || base.equals("text/html")) && !attachment) {
            body(part, type, base, charset, filename);
        } else {
            file(part, base, charset, filename, disposition, inRelated);
        }
    }

    private void multipart(Part part, ContentType type, String base, int depth)
            throws MessagingException, IOException {
        BoundedMultipart multipart = new BoundedMultipart((MimePart) part, madeParts);
        int count = multipart.getCount();
        if (multipart.truncated() && !problems.contains(TOO_MANY_PARTS)) {
            problems.add(TOO_MANY_PARTS);
        }
        switch (base) {
            case "multipart/alternative" -> alternative(multipart, depth);
            case "multipart/related" -> related(multipart, type, depth);
            case "multipart/report" -> report(multipart, depth);
            case "multipart/signed" -> {
                if (count > 0) {
                    part(multipart.getBodyPart(0), depth + 1, false);
                }
            }
            default -> {
                for (int i = 0; i < count; i++) {
                    part(multipart.getBodyPart(i), depth + 1, false);
                }
            }
        }
        // A missing closing boundary (a mail cut by a gateway) is read as far as it goes, as clients do.
    }

    /** Plain and HTML renderings of one body: take the first plain one and the last (richest) HTML one. */
    private void alternative(Multipart multipart, int depth) throws MessagingException, IOException {
        Part plain = null;
        Part rich = null;
        List<Part> others = new ArrayList<>();
        for (int i = 0; i < multipart.getCount(); i++) {
            Part child = multipart.getBodyPart(i);
            ContentType type = MimeParts.contentType(child, "text/plain");
            String base = MimeParts.baseType(type);
            if (base.equals("text/plain") && plain == null) {
                plain = child;
            } else if (base.equals("text/html") || base.equals("multipart/related")
                    || base.equals("multipart/mixed")) {
                rich = child;
            } else if (!base.equals("text/plain")) {
                others.add(child);
            }
        }
        boolean plainSays = false;
        if (plain != null) {
            int start = text.length();
            part(plain, depth + 1, false);
            // A plain rendering of only spaces renders nothing of the HTML.
            plainSays = !text.substring(Math.min(start, text.length())).isBlank();
        }
        if (rich != null) {
            int before = text.length();
            String keep = text.toString();
            if (plainSays) {
                renderedAsPlain++;
            }
            try {
                part(rich, depth + 1, false);
            } finally {
                if (plainSays) {
                    renderedAsPlain--;
                }
            }
            if (plain != null && text.length() != before) {
                // The rich rendering's own text parts duplicate the plain one.
                text.setLength(0);
                text.append(keep);
            }
        }
        for (Part other : others) {
            part(other, depth + 1, false);
        }
    }

    /** An HTML root with the images it shows by {@code cid:} (RFC 2387). */
    private void related(Multipart multipart, ContentType type, int depth) throws MessagingException,
            IOException {
        String start = type.getParameter("start");
        int root = 0;
        if (start != null) {
            String id = start.replaceAll("[<>]", "").strip();
            for (int i = 0; i < multipart.getCount(); i++) {
                if (id.equals(MimeParts.contentId(multipart.getBodyPart(i)))) {
                    root = i;
                }
            }
        }
        if (multipart.getCount() > 0) {
            part(multipart.getBodyPart(root), depth + 1, false);
        }
        for (int i = 0; i < multipart.getCount(); i++) {
            if (i != root) {
                part(multipart.getBodyPart(i), depth + 1, true);
            }
        }
    }

    /** A delivery report (RFC 6522): the human text, the machine status, and the returned message. */
    private void report(Multipart multipart, int depth) throws MessagingException, IOException {
        Part status = null;
        String original = null;
        for (int i = 0; i < multipart.getCount(); i++) {
            Part child = multipart.getBodyPart(i);
            String base = MimeParts.baseType(MimeParts.contentType(child, "text/plain"));
            if (base.equals("message/delivery-status") || base.equals("message/global-delivery-status")) {
                status = child;
            } else if (base.equals("message/rfc822") || base.equals("text/rfc822-headers")
                    || base.equals("message/global-headers")) {
                original = DeliveryStatus.quotedMessageId(new String(MimeParts.bytes(child, 256 * 1024),
                        Charset.forName("ISO-8859-1")));
                file(child, base, null, null, "attachment", false);
            } else {
                part(child, depth + 1, false);
            }
        }
        if (status != null) {
            if (original == null) {
                original = DeliveryStatus.quotedMessageId(text.toString());
            }
            bounce = DeliveryStatus.read(status, original);
            file(status, "message/delivery-status", null, "delivery-status.txt", "attachment", false);
        }
    }

    /** A mail attached to this one (a forward as attachment): kept as an .eml, and summarised. */
    private void attachedMail(Part part, String filename, int depth) throws MessagingException, IOException {
        String summary = null;
        String name = filename;
        try {
            // Not encoded, the attached mail is read in place (a shared stream); encoded, it is decoded into memory,
            // within the mail's budget (its .eml keeps all of it).
            InputStream source = MimeParts.encodedMessage(part) ? decodedInMemory(part) : MimeParts.decoded(part);
            if (source != null) {
                try (InputStream in = source) {
                    MimeMessage inner = new MimeMessage(MailParser.PARSING, in);
                    Charset hint = MailParser.bodyCharset(inner);
                    String subject = HeaderText.decode(MimeParts.first(inner, "Subject"), hint);
                    summary = summary(inner, subject, hint);
                    if (name == null) {
                        name = (subject == null || subject.isBlank() ? "forwarded message" : subject) + ".eml";
                    }
                    forwardedText(inner, summary, depth);
                }
            }
        } catch (MessagingException | IOException | RuntimeException e) {
            problems.add("an attached message could not be read: " + MailParser.describe(e));
        }
        if (summary != null) {
            forwarded.add(summary);
        }
        attachments.add(new MailAttachment(safeName(name == null ? "message.eml" : name), "message/rfc822",
                null, false, () -> MimeParts.decoded(part)));
    }

    /** "Author: Subject", cut as a header line is (998): it goes in the message's metadata, and so in every event. */
    private String summary(MimeMessage inner, String subject, Charset hint) throws MessagingException {
        MailAddress author = MailParser.first(MailParser.addresses(inner, "From", hint, this));
        return Texts.cut((author == null ? "unknown sender" : (author.name() == null ? author.address()
                : author.name() + " <" + author.address() + ">")) + ": " + (subject == null ? "(no subject)"
                : subject), MAX_SUMMARY);
    }

    /**
     * The attached mail's text, shown when this one has none (a forward as attachment with nothing written). Each
     * forward's text is capped by its own walk, not their sum: past the mail's cap, the rest stay in their .eml
     * files, as text parts past it do.
     */
    private void forwardedText(MimeMessage inner, String summary, int depth) throws MessagingException, IOException {
        if (text.toString().isBlank() && depth < MAX_DEPTH && forwardedText.length() < MAX_TOTAL_TEXT_CHARS) {
            MimeWalk nested = new MimeWalk(madeParts, decodable);
            nested.part(inner, depth + 1, false);
            String body = nested.bodyText();
            forwardedText.append("---------- Forwarded message ----------\n").append(summary).append("\n\n")
                    .append(body);
            if (forwardedText.length() > MAX_TOTAL_TEXT_CHARS) {
                forwardedText.setLength(Texts.cut(forwardedText.toString(), MAX_TOTAL_TEXT_CHARS).length());
            }
        }
    }

    /**
     * An encoded attached mail's decoded bytes, as far as the mail's budget goes (a problem says so when it cut them);
     * null, with a problem, when the budget is spent.
     */
    private InputStream decodedInMemory(Part part) throws MessagingException, IOException {
        if (decodable[0] <= 0) {
            problems.add("an attached message was not read: the mail's encoded attached messages are over "
                    + MAX_DECODED_FORWARDS / (1024 * 1024) + " MB; it is kept whole in its .eml");
            return null;
        }
        int allowed = (int) decodable[0];
        byte[] bytes = MimeParts.bytes(part, allowed + 1);
        if (bytes.length > allowed) {
            problems.add("an attached message was read only in part (the mail's encoded attached messages are over "
                    + MAX_DECODED_FORWARDS / (1024 * 1024) + " MB); it is kept whole in its .eml");
            bytes = Arrays.copyOf(bytes, allowed);
        }
        decodable[0] -= bytes.length;
        return new SharedByteArrayInputStream(bytes);
    }

    private void body(Part part, ContentType type, String base, Charset charset, String filename)
            throws MessagingException, IOException {
        StringBuilder target = base.equals("text/html") ? html : text;
        if (target.length() >= MAX_TOTAL_TEXT_CHARS) {
            // Hundreds of large text parts would each be read whole (up to the per-part cap) into one body: past
            // this much text, the rest is attached, and memory stays bounded whatever the mail holds.
            if (!textCapped) {
                textCapped = true;
                problems.add("the mail's text is longer than " + MAX_TOTAL_TEXT_CHARS / (1024 * 1024)
                        + " million characters; the remaining text parts are attached");
            }
            file(part, base, charset, filename == null ? (base.equals("text/html") ? "body.html" : "body.txt")
                    : filename, "attachment", false);
            return;
        }
        byte[] bytes = MimeParts.bytes(part, MAX_TEXT_BYTES + 1);
        boolean attached = bytes.length > MAX_TEXT_BYTES;
        if (attached) {
            problems.add("a " + base + " body is larger than " + MAX_TEXT_BYTES / (1024 * 1024) + " MB and was"
                    + " cut; the whole part is attached");
            file(part, base, charset, filename == null ? (base.equals("text/html") ? "body.html" : "body.txt")
                    : filename, "attachment", false);
            bytes = Arrays.copyOf(bytes, MAX_TEXT_BYTES);
        }
        Charset declared = charset == null && base.equals("text/html") ? MailCharsets.declaredInHtml(bytes) : charset;
        String decoded = attached ? MailCharsets.decodeCut(bytes, declared) : MailCharsets.decode(bytes, declared);
        if (decoded.indexOf('\uFFFD') >= 0 && MailCharsets.strict(bytes, StandardCharsets.UTF_8) == null) {
            // Bytes the charset read (declared or guessed) has no letter for: what they said is kept in the
            // original, attached for a problem; the listener's spool file goes once the mail is stored.
            String problem = "some characters of the mail's text could not be read in its charset; the original"
                    + " mail is attached";
            if (!problems.contains(problem)) {
                problems.add(problem);
            }
        }
        if (!attached && base.equals("text/html") && html.length() + decoded.length() > MAX_HTML_CHARS) {
            // The server sanitizes at most this much of a mail's HTML and drops the rest: said here, with the
            // whole part attached, so what comes after (text, images as data: addresses) can still be read.
            String problem = "the mail's HTML is longer than " + MAX_HTML_CHARS / (1024 * 1024) + " million"
                    + " characters and is shown cut; the whole part is attached";
            if (!problems.contains(problem)) {
                problems.add(problem);
            }
            file(part, base, charset, filename == null ? "body.html" : filename, "attachment", false);
        }
        if (base.equals("text/html") && renderedAsPlain == 0) {
            htmlOnlyFirst |= htmlOnly.isEmpty() && text.toString().isBlank();
            htmlOnly.add(decoded);
        }
        if (base.equals("text/plain") && "flowed".equalsIgnoreCase(type.getParameter("format"))) {
            decoded = FlowedText.unflow(decoded, "yes".equalsIgnoreCase(type.getParameter("delsp")));
        }
        if (target.length() > 0) {
            target.append(base.equals("text/html") ? "\n" : "\n\n");
        }
        target.append(decoded);
    }

    /** A file; a text file keeps its charset (a Cyrillic .txt in windows-1251 must be shown as one). */
    private void file(Part part, String base, Charset charset, String filename, String disposition,
                      boolean inRelated) {
        String contentId = MimeParts.contentId(part);
        boolean inline = contentId != null && (inRelated || "inline".equals(disposition))
                || inRelated && base.startsWith("image/");
        String name = filename != null ? filename : defaultName(base, contentId);
        String type = base.startsWith("text/") && charset != null ? base + "; charset=" + charset.name() : base;
        attachments.add(new MailAttachment(safeName(name), type, contentId, inline, () -> MimeParts.decoded(part)));
    }

    private static String defaultName(String base, String contentId) {
        String extension = switch (base) {
            case "image/png" -> ".png";
            case "image/jpeg", "image/jpg" -> ".jpg";
            case "image/gif" -> ".gif";
            case "text/calendar" -> ".ics";
            case "text/plain" -> ".txt";
            case "text/html" -> ".html";
            case "application/pdf" -> ".pdf";
            case "message/delivery-status", "text/rfc822-headers" -> ".txt";
            case "message/rfc822" -> ".eml";
            default -> ".bin";
        };
        String stem = switch (base) {
            case "text/calendar" -> "invite";
            case "message/rfc822", "text/rfc822-headers" -> "returned-message";
            default -> base.startsWith("image/") ? "image" : "attachment";
        };
        if (contentId != null) {
            String id = contentId.replaceAll("@.*", "").replaceAll("[^A-Za-z0-9._-]", "");
            if (!id.isEmpty() && id.length() < 60) {
                stem = id;
            }
        }
        return stem + extension;
    }

    static String safeName(String name) {
        String clean = name.replaceAll("[\\p{Cntrl}/\\\\]", "_").strip();
        return clean.isEmpty() ? "attachment" : Texts.cut(clean, 200);
    }
}
