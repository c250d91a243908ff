package io.throughline.connector.email;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Header decoding where strict RFC 2047 decoders give up. */
class HeaderTextTest {

    private static String latin1View(String text, Charset charset) {
        return new String(text.getBytes(charset), StandardCharsets.ISO_8859_1);
    }

    @Test
    void rawUtf8IsReadAsUtf8() {
        assertThat(HeaderText.decode(latin1View("Grüße aus Köln", StandardCharsets.UTF_8), null))
                .isEqualTo("Grüße aus Köln");
    }

    @Test
    void rawWindows1251AndKoi8AreDetected() {
        assertThat(HeaderText.decode(latin1View("Заказ не пришёл", MailCharsets.WINDOWS_1251), null))
                .isEqualTo("Заказ не пришёл");
        assertThat(HeaderText.decode(latin1View("Заказ не пришёл", MailCharsets.KOI8_R), null))
                .isEqualTo("Заказ не пришёл");
        assertThat(HeaderText.decode(latin1View("Їжак і ґудзик", MailCharsets.KOI8_U), null))
                .isEqualTo("Їжак і ґудзик");
    }

    @Test
    void theBodyCharsetDecidesForRaw8bitLatin() {
        assertThat(HeaderText.decode(latin1View("Zażółć", Charset.forName("ISO-8859-2")),
                Charset.forName("ISO-8859-2"))).isEqualTo("Zażółć");
    }

    /**
     * Western text labelled Latin-1 is read as windows-1252, as browsers and mail clients read it: its curly
     * quotes, dashes and euro sign are 0x80-0x9F, which Latin-1 reads as invisible controls.
     */
    @Test
    void latin1LabelsReadWindows1252Punctuation() {
        byte[] bytes = "I don’t – €100".getBytes(MailCharsets.WINDOWS_1252);
        assertThat(MailCharsets.decode(bytes, StandardCharsets.ISO_8859_1)).isEqualTo("I don’t – €100");
        assertThat(HeaderText.decode("=?ISO-8859-1?Q?I_don=92t_=96_=80100?=", null)).isEqualTo("I don’t – €100");
        assertThat(HeaderText.decode(new String(bytes, StandardCharsets.ISO_8859_1), StandardCharsets.ISO_8859_1))
                .isEqualTo("I don’t – €100");
        // Latin-1's letters are windows-1252's.
        assertThat(MailCharsets.decode("Facture non reçue".getBytes(StandardCharsets.ISO_8859_1),
                StandardCharsets.ISO_8859_1)).isEqualTo("Facture non reçue");
    }

    @Test
    void encodedWordsAreJoinedBeforeDecodingAndSpacesBetweenThemDropped() {
        assertThat(HeaderText.decode("=?utf-8?B?0JDQug==?= =?utf-8?B?0YI=?=", null)).isEqualTo("Акт");
        assertThat(HeaderText.decode("=?utf-8?Q?caf=C3?= =?utf-8?Q?=A9?= bar", null)).isEqualTo("café bar");
        assertThat(HeaderText.decode("Re: =?ISO-8859-1?Q?Fran=E7ois?= wrote", null)).isEqualTo("Re: François wrote");
    }

    @Test
    void malformedEncodedWordsAreLeftReadable() {
        assertThat(HeaderText.decode("=?x-unknown?B?SGVsbG8=?=", null)).isEqualTo("Hello");
        assertThat(HeaderText.decode("=?utf-8?B?SGVsbG8?=", null)).isEqualTo("Hello");
        assertThat(HeaderText.decode("plain subject", null)).isEqualTo("plain subject");
        assertThat(HeaderText.decode(null, null)).isNull();
    }

    @Test
    void charsetNamesFromTheWildResolve() {
        assertThat(MailCharsets.resolve("win-1251")).isEqualTo(MailCharsets.WINDOWS_1251);
        assertThat(MailCharsets.resolve("\"koi8-u\"")).isEqualTo(MailCharsets.KOI8_U);
        assertThat(MailCharsets.resolve("utf-8*en")).isEqualTo(StandardCharsets.UTF_8);
        assertThat(MailCharsets.resolve("x-no-such-charset")).isNull();
    }

    @Test
    void latin1LabelOnCyrillicTextIsCorrected() {
        byte[] bytes = "Добрый день, заказ оплачен".getBytes(MailCharsets.WINDOWS_1251);
        assertThat(MailCharsets.decode(bytes, StandardCharsets.ISO_8859_1)).isEqualTo("Добрый день, заказ оплачен");
        byte[] french = "Très bien, merci beaucoup pour la réponse".getBytes(StandardCharsets.ISO_8859_1);
        assertThat(MailCharsets.decode(french, StandardCharsets.ISO_8859_1))
                .isEqualTo("Très bien, merci beaucoup pour la réponse");
        // A short Western answer's accented letters are a large share of its letters: the label stands.
        for (String answer : new String[] {"Sí.", "Não é.", "Ça va"}) {
            byte[] latin = answer.getBytes(StandardCharsets.ISO_8859_1);
            assertThat(MailCharsets.decode(latin, StandardCharsets.ISO_8859_1)).isEqualTo(answer);
            assertThat(HeaderText.decode(new String(latin, StandardCharsets.ISO_8859_1), StandardCharsets.ISO_8859_1))
                    .isEqualTo(answer);
        }
        assertThat(MailCharsets.decode("Спасибо".getBytes(MailCharsets.WINDOWS_1251), StandardCharsets.ISO_8859_1))
                .isEqualTo("Спасибо");
        // The price: a Cyrillic word under four letters keeps the label it was sent with.
        assertThat(MailCharsets.decode("Нет".getBytes(MailCharsets.WINDOWS_1251), StandardCharsets.ISO_8859_1))
                .isEqualTo("Íåò");
        assertThat(MailCharsets.decode("Нету".getBytes(MailCharsets.WINDOWS_1251), StandardCharsets.ISO_8859_1))
                .isEqualTo("Нету");
    }
}
