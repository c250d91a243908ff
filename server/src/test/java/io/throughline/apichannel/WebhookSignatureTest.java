package io.throughline.apichannel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The webhook signature as the README tells receivers to check it: hex HMAC-SHA256 with the webhook secret of the
 * timestamp header, a dot and the raw body, after {@code v1=}. The expected value was computed outside Throughline
 * (Python's hmac module), so a change of the scheme fails here even where the integration tests, which sign with
 * this class, would still agree with it.
 */
class WebhookSignatureTest {

    @Test
    void theSignatureIsTheReadmesRecipe() {
        assertThat(WebhookSignature.sign("whsec_0123456789abcdef", 1_700_000_000L,
                "{\"event\":\"message.created\"}".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("v1=b93fa66aafb3525fbad2281faa6cb30e69393e4f67a180afe2d91d2e71c1922c");
    }
}
