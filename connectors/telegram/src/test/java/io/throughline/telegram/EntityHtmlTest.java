package io.throughline.telegram;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.telegram.telegrambots.meta.api.objects.MessageEntity;
import org.telegram.telegrambots.meta.api.objects.Update;

class EntityHtmlTest {

    @Test
    void formattingAndHiddenLinksSurviveAndTheTextIsEscaped() throws Exception {
        try (InputStream in = EntityHtmlTest.class.getResourceAsStream("/updates/formatted_text.json")) {
            MessageContent content = MessageContent.of(new ObjectMapper().readValue(in, Update.class).getMessage(),
                    20L << 20);
            // Offsets count UTF-16 units: the emoji is two, as Telegram counts it.
            assertThat(content.html()).isEqualTo("<b>Order 😀 <i>#1042</i></b> is &lt;late&gt;<br>See the"
                    + " <a href=\"https://track.example/1042?a=1&amp;b=2\">tracking page</a>");
            assertThat(content.text()).isEqualTo("Order 😀 #1042 is <late>\nSee the tracking page");
        }
    }

    @Test
    void entityOffsetsThatDoNotFitTheTextNeverStopTheMessage() throws Exception {
        Update update = new ObjectMapper().readValue("""
                {"update_id": 1, "message": {"message_id": 2, "date": 1767864090, "text": "short",
                 "from": {"id": 3, "is_bot": false, "first_name": "A"}, "chat": {"id": 3, "type": "private"},
                 "entities": [{"offset": 2, "length": 40, "type": "bold"}]}}""", Update.class);
        MessageContent content = MessageContent.of(update.getMessage(), 20L << 20);
        assertThat(content.text()).isEqualTo("short");
        assertThat(content.html()).isNull();
    }

    @Test
    void plainTextHasNoHtml() {
        assertThat(EntityHtml.render("just text", null)).isNull();
        assertThat(EntityHtml.render("#tag only", List.of(entity("hashtag", 0, 4)))).isNull();
    }

    @Test
    void overlappingEntitiesThatCannotNestFallBackToPlainText() {
        assertThat(EntityHtml.render("abcdef", List.of(entity("bold", 0, 4), entity("italic", 2, 4)))).isNull();
    }

    @Test
    void aLinkToAnotherSchemeLinksNowhere() {
        MessageEntity link = MessageEntity.builder().type("text_link").offset(0).length(5)
                .url("javascript:alert(1)").build();
        assertThat(EntityHtml.render("click", List.of(link))).isEqualTo("<a href=\"#\">click</a>");
    }

    @Test
    void aHostWithAPortIsLinkedOverHttpsAndASchemeBeforeDigitsIsNot() {
        for (String address : List.of("staging.example.com:8443/orders/17", "localhost:3000", "10.0.0.5:8080")) {
            assertThat(EntityHtml.render(address, List.of(entity("url", 0, address.length()))))
                    .isEqualTo("<a href=\"https://" + address + "\">" + address + "</a>");
        }
        MessageEntity script = MessageEntity.builder().type("text_link").offset(0).length(5)
                .url("javascript:1/alert(1)").build();
        assertThat(EntityHtml.render("click", List.of(script))).as("read as a host and port: https, never a script")
                .isEqualTo("<a href=\"https://javascript:1/alert(1)\">click</a>");
        MessageEntity data = MessageEntity.builder().type("text_link").offset(0).length(5)
                .url("data:text/html,<b>").build();
        assertThat(EntityHtml.render("click", List.of(data))).isEqualTo("<a href=\"#\">click</a>");
    }

    private static MessageEntity entity(String type, int offset, int length) {
        return new MessageEntity(type, offset, length);
    }
}
