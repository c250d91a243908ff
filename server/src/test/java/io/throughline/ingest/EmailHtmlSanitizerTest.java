package io.throughline.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Email HTML made safe, with quotes and signatures marked and trimmed, and inline images linked. */
class EmailHtmlSanitizerTest {

    private final HtmlSanitizer sanitizer = new HtmlSanitizer();

    @Test
    void gmailQuoteAndSignatureAreMarkedAndTrimmed() {
        HtmlSanitizer.Sanitized result = sanitizer.sanitizeWithQuotes("""
                <div dir="ltr">Thanks!<div class="gmail_signature">Ann<br>+44 1</div></div>
                <div class="gmail_quote"><div class="gmail_attr">On Tue, Bob wrote:</div>
                <blockquote class="gmail_quote">Old text</blockquote></div>""");
        assertThat(result.full()).contains("Old text").contains("data-quote=\"quote\"")
                .contains("data-quote=\"signature\"").doesNotContain("class=");
        assertThat(result.trimmed()).contains("Thanks!").doesNotContain("Old text").doesNotContain("+44 1");
    }

    @Test
    void outlookHeaderBlockAndEverythingAfterItAreTrimmed() {
        HtmlSanitizer.Sanitized result = sanitizer.sanitizeWithQuotes("""
                <div><p>New answer</p>
                <div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">
                <p><b>From:</b> Support<br><b>Sent:</b> Monday</p></div>
                <p>Quoted question</p></div>""");
        assertThat(result.trimmed()).contains("New answer").doesNotContain("Quoted question")
                .doesNotContain("From:");
        assertThat(result.full()).contains("Quoted question");
    }

    @Test
    void markersSentByTheCustomerAreIgnored() {
        HtmlSanitizer.Sanitized result = sanitizer.sanitizeWithQuotes("<p data-quote=\"quote\">Visible text</p>");
        assertThat(result.trimmed()).isNull();
        assertThat(result.full()).isEqualTo("<p>Visible text</p>");
    }

    @Test
    void aMailThatIsOnlyAQuoteIsNotTrimmedToNothing() {
        assertThat(sanitizer.sanitizeWithQuotes("<blockquote type=\"cite\">All quoted</blockquote>").trimmed())
                .isNull();
    }

    @Test
    void dangerousMarkupIsRemovedAndRemoteImagesWait() {
        String clean = sanitizer.sanitize("<p onclick=\"x()\">Hi<script>alert(1)</script></p>"
                + "<img src=\"https://tracker.example/p.gif\"><a href=\"javascript:x()\">x</a>"
                + "<iframe src=\"https://e.example\"></iframe><form><input></form>");
        assertThat(clean).isEqualTo("<p>Hi</p><img data-remote-src=\"https://tracker.example/p.gif\"><a>x</a>");
    }

    @Test
    void cidImagesPointAtTheirAttachment() {
        String html = sanitizer.sanitize("<p>Look:</p><img src=\"cid:ii_1@x\" alt=\"crack\"><img src=\"cid:other\">");
        String linked = sanitizer.linkInlineImages(html, Map.of("ii_1@x", "/api/v1/attachments/7"));
        assertThat(linked).contains("<img src=\"/api/v1/attachments/7\" alt=\"crack\" data-cid=\"ii_1@x\">")
                .contains("src=\"cid:other\"");
        assertThat(sanitizer.linkInlineImages(html, Map.of())).isSameAs(html);
    }
}
