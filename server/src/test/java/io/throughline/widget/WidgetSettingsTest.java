package io.throughline.widget;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class WidgetSettingsTest {

    @Test
    void aMinimalConfigGetsSensibleDefaults() {
        WidgetSettings settings = WidgetSettings.parse(new JsonObject()
                .put("allowedOrigins", new JsonArray().add("https://shop.example.com"))).settings();
        assertThat(settings.locale()).isEqualTo("auto");
        assertThat(settings.position()).isEqualTo("right");
        assertThat(settings.hmacRequired()).isFalse();
        assertThat(settings.attachments()).isTrue();
        assertThat(settings.preChatEnabled()).isFalse();
        assertThat(settings.available(Instant.now())).isTrue();
        assertThat(settings.allows("https://shop.example.com")).isTrue();
        assertThat(settings.allows("https://evil.example.com")).isFalse();
    }

    @Test
    void thePublicViewNeverCarriesTheIdentitySecret() {
        JsonObject json = WidgetSettings.parse(new JsonObject()
                .put("allowedOrigins", new JsonArray().add("https://shop.example.com"))
                .put("siteKey", "tlw_abcdefghijklmnop").put("identitySecret", "s".repeat(40))
                .put("preChatForm", new JsonObject().put("enabled", true)))
                .settings().publicJson(Instant.now());
        assertThat(json.encode()).doesNotContain("sss");
        assertThat(json.getString("siteKey")).isEqualTo("tlw_abcdefghijklmnop");
        assertThat(json.getJsonObject("preChatForm").getJsonArray("fields")).hasSize(2);
    }

    @Test
    void everyProblemIsListedWithItsField() {
        WidgetSettings.Parsed parsed = WidgetSettings.parse(new JsonObject()
                .put("allowedOrigins", new JsonArray())
                .put("colors", new JsonObject().put("primary", "red").put("shadow", "#000000"))
                .put("preChatForm", new JsonObject().put("fields", new JsonArray()
                        .add(new JsonObject().put("name", "age")).add(new JsonObject().put("name", "email"))
                        .add(new JsonObject().put("name", "email"))))
                .put("hmacRequired", "yes")
                .put("identitySecret", "short")
                .put("theme", "dark"));
        assertThat(parsed.settings()).isNull();
        assertThat(parsed.problems()).anyMatch(p -> p.startsWith("config.allowedOrigins:"))
                .anyMatch(p -> p.startsWith("config.colors.primary:"))
                .anyMatch(p -> p.startsWith("config.colors.shadow:"))
                .anyMatch(p -> p.startsWith("config.preChatForm.fields[0].name:"))
                .anyMatch(p -> p.startsWith("config.preChatForm.fields[2].name:"))
                .anyMatch(p -> p.startsWith("config.hmacRequired:"))
                .anyMatch(p -> p.startsWith("config.identitySecret:"))
                .anyMatch(p -> p.startsWith("config.theme:"));
    }
}
