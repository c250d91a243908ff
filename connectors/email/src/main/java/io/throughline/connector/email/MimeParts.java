package io.throughline.connector.email;

import jakarta.mail.MessagingException;
import jakarta.mail.Part;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimePart;
import jakarta.mail.internet.MimeUtility;
import jakarta.mail.internet.ParameterList;
import jakarta.mail.internet.ParseException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the headers of one MIME part the tolerant way: mail in the wild breaks every strict parser. */
final class MimeParts {

    /** A file name parameter of Content-Disposition, in any form ({@code filename=}, {@code filename*0=}). */
    private static final Pattern FILENAME_PARAMETER = Pattern.compile("(?i)filename(\\*\\d*\\*?)?\\s*=");
    /** RFC 2231's encoded file name ({@code filename*=UTF-8''...}, {@code filename*0*=}), which Jakarta decodes. */
    private static final Pattern ENCODED_FILENAME = Pattern.compile("(?i)filename\\*(\\d+\\*)?\\s*=");
    /** The same for Content-Type's {@code name}. */
    private static final Pattern ENCODED_NAME = Pattern.compile("(?i)(?<![a-z])name\\*(\\d+\\*)?\\s*=");

    /** The transfer encodings Jakarta Mail decodes. */
    private static final Set<String> DECODED = Set.of("base64", "quoted-printable", "7bit", "8bit", "binary",
            "uuencode", "x-uuencode", "x-uue");
    /** Of those, the ones that leave the bytes as they are. */
    private static final Set<String> IDENTITY = Set.of("7bit", "8bit", "binary");

    private static final Pattern TYPE = Pattern.compile("^\\s*([\\w.+-]+)\\s*/\\s*([\\w.+-]+)");
    /**
     * A quoted value is read by possessive loops, which Java runs without a stack frame per repetition: a long
     * parameter (a 2,000-character {@code x="..."}) overflowed the stack with an alternation in a greedy loop.
     */
    private static final Pattern PARAM = Pattern.compile(
            ";\\s*([\\w*.-]+)\\s*=\\s*(\"([^\"\\\\]*+(?:\\\\.[^\"\\\\]*+)*+)\"|[^;\\s]*)");

    private MimeParts() {
    }

    /** The part's Content-Type; {@code fallback} when it has none, and a best-effort reading of a broken one. */
    static ContentType contentType(Part part, String fallback) {
        String raw = first(part, "Content-Type");
        if (raw == null || raw.isBlank()) {
            return parse(fallback);
        }
        String value = HeaderText.redecode8bit(MimeUtility.unfold(raw), null);
        try {
            return new ContentType(value);
        } catch (ParseException e) {
            return lenient(value, fallback);
        }
    }

    /** "text/plain" from a Content-Type, lowercased. */
    static String baseType(ContentType type) {
        return type.getBaseType().toLowerCase(Locale.ROOT);
    }

    /** {@code attachment}, {@code inline} or null, read leniently. */
    static String disposition(Part part) {
        String raw = first(part, "Content-Disposition");
        if (raw == null) {
            return null;
        }
        String value = raw.strip();
        int semicolon = value.indexOf(';');
        String token = (semicolon < 0 ? value : value.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT);
        return token.isEmpty() ? null : token;
    }

    /** The decoded file name from Content-Disposition or Content-Type (RFC 2231, RFC 2047 and raw 8-bit), or null. */
    static String filename(Part part, ContentType type, Charset hint) {
        String name = null;
        try {
            name = part.getFileName();
        } catch (MessagingException | RuntimeException e) {
            name = null;
        }
        if (name == null) {
            String raw = first(part, "Content-Disposition");
            if (raw != null) {
                name = lenient("x/x" + raw.substring(Math.max(0, raw.indexOf(';'))), "x/x").getParameter("filename");
            }
        }
        if (name == null) {
            name = type.getParameter("name");
        }
        if (name == null || name.isBlank()) {
            return null;
        }
        // An RFC 2231 encoded value (filename*=UTF-8''...) comes decoded already: read again as raw 8-bit bytes,
        // "Été.jpg" (its É and é within Latin-1's range) was guessed Cyrillic and became "Йтй.jpg". The parameter
        // the name came from decides (Content-Disposition's when it has one): another form of it may be raw bytes.
        String disposition = Objects.toString(first(part, "Content-Disposition"), "");
        boolean encoded = FILENAME_PARAMETER.matcher(disposition).find()
                ? ENCODED_FILENAME.matcher(disposition).find()
                : ENCODED_NAME.matcher(Objects.toString(first(part, "Content-Type"), "")).find();
        if (encoded) {
            return HeaderText.decodeWords(name).strip();
        }
        return HeaderText.decode(name, hint);
    }

