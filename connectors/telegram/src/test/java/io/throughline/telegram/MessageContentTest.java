package io.throughline.telegram;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;
import org.telegram.telegrambots.meta.api.objects.Update;

/** What agents read for each kind of Telegram message, from update fixtures in the Bot API's own JSON. */
class MessageContentTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long TWENTY_MB = 20L << 20;

    @Test
    void aPhotoKeepsItsCaptionAndOnlyTheLargestSizeIsFetched() {
        MessageContent content = content("photo_with_caption");
        assertThat(content.text()).isEqualTo("Коробка пошкоджена");
        assertThat(content.files()).singleElement().satisfies(file -> {
            assertThat(file.fileId()).isEqualTo("AgACAgIAAxkBAAIBlarge");
            assertThat(file.filename()).isEqualTo("photo-AQADlarge.jpg");
            assertThat(file.contentType()).isEqualTo("image/jpeg");
            assertThat(file.size()).isEqualTo(98765);
        });
    }

    /** A photo larger than the inbox fetches reaches the agent in the largest of its sizes that fits. */
    @Test
    void aPhotoOverTheLimitIsTakenInTheLargestSizeThatFits() {
        assertThat(content("photo_with_caption", 50_000).files()).singleElement()
                .satisfies(file -> assertThat(file.fileId()).isEqualTo("AgACAgIAAxkBAAIBmedium"));
        assertThat(content("photo_with_caption", 1_000).files()).singleElement()
                .satisfies(file -> assertThat(file.fileId()).isEqualTo("AgACAgIAAxkBAAIBlarge"));
    }

    @Test
    void anAnimationIsFetchedOnceThoughTelegramAlsoSendsItAsADocument() {
        assertThat(content("animation").files()).singleElement()
                .satisfies(file -> assertThat(file.filename()).isEqualTo("dance.gif.mp4"));
    }

    @Test
    void aVenueShowsItsNameAddressAndAMapLinkInsteadOfBareCoordinates() {
        assertThat(content("venue").text()).isEqualTo("[Place: Nova Poshta #12, vul. Doroshenka 5, Lviv"
                + " https://www.openstreetmap.org/?mlat=49.841952&mlon=24.031592#map=17/49.841952/24.031592]");
    }

    @Test
    void aPollShowsItsQuestionAndOptions() {
        assertThat(content("poll").text()).isEqualTo("[Poll: Which colour?\n - Red\n - Blue]");
    }

    @Test
    void anAnimatedStickerIsShownByItsEmojiWithoutAFileBrowsersCannotShow() {
        MessageContent content = content("animated_sticker");
        assertThat(content.text()).isEqualTo("[Sticker 😂]");
        assertThat(content.files()).isEmpty();
    }

    @Test
    void onlyTheSendersOwnContactCardProvesAPhone() {
        assertThat(content("contact_own").sharedPhone()).isEqualTo("380501234567");
        MessageContent forwarded = content("contact_forwarded");
        assertThat(forwarded.sharedPhone()).isNull();
        assertThat(forwarded.text()).isEqualTo("[Contact: Taras Kovalenko, +380671112233]");
    }

    @Test
    void serviceMessagesCarryNothingToAnswer() {
        assertThat(content("pinned_service").substantive()).isFalse();
        // Logging in on the shop's site with Telegram, a chat setting, a group upgraded to a supergroup.
        assertThat(content("connected_website").substantive()).isFalse();
        assertThat(content("auto_delete_timer").substantive()).isFalse();
        assertThat(content("write_access_allowed").substantive()).isFalse();
        assertThat(content("chat_migrated").substantive()).isFalse();
    }

    @Test
    void contentNewerThanTheConnectorIsAnnouncedRatherThanDropped() {
        MessageContent content = content("story");
        assertThat(content.substantive()).isTrue();
        assertThat(content.text()).startsWith("[Unsupported Telegram message");
    }

    @Test
    void aForwardedMessageSaysWhoWroteIt() {
        MessageContent fromUser = content("forwarded_text");
        assertThat(fromUser.text()).isEqualTo("[Forwarded from Taras Kovalenko]\n"
                + "I authorise a refund to card 4111 for order 1042");
        assertThat(fromUser.html()).isEqualTo("[Forwarded from Taras Kovalenko]<br>"
                + "I <b>authorise</b> a refund to card 4111 for order 1042");

        MessageContent fromChannel = content("forwarded_channel_photo");
        assertThat(fromChannel.text()).isEqualTo("[Forwarded from Acme <News> (Ivan)]\nNew prices from Monday");
        assertThat(fromChannel.files()).hasSize(1);
        assertThat(content("contact_forwarded").text()).doesNotContain("Forwarded");
    }

    /** Media the connector does not know, under a caption: the caption, and a line saying there is more. */
    @Test
    void aCaptionedMessageOfAKindNewerThanTheConnectorSaysSo() throws IOException {
        Update update = JSON.readValue("""
                {"update_id": 1, "message": {"message_id": 8, "date": 1700000000,
                  "chat": {"id": 42, "type": "private"}, "from": {"id": 42, "is_bot": false, "first_name": "Eve"},
                  "caption": "see attached",
                  "paid_media": {"star_count": 5, "paid_media": [{"type": "preview", "width": 640, "height": 480}]}}}
                """, Update.class);
        MessageContent content = MessageContent.of(update.getMessage(), TWENTY_MB);
        assertThat(content.text()).isEqualTo("see attached\n[Unsupported Telegram message: open the chat in Telegram"
                + " to see it]");
        assertThat(content("photo_with_caption").text()).doesNotContain("Unsupported");
    }

    /** A document's name reads as the file is: no right-to-left override turning ".exe" into ".jpg". */
    @Test
    void aDocumentsNameLosesTheControlsThatWouldDisguiseIt() throws IOException {
        Update update = JSON.readValue("""
                {"update_id": 1, "message": {"message_id": 7, "date": 1700000000,
                  "chat": {"id": 42, "type": "private"}, "from": {"id": 42, "is_bot": false, "first_name": "Eve"},
                  "document": {"file_id": "d1", "file_unique_id": "u1", "file_size": 31000000,
                    "file_name": "invoice_\\u202Egpj.exe\\n"}}}""", Update.class);
        assertThat(MessageContent.of(update.getMessage(), TWENTY_MB).files()).singleElement()
                .satisfies(file -> assertThat(file.filename()).isEqualTo("invoice_gpj.exe"));
    }

    /** An audio file's title names it when it has no file name, without its control and direction characters. */
    @Test
    void anAudioTitleNamesTheFileCleaned() {
        assertThat(content("audio_titled").files()).singleElement()
                .satisfies(file -> assertThat(file.filename()).isEqualTo("invoicegpj.exe.mp3"));
    }

    private static MessageContent content(String fixture) {
        return content(fixture, TWENTY_MB);
    }

    private static MessageContent content(String fixture, long maxFileBytes) {
        try (InputStream in = MessageContentTest.class.getResourceAsStream("/updates/" + fixture + ".json")) {
            return MessageContent.of(JSON.readValue(in, Update.class).getMessage(), maxFileBytes);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
