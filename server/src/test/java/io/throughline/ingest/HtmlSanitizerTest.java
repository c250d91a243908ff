package io.throughline.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class HtmlSanitizerTest {

    private final HtmlSanitizer sanitizer = new HtmlSanitizer();

    @Test
    void scriptsHandlersFormsFramesAndStylesAreRemoved() {
        String html = sanitizer.sanitize("""
                <p onclick="steal()">Hi <b>there</b></p><script>alert(1)</script>
                <style>body{display:none}</style><iframe src="https://evil"></iframe>
                <form action="https://evil"><input name="pw"></form>
                <a href="javascript:alert(1)">click</a><img src=x onerror=alert(1)>""");
        assertThat(html).contains("<b>there</b>").doesNotContain("script").doesNotContain("onclick")
                .doesNotContain("onerror").doesNotContain("iframe").doesNotContain("<form")
                .doesNotContain("<input").doesNotContain("javascript:").doesNotContain("<style");
    }

    @Test
    void remoteImagesAreNotLoadedUntilAskedButInlineOnesStay() {
        String html = sanitizer.sanitize("<img src=\"https://tracker.example/p.gif\"><img src=\"cid:logo@x\">");
        assertThat(html).contains("data-remote-src=\"https://tracker.example/p.gif\"")
                .doesNotContainPattern("\\ssrc=\"https:").contains("src=\"cid:logo@x\"");
        // A control character inside the scheme: browsers and the cleaner drop it, so the address is parked too.
        assertThat(sanitizer.sanitize("<img src=\"ht&#9;tp://tracker.example/a.gif\">"
                + "<img src=\" http&#10;s://tracker.example/b.gif\"><img src=\"&#13;//tracker.example/c.gif\">"))
                .doesNotContainPattern("\\ssrc=").contains("data-remote-src=\"http://tracker.example/a.gif\"")
                .contains("data-remote-src=\"https://tracker.example/b.gif\"")
                .contains("data-remote-src=\"//tracker.example/c.gif\"");
    }

    /** A mail's base address does not make its relative images remote ones that load unasked. */
    @Test
    void aBaseAddressMakesNoRelativeImageRemote() {
        String html = sanitizer.sanitize("<html><head><base href=\"https://t.example/\"></head><body>"
                + "<img src=\"p.gif?u=42\"><a href=\"unsubscribe?u=42\">Unsubscribe</a>"
                + "<img src=\"https://cdn.example/logo.png\"></body></html>");
        assertThat(html).doesNotContain("t.example").doesNotContainPattern("\\ssrc=")
                .contains("data-remote-src=\"https://cdn.example/logo.png\"").contains("Unsubscribe");
    }

    @Test
    void linksOpenSafelyInANewTab() {
        assertThat(sanitizer.sanitize("<a href=\"https://example.com\">x</a>"))
                .contains("rel=\"noopener noreferrer nofollow\"").contains("target=\"_blank\"");
    }

    /**
     * Each of Outlook's quote markers marked every sibling after it, even when an earlier marker had: 100,000 of
     * them (2 MB of a sender's HTML) took minutes. The bound only guards against that blow-up.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void thousandsOfOutlookQuoteMarkersAreMarkedOnce() {
        HtmlSanitizer.Sanitized html = sanitizer.sanitizeWithQuotes("<p>hi</p>"
                + "<hr id=\"stopSpelling\">".repeat(100_000));
        assertThat(html.trimmed()).isEqualTo("<p>hi</p>");
        assertThat(html.full()).contains("<p>hi</p>");
    }

    @Test
    void emptyHtmlIsNoHtml() {
        assertThat(sanitizer.sanitize(null)).isNull();
        assertThat(sanitizer.sanitize("  ")).isNull();
    }
}
