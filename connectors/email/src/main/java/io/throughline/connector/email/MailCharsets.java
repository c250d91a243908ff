package io.throughline.connector.email;

import jakarta.mail.internet.MimeUtility;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.IllegalCharsetNameException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.UnsupportedCharsetException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns mail bytes into text when the declared charset is missing, unknown or wrong, as legacy Russian and
 * Ukrainian mail often is. Valid UTF-8 wins; otherwise a single-byte Cyrillic text is told from Western European by
 * how many of its letters are 8-bit, and windows-1251 from KOI8 by letter case (running text is mostly lowercase,
 * which is 0xE0-0xFF in windows-1251 but 0xC0-0xDF in KOI8); KOI8-U is KOI8-R plus the Ukrainian letters.
 */
final class MailCharsets {

    static final Charset WINDOWS_1251 = Charset.forName("windows-1251");
    static final Charset WINDOWS_1252 = Charset.forName("windows-1252");
    /** The 8-bit letters text labelled Latin-1 must hold before it may be read as Cyrillic. */
    static final int MIN_RELABELLED_LETTERS = 4;
    static final Charset KOI8_R = Charset.forName("KOI8-R");
    static final Charset KOI8_U = Charset.forName("KOI8-U");

    /** Names seen in the wild that Java does not know under that spelling. */
    private static final Map<String, String> ALIASES = Map.ofEntries(
            Map.entry("win-1251", "windows-1251"), Map.entry("cp-1251", "windows-1251"),
            Map.entry("x-cp1251", "windows-1251"), Map.entry("windows1251", "windows-1251"),
            Map.entry("win1251", "windows-1251"), Map.entry("koi8", "KOI8-R"), Map.entry("koi8r", "KOI8-R"),
            Map.entry("koi8u", "KOI8-U"), Map.entry("utf8", "UTF-8"), Map.entry("unicode-1-1-utf-8", "UTF-8"),
            Map.entry("x-unknown", ""), Map.entry("unknown-8bit", ""), Map.entry("x-user-defined", ""),
            Map.entry("ansi_x3.4-1968", "US-ASCII"), Map.entry("latin1", "ISO-8859-1"),
            Map.entry("iso8859-1", "ISO-8859-1"), Map.entry("iso-8859-8-i", "ISO-8859-8"));

    private MailCharsets() {
    }

    /** The Java charset for a MIME charset name, or null when it is missing or unknown. */
    static Charset resolve(String mimeName) {
        if (mimeName == null || mimeName.isBlank()) {
            return null;
        }
        String name = mimeName.strip().replace("\"", "");
        int star = name.indexOf('*');
        if (star > 0) {
            name = name.substring(0, star);
        }
        String alias = ALIASES.get(name.toLowerCase(Locale.ROOT));
        if (alias != null) {
            return alias.isEmpty() ? null : Charset.forName(alias);
        }
        try {
            return Charset.forName(MimeUtility.javaCharset(name));
        } catch (IllegalCharsetNameException | UnsupportedCharsetException e) {
            return null;
        }
    }

    private static final Pattern META_CHARSET = Pattern.compile(
            "<meta[^>]{0,200}?charset\\s*=\\s*[\"']?\\s*([A-Za-z0-9._:-]{1,40})", Pattern.CASE_INSENSITIVE);

    /**
     * The charset an HTML part declares in its own head ({@code <meta charset>}, or the http-equiv form), read from
     * its first kilobyte as ASCII; null when none is named or known. Mail with no MIME charset relies on it, as
     * Japanese, Chinese and Korean mail does: guessed as a single-byte charset, it came out garbled.
     */
    static Charset declaredInHtml(byte[] bytes) {
        String head = new String(bytes, 0, Math.min(bytes.length, 1024), StandardCharsets.ISO_8859_1);
        Matcher meta = META_CHARSET.matcher(head);
        Charset named = meta.find() ? resolve(meta.group(1)) : null;
        // A page that can say so in ASCII is not UTF-16 or UTF-32, whatever it says (Word writes "unicode"):
        // ignored, as browsers ignore it.
        return named == null || named.name().startsWith("UTF-16") || named.name().startsWith("UTF-32") ? null
                : named;
    }

