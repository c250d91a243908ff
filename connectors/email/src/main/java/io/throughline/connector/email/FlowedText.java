package io.throughline.connector.email;

import java.util.ArrayList;
import java.util.List;

/**
 * Plain text sent {@code format=flowed} (RFC 3676, Thunderbird's and Apple Mail's default) read as its writer meant
 * it: a line ending in a space goes on in the next line of the same quote depth, so a paragraph wrapped at 72
 * characters for the wire is one paragraph again, rather than broken mid-sentence in the thread, the search and the
 * transcripts. A line the sender space-stuffed (it began with a space, {@code >} or {@code From }) loses that space;
 * with {@code DelSp=yes} (languages written without spaces) the space that marked the wrap goes too. The signature
 * separator {@code "-- "} never flows. Quoted lines keep their depth, written {@code "> "} per level.
 */
final class FlowedText {

    private static final String SIGNATURE_SEPARATOR = "-- ";

    private FlowedText() {
    }

    static String unflow(String text, boolean delSp) {
        String[] lines = text.split("\r\n|\n|\r", -1);
        List<String> unflowed = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
            int depth = depth(lines[i]);
            String content = lines[i].substring(depth);
            if (content.startsWith(" ")) {
                content = content.substring(1);
            }
            // A flowed line followed by one of another depth (or none) ends its paragraph all the same (RFC 3676
            // 4.5: improperly flowed).
            boolean flowed = content.endsWith(" ") && !content.equals(SIGNATURE_SEPARATOR)
                    && i + 1 < lines.length && depth(lines[i + 1]) == depth
                    && !lines[i + 1].substring(depth).equals(SIGNATURE_SEPARATOR);
            if (line.isEmpty() && depth > 0) {
                line.append(">".repeat(depth)).append(' ');
            }
            line.append(flowed && delSp ? content.substring(0, content.length() - 1) : content);
            if (!flowed) {
                // An empty quoted line is the quote marks alone.
                unflowed.add(line.length() == depth + 1 && depth > 0 ? line.substring(0, depth) : line.toString());
                line.setLength(0);
            }
        }
        return String.join("\n", unflowed);
    }

    private static int depth(String line) {
        int depth = 0;
        while (depth < line.length() && line.charAt(depth) == '>') {
            depth++;
        }
        return depth;
    }
}
