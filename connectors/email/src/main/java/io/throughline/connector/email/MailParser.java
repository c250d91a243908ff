package io.throughline.connector.email;

import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.Part;
import jakarta.mail.Session;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.internet.MimePart;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
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

    private static final Pattern ANGLE_ID = Pattern.compile("<([^<>\\s]+)>");
    /** The characters of an id or address header read at most (a thousand addresses, thousands of ids). */
    static final int MAX_HEADER_CHARS = 64 * 1024;
    /**
     * An address in a header the parser refused, found from the start of a run of address characters only, and
     * within an address's lengths: tried from every character of a long run, each try reading to its end, a 64K
     * header took seconds (quadratic), once per header and attached mail.
     */
    static final Pattern BARE_ADDRESS = Pattern.compile(
            "(?<![A-Za-z0-9._%+'=-])[A-Za-z0-9._%+'=-]{1,64}@[A-Za-z0-9.-]{1,253}\\.[A-Za-z]{2,63}");
    private static final Instant EARLIEST_DATE = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LATEST_DATE = Instant.parse("9999-12-31T23:59:59Z");
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
        MimeWalk walk = new MimeWalk();
        Charset hint = bodyCharset(message);
        MailAddress from = first(addresses(message, "From", hint, walk));
        String rawSubject = MimeParts.first(message, "Subject");
        // Read for its first part only (a sender controls its length; Throughline keeps 998 characters of it).
        String subject = HeaderText.decode(rawSubject == null ? null : first(rawSubject), hint);
        try {
            walk.part(message, 0, false);
        } catch (MessagingException | IOException | RuntimeException e) {
            walk.problems.add("the body could not be read: " + describe(e));
            if (walk.text.isEmpty() && walk.html.isEmpty()) {
                walk.text.append(rawBody(message, hint));
            }
        }
        String body = walk.bodyText();
        walk.text.setLength(0);
        walk.text.append(body);
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
        List<String> references = ids(newest(MimeParts.first(message, "References")));
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
                bounce != null ? bounceAutomation(bounce)
                        : AutomatedMail.reason(message, subject, from, replyTo),
                bounce,
                authFailed(message),
                walk.forwarded,
                walk.problems);
    }

    /**
     * A delivery notice is a machine's answer: one saying a mail is on its way (delayed, relayed, delivered) must
     * neither reopen the conversation nor take the reply; a failure stored as a message (about mail sent outside
     * Throughline) still reopens it, so an agent sees that something did not arrive.
     */
    private static Automation bounceAutomation(BounceReport bounce) {
        return bounce.failed() ? Automation.other("delivery status notification")
                : Automation.autoReply("delivery status notification");
    }

    /** The body as it stands, for a mail whose structure cannot be read: better than nothing to an agent. */
    private static String rawBody(MimeMessage message, Charset hint) {
        try (InputStream in = message.getRawInputStream()) {
            byte[] bytes = in.readNBytes(64 * 1024 + 1);
            return bytes.length > 64 * 1024 ? MailCharsets.decodeCut(Arrays.copyOf(bytes, 64 * 1024), hint)
                    : MailCharsets.decode(bytes, hint);
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

    /**
     * Every {@code <id>} in a header, in order, without brackets, unfolded first (References may be folded). Only
     * the header's first {@value #MAX_HEADER_CHARS} characters are read: a sender controls its length, and nothing
     * else bounds the work.
     */
    static List<String> ids(String raw) {
        if (raw == null) {
            return new ArrayList<>();
        }
        Set<String> out = new LinkedHashSet<>();
        Matcher m = ANGLE_ID.matcher(MimeUtility.unfold(first(raw)));
        while (m.find()) {
            String id = m.group(1);
            if (id.length() <= 250) {
                out.add(id);
            }
        }
        return new ArrayList<>(out);
    }

    /** A header's first {@value #MAX_HEADER_CHARS} characters (an id cut in two lacks its bracket: left out). */
    private static String first(String raw) {
        return raw.length() <= MAX_HEADER_CHARS ? raw : raw.substring(0, MAX_HEADER_CHARS);
    }

    /** The addresses in a header's first {@value #MAX_HEADER_CHARS} characters, up to the last comma: none cut. */
    private static String firstAddresses(String raw) {
        if (raw.length() <= MAX_HEADER_CHARS) {
            return raw;
        }
        int comma = raw.lastIndexOf(',', MAX_HEADER_CHARS);
        return comma > 0 ? raw.substring(0, comma) : "";
    }

    /** References, newest last: its last {@value #MAX_HEADER_CHARS} characters, where the thread's newest ids are. */
    private static String newest(String raw) {
        return raw == null || raw.length() <= MAX_HEADER_CHARS ? raw : raw.substring(raw.length() - MAX_HEADER_CHARS);
    }

    /** Parts the search for a body's charset makes at most: it reads the first five of each level. */
    private static final int CHARSET_SEARCH_PARTS = 64;

    /**
     * The charset the body declares, as a hint for raw 8-bit headers; looked for at most 8 multiparts deep (a
     * hostile nesting ends there) and {@value #CHARSET_SEARCH_PARTS} parts in all.
     */
    static Charset bodyCharset(Part message) {
        return bodyCharset(message, 0, new BoundedMultipart.Budget(CHARSET_SEARCH_PARTS));
    }

    private static Charset bodyCharset(Part message, int depth, BoundedMultipart.Budget budget) {
        try {
            ContentType type = MimeParts.contentType(message, "text/plain");
            Charset direct = MailCharsets.resolve(type.getParameter("charset"));
            if (direct != null || !MimeParts.baseType(type).startsWith("multipart/")) {
                return direct;
            }
            MimeMultipart multipart = new BoundedMultipart((MimePart) message, budget);
            for (int i = 0; i < Math.min(multipart.getCount(), 5); i++) {
                Charset nested = depth >= 8 ? null : bodyCharset(multipart.getBodyPart(i), depth + 1, budget);
                if (nested != null) {
                    return nested;
                }
            }
        } catch (MessagingException | RuntimeException e) {
            return null;
        }
        return null;
    }

    /** The address's phrase decoded with its encoded words' bytes joined, or {@code decoded} when that fails too. */
    private static String joinedWords(InternetAddress internet, String decoded) {
        String written = internet.toString();
        int at = written.lastIndexOf('<');
        String phrase = at > 0 ? written.substring(0, at).strip() : "";
        if (phrase.length() >= 2 && phrase.startsWith("\"") && phrase.endsWith("\"")) {
            // Quoted when printed (a dot, a comma, 8-bit text): the quotes and escapes are not the name's.
            phrase = phrase.substring(1, phrase.length() - 1).replaceAll("\\\\(.)", "$1");
        }
        if (!phrase.contains("=?")) {
            return decoded;
        }
        String joined = HeaderText.decodeWords(phrase);
        return joined.indexOf('\uFFFD') >= 0 ? decoded : joined;
    }

    static List<MailAddress> addresses(Part message, String header, Charset hint, MimeWalk walk) {
        String raw;
        try {
            raw = ((MimePart) message).getHeader(header, ",");
        } catch (MessagingException e) {
            return List.of();
        }
        if (raw == null || raw.isBlank()) {
            return List.of();
        }
        String value = HeaderText.redecode8bit(MimeUtility.unfold(firstAddresses(raw)), hint);
        List<MailAddress> out = new ArrayList<>();
        try {
            for (Address address : InternetAddress.parseHeader(value, false)) {
                if (address instanceof InternetAddress internet && internet.getAddress() != null
                        && internet.getAddress().contains("@")) {
                    String name = internet.getPersonal();
                    if (name != null && name.contains("=?")) {
                        name = HeaderText.decodeWords(name);
                    } else if (name != null && name.indexOf('\uFFFD') >= 0) {
                        // Jakarta decodes each encoded word alone: a character split across two (as Outlook splits
                        // long names) came out as U+FFFD. The words as written are decoded again, joined.
                        name = joinedWords(internet, name);
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

    private static List<MailAddress> envelopeTo(Part message, Charset hint, MimeWalk walk) {
        Set<MailAddress> out = new LinkedHashSet<>();
        for (String header : new String[] {"Delivered-To", "X-Original-To", "Envelope-To", "X-Forwarded-To",
                "X-Envelope-To"}) {
            out.addAll(addresses(message, header, hint, null));
        }
        return new ArrayList<>(out);
    }

    /**
     * When the mail says it was sent; null when it cannot say, or names a year outside 1 to 9999 (the parser takes
     * years of eight digits, which PostgreSQL cannot store: the mail would be kept only as unreadable).
     */
    private static Instant date(MimeMessage message) {
        try {
            Date sent = message.getSentDate();
            Instant instant = sent == null ? null : sent.toInstant();
            return instant == null || instant.isBefore(EARLIEST_DATE) || instant.isAfter(LATEST_DATE) ? null
                    : instant;
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

    static MailAddress first(List<MailAddress> addresses) {
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
