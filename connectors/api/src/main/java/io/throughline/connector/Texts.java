package io.throughline.connector;

import java.util.regex.Pattern;

/** Small text rules every channel shares: cutting without splitting a character, names on one line. */
public final class Texts {

    private static final Pattern CONTROL = Pattern.compile("[\\p{Cntrl}\\u2028\\u2029]+");

    private Texts() {
    }

    /** The text's first {@code max} chars, one fewer when the cut would split a surrogate pair; null stays null. */
    public static String cut(String text, int max) {
        if (text == null || text.length() <= max) {
            return text;
        }
        return text.substring(0, max > 0 && Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max);
    }

    /**
     * A name on one line: each run of control characters (line breaks, tabs, bells) and line separators is one
     * space, and the ends are stripped. A name goes into mail headers and other lines; a break in it is a header
     * injection. Null stays null.
     */
    public static String oneLine(String text) {
        return text == null ? null : CONTROL.matcher(text).replaceAll(" ").strip();
    }
}
