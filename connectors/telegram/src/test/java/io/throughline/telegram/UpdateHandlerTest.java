package io.throughline.telegram;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.throughline.connector.DeliveryReport;
import io.throughline.connector.InboundEdit;
import io.throughline.connector.InboundMessage;
import io.throughline.connector.InboundSink;
import io.throughline.connector.IngestReceipt;
import io.throughline.connector.StorageUnavailable;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.telegram.telegrambots.meta.api.objects.Update;

/**
 * What the handler does when the sink keeps failing an update: a passing fault is retried for as long as it lasts,
 * any other fault only a few times, and then the update becomes a note in the customer's thread.
 */
class UpdateHandlerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TelegramConfig CONFIG = TelegramConfig.from(new JsonObject()
            .put("botToken", "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"));

    @Test
    void anUpdateThatKeepsFailingBecomesANoteInsteadOfHoldingTheBotBack() throws Exception {
        Sink sink = new Sink(message -> {
            if (message.externalId().startsWith("update:")) {
                return stored();
            }
            throw new IllegalStateException("value too long for type character varying(64)");
        });
        UpdateHandler handler = new UpdateHandler(1, CONFIG, "", sink, new MediaFetcher(null, null, 1, 1),
                new FailedTries());
        Update update = update("formatted_text");

        for (int i = 1; i < UpdateHandler.MAX_TRIES; i++) {
            assertThatThrownBy(() -> handler.handle(update)).isInstanceOf(IllegalStateException.class);
        }
        assertThat(handler.handle(update)).isEqualTo(UpdateHandler.Outcome.STORED);

        InboundMessage note = sink.accepted.getLast();
        assertThat(note.externalId()).isEqualTo("update:812345010");
        assertThat(note.text()).isEqualTo("[A Telegram message could not be stored: value too long for type"
                + " character varying(64) (Telegram update 812345010)]");
        assertThat(note.sender().identities()).extracting(i -> i.value()).containsExactly("411223344");
    }

    /** Any edit of an inbox reloads it with a new handler: the count goes on across reloads. */
    @Test
    void theCountSurvivesTheInboxBeingReloaded() throws Exception {
        Sink sink = new Sink(message -> {
            if (message.externalId().startsWith("update:")) {
                return stored();
            }
            throw new IllegalStateException("refused");
        });
        FailedTries tries = new FailedTries();
        Update update = update("formatted_text");
        for (int i = 1; i < UpdateHandler.MAX_TRIES; i++) {
            UpdateHandler reloaded = new UpdateHandler(1, CONFIG, "", sink, new MediaFetcher(null, null, 1, 1), tries);
            assertThatThrownBy(() -> reloaded.handle(update)).isInstanceOf(IllegalStateException.class);
        }
        UpdateHandler last = new UpdateHandler(1, CONFIG, "", sink, new MediaFetcher(null, null, 1, 1), tries);
        assertThat(last.handle(update)).isEqualTo(UpdateHandler.Outcome.STORED);
        assertThat(sink.accepted.getLast().externalId()).isEqualTo("update:812345010");
    }

    @Test
    void aPassingFaultIsRetriedForAsLongAsItLasts() throws Exception {
        Sink sink = new Sink(message -> {
            throw new StorageUnavailable("the database is unavailable", null);
        });
        UpdateHandler handler = new UpdateHandler(1, CONFIG, "", sink, new MediaFetcher(null, null, 1, 1),
                new FailedTries());
        Update update = update("formatted_text");
        for (int i = 0; i < UpdateHandler.MAX_TRIES * 3; i++) {
            assertThatThrownBy(() -> handler.handle(update)).isInstanceOf(StorageUnavailable.class);
        }
        assertThat(sink.accepted).allMatch(m -> !m.externalId().startsWith("update:"));
    }

    @Test
    void aSuccessInBetweenStartsTheCountAgain() throws Exception {
        int[] calls = {0};
        Sink sink = new Sink(message -> {
            calls[0]++;
            if (calls[0] % UpdateHandler.MAX_TRIES == 0) {
                return stored();
            }
            throw new IllegalStateException("flaky");
        });
        UpdateHandler handler = new UpdateHandler(1, CONFIG, "", sink, new MediaFetcher(null, null, 1, 1),
                new FailedTries());
        Update update = update("formatted_text");
        for (int round = 0; round < 2; round++) {
            for (int i = 1; i < UpdateHandler.MAX_TRIES; i++) {
                assertThatThrownBy(() -> handler.handle(update)).isInstanceOf(IllegalStateException.class);
            }
            assertThat(handler.handle(update)).isEqualTo(UpdateHandler.Outcome.STORED);
        }
        assertThat(sink.accepted).noneMatch(m -> m.externalId().startsWith("update:"));
    }

    private static IngestReceipt stored() {
        return new IngestReceipt(IngestReceipt.Outcome.STORED, 1, 1, 1);
    }

    private static Update update(String fixture) {
        try (InputStream in = UpdateHandlerTest.class.getResourceAsStream("/updates/" + fixture + ".json")) {
            return JSON.readValue(in, Update.class);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A sink answering each message with {@code answer}, recording what it was given. */
    private static final class Sink implements InboundSink {
        final List<InboundMessage> accepted = new ArrayList<>();
        private final Function<InboundMessage, IngestReceipt> answer;

        Sink(Function<InboundMessage, IngestReceipt> answer) {
            this.answer = answer;
        }

        @Override
        public IngestReceipt accept(InboundMessage message) {
            accepted.add(message);
            return answer.apply(message);
        }

        @Override
        public IngestReceipt edit(InboundEdit edit) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void report(DeliveryReport report) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Set<String> stored(Collection<String> externalIds) {
            return Set.of();
        }

        @Override
        public Optional<JsonObject> metadata(String externalId) {
            return Optional.empty();
        }
    }
}
