package io.throughline.connector.email;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FlowedTextTest {

    @Test
    void aWrappedParagraphIsOneLineAgainAndQuotesKeepTheirDepth() {
        String wire = "Hello,\r\n\r\nmy order arrived with a torn \r\nsleeve. Could you send a new \r\none?\r\n\r\n"
                + "On 1 Dec Support wrote:\r\n> We shipped it \r\n> yesterday.\r\n>> Where is \r\n>> it?\r\n>\r\n"
                + " From now on I \r\nbuy elsewhere.\r\n\r\n-- \r\nAnna";
        assertThat(FlowedText.unflow(wire, false)).isEqualTo("Hello,\n\nmy order arrived with a torn sleeve. Could"
                + " you send a new one?\n\nOn 1 Dec Support wrote:\n> We shipped it yesterday.\n>> Where is it?\n>\n"
                + "From now on I buy elsewhere.\n\n-- \nAnna");
    }

    @Test
    void aFlowedLineNeverTakesTheSignatureSeparatorIn() {
        assertThat(FlowedText.unflow("Thanks \r\n-- \r\nAnna", false)).isEqualTo("Thanks \n-- \nAnna");
    }

    @Test
    void aFlowedLineBeforeAnotherDepthEndsItsParagraph() {
        assertThat(FlowedText.unflow("> quoted and flowed \r\nnot quoted", false))
                .isEqualTo("> quoted and flowed \nnot quoted");
    }

    @Test
    void delSpDropsTheSpaceThatMarkedTheWrap() {
        assertThat(FlowedText.unflow("東京の倉庫から \r\n発送しました。", true)).isEqualTo("東京の倉庫から発送しました。");
        assertThat(FlowedText.unflow("東京の倉庫から \r\n発送しました。", false)).isEqualTo("東京の倉庫から 発送しました。");
    }
}
