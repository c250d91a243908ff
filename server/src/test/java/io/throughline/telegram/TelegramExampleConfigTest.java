package io.throughline.telegram;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.config.ConfigLoader;
import io.throughline.config.ThroughlineConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The shipped examples stay loadable and every telegram inbox in them passes the connector's validation. */
class TelegramExampleConfigTest {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void theTelegramExampleDeclaresValidBots() {
        ThroughlineConfig config = ConfigLoader.load(ROOT.resolve("config/examples/telegram.yaml"), Map.of());
        assertThat(config.inboxes()).hasSize(2).allSatisfy(inbox -> {
            assertThat(inbox.kind()).isEqualTo("telegram");
            assertThat(new TelegramConnector().validate(inbox.config())).isEmpty();
        });
    }

    @Test
    void theDefaultConfigurationGivesDeepLinksAWeek() {
        ThroughlineConfig config = ConfigLoader.load(ROOT.resolve("config/throughline.yaml"), Map.of());
        assertThat(config.telegram().deepLinkTtl()).isEqualTo(Duration.ofDays(7));
        ThroughlineConfig overridden = ConfigLoader.load(ROOT.resolve("config/throughline.yaml"),
                Map.of("THROUGHLINE_TELEGRAM_DEEP_LINK_TTL", "2d"));
        assertThat(overridden.telegram().deepLinkTtl()).isEqualTo(Duration.ofDays(2));
    }
}
