package io.throughline.connector.email;

import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.internet.MimePart;
import jakarta.mail.internet.MimePartDataSource;
import jakarta.mail.internet.MimeUtility;
import jakarta.mail.util.SharedFileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a raw mail into a {@link ParsedMail}: a pure function of its bytes, tested with the {@code .eml} corpus
 * (after Apache James's protocol modules). It handles plain, HTML, alternative, mixed and related parts (inline
 * {@code cid:} images), nested {@code message/rfc822}, delivery status reports, RFC 2047/2231 file names, legacy
 * Cyrillic charsets and raw 8-bit headers. What it cannot read it lists in {@link ParsedMail#problems()} and goes on:
 * nothing is dropped.
 */
final class MailParser {

    /** A text body beyond this is cut (the server keeps 256K characters); the part is also kept as a file. */
    private static final int MAX_TEXT_BYTES = 4 * 1024 * 1024;
    private static final int MAX_PARTS = 500;
    private static final int MAX_DEPTH = 20;
    private static final Pattern ANGLE_ID = Pattern.compile("<([^<>\\s]+)>");
    private static final Pattern BARE_ADDRESS = Pattern.compile("[A-Za-z0-9._%+'=-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}");
    private static final Pattern DMARC_FAIL = Pattern.compile("\\bdmarc\\s*=\\s*fail\\b", Pattern.CASE_INSENSITIVE);

    /** A session only for parsing: nothing in it connects anywhere. */
    static final Session PARSING = Session.getInstance(parsingProperties());

    private MailParser() {
    }

    /** Opens a raw mail from a file without reading attachments into memory. */
    static MimeMessage open(Path eml) throws IOException, MessagingException {
        return new MimeMessage(PARSING, new SharedFileInputStream(eml.toFile()));
    }

    static ParsedMail parse(Path eml) throws IOException, MessagingException {
        return parse(open(eml));
    }

    static ParsedMail parse(MimeMessage message) {
        Walk walk = new Walk();
        Charset hint = bodyCharset(message);
        MailAddress from = first(addresses(message, "From", hint, walk));
        String subject = HeaderText.decode(MimeParts.first(message, "Subject"), hint);
        try {
            walk.part(message, 0, false);
        } catch (MessagingException | IOException | RuntimeException e) {
            walk.problems.add("the body could not be read: " + describe(e));
            if (walk.text.isEmpty() && walk.html.isEmpty()) {
                walk.text.append(rawBody(message, hint));
            }
        }
        if (walk.text.isEmpty() && walk.html.length() > 0) {
            walk.text.append(HtmlText.toText(walk.html.toString()));
        }
        if (walk.text.toString().isBlank() && !walk.forwardedText.isEmpty()) {
            walk.text.setLength(0);
            walk.text.append(walk.forwardedText);
        }
        String text = walk.text.toString().replace("\r\n", "\n").replace('\r', '\n');
        BounceReport bounce = walk.bounce;
        if (bounce == null) {
            bounce = DeliveryStatus.fromText(from, subject, text);
        }
        List<MailAddress> replyTo = addresses(message, "Reply-To", hint, walk);
        List<String> references = ids(MimeParts.first(message, "References"));
        List<String> inReplyTo = ids(MimeParts.first(message, "In-Reply-To"));
        return new ParsedMail(
                messageId(message),
                from,
                replyTo,
                addresses(message, "To", hint, walk),
                addresses(message, "Cc", hint, walk),
                envelopeTo(message, hint, walk),
                subject == null ? null : subject.replaceAll("[\\r\\n\\t]+", " ").strip(),
                date(message),
                inReplyTo.isEmpty() ? null : inReplyTo.getFirst(),
                references.size() > 100 ? references.subList(references.size() - 100, references.size())
                        : references,
                text,
                walk.html.length() == 0 ? null : walk.html.toString(),
                walk.attachments,
                bounce != null ? "delivery status notification"
                        : AutomatedMail.reason(message, subject, from, replyTo),
                bounce,
                authFailed(message),
                walk.forwarded,
                walk.problems);
    }

    /** The body as it stands, for a mail whose structure cannot be read: better than nothing to an agent. */
    private static String rawBody(MimeMessage message, Charset hint) {
        try (InputStream in = message.getRawInputStream()) {
            byte[] bytes = in.readNBytes(64 * 1024);
            return MailCharsets.decode(bytes, hint);
        } catch (MessagingException | IOException | RuntimeException e) {
            return "";
        }
    }

    /** The Message-ID without angle brackets, or null when absent or unusable. */
    static String messageId(Part message) {
        List<String> ids = ids(MimeParts.first(message, "Message-ID"));
        if (!ids.isEmpty()) {
            return ids.getFirst();
        }
        String raw = MimeParts.first(message, "Message-ID");
        if (raw == null) {
            return null;
        }
        String bare = MimeUtility.unfold(raw).strip();
        return bare.isEmpty() || bare.length() > 250 || bare.contains(" ") ? null : bare;
    }

    /** Every {@code <id>} in a header, in order, without brackets, unfolded first (References may be folded). */
    static List<String> ids(String raw) {
        List<String> out = new ArrayList<>();
        if (raw == null) {
            return out;
        }
        Matcher m = ANGLE_ID.matcher(MimeUtility.unfold(raw));
        while (m.find()) {
            String id = m.group(1);
            if (id.length() <= 250 && !out.contains(id)) {
                out.add(id);
            }
        }
        return out;
    }

    /** The walk over the MIME tree, collecting the body, the files and what could not be read. */
    private static final class Walk {
        private final StringBuilder text = new StringBuilder();
        private final StringBuilder html = new StringBuilder();
        private final StringBuilder forwardedText = new StringBuilder();
        private final List<MailAttachment> attachments = new ArrayList<>();
        private final List<String> forwarded = new ArrayList<>();
        private final List<String> problems = new ArrayList<>();
        private BounceReport bounce;
        private int parts;

        void part(Part part, int depth, boolean inRelated) throws MessagingException, IOException {
            if (++parts > MAX_PARTS || depth > MAX_DEPTH) {
                problems.add("the mail has more than " + MAX_PARTS + " parts or is nested too deeply; the rest is in"
                        + " the original");
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
                body(part, base, charset, filename);
            } else {
                file(part, base, filename, disposition, inRelated);
            }
        }

        private void multipart(Part part, ContentType type, String base, int depth)
                throws MessagingException, IOException {
            MimeMultipart multipart = new MimeMultipart(new MimePartDataSource((MimePart) part));
            int count = multipart.getCount();
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
            if (plain != null) {
                part(plain, depth + 1, false);
            }
            if (rich != null) {
                int before = text.length();
                String keep = text.toString();
                part(rich, depth + 1, false);
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
                    file(child, base, null, "attachment", false);
                } else {
                    part(child, depth + 1, false);
                }
            }
            if (status != null) {
                if (original == null) {
                    original = DeliveryStatus.quotedMessageId(text.toString());
                }
                bounce = DeliveryStatus.read(status, original);
                file(status, "message/delivery-status", "delivery-status.txt", "attachment", false);
            }
        }

        /** A mail attached to this one (a forward as attachment): kept as an .eml, and summarised. */
        private void attachedMail(Part part, String filename, int depth) throws MessagingException, IOException {
            String summary = null;
            String name = filename;
            try (InputStream in = part.getInputStream()) {
                MimeMessage inner = new MimeMessage(PARSING, in);
                Charset hint = bodyCharset(inner);
                String subject = HeaderText.decode(MimeParts.first(inner, "Subject"), hint);
                MailAddress author = first(addresses(inner, "From", hint, this));
                summary = (author == null ? "unknown sender" : (author.name() == null ? author.address()
                        : author.name() + " <" + author.address() + ">")) + ": " + (subject == null ? "(no subject)"
                        : subject);
                if (name == null) {
                    name = (subject == null || subject.isBlank() ? "forwarded message" : subject) + ".eml";
                }
                if (text.toString().isBlank() && depth < MAX_DEPTH) {
                    Walk nested = new Walk();
                    nested.part(inner, depth + 1, false);
                    String body = nested.text.isEmpty() ? HtmlText.toText(nested.html.toString())
                            : nested.text.toString();
                    forwardedText.append("---------- Forwarded message ----------\n").append(summary).append("\n\n")
                            .append(body);
                }
            } catch (MessagingException | IOException | RuntimeException e) {
                problems.add("an attached message could not be read: " + describe(e));
            }
            if (summary != null) {
                forwarded.add(summary);
            }
            attachments.add(new MailAttachment(safeName(name == null ? "message.eml" : name), "message/rfc822",
                    null, false, part::getInputStream));
        }

        private void body(Part part, String base, Charset charset, String filename)
                throws MessagingException, IOException {
            byte[] bytes = MimeParts.bytes(part, MAX_TEXT_BYTES + 1);
            if (bytes.length > MAX_TEXT_BYTES) {
                problems.add("a " + base + " body is larger than " + MAX_TEXT_BYTES / (1024 * 1024) + " MB and was"
                        + " cut; the whole part is attached");
                file(part, base, filename == null ? (base.equals("text/html") ? "body.html" : "body.txt") : filename,
                        "attachment", false);
                bytes = Arrays.copyOf(bytes, MAX_TEXT_BYTES);
            }
            String decoded = MailCharsets.decode(bytes, charset);
            StringBuilder target = base.equals("text/html") ? html : text;
            if (target.length() > 0) {
                target.append(base.equals("text/html") ? "\n" : "\n\n");
            }
            target.append(decoded);
        }

        private void file(Part part, String base, String filename, String disposition, boolean inRelated) {
            String contentId = MimeParts.contentId(part);
            boolean inline = contentId != null && (inRelated || "inline".equals(disposition))
                    || inRelated && base.startsWith("image/");
            String name = filename != null ? filename : defaultName(base, contentId);
            attachments.add(new MailAttachment(safeName(name), base, contentId, inline, part::getInputStream));
        }
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

    private static String safeName(String name) {
        String clean = name.replaceAll("[\\p{Cntrl}/\\\\]", "_").strip();
        return clean.isEmpty() ? "attachment" : clean.length() > 200 ? clean.substring(0, 200) : clean;
    }

    /** The charset the body declares, as a hint for raw 8-bit headers. */
    private static Charset bodyCharset(Part message) {
        try {
            ContentType type = MimeParts.contentType(message, "text/plain");
            Charset direct = MailCharsets.resolve(type.getParameter("charset"));
            if (direct != null || !MimeParts.baseType(type).startsWith("multipart/")) {
                return direct;
            }
            MimeMultipart multipart = new MimeMultipart(new MimePartDataSource((MimePart) message));
            for (int i = 0; i < Math.min(multipart.getCount(), 5); i++) {
                Charset nested = bodyCharset(multipart.getBodyPart(i));
                if (nested != null) {
                    return nested;
                }
            }
        } catch (MessagingException | RuntimeException e) {
            return null;
        }
        return null;
    }

    static List<MailAddress> addresses(Part message, String header, Charset hint, Walk walk) {
        String raw;
        try {
            raw = ((MimePart) message).getHeader(header, ",");
        } catch (MessagingException e) {
            return List.of();
        }
        if (raw == null || raw.isBlank()) {
            return List.of();
        }
        String value = HeaderText.redecode8bit(MimeUtility.unfold(raw), hint);
        List<MailAddress> out = new ArrayList<>();
        try {
            for (Address address : InternetAddress.parseHeader(value, false)) {
                if (address instanceof InternetAddress internet && internet.getAddress() != null
                        && internet.getAddress().contains("@")) {
                    String name = internet.getPersonal();
                    if (name != null && name.contains("=?")) {
                        name = HeaderText.decodeWords(name);
                    }
                    out.add(new MailAddress(internet.getAddress(), name));
                }
            }
        } catch (AddressException e) {
            Matcher bare = BARE_ADDRESS.matcher(value);
            while (bare.find()) {
                out.add(new MailAddress(bare.group(), null));
            }
            if (out.isEmpty() && walk != null) {
                walk.problems.add("the " + header + " header could not be read");
            }
        }
        return out;
    }

    private static List<MailAddress> envelopeTo(Part message, Charset hint, Walk walk) {
        List<MailAddress> out = new ArrayList<>();
        for (String header : new String[] {"Delivered-To", "X-Original-To", "Envelope-To", "X-Forwarded-To",
                "X-Envelope-To"}) {
            for (MailAddress address : addresses(message, header, hint, null)) {
                if (!out.contains(address)) {
                    out.add(address);
                }
            }
        }
        return out;
    }

    private static Instant date(MimeMessage message) {
        try {
            Date sent = message.getSentDate();
            return sent == null ? null : sent.toInstant();
        } catch (MessagingException | RuntimeException e) {
            return null;
        }
    }

    private static boolean authFailed(Part message) {
        try {
            String[] results = message.getHeader("Authentication-Results");
            if (results != null) {
                for (String result : results) {
                    if (DMARC_FAIL.matcher(MimeUtility.unfold(result)).find()) {
                        return true;
                    }
                }
            }
        } catch (MessagingException e) {
            return false;
        }
        return false;
    }

    private static MailAddress first(List<MailAddress> addresses) {
        return addresses.isEmpty() ? null : addresses.getFirst();
    }

    static String describe(Throwable e) {
        String message = e.getMessage();
        return (message == null || message.isBlank() ? e.getClass().getSimpleName() : message).replaceAll("\\s+", " ");
    }

    private static Properties parsingProperties() {
        Properties properties = new Properties();
        properties.put("mail.mime.address.strict", "false");
        properties.put("mail.mime.allowutf8", "false");
        return properties;
    }
}
