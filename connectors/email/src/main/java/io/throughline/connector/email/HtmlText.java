package io.throughline.connector.email;

import java.util.Locale;
import java.util.Set;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.select.NodeTraversor;
import org.jsoup.select.NodeVisitor;

/**
 * The plain text of an HTML mail, for HTML-only messages: what the reader sees, with line breaks where blocks and
 * {@code <br>} break lines, list items marked, links followed by their address, and quoted blocks prefixed with
 * "&gt; " as a text client would show them. Scripts, styles and the head are dropped.
 */
final class HtmlText {

    private static final Set<String> BLOCKS = Set.of("p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
            "ul", "ol", "pre", "address", "section", "article", "header", "footer", "hr", "dl", "dt", "dd");
    private static final Set<String> SKIPPED = Set.of("script", "style", "head", "title", "noscript", "template");
    /**
     * Quote levels shown as "&gt; " at most: a hostile mail nesting thousands of blockquotes around thousands of
     * lines would otherwise ask for billions of characters (lines times depth) and stall its mailbox.
     */
    static final int MAX_QUOTE_MARKS = 10;
    /** The text stops here: no more than a mail's whole text may hold. */
    static final int MAX_CHARS = MimeWalk.MAX_TOTAL_TEXT_CHARS;

    private HtmlText() {
    }

    static String toText(String html) {
        if (html == null || html.isBlank()) {
            return "";
        }
        Element body = Jsoup.parse(html).body();
        Renderer renderer = new Renderer();
        NodeTraversor.traverse(renderer, body);
        return renderer.text();
    }

    private static final class Renderer implements NodeVisitor {
        private final StringBuilder out = new StringBuilder();
        private int quoteDepth;
        private int skipping;
        private boolean atLineStart = true;

        @Override
        public void head(Node node, int depth) {
            if (node instanceof Element element) {
                String tag = element.normalName();
                if (SKIPPED.contains(tag)) {
                    skipping++;
                } else if (tag.equals("br")) {
                    newline();
                } else if (tag.equals("blockquote")) {
                    blankLine();
                    quoteDepth++;
                } else if (tag.equals("li")) {
                    newline();
                    write("- ");
                } else if (BLOCKS.contains(tag)) {
                    newline();
                } else if (tag.equals("td") || tag.equals("th")) {
                    if (!atLineStart) {
                        write(" ");
                    }
                }
            } else if (node instanceof TextNode text && skipping == 0) {
                String value = text.text();
                if (text.parent() instanceof Element parent && parent.normalName().equals("pre")) {
                    value = text.getWholeText();
                    for (String line : value.split("\n", -1)) {
                        write(line);
                        newline();
                    }
                    return;
                }
                value = value.replaceAll("\\s+", " ");
                if (atLineStart) {
                    value = value.stripLeading();
                }
                write(value);
            }
        }

        @Override
        public void tail(Node node, int depth) {
            if (node instanceof Element element) {
                String tag = element.normalName();
                if (SKIPPED.contains(tag)) {
                    skipping--;
                } else if (tag.equals("blockquote")) {
                    quoteDepth--;
                    blankLine();
                } else if (tag.equals("a") && skipping == 0) {
                    String href = element.attr("href");
                    String shown = element.text().strip();
                    if (href.toLowerCase(Locale.ROOT).startsWith("http") && !href.equals(shown)
                            && !shown.isEmpty() && !href.equals("http://" + shown)
                            && !href.equals("https://" + shown)) {
                        write(" <" + href + ">");
                    }
                } else if (tag.equals("p") || tag.startsWith("h") && tag.length() == 2) {
                    blankLine();
                } else if (BLOCKS.contains(tag)) {
                    newline();
                }
            }
        }

        private void write(String text) {
            if (text.isEmpty() || out.length() >= MAX_CHARS) {
                return;
            }
            if (atLineStart && quoteDepth > 0) {
                out.append("> ".repeat(Math.min(quoteDepth, MAX_QUOTE_MARKS)));
            }
            int room = Math.max(0, MAX_CHARS - out.length());
            out.append(text, 0, Math.min(text.length(), room));
            atLineStart = false;
        }

        private void newline() {
            if (!atLineStart) {
                trimTrailingSpace();
                out.append('\n');
                atLineStart = true;
            }
        }

        private void blankLine() {
            newline();
            int length = out.length();
            if (length > 0 && !(length > 1 && out.charAt(length - 1) == '\n' && out.charAt(length - 2) == '\n')) {
                out.append('\n');
            }
        }

        private void trimTrailingSpace() {
            int end = out.length();
            while (end > 0 && out.charAt(end - 1) == ' ') {
                end--;
            }
            out.setLength(end);
        }

        String text() {
            // Quote marks and line ends may pass the limit by a few characters: cut there.
            out.setLength(Math.min(out.length(), MAX_CHARS));
            return out.toString().replaceAll("\n{3,}", "\n\n").replace('\u00a0', ' ').strip();
        }
    }
}
