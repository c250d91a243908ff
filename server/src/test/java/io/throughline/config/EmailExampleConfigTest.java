package io.throughline.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.connector.email.EmailConnector;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** config/examples/email.yaml loads, and every inbox in it is a valid email inbox config. */
class EmailExampleConfigTest {

    @Test
    void theEmailExampleIsValid() {
        ThroughlineConfig config = ConfigLoader.load(Path.of("..", "config", "examples", "email.yaml"), Map.of());
        assertThat(config.email().listenerEnabled()).isTrue();
        assertThat(config.email().listenerPort()).isEqualTo(2525);
        assertThat(config.inboxes()).extracting(ThroughlineConfig.InboxSeed::kind).containsOnly("email").hasSize(2);
        EmailConnector connector = new EmailConnector();
        for (ThroughlineConfig.InboxSeed seed : config.inboxes()) {
            assertThat(connector.validate(seed.config())).as(seed.name()).isEmpty();
        }
    }

    @Test
    void emailOptionsAreTypedAndOverriddenByTheEnvironment() {
        ThroughlineConfig config = ConfigLoader.load(null, Map.of("THROUGHLINE_EMAIL_LISTENER_MAX_MESSAGE_SIZE", "10MB",
                "THROUGHLINE_EMAIL_IMAP_BACKFILL", "0s"));
        assertThat(config.email().listenerMaxMessageSize()).isEqualTo(10L * 1024 * 1024);
        assertThat(config.email().settings().getLong("imap.backfill")).isZero();
        assertThat(config.email().listenerEnabled()).isFalse();
    }
}
