package io.throughline.telegram;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class TelegramConfigTest {

    private static final String TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

    @Test
    void aTokenAloneIsALongPollingBotOnTelegramsApiWithTheDefaultGreeting() {
        JsonObject json = new JsonObject().put("botToken", TOKEN);
        assertThat(TelegramConfig.problems(json)).isEmpty();
        TelegramConfig config = TelegramConfig.from(json);
        assertThat(config.mode()).isEqualTo(TelegramConfig.Mode.LONG_POLLING);
        assertThat(config.apiUrl()).isEqualTo(URI.create("https://api.telegram.org"));
        assertThat(config.apiPort()).isEqualTo(443);
        assertThat(config.greeting()).isEqualTo(TelegramConfig.DEFAULT_GREETING);
        assertThat(config.acceptGroups()).isFalse();
        assertThat(config.maxFileSize()).isEqualTo(20L * 1024 * 1024);
    }

    /** A flood limit is the bot's on its Bot API server: other settings leave it standing. */
    @Test
    void repliesGoElsewhereOnlyWithAnotherTokenOrBotApiServer() {
        TelegramConnector connector = new TelegramConnector();
        JsonObject before = new JsonObject().put("botToken", TOKEN).put("apiUrl", "http://bot-api.internal:8081");
        assertThat(connector.sendsElsewhere(before, before.copy().put("greeting", "Hi!").put("mode", "webhook")))
                .isFalse();
        assertThat(connector.sendsElsewhere(before, before.copy().put("apiUrl", "http://bot-api.internal:8081/")))
                .as("the same server written with a slash").isFalse();
        JsonObject onTelegram = new JsonObject().put("botToken", TOKEN);
        assertThat(connector.sendsElsewhere(onTelegram, onTelegram.copy().put("apiUrl", "https://api.telegram.org")))
                .as("the default server, named").isFalse();
        assertThat(connector.sendsElsewhere(before, before.copy().put("botToken", "987654321:AAHdqTcvCH1vGWJxfSeo")))
                .isTrue();
        assertThat(connector.sendsElsewhere(before, before.copy().put("apiUrl", "https://api.telegram.org")))
                .isTrue();
    }

    @Test
    void everyOptionIsRead() {
        TelegramConfig config = TelegramConfig.from(new JsonObject().put("botToken", TOKEN).put("mode", "webhook")
                .put("apiUrl", "http://bot-api.internal:8081/").put("greeting", "").put("acceptGroups", true)
                .put("maxFileSize", "200MB").put("localFilesDir", "/var/lib/telegram-bot-api/"));
        assertThat(config.mode()).isEqualTo(TelegramConfig.Mode.WEBHOOK);
        assertThat(config.apiUrl()).isEqualTo(URI.create("http://bot-api.internal:8081"));
        assertThat(config.apiPort()).isEqualTo(8081);
        assertThat(config.greeting()).as("empty: no greeting").isNull();
        assertThat(config.acceptGroups()).isTrue();
        assertThat(config.maxFileSize()).isEqualTo(200L * 1024 * 1024);
        assertThat(config.localFilesDir()).isEqualTo(Path.of("/var/lib/telegram-bot-api"));
    }

    @Test
    void everyProblemIsReportedAtOnceWithoutEchoingTheToken() {
        JsonObject json = new JsonObject().put("botToken", "12345:short").put("mode", "polling")
                .put("apiUrl", "https://proxy.example/tg").put("greeting", 5).put("acceptGroups", "yes")
                .put("maxFileSize", "5GB").put("webhookSecret", "bad secret!").put("extra", 1)
                .put("localFilesDir", "relative/dir");
        assertThat(TelegramConfig.problems(json)).hasSize(9).allSatisfy(p -> assertThat(p).doesNotContain("short"))
                .anySatisfy(p -> assertThat(p).startsWith("config.botToken:"))
                .anySatisfy(p -> assertThat(p).startsWith("config.extra: unknown field"));
        assertThat(TelegramConfig.problems(new JsonObject().put("botToken", TOKEN).put("localFilesDir", "/srv/x")))
                .containsExactly("config.localFilesDir: only a self-hosted Bot API server (apiUrl) has local files");
        assertThat(TelegramConfig.problems(new JsonObject())).containsExactly(
                "config.botToken: is required: the token @BotFather gave you, like 123456789:AAE...");
    }
}
