package io.throughline.telegram;

import java.net.URI;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.telegram.telegrambots.meta.api.objects.MessageEntity;

/**
 * A customer's formatted Telegram text as HTML for agents: bold, italic, links whose address is hidden behind
 * other words ({@code text_link}), code, quotes. Entities count UTF-16 code units
 * (https://core.telegram.org/api/entities#entity-length), as Java strings do. The server sanitizes the result
 * before any browser sees it; here every character of the text is escaped and only known tags are written.
 */
final class EntityHtml {

    private EntityHtml() {
    }

    /** The HTML, or null when the text has no formatting worth keeping (the plain text says it all). */
    static String render(String text, List<MessageEntity> entities) {
        if (text == null || entities == null || entities.stream().noneMatch(EntityHtml::formats)) {
            return null;
        }
        List<MessageEntity> ordered = entities.stream().filter(EntityHtml::formats)
                .filter(e -> e.getOffset() >= 0 && e.getLength() > 0 && e.getOffset() + e.getLength() <= text.length())
                .sorted(Comparator.comparingInt(MessageEntity::getOffset)
                        .thenComparing(Comparator.comparingInt(MessageEntity::getLength).reversed()))
                .toList();
        StringBuilder out = new StringBuilder(text.length() + 64);
        Deque<MessageEntity> open = new ArrayDeque<>();
        int next = 0;
        for (int i = 0; i <= text.length(); i++) {
            while (!open.isEmpty() && end(open.peek()) == i) {
                out.append(close(open.pop()));
            }
            while (next < ordered.size() && ordered.get(next).getOffset() == i) {
                MessageEntity entity = ordered.get(next++);
                if (!open.isEmpty() && end(entity) > end(open.peek())) {
                    // Overlapping without nesting cannot be written as HTML: keep the plain text instead.
                    return null;
                }
                out.append(openTag(entity, text));
                open.push(entity);
            }
            if (i < text.length()) {
                char c = text.charAt(i);
                out.append(c == '\n' ? "<br>" : TelegramHtml.escape(String.valueOf(c)));
            }
        }
        return out.toString();
    }

    private static boolean formats(MessageEntity entity) {
        return switch (entity.getType()) {
            case "bold", "italic", "underline", "strikethrough", "code", "pre", "text_link", "url", "blockquote",
                 "expandable_blockquote" -> true;
            default -> false;
        };
    }

    private static int end(MessageEntity entity) {
        return entity.getOffset() + entity.getLength();
    }

    private static String openTag(MessageEntity entity, String text) {
        return switch (entity.getType()) {
            case "bold" -> "<b>";
            case "italic" -> "<i>";
            case "underline" -> "<u>";
            case "strikethrough" -> "<s>";
            case "code" -> "<code>";
            case "pre" -> "<pre>";
            case "blockquote", "expandable_blockquote" -> "<blockquote>";
            case "text_link" -> "<a href=\"" + TelegramHtml.escape(safeUrl(entity.getUrl())) + "\">";
            case "url" -> "<a href=\"" + TelegramHtml.escape(safeUrl(text.substring(entity.getOffset(),
                    end(entity)))) + "\">";
            default -> "";
        };
    }

    private static String close(MessageEntity entity) {
        return switch (entity.getType()) {
            case "bold" -> "</b>";
            case "italic" -> "</i>";
            case "underline" -> "</u>";
            case "strikethrough" -> "</s>";
            case "code" -> "</code>";
            case "pre" -> "</pre>";
            case "blockquote", "expandable_blockquote" -> "</blockquote>";
            case "text_link", "url" -> "</a>";
            default -> "";
        };
    }

    /** A host and port without a scheme ({@code shop.example:8443/x}, {@code 10.0.0.5:8080}), which URI reads as one. */
    private static final Pattern HOST_PORT = Pattern.compile("[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?:\\d{1,5}(?:[/?#].*)?",
            Pattern.DOTALL);

    /**
     * Only http(s) and tg links; a bare {@code example.com}, or a host with a port, becomes https. Anything else
     * links nowhere.
     */
    private static String safeUrl(String url) {
        if (url == null) {
            return "#";
        }
        String lower = url.strip().toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://") || lower.startsWith("tg://")) {
            return url.strip();
        }
        if (HOST_PORT.matcher(lower).matches()) {
            return "https://" + url.strip();
        }
        if (lower.contains(":")) {
            try {
                if (URI.create(lower).getScheme() != null) {
                    return "#";
                }
            } catch (IllegalArgumentException e) {
                return "#";
            }
        }
        return "https://" + url.strip();
    }
}
