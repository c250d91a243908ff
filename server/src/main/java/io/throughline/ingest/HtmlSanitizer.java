package io.throughline.ingest;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.safety.Cleaner;
import org.jsoup.safety.Safelist;

/**
 * Makes customer HTML safe to show agents, with jsoup's allow-list cleaner: no script, style, event handlers,
 * forms, iframes or javascript: URLs. Remote images are not loaded by default: their address moves to
 * {@code data-remote-src}, and the inbox offers to load them (tracking pixels stay silent). Inline {@code cid:}
 * images stay, and {@link #linkInlineImages} points them at their stored attachment.
 *
 * <p>For the thread view, {@link #sanitizeWithQuotes} also marks the quoted history and signatures that mail
 * clients write (Gmail, Outlook, Apple Mail, Thunderbird, Yahoo) with {@code data-quote}, and returns a trimmed
 * copy without them; the full sanitized original is kept.
 */
public final class HtmlSanitizer {

    private static final int MAX_INPUT = 2 * 1024 * 1024;
    /** Set on quoted history and signatures; only this class writes it (incoming copies are removed first). */
    static final String QUOTE_MARK = "data-quote";
    /** Containers of earlier mail and signatures, as each client writes them. */
    private static final String QUOTES = String.join(", ", List.of(
            "div.gmail_quote", "blockquote.gmail_quote", "div.gmail_extra", "div.gmail_quote_container",
            "blockquote[type=cite]", "div.moz-cite-prefix", "div.yahoo_quoted", "div[id^=yahoo_quoted]",
            "div.protonmail_quote", "blockquote.protonmail_quote", "div#divRplyFwdMsg", "div#appendonsend",
            "hr#stopSpelling", "div.OutlookMessageHeader", "div#mail-editor-reference-message-container"));
    private static final String SIGNATURES = String.join(", ", List.of(
            "div.gmail_signature", "div[data-smartmail=gmail_signature]", "pre.moz-signature", "div.moz-signature",
            "div#Signature", "div#signature", "div.signature", "div[id^=ms-outlook-mobile-signature]"));
    /** Outlook desktop starts the quoted mail with a top-bordered block holding "From:". */
    private static final Pattern OUTLOOK_BORDER = Pattern.compile("border-top\s*:\s*solid\s+#(E1E1E1|B5C4DF)",
            Pattern.CASE_INSENSITIVE);

    /** Sanitized HTML, and a copy without quoted history and signatures (null when there was nothing to trim). */
    public record Sanitized(String full, String trimmed) {
    }

    private final Safelist safelist = Safelist.relaxed()
            .addTags("font", "center", "hr", "s", "del", "ins", "abbr")
            .addAttributes(":all", "dir", "title", "lang")
            .addAttributes("td", "align", "valign", "bgcolor")
            .addAttributes("th", "align", "valign", "bgcolor")
            .addAttributes("table", "align", "bgcolor", "border", "cellpadding", "cellspacing")
            .addAttributes("img", "data-remote-src", "data-cid")
            .addAttributes(":all", QUOTE_MARK)
            .addAttributes("font", "color")
            .addProtocols("img", "src", "cid", "data")
            .addProtocols("a", "href", "http", "https", "mailto", "tel")
            .preserveRelativeLinks(false);

    /** The sanitized HTML body, or null when there is none. */
    public String sanitize(String html) {
        if (html == null || html.isBlank()) {
            return null;
        }
        return clean(dirty(html));
    }

    /** The sanitized HTML with quotes and signatures marked, and the trimmed copy; null when there is no HTML. */
    public Sanitized sanitizeWithQuotes(String html) {
        if (html == null || html.isBlank()) {
            return null;
        }
        Document dirty = dirty(html);
        boolean marked = markQuotes(dirty);
        String full = clean(dirty);
        if (!marked) {
            return new Sanitized(full, null);
        }
        Document trimmed = Jsoup.parseBodyFragment(full);
        trimmed.select("[" + QUOTE_MARK + "]").remove();
        trimmed.outputSettings().prettyPrint(false);
        boolean meaningful = !trimmed.body().text().isBlank() || !trimmed.body().select("img").isEmpty();
        return new Sanitized(full, meaningful ? trimmed.body().html() : null);
    }

