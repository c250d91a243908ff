package io.throughline.telegram;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.connector.DeliveryFailure;
import java.net.ConnectException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Telegram's answers as the outbox's decisions (https://core.telegram.org/bots/api#making-requests). */
class ReplyFailureTest {

    @Test
    void aBlockedBotFailsForGoodWithTelegramsWords() {
        DeliveryFailure failure = ReplySender.failure(BotApiException.refused("sendMessage", 403,
                "Forbidden: bot was blocked by the user", null), "");
        assertThat(failure.permanent()).isTrue();
        assertThat(failure.getMessage()).isEqualTo("Telegram: Forbidden: bot was blocked by the user");
    }

    @Test
    void floodControlWaitsRetryAfter() {
        DeliveryFailure failure = ReplySender.failure(BotApiException.refused("sendMessage", 429,
                "Too Many Requests: retry after 17", 17), "");
        assertThat(failure.permanent()).isFalse();
        assertThat(failure.retryAfter()).isEqualTo(Duration.ofSeconds(17));
    }

    @Test
    void networkAndServerTroubleIsRetriedWithTheServersBackoff() {
        DeliveryFailure network = ReplySender.failure(BotApiException.unreachable("sendMessage",
                new ConnectException("Connection refused")), "");
        assertThat(network.permanent()).isFalse();
        assertThat(network.retryAfter()).isNull();
        assertThat(network.getMessage()).startsWith("Telegram unreachable: ConnectException");
        assertThat(ReplySender.failure(BotApiException.refused("sendMessage", 502, "Bad Gateway", null), "")
                .permanent()).isFalse();
    }

    @Test
    void aBadRequestIsPermanentAndARefusedTokenWaitsForTheAdmin() {
        assertThat(ReplySender.failure(BotApiException.refused("sendMessage", 400, "Bad Request: chat not found",
                null), "").permanent()).isTrue();
        DeliveryFailure token = ReplySender.failure(BotApiException.refused("sendMessage", 401, "Unauthorized",
                null), "");
        assertThat(token.permanent()).isFalse();
        assertThat(token.getMessage()).contains("check it in the inbox settings");
    }
}
