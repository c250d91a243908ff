package io.throughline.testing;

import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Telegram's HTML parse mode as the Bot API enforces it (https://core.telegram.org/bots/api#html-style): only the
 * supported tags, and {@code &} only as an entity ({@code &lt; &gt; &amp; &quot;} or numeric). Anything else is
 * the 400 "can't parse entities" a real bot gets. Returns the text the customer sees.
 */
final class TelegramHtmlCheck {

    private static final Set<String> TAGS = Set.of("b", "strong", "i", "em", "u", "ins", "s", "strike", "del",
            "a", "code", "pre", "tg-spoiler", "span", "blockquote", "tg-emoji");
    private static final Pattern TAG = Pattern.compile("</?([a-z-]+)(\\s[^>]*)?>");
    private static final Pattern ENTITY = Pattern.compile("&(lt|gt|amp|quot|#\\d{1,7}|#x[0-9a-fA-F]{1,6});");

    private TelegramHtmlCheck() {
    }

    static String visible(String html) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < html.length()) {
            char c = html.charAt(i);
            if (c == '<') {
                Matcher tag = TAG.matcher(html).region(i, html.length());
                if (!tag.lookingAt() || !TAGS.contains(tag.group(1))) {
                    throw new IllegalArgumentException("Unsupported start tag at byte offset " + i);
                }
                i = tag.end();
            } else if (c == '&') {
                Matcher entity = ENTITY.matcher(html).region(i, html.length());
                if (!entity.lookingAt()) {
                    throw new IllegalArgumentException("Character entity expected at byte offset " + i);
                }
                out.append(decode(entity.group(1)));
                i = entity.end();
            } else if (c == '>') {
                throw new IllegalArgumentException("Unexpected end tag at byte offset " + i);
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static String decode(String name) {
        return switch (name) {
            case "lt" -> "<";
            case "gt" -> ">";
            case "amp" -> "&";
            case "quot" -> "\"";
            default -> new String(Character.toChars(name.startsWith("#x") ? Integer.parseInt(name.substring(2), 16)
                    : Integer.parseInt(name.substring(1))));
        };
    }
}
