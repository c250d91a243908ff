package io.throughline.telegram;

import java.util.ArrayList;
import java.util.List;

/**
 * Agent text for Telegram's HTML parse mode. The text is escaped, so whatever an agent types (a {@code <b>}, a
 * stray {@code &}) shows as typed and can never break the message or inject markup; and long replies are split
 * to fit Telegram's limit of 4096 characters per message (counted after entities are parsed, so on the plain
 * text: https://core.telegram.org/bots/api#sendmessage).
 */
final class TelegramHtml {

    static final int MAX_MESSAGE = 4096;

    private TelegramHtml() {
    }

    /** Escapes the three characters the parse mode gives meaning to, plus the quote for attribute safety. */
    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    /**
     * Plain-text chunks of at most {@code max} characters, cut at a paragraph, then a line, then a space, and
     * never inside a surrogate pair.
     */
    static List<String> split(String text, int max) {
        List<String> parts = new ArrayList<>();
        String rest = text.strip();
        while (rest.length() > max) {
            int cut = lastBreak(rest, max);
            parts.add(rest.substring(0, cut).stripTrailing());
            rest = rest.substring(cut).stripLeading();
        }
        if (!rest.isEmpty()) {
            parts.add(rest);
        }
        return parts;
    }

    private static int lastBreak(String text, int max) {
        int paragraph = text.lastIndexOf("\n\n", max);
        if (paragraph > max / 2) {
            return paragraph;
        }
        int line = text.lastIndexOf('\n', max);
        if (line > max / 2) {
            return line;
        }
        int space = text.lastIndexOf(' ', max);
        if (space > max / 2) {
            return space;
        }
        return Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max;
    }
}
