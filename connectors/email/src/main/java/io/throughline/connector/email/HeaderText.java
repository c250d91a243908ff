package io.throughline.connector.email;

import jakarta.mail.internet.MimeUtility;
import java.io.ByteArrayOutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decodes header text as mail clients really write it, where Jakarta Mail's strict decoder gives up:
 * <ul>
 *   <li>raw 8-bit bytes with no RFC 2047 encoding, which Jakarta Mail reads as Latin-1: re-decoded as UTF-8 when
 *       valid (RFC 6532), else in the body's charset or a detected Cyrillic one;</li>
 *   <li>RFC 2047 encoded-words inside words, with bad padding, or with a multi-byte character split across two
 *       adjacent words (joined before decoding, as RFC 2047 section 6.2 intends);</li>
 *   <li>charset names Java does not know under that spelling.</li>
 * </ul>
 */
final class HeaderText {

    private static final Pattern ENCODED_WORD = Pattern.compile("=\\?([^?\\s]+)\\?([bBqQ])\\?([^?\\s]*)\\?=");

    private HeaderText() {
    }

    /**
     * The display text of a raw (folded, possibly 8-bit, possibly encoded) header value.
     *
     * @param raw the value as Jakarta Mail read it (bytes as Latin-1 characters), or null
     * @param hint the charset of the message body, used for raw 8-bit bytes that are not UTF-8; may be null
     */
    static String decode(String raw, Charset hint) {
        if (raw == null) {
            return null;
        }
        return decodeWords(redecode8bit(MimeUtility.unfold(raw), hint)).strip();
    }

    /** Raw 8-bit header bytes, which arrive as Latin-1 characters, decoded in their real charset. */
    static String redecode8bit(String value, Charset hint) {
        boolean eightBit = false;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c > 0xFF) {
                return value;
            }
            if (c >= 0x80) {
                eightBit = true;
            }
        }
        if (!eightBit) {
            return value;
        }
        byte[] bytes = value.getBytes(StandardCharsets.ISO_8859_1);
        String utf8 = MailCharsets.strict(bytes, StandardCharsets.UTF_8);
        if (utf8 != null) {
            return utf8;
        }
        if (hint != null && !hint.name().startsWith("UTF-") && !hint.equals(StandardCharsets.US_ASCII)) {
            // Latin-1 read as windows-1252, as in bodies (MailCharsets.decode).
            return new String(bytes, MailCharsets.isLatin1(hint) ? MailCharsets.guessLabelledLatin1(bytes) : hint);
        }
        return new String(bytes, MailCharsets.guessSingleByte(bytes));
    }

    /** Decodes every encoded-word, joining adjacent ones of the same charset before turning bytes into text. */
    static String decodeWords(String value) {
        if (!value.contains("=?")) {
            return value;
        }
        StringBuilder out = new StringBuilder();
        Matcher m = ENCODED_WORD.matcher(value);
        int last = 0;
        String pendingCharset = null;
        ByteArrayOutputStream pending = new ByteArrayOutputStream();
        while (m.find()) {
            String between = value.substring(last, m.start());
            String charset = m.group(1);
            byte[] bytes = "B".equalsIgnoreCase(m.group(2)) ? base64(m.group(3)) : quotedPrintable(m.group(3));
            // Whitespace between two encoded-words is not part of the text (RFC 2047 section 6.2).
            boolean joinable = pendingCharset != null && between.isBlank();
            if (bytes != null && joinable && charset.equalsIgnoreCase(pendingCharset)) {
                pending.writeBytes(bytes);
            } else {
                if (pendingCharset != null) {
                    out.append(text(pending.toByteArray(), pendingCharset));
                    pending.reset();
                    pendingCharset = null;
                }
                if (!joinable || bytes == null) {
                    out.append(between);
                }
                if (bytes == null) {
                    out.append(m.group());
                } else {
                    pending.writeBytes(bytes);
                    pendingCharset = charset;
                }
            }
            last = m.end();
        }
        if (pendingCharset != null) {
            out.append(text(pending.toByteArray(), pendingCharset));
        }
        out.append(value.substring(last));
        return out.toString();
    }

    private static String text(byte[] bytes, String mimeCharset) {
        return MailCharsets.decode(bytes, MailCharsets.resolve(mimeCharset));
    }

    private static byte[] base64(String text) {
        String clean = text.replaceAll("[^A-Za-z0-9+/]", "");
        int rest = clean.length() % 4;
        if (rest == 1) {
            clean = clean.substring(0, clean.length() - 1);
        } else if (rest > 1) {
            clean = clean + "=".repeat(4 - rest);
        }
        try {
            return Base64.getDecoder().decode(clean);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static byte[] quotedPrintable(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '_') {
                out.write(' ');
            } else if (c == '=' && isHex(text, i + 1) && isHex(text, i + 2)) {
                out.write(Integer.parseInt(text.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.write(c > 0xFF ? '?' : c);
            }
        }
        return out.toByteArray();
    }

    private static boolean isHex(String text, int index) {
        return index < text.length() && Character.digit(text.charAt(index), 16) >= 0;
    }
}
