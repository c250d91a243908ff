package io.throughline.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Where a customer's own words end in plain-text mail. */
class QuoteTrimmerTest {

    @Test
    void gmailStyleQuoteUnderTheAnswerIsTrimmed() {
        String text = """
                Thanks, that works.

                On Tue, 12 Mar 2024 at 15:40, Acme Support <support@acme.test> wrote:
                > Try restarting it.
                >
                > Bob
                """;
        assertThat(QuoteTrimmer.trim(text)).isEqualTo("Thanks, that works.");
    }

    @Test
    void aWrappedAttributionLineIsRecognised() {
        String text = """
                Yes please.

                On Tue, 12 Mar 2024 at 15:40, Acme Support <
                support@acme.test> wrote:
                > Shall we send a new one?
                """;
        assertThat(QuoteTrimmer.trim(text)).isEqualTo("Yes please.");
    }

    @Test
    void outlookHeaderBlockWithUnderscoresIsTrimmed() {
        String text = """
                The number is 42.

                ________________________________
                From: Acme Support <support@acme.test>
                Sent: Wednesday, March 13, 2024 4:02 PM
                Subject: Your number

                Which number?
                """;
        assertThat(QuoteTrimmer.trim(text)).isEqualTo("The number is 42.");
    }

    @Test
    void russianAndUkrainianAttributionsAreTrimmed() {
        assertThat(QuoteTrimmer.trim("Спасибо!\n\n12.03.2024, 10:00, Поддержка пишет:\n> Добрый день\n"))
                .isEqualTo("Спасибо!");
        assertThat(QuoteTrimmer.trim("Дякую!\n\nПідтримка написав(ла):\n> Добрий день\n")).isEqualTo("Дякую!");
        assertThat(QuoteTrimmer.trim("Ok\n\n-----Исходное сообщение-----\nОт: support\nТекст\n")).isEqualTo("Ok");
        // The attribution itself, not only a quote block ending the text: here a signature follows the quote.
        assertThat(QuoteTrimmer.trim("Спасибо!\n\n12.03.2024, 10:00, Поддержка пишет:\n> Добрый день\n\n-- \nИван\n"))
                .isEqualTo("Спасибо!");
        assertThat(QuoteTrimmer.trim("Буду через час.\n\nОтправлено с моего телефона\n")).isEqualTo("Буду через час.");
    }

    /**
     * Every attribution-like line scanned the rest of the text for answers between quoted lines: thousands of them
     * in one message (a sender writes what they like) cost minutes. One pass now; the bound only guards against
     * that blow-up, hundreds of times what the pass takes.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void thousandsOfAttributionLinesAreReadInOnePass() {
        String attributions = "On abc wrote:\n".repeat(60_000);
        // An answer after the quote: each attribution has one after it, so none is where the quote starts.
        assertThat(QuoteTrimmer.trim("x\n" + attributions + "> q\nz\n")).isNull();
        assertThat(QuoteTrimmer.trim("x\n" + attributions + "> q\n")).isEqualTo("x");
    }

    @Test
    void signaturesAreTrimmed() {
        assertThat(QuoteTrimmer.trim("See you.\n\n-- \nAnn Lee\n+44 20 7946 0958\n")).isEqualTo("See you.");
        assertThat(QuoteTrimmer.trim("On my way.\n\nSent from my iPhone\n")).isEqualTo("On my way.");
    }

    @Test
    void answersWrittenBetweenQuotedLinesAreKept() {
        String text = """
                On Tue, 12 Mar 2024, Bob wrote:
                > What colour?
                White.
                > What size?
                Large.
                """;
        assertThat(QuoteTrimmer.trim(text)).isNull();
        String interleaved = "Hi,\n\nOn Tue, Bob wrote:\n> Colour?\nWhite.\n> Size?\nLarge.\n";
        assertThat(QuoteTrimmer.trim(interleaved)).isNull();
    }

    @Test
    void nothingToTrimOrOnlyAQuoteGivesNull() {
        assertThat(QuoteTrimmer.trim("Just a question about my order.")).isNull();
        assertThat(QuoteTrimmer.trim("> only a quote\n> nothing else\n")).isNull();
        assertThat(QuoteTrimmer.trim(null)).isNull();
    }

    @Test
    void forwardedMessagesAreNotCut() {
        String text = """
                Please look at this.

                ---------- Forwarded message ---------
                From: Shop <shop@example.com>
                Date: Mon, 18 Mar 2024

                Your order shipped.
                """;
        assertThat(QuoteTrimmer.trim(text)).isNull();
    }
}
