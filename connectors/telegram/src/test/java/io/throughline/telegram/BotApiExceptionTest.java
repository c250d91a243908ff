package io.throughline.telegram;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BotApiExceptionTest {

    private static final String TOKEN = "7100011:AAHk-secretPartOfTheToken_0123456789";

    @Test
    void aTokenIsHiddenWhereverItIsWritten() {
        assertThat(BotApiException.hide("GET /bot" + TOKEN + "/getMe and /bot"
                + URLEncoder.encode(TOKEN, StandardCharsets.UTF_8) + "/getMe", TOKEN))
                .isEqualTo("GET /bot<token>/getMe and /bot<token>/getMe");
    }

    /** A proxy's error page cut at 1 KB inside the token it echoes keeps none of the secret. */
    @Test
    void theStartOfATokenACutLeftIsHiddenToo() {
        for (int cut = TOKEN.indexOf(':') + 2; cut < TOKEN.length(); cut++) {
            String part = "502 Bad Gateway: no upstream for /bot" + TOKEN.substring(0, cut);
            assertThat(BotApiException.hideInPart(part, TOKEN)).as("cut after %d characters", cut)
                    .isEqualTo("502 Bad Gateway: no upstream for /bot<token>");
        }
        String encoded = URLEncoder.encode(TOKEN, StandardCharsets.UTF_8);
        assertThat(BotApiException.hideInPart("GET /bot" + encoded.substring(0, 15), TOKEN))
                .isEqualTo("GET /bot<token>");
        // The bot's id alone is public, and numbers a text ends with are left as they are.
        assertThat(BotApiException.hideInPart("upstream answered 71", TOKEN)).isEqualTo("upstream answered 71");
        assertThat(BotApiException.hideInPart("bot 7100011:", TOKEN)).isEqualTo("bot 7100011:");
        assertThat(BotApiException.hideInPart("whole /bot" + TOKEN + "/getUpdates", TOKEN))
                .isEqualTo("whole /bot<token>/getUpdates");
    }
}
