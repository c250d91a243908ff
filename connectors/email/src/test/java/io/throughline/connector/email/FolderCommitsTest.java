package io.throughline.connector.email;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.throughline.connector.AttachmentStore;
import io.throughline.connector.DeliveryReport;
import io.throughline.connector.InboundEdit;
import io.throughline.connector.InboundFlag;
import io.throughline.connector.InboundMessage;
import io.throughline.connector.InboundSink;
import io.throughline.connector.IngestReceipt;
import io.throughline.connector.StoredFile;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A mail that fails its ingest again and again is stored unparsed, so one bad mail never blocks a folder. */
class FolderCommitsTest {

    private static final String MAIL = String.join("\r\n", "From: Ada <ada@example.com>", "To: help@example.com",
            "Subject: the runaway", "Message-ID: <runaway-1@example.com>", "MIME-Version: 1.0",
            "Content-Type: multipart/mixed; boundary=b", "", "--b", "Content-Type: text/plain", "",
            "See the file.", "--b", "Content-Type: application/octet-stream",
            "Content-Disposition: attachment; filename=runaway.bin", "", "AAAA", "--b--", "");

    private final List<InboundMessage> accepted = new ArrayList<>();
    private final FolderCommits commits = new FolderCommits(1, "INBOX", new MailImporter(1,
            EmailConfig.of(new JsonObject().put("address", "help@example.com").put("smtp", new JsonObject()
                    .put("host", "smtp.example.com").put("password", "p"))),
            new MessageIds(new byte[32], "reply.example.com"), new RecordingSink(), new RunawayStore(),
            () -> 1 << 20));

    /**
     * Preparing the mail ends in an error (a runaway's, beyond the parser's own guard): each attempt counts
     * against the mail, and once it has failed three times it is stored unparsed with its original attached.
     */
    @Test
    void aMailWhosePreparationFailsIsStoredUnparsedAfterItsAttempts() throws IOException {
        byte[] raw = MAIL.getBytes(StandardCharsets.US_ASCII);
        for (int attempt = 0; attempt < FolderCommits.POISON_ATTEMPTS; attempt++) {
            assertThatThrownBy(() -> commits.importBatch(List.of(7L), Map.of(7L, raw)))
                    .isInstanceOf(StackOverflowError.class);
        }
        assertThat(accepted).isEmpty();

        commits.importBatch(List.of(7L), Map.of(7L, raw));

        assertThat(accepted).hasSize(1);
        InboundMessage kept = accepted.getFirst();
        assertThat(kept.flags()).contains(InboundFlag.UNPARSED);
        assertThat(kept.attachments()).extracting(a -> a.file().filename()).containsExactly("original.eml");
        assertThat(kept.metadata().getJsonObject("email").getJsonArray("problems").getString(0))
                .isEqualTo("ingest failed 3 times");
    }

    /** Stores every file but one, whose storing overflows the stack. */
    private static final class RunawayStore implements AttachmentStore {
        @Override
        public StoredFile store(InputStream content, String filename, String contentType, long maxBytes)
                throws IOException {
            if (filename.equals("runaway.bin")) {
                throw new StackOverflowError("simulated");
            }
            byte[] bytes = content.readAllBytes();
            return new StoredFile("sha-" + bytes.length, bytes.length, filename, contentType);
        }

        @Override
        public Path path(String sha256) {
            throw new UnsupportedOperationException("not read in this test");
        }
    }

    private final class RecordingSink implements InboundSink {
        @Override
        public IngestReceipt accept(InboundMessage message) {
            accepted.add(message);
            return new IngestReceipt(IngestReceipt.Outcome.STORED, accepted.size(), 1, 1);
        }

        @Override
        public IngestReceipt edit(InboundEdit edit) {
            throw new UnsupportedOperationException("no edits by mail");
        }

        @Override
        public void report(DeliveryReport report) {
            throw new UnsupportedOperationException("no reports in this test");
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