    /**
     * Decodes bytes declared in {@code declared} (may be null). The declaration is trusted when the bytes are valid
     * in it, except that ASCII and UTF-8 declarations over bytes that are not valid UTF-8 are re-detected: that is
     * the unlabeled legacy mail this exists for.
     */
    static String decode(byte[] bytes, Charset declared) {
        if (isAscii(bytes)) {
            // 7-bit bytes are ASCII text, unless declared in a 7-bit encoding of other letters: ISO-2022-JP's escape
            // sequences (the ISO-2022 family decodes plain ASCII as itself). UTF-16 is trusted only where ASCII
            // would be control characters and UTF-16 is not (Cyrillic without a byte-order mark: "П" is 1F 04):
            // any even-length ASCII is valid UTF-16, and a mislabelled part of text would become CJK.
            String declaredText = null;
            if (declared != null && declared.name().toUpperCase(Locale.ROOT).contains("ISO-2022")) {
                declaredText = strict(bytes, declared);
            } else if (declared != null && declared.name().startsWith("UTF-")
                    && !declared.equals(StandardCharsets.UTF_8)
                    && hasControls(new String(bytes, StandardCharsets.US_ASCII))) {
                declaredText = strict(bytes, declared);
                declaredText = declaredText == null || hasControls(declaredText) ? null : declaredText;
            }
            return declaredText != null ? declaredText : new String(bytes, StandardCharsets.US_ASCII);
        }
        if (declared != null && !isUnicodeOrAscii(declared)) {
            // Misconfigured Russian clients label windows-1251 text as Latin-1; real Latin-1 text never has this
            // many 8-bit letters. Western text labelled Latin-1 is windows-1252's, as browsers and mail clients
            // read it: 0x80-0x9F are its curly quotes, dashes and euro sign, Latin-1's invisible controls.
            if (isLatin1(declared) && strict(bytes, StandardCharsets.UTF_8) == null) {
                return new String(bytes, guessLabelledLatin1(bytes));
            }
            return new String(bytes, declared);
        }
        String utf8 = strict(bytes, StandardCharsets.UTF_8);
        if (utf8 != null) {
            return utf8;
        }
        if (declared != null && declared.name().startsWith("UTF-") && !declared.equals(StandardCharsets.UTF_8)) {
            return new String(bytes, declared);
        }
        return new String(bytes, guessSingleByte(bytes));
    }

    /**
     * Text cut at a byte limit: a UTF-8 character the cut split is left out, rather than making the whole text
     * invalid UTF-8 and read as a single-byte charset (half the cuts of Cyrillic text fall inside a character).
     */
    static String decodeCut(byte[] bytes, Charset declared) {
        if (declared != null && !isUnicodeOrAscii(declared)) {
            return decode(bytes, declared); // a single-byte text's last letter may look like a UTF-8 lead byte
        }
        int lead = bytes.length - 1;
        int continuations = 0;
        while (lead >= 0 && continuations < 3 && (bytes[lead] & 0xC0) == 0x80) {
            lead--;
            continuations++;
        }
        int end = bytes.length;
        if (lead >= 0 && (bytes[lead] & 0xC0) == 0xC0) {
            int needed = (bytes[lead] & 0xE0) == 0xC0 ? 1 : (bytes[lead] & 0xF0) == 0xE0 ? 2 : 3;
            if (continuations < needed) {
                end = lead;
            }
        }
        if (end == bytes.length) {
            return decode(bytes, declared);
        }
        byte[] trimmed = Arrays.copyOf(bytes, end);
        // Trimmed only when that makes it UTF-8: undeclared text of another charset stays whole.
        return strict(trimmed, StandardCharsets.UTF_8) != null ? decode(trimmed, declared) : decode(bytes, declared);
    }

    /**
     * The charset of 8-bit text labelled Latin-1: windows-1252, unless it holds the 8-bit letters of Cyrillic text
     * (a misconfigured Russian client), at least {@link #MIN_RELABELLED_LETTERS} of them: a label is not overruled on
     * a short Western answer ("Sí.", "Não é."), which read as Cyrillic by its share of accented letters.
     */
    static Charset guessLabelledLatin1(byte[] bytes) {
        int high = 0;
        for (byte b : bytes) {
            if ((b & 0xFF) >= 0xC0) {
                high++;
            }
        }
        return high < MIN_RELABELLED_LETTERS ? WINDOWS_1252 : guessSingleByte(bytes);
    }

    /** The most likely single-byte charset of 8-bit text that is not UTF-8. */
    static Charset guessSingleByte(byte[] bytes) {
        int high = 0;
        int upperHalf = 0;
        int lowerHalf = 0;
        int letters = 0;
        boolean ukrainianKoi = false;
        for (byte b : bytes) {
            int c = b & 0xFF;
            if (Character.isLetter(c) && c < 0x80) {
                letters++;
            }
            if (c >= 0xC0) {
                high++;
                letters++;
                if (c >= 0xE0) {
                    upperHalf++;
                } else {
                    lowerHalf++;
                }
            } else if (c == 0xA4 || c == 0xA6 || c == 0xA7 || c == 0xAD || c == 0xB4 || c == 0xB6 || c == 0xB7
                    || c == 0xBD) {
                ukrainianKoi = true;
            }
        }
        // Western European text has an accented letter here and there; Cyrillic text is made of 8-bit letters.
        boolean cyrillic = letters > 0 && high * 10 >= letters * 3;
        if (!cyrillic) {
            return WINDOWS_1252;
        }
        if (upperHalf >= lowerHalf) {
            return WINDOWS_1251;
        }
        return ukrainianKoi ? KOI8_U : KOI8_R;
    }

    /** The text if the bytes are valid in the charset, else null. */
    static String strict(byte[] bytes, Charset charset) {
        try {
            return charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** Whether the text holds a control character that text does not (tabs, line and page breaks aside). */
    private static boolean hasControls(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || c == 0x7F) {
                return true;
            }
        }
        return false;
    }

    static boolean isAscii(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    static boolean isLatin1(Charset charset) {
        return charset.equals(StandardCharsets.ISO_8859_1) || charset.equals(WINDOWS_1252);
    }

    private static boolean isUnicodeOrAscii(Charset charset) {
        String name = charset.name();
        return name.startsWith("UTF-") || name.equals("US-ASCII");
    }
}
