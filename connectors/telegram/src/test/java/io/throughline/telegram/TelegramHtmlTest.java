package io.throughline.telegram;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TelegramHtmlTest {

    @Test
    void agentTextCannotBecomeMarkup() {
        assertThat(TelegramHtml.escape("<b>5</b> & \"tax\" <a href='x'>"))
                .isEqualTo("&lt;b&gt;5&lt;/b&gt; &amp; &quot;tax&quot; &lt;a href='x'&gt;");
        assertThat(TelegramHtml.escape("Привіт, дякуємо 🙏")).isEqualTo("Привіт, дякуємо 🙏");
    }

    @Test
    void shortTextIsOneMessage() {
        assertThat(TelegramHtml.split("  Hello  ", 4096)).containsExactly("Hello");
        assertThat(TelegramHtml.split("   ", 4096)).isEmpty();
    }

    @Test
    void longTextIsCutAtAParagraphThenALineThenASpace() {
        assertThat(TelegramHtml.split("aaaa bbbb\n\ncccc dddd", 14)).containsExactly("aaaa bbbb", "cccc dddd");
        assertThat(TelegramHtml.split("aaaa bbbb\ncccc dddd", 14)).containsExactly("aaaa bbbb", "cccc dddd");
        assertThat(TelegramHtml.split("aaaa bbbb cccc dddd", 14)).containsExactly("aaaa bbbb cccc", "dddd");
    }

    @Test
    void aWordLongerThanTheLimitIsCutButNeverInsideAnEmoji() {
        String text = "x".repeat(9) + "😀" + "y".repeat(5);
        List<String> parts = TelegramHtml.split(text, 10);
        assertThat(String.join("", parts)).isEqualTo(text);
        assertThat(parts).allSatisfy(p -> {
            assertThat(p.length()).isLessThanOrEqualTo(10);
            assertThat(Character.isHighSurrogate(p.charAt(p.length() - 1))).isFalse();
        });
    }
}