    /**
     * Points {@code cid:} images at their stored attachments ({@code contentId -> URL}); the Content-ID stays in
     * {@code data-cid}. Returns the HTML unchanged when no image matches.
     */
    public String linkInlineImages(String html, Map<String, String> urlsByContentId) {
        if (html == null || urlsByContentId.isEmpty() || !html.contains("cid:")) {
            return html;
        }
        Document document = Jsoup.parseBodyFragment(html);
        boolean changed = false;
        for (Element img : document.select("img[src^=cid:]")) {
            String id = img.attr("src").substring(4).strip();
            String url = urlsByContentId.get(id);
            if (url != null) {
                img.attr("data-cid", id).attr("src", url);
                changed = true;
            }
        }
        if (!changed) {
            return html;
        }
        document.outputSettings().prettyPrint(false);
        return document.body().html();
    }

    private static final Pattern CONTROLS = Pattern.compile("[\\x00-\\x1f\\x7f]");

    private static Document dirty(String html) {
        String input = html.length() > MAX_INPUT ? html.substring(0, MAX_INPUT) : html;
        Document dirty = Jsoup.parse(input);
        // A mail's <base href> became the document's base: the cleaner wrote relative sources back absolute, so
        // <img src="p.gif"> under <base href="https://t.example/"> was a live remote image nothing had parked.
        // A mail has no base of its own; relative addresses lead nowhere.
        dirty.select("base").remove();
        dirty.setBaseUri("");
        dirty.select("[" + QUOTE_MARK + "]").removeAttr(QUOTE_MARK);
        for (Element img : dirty.select("img[src]")) {
            // Read as browsers and the cleaner below read it: without control characters anywhere ("ht&#9;tp:"
            // passed as no remote address here, and the cleaner then wrote back a live http: source).
            String src = CONTROLS.matcher(img.attr("src")).replaceAll("").strip();
            String lower = src.toLowerCase(Locale.ROOT);
            if (lower.startsWith("http:") || lower.startsWith("https:") || lower.startsWith("//")) {
                img.attr("data-remote-src", src);
                img.removeAttr("src");
            } else if (lower.startsWith("data:") && !lower.startsWith("data:image/")) {
                img.removeAttr("src");
            }
        }
        return dirty;
    }

    /** Marks quoted history and signatures; true when it found any. */
    private static boolean markQuotes(Document document) {
        boolean found = false;
        for (Element quote : document.select(QUOTES)) {
            // Marked already: by an earlier marker among its siblings, which marked every sibling after it too
            // (marking them again for each of thousands of markers was quadratic in a sender's HTML).
            boolean followersMarked = quote.hasAttr(QUOTE_MARK);
            quote.attr(QUOTE_MARK, "quote");
            found = true;
            // Outlook puts the earlier mail after its header block, as siblings rather than children.
            if (!followersMarked && (quote.id().equals("divRplyFwdMsg") || quote.id().equals("appendonsend")
                    || quote.id().equals("stopSpelling"))) {
                markFollowing(quote);
                Element before = quote.previousElementSibling();
                if (before != null && before.tagName().equals("hr")) {
                    before.attr(QUOTE_MARK, "quote");
                }
            }
        }
        for (Element block : document.select("div[style]")) {
            if (OUTLOOK_BORDER.matcher(block.attr("style")).find() && block.text().contains(":")
                    && !block.hasAttr(QUOTE_MARK)) {
                Element start = block.parent() != null && block.parent().children().size() == 1
                        && !block.parent().tagName().equals("body") ? block.parent() : block;
                start.attr(QUOTE_MARK, "quote");
                markFollowing(start);
                found = true;
            }
        }
        for (Element signature : document.select(SIGNATURES)) {
            if (!signature.hasAttr(QUOTE_MARK)) {
                signature.attr(QUOTE_MARK, "signature");
                found = true;
            }
        }
        return found;
    }

    private static void markFollowing(Element start) {
        for (Element sibling = start.nextElementSibling(); sibling != null; sibling = sibling.nextElementSibling()) {
            sibling.attr(QUOTE_MARK, "quote");
        }
    }

    private String clean(Document dirty) {
        Document clean = new Cleaner(safelist).clean(dirty);
        for (Element a : clean.select("a[href]")) {
            a.attr("rel", "noopener noreferrer nofollow").attr("target", "_blank");
        }
        clean.outputSettings().prettyPrint(false);
        return clean.body().html();
    }
}
