package io.throughline.connector.email;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HtmlTextTest {

    @Test
    void quotesAreMarkedAsATextClientShowsThem() {
        assertThat(HtmlText.toText("<p>Yes, please.</p><blockquote>Can we call?<blockquote>Hello</blockquote>"
                + "</blockquote>")).isEqualTo("Yes, please.\n\n> Can we call?\n\n> > Hello");
    }

    /** A hostile mail: every line nested thousands of quotes deep (lines times depth characters, unbounded). */
    @Test
    void deepQuotesAroundManyLinesStayWithinTheTextLimit() {
        String html = "<blockquote>".repeat(5_000) + "line<br>".repeat(50_000);
        String text = HtmlText.toText(html);
        assertThat(text.length()).isBetween(HtmlText.MAX_CHARS - 30, HtmlText.MAX_CHARS);
        assertThat(text.lines().findFirst().orElseThrow())
                .isEqualTo("> ".repeat(HtmlText.MAX_QUOTE_MARKS) + "line");
    }
}
