package io.throughline.conversation;

import io.throughline.agent.Caller;
import io.throughline.failure.NotFound;
import io.throughline.store.Database;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;

/**
 * The sanitized HTML of a message (an email) as a standalone document, for the agent UI to show in a sandboxed
 * frame. Ingest already cleaned it (no script, style, handlers or forms); here inline {@code cid:} images point at
 * their attachments, and remote images, which ingest parked in {@code data-remote-src}, come back only when the
 * agent asks. The HTTP layer adds a CSP that forbids every script and every remote load it was not asked for.
 */
public final class MessageHtml {

    private static final String STYLE = """
            html{color-scheme:light}
            body{margin:0;padding:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
                 color:#1f2328;background:#fff;overflow-wrap:anywhere}
            img{max-width:100%;height:auto}
            img[data-remote-src]:not([src]){display:inline-block;min-width:1.5em;min-height:1em;
                 outline:1px dashed #8c959f}
            table{max-width:100%}
            blockquote{margin:0 0 0 .5em;padding-left:.75em;border-left:3px solid #d0d7de;color:#57606a}
            pre{white-space:pre-wrap}
            a{color:#0a58ca}
            """;

    private final Database database;

    public MessageHtml(Database database) {
        this.database = database;
    }

    /** The document; remote images load only with {@code loadRemoteImages}. */
    public String render(Caller caller, long messageId, boolean loadRemoteImages) {
        long workspaceId = caller.workspaceId();
        String html = database.sql().one("SELECT html FROM messages WHERE workspace_id = $1 AND id = $2",
                workspaceId, messageId).map(r -> r.getString("html"))
                .orElseThrow(() -> new NotFound("no message " + messageId + " in this workspace"));
        if (html == null) {
            throw new NotFound("message " + messageId + " has no HTML body");
        }
        Map<String, Long> inline = new HashMap<>();
        database.sql().rows("SELECT id, content_id FROM attachments WHERE workspace_id = $1 AND message_id = $2"
                + " AND content_id IS NOT NULL", workspaceId, messageId)
                .forEach(r -> inline.put(contentId(r.getString("content_id")), r.getLong("id")));
        Document document = Jsoup.parseBodyFragment(html);
        for (Element img : document.select("img")) {
            String src = img.attr("src").strip();
            if (src.regionMatches(true, 0, "cid:", 0, 4)) {
                Long attachment = inline.get(contentId(src.substring(4)));
                if (attachment == null) {
                    img.removeAttr("src");
                } else {
                    img.attr("src", "/api/v1/attachments/" + attachment);
                }
            }
            String parked = img.attr("data-remote-src").strip();
            if (!parked.isEmpty()) {
                String lower = parked.toLowerCase(Locale.ROOT);
                if (loadRemoteImages && (lower.startsWith("https:") || lower.startsWith("http:"))) {
                    img.attr("src", parked);
                }
            }
        }
        document.outputSettings().prettyPrint(false);
        String page = "<!doctype html><html><head><meta charset=\"utf-8\">"
                + "<meta name=\"referrer\" content=\"no-referrer\"><base target=\"_blank\">"
                + "<style>" + STYLE + "</style></head><body>" + document.body().html() + "</body></html>";
        return page;
    }

    /** Content-IDs are compared without their angle brackets and case (RFC 2392 matches them loosely). */
    private static String contentId(String value) {
        String id = value.strip();
        if (id.startsWith("<") && id.endsWith(">")) {
            id = id.substring(1, id.length() - 1);
        }
        return id.toLowerCase(Locale.ROOT);
    }
}
