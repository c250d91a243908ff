package io.throughline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The reindex progress line: bar, count, rate and time left, redrawn in place on a terminal. */
class ProgressBarTest {

    private static JsonObject status(String phase, long done, long total, long rate, long eta) {
        return new JsonObject().put("phase", phase).put("messagesIndexed", done).put("messagesTotal", total)
                .put("percent", total == 0 ? 0 : done * 100 / total).put("messagesPerSecond", rate)
                .put("etaSeconds", eta);
    }

    @Test
    void scanningShowsTheBarTheRateAndTheTimeLeft() {
        assertThat(ProgressBar.line(status("scanning", 612_400, 1_000_000, 9_870, 39)))
                .isEqualTo("[##################............]  61%  612,400 / 1,000,000 messages  9,870 msg/s  ETA 0:39");
        assertThat(ProgressBar.line(status("scanning", 0, 1_000_000, 0, -1))).endsWith("0 msg/s  ETA --:--");
        assertThat(ProgressBar.duration(3_725)).isEqualTo("1:02:05");
    }

    @Test
    void laterPhasesSayWhatIsHappening() {
        assertThat(ProgressBar.line(status("catching-up", 10, 10, 0, 0)))
                .startsWith("[##############################] 100%").endsWith("catching up with messages stored meanwhile");
        assertThat(ProgressBar.line(status("swapping", 10, 10, 0, 0))).endsWith("switching to the new index");
    }

    @Test
    void onATerminalTheLineIsRedrawnInPlaceAndClearedOfLongerText() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), true);
        bar.show(status("scanning", 500, 1_000, 100, 5));
        bar.show(status("swapping", 1_000, 1_000, 100, 0));
        bar.finish();
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(text).startsWith("\r[###############...............]  50%").contains("\r[###").endsWith("\n")
                .doesNotContain("\n\r");
    }

    @Test
    void inALogItPrintsWholeLinesOnlyWhenSomethingChanged() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
        bar.show(status("scanning", 1, 100, 10, 10));
        bar.show(status("scanning", 2, 100, 10, 10));
        bar.show(status("catching-up", 100, 100, 10, 0));
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(text.lines()).hasSize(2);
        assertThat(text).doesNotContain("\r");
    }
}
