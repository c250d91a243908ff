package io.throughline.ingest;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Finds where the customer's own words end in a plain-text message: before the quoted earlier mail ("On ... wrote:"
 * and its "&gt;" lines, Outlook's "From: / Sent:" block, "-----Original Message-----") and before the signature
 * ("-- ", "Sent from my iPhone"). The thread view shows the trimmed text; the full original stays stored and
 * viewable. A forwarded message is never trimmed: there the quoted part is the point.
 */
public final class QuoteTrimmer {

    private static final List<Pattern> ATTRIBUTION = List.of(
            Pattern.compile("^\\s*(On|Am|Le|El|Il|Op|Em|Dnia|W dniu)\\b.{4,300}"
                    + "(wrote|schrieb|a écrit|escribió|ha scritto|schreef|escreveu|napisał\\(a\\)|napisał|napisała"
                    + "|pisze)\\s*:\\s*$", Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE),
            // Unicode classes: since JDK 19 a bare \\b sees ASCII word characters only, and "Поддержка пишет:"
            // had no boundary before its verb.
            Pattern.compile("^.{4,300}\\b(пишет|написал\\(а\\)|написал|написала|пише|написав\\(ла\\)|написав"
                    + "|написала)\\s*:\\s*$", Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE
                    | Pattern.UNICODE_CHARACTER_CLASS),
            Pattern.compile("^\\s*-{2,}\\s*(Original Message|Ursprüngliche Nachricht|Message d'origine"
                    + "|Mensaje original|Исходное сообщение|Оригінальне повідомлення|Wiadomość oryginalna)\\s*-{2,}"
                    + "\\s*$", Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE));
    private static final Pattern OUTLOOK_RULE = Pattern.compile("^\\s*_{8,}\\s*$");
    private static final Pattern HEADER_FROM = Pattern.compile("^\\s*\\*?(From|Von|De|Od|От|Від)\\*?\\s*:\\s*.+",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    private static final Pattern HEADER_SENT = Pattern.compile("^\\s*\\*?(Sent|Date|Gesendet|Envoyé|Enviado"
            + "|Wysłano|Отправлено|Дата|Надіслано)\\*?\\s*:\\s*.+", Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    private static final Pattern FORWARD = Pattern.compile("^\\s*-{2,}\\s*(Forwarded message|Begin forwarded message"
            + "|Weitergeleitete Nachricht|Пересылаемое сообщение|Переслане повідомлення)", Pattern.CASE_INSENSITIVE
            | Pattern.UNICODE_CASE);
    private static final Pattern SIGNATURE_RULE = Pattern.compile("^--\\s?$");
    private static final Pattern MOBILE_SIGNATURE = Pattern.compile("^\\s*(Sent from my \\w+|Sent from (Mail|Outlook)"
            + " for \\w+|Get Outlook for \\w+|Отправлено с (iPhone|iPad|моего \\w+)|Надіслано з (iPhone|iPad))",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.UNICODE_CHARACTER_CLASS);

    private QuoteTrimmer() {
    }

    /** The text without the quoted history and signature, or null when there is nothing to trim. */
    public static String trim(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        String[] lines = text.replace("\r\n", "\n").split("\n", -1);
        boolean[] interleaved = interleavedFrom(lines);
        int cut = lines.length;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (FORWARD.matcher(line).find() && i < cut) {
                break;
            }
            if (startsQuote(lines, i, interleaved)) {
                cut = i;
                break;
            }
        }
        cut = Math.min(cut, trailingQuoteBlock(lines, cut));
        cut = Math.min(cut, signature(lines, cut));
        if (cut >= lines.length) {
            return null;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < cut; i++) {
            out.append(lines[i]).append('\n');
        }
        String trimmed = out.toString().strip();
        return trimmed.isEmpty() ? null : trimmed;
    }

    private static boolean startsQuote(String[] lines, int i, boolean[] interleaved) {
        String line = lines[i];
        for (Pattern attribution : ATTRIBUTION) {
            if (attribution.matcher(line).find()) {
                return !interleaved[i + 1];
            }
        }
        // Clients wrap a long attribution line: "On Mon, 12 Mar 2024 at 10:15, Acme Support <" / "x@y> wrote:".
        if (i + 1 < lines.length && !line.isBlank() && line.length() < 200) {
            String joined = line.stripTrailing() + " " + lines[i + 1].strip();
            if (ATTRIBUTION.getFirst().matcher(joined).find() || ATTRIBUTION.get(1).matcher(joined).find()) {
                return !interleaved[i + 2];
            }
        }
        if (OUTLOOK_RULE.matcher(line).matches()) {
            for (int j = i + 1; j < Math.min(lines.length, i + 3); j++) {
                if (HEADER_FROM.matcher(lines[j]).matches()) {
                    return true;
                }
            }
        }
        if (HEADER_FROM.matcher(line).matches()) {
            for (int j = i + 1; j < Math.min(lines.length, i + 4); j++) {
                if (HEADER_SENT.matcher(lines[j]).matches()) {
                    return i > 0;
                }
            }
        }
        return false;
    }

    /** The start of the "&gt;" lines that run to the end of the text (blank lines allowed), or {@code end}. */
    private static int trailingQuoteBlock(String[] lines, int end) {
        int start = end;
        boolean quoted = false;
        for (int i = end - 1; i >= 0; i--) {
            String line = lines[i].strip();
            if (line.startsWith(">")) {
                start = i;
                quoted = true;
            } else if (line.isEmpty()) {
                continue;
            } else {
                break;
            }
        }
        if (!quoted) {
            return end;
        }
        // The attribution before the quote, in whatever words the client used ('16.04.2024, "Acme" <a@b>:').
        int attribution = start - 1;
        while (attribution >= 0 && lines[attribution].isBlank()) {
            attribution--;
        }
        if (attribution >= 0 && lines[attribution].strip().endsWith(":") && lines[attribution].length() < 300
                && hasContentBefore(lines, attribution)) {
            start = attribution;
        }
        return hasContentBefore(lines, start) ? start : end;
    }

    /** The start of the signature in the last lines before {@code end}, or {@code end}. */
    private static int signature(String[] lines, int end) {
        for (int i = end - 1; i >= 0 && i >= end - 15; i--) {
            if (SIGNATURE_RULE.matcher(lines[i]).matches() && hasContentBefore(lines, i)) {
                return i;
            }
        }
        for (int i = end - 1; i >= 0 && i >= end - 4; i--) {
            if (MOBILE_SIGNATURE.matcher(lines[i]).find() && hasContentBefore(lines, i)) {
                return i;
            }
        }
        return end;
    }

    /**
     * For each line {@code from} (and the end), whether a reply is written between the quoted lines after it:
     * cutting at an attribution there would drop the customer's answers. Read from the end in one pass: a text of
     * thousands of attribution-like lines cost a scan to the end for each.
     *
     * <p>Forward, the rule is: a signature rule ends the search (a signature under the quote is bottom posting,
     * not an answer); a "&gt;" line starts the quote; after it, any other line with words (not a mobile signature)
     * is an answer.
     */
    private static boolean[] interleavedFrom(String[] lines) {
        boolean[] fromHere = new boolean[lines.length + 1];
        boolean afterQuote = false;
        for (int i = lines.length - 1; i >= 0; i--) {
            String line = lines[i].strip();
            if (SIGNATURE_RULE.matcher(lines[i]).matches()) {
                fromHere[i] = false;
                afterQuote = false;
            } else if (line.startsWith(">")) {
                fromHere[i] = afterQuote;
            } else {
                fromHere[i] = fromHere[i + 1];
                if (!line.isEmpty() && !MOBILE_SIGNATURE.matcher(line).find()) {
                    afterQuote = true;
                }
            }
        }
        return fromHere;
    }

    private static boolean hasContentBefore(String[] lines, int index) {
        for (int i = 0; i < index; i++) {
            if (!lines[i].isBlank()) {
                return true;
            }
        }
        return false;
    }
}
