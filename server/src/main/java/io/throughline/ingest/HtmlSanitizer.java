package io.throughline.ingest;

import java.util.Locale;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.safety.Cleaner;
import org.jsoup.safety.Safelist;

/**
 * Makes customer HTML safe to show agents, with jsoup's allow-list cleaner: no script, style, event handlers,
 * forms, iframes or javascript: URLs. Remote images are not loaded by default: their address moves to
 * {@code data-remote-src}, and the inbox offers to load them (tracking pixels stay silent). Inline {@code cid:}
 * images stay, for the agent UI to point at the attachment.
 */
public final class HtmlSanitizer {

    private static final int MAX_INPUT = 2 * 1024 * 1024;

    private final Safelist safelist = Safelist.relaxed()
            .addTags("font", "center", "hr", "s", "del", "ins", "abbr")
            .addAttributes(":all", "dir", "title", "lang")
            .addAttributes("td", "align", "valign", "bgcolor")
            .addAttributes("th", "align", "valign", "bgcolor")
            .addAttributes("table", "align", "bgcolor", "border", "cellpadding", "cellspacing")
            .addAttributes("img", "data-remote-src")
            .addAttributes("font", "color")
            .addProtocols("img", "src", "cid", "data")
            .addProtocols("a", "href", "http", "https", "mailto", "tel")
            .preserveRelativeLinks(false);

    /** The sanitized HTML body, or null when there is none. */
    public String sanitize(String html) {
        if (html == null || html.isBlank()) {
            return null;
        }
        String input = html.length() > MAX_INPUT ? html.substring(0, MAX_INPUT) : html;
        Document dirty = Jsoup.parse(input);
        for (Element img : dirty.select("img[src]")) {
            String src = img.attr("src").trim();
            String lower = src.toLowerCase(Locale.ROOT);
            if (lower.startsWith("http:") || lower.startsWith("https:") || lower.startsWith("//")) {
                img.attr("data-remote-src", src);
                img.removeAttr("src");
            } else if (lower.startsWith("data:") && !lower.startsWith("data:image/")) {
                img.removeAttr("src");
            }
        }
        Document clean = new Cleaner(safelist).clean(dirty);
        for (Element a : clean.select("a[href]")) {
            a.attr("rel", "noopener noreferrer nofollow").attr("target", "_blank");
        }
        clean.outputSettings().prettyPrint(false);
        return clean.body().html();
    }
}
