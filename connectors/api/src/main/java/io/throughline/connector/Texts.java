package io.throughline.connector;

/** Text cut to a length without splitting a character: half an emoji's surrogate pair is stored as "?". */
public final class Texts {

    private Texts() {
    }

    /** The text's first {@code max} chars, one fewer when the cut would split a surrogate pair; null stays null. */
    public static String cut(String text, int max) {
        if (text == null || text.length() <= max) {
            return text;
        }
        return text.substring(0, max > 0 && Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max);
    }
}