    /** The Content-ID without angle brackets, or null. */
    static String contentId(Part part) {
        String raw = first(part, "Content-ID");
        if (raw == null) {
            return null;
        }
        String id = raw.strip();
        if (id.startsWith("<") && id.endsWith(">")) {
            id = id.substring(1, id.length() - 1);
        }
        return id.isBlank() ? null : id.strip();
    }

    /** The part's decoded bytes (transfer encoding removed), at most {@code limit} of them. */
    static byte[] bytes(Part part, int limit) throws IOException, MessagingException {
        try (InputStream in = decoded(part)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[16 * 1024];
            int read;
            while ((read = in.read(buffer)) != -1 && out.size() < limit) {
                out.write(buffer, 0, Math.min(read, limit - out.size()));
            }
            return out.toByteArray();
        }
    }

    /**
     * The part's content, decoded by its Content-Transfer-Encoding. A value no standard names (broken mailers write
     * {@code utf8}, {@code 8-bit}, {@code 7-bit}) is read as the identity it means: Jakarta Mail refuses it (unless
     * a JVM-wide property says otherwise), which ended the whole mail's walk there, its text and every later part
     * with it.
     */
    static InputStream decoded(Part part) throws IOException, MessagingException {
        String encoding = part instanceof MimePart mime ? mime.getEncoding() : null;
        if (encoding != null && !DECODED.contains(encoding.toLowerCase(Locale.ROOT))) {
            InputStream raw = raw(part);
            if (raw != null) {
                return raw;
            }
        }
        if (encodedMessage(part)) {
            // Jakarta Mail hands a message/* part's content back still encoded (unless a JVM-wide property says
            // otherwise): a forward a mailer wrote in base64 was read as a mail of headers only.
            InputStream raw = raw(part);
            if (raw != null) {
                return MimeUtility.decode(raw, ((MimePart) part).getEncoding().toLowerCase(Locale.ROOT));
            }
        }
        return part.getInputStream();
    }

    /**
     * Whether the part is a mail (or a mail's headers) in base64, quoted-printable or uuencode, which RFC 6532
     * allows for {@code message/global} and some mailers write for {@code message/rfc822} too.
     */
    static boolean encodedMessage(Part part) throws MessagingException {
        String encoding = part instanceof MimePart mime ? mime.getEncoding() : null;
        return encoding != null && DECODED.contains(encoding.toLowerCase(Locale.ROOT))
                && !IDENTITY.contains(encoding.toLowerCase(Locale.ROOT))
                && baseType(contentType(part, "text/plain")).startsWith("message/");
    }

    private static InputStream raw(Part part) throws MessagingException {
        if (part instanceof MimeBodyPart body) {
            return body.getRawInputStream();
        }
        if (part instanceof MimeMessage message) {
            return message.getRawInputStream();
        }
        return null;
    }

    static String first(Part part, String header) {
        try {
            String[] values = part.getHeader(header);
            return values == null || values.length == 0 ? null : values[0];
        } catch (MessagingException e) {
            return null;
        }
    }

    private static ContentType parse(String value) {
        try {
            return new ContentType(value);
        } catch (ParseException e) {
            throw new IllegalArgumentException(value, e);
        }
    }

    /** Reads "type/subtype; a=b; c="d"" with a regular expression, keeping what can be read. */
    private static ContentType lenient(String value, String fallback) {
        Matcher type = TYPE.matcher(value);
        ContentType base = parse(type.find() ? type.group(1) + "/" + type.group(2) : fallback);
        ParameterList params = new ParameterList();
        Matcher param = PARAM.matcher(value);
        while (param.find()) {
            String name = param.group(1).toLowerCase(Locale.ROOT);
            String text = param.group(3) != null ? param.group(3).replaceAll("\\\\(.)", "$1") : param.group(2);
            if (name.endsWith("*")) {
                name = name.substring(0, name.length() - 1);
                text = rfc2231(text);
            }
            if (params.get(name) == null) {
                params.set(name, text);
            }
        }
        return new ContentType(base.getPrimaryType(), base.getSubType(), params);
    }

    /** {@code charset'lang'%XX%XX} as RFC 2231 writes an extended parameter value. */
    private static String rfc2231(String value) {
        int first = value.indexOf('\'');
        int second = first < 0 ? -1 : value.indexOf('\'', first + 1);
        if (second < 0) {
            return value;
        }
        Charset charset = MailCharsets.resolve(value.substring(0, first));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        String encoded = value.substring(second + 1);
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if (c == '%' && i + 2 < encoded.length() && Character.digit(encoded.charAt(i + 1), 16) >= 0
                    && Character.digit(encoded.charAt(i + 2), 16) >= 0) {
                bytes.write(Integer.parseInt(encoded.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                bytes.write(c);
            }
        }
        return MailCharsets.decode(bytes.toByteArray(), charset);
    }
}
