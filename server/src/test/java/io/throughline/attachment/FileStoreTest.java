package io.throughline.attachment;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.connector.StoredFile;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStoreTest {

    private static final Instant LONG_AGO = Instant.now().minus(FileStore.SWEEP_AFTER).minus(Duration.ofHours(1));

    @TempDir
    Path root;

    @Test
    void contentStoredAgainIsKeptOnceAndRenewed() throws IOException {
        FileStore store = new FileStore(root);
        StoredFile first = store("the same bytes", store);
        age(store.path(first.sha256()));

        StoredFile second = store("the same bytes", store);
        assertThat(second.sha256()).isEqualTo(first.sha256());
        assertThat(Files.getLastModifiedTime(store.path(second.sha256())).toInstant())
                .isAfter(Instant.now().minus(Duration.ofMinutes(1)));
        assertThat(Files.list(root.resolve("tmp")).toList()).isEmpty();
    }

    @Test
    void aCopyCutShortIsReplacedWhenTheContentComesAgain() throws IOException {
        FileStore store = new FileStore(root);
        StoredFile stored = store("a receipt of some length", store);
        Path file = store.path(stored.sha256());
        Files.write(file, new byte[0]);

        store("a receipt of some length", store);
        assertThat(Files.readString(file)).isEqualTo("a receipt of some length");
    }

    @Test
    void theSweepTakesOnlyOldFilesNothingRefersTo() throws IOException {
        FileStore store = new FileStore(root);
        String kept = store("still attached", store).sha256();
        String unused = store("a dropped draft", store).sha256();
        String recent = store("uploaded a minute ago", store).sha256();
        age(store.path(kept));
        age(store.path(unused));
        List<String> asked = new ArrayList<>();

        int deleted = store.sweep(addresses -> {
            asked.addAll(addresses);
            return Set.of(kept);
        }, Duration.ofHours(6));

        assertThat(deleted).isEqualTo(1);
        assertThat(asked).containsExactlyInAnyOrder(kept, unused);
        assertThat(store.exists(unused)).isFalse();
        assertThat(store.exists(kept)).isTrue();
        assertThat(store.exists(recent)).isTrue();
        assertThat(Files.list(root.resolve("tmp")).toList()).isEmpty();
    }

    @Test
    void contentStoredAgainWhileTheSweepRunsStays() throws IOException {
        FileStore store = new FileStore(root);
        String sha = store("attached again right now", store).sha256();
        age(store.path(sha));

        int deleted = store.sweep(addresses -> {
            // Between the sweep's look at the file and its delete, the same content is stored for a new message.
            try {
                store("attached again right now", store);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return Set.of();
        }, Duration.ofHours(6));

        assertThat(deleted).isZero();
        assertThat(Files.readString(store.path(sha))).isEqualTo("attached again right now");
    }

    @Test
    void aFileASweepLeftAsideGoesBackBeforeTheNextOneDecides() throws IOException {
        FileStore store = new FileStore(root);
        String sha = store("attached, its sweep interrupted", store).sha256();
        Path aside = root.resolve("tmp").resolve("swept-" + sha);
        Files.move(store.path(sha), aside);
        age(aside);

        assertThat(store.sweep(addresses -> Set.copyOf(addresses), Duration.ofHours(6))).isZero();
        assertThat(Files.readString(store.path(sha))).isEqualTo("attached, its sweep interrupted");
        assertThat(aside).doesNotExist();
    }

    /**
     * Content stored again while an interrupted sweep's aged copy waited aside: putting the aside copy back replaced
     * the fresh one (a rename replaces its target), with the old time, and the same sweep deleted it as unused while
     * the new message referring to it was still being written.
     */
    @Test
    void puttingBackAnAsideCopyNeverReplacesContentStoredAgain() throws IOException {
        FileStore store = new FileStore(root);
        String sha = store("stored again after a crashed sweep", store).sha256();
        Path aside = root.resolve("tmp").resolve("swept-" + sha);
        Files.copy(store.path(sha), aside);
        age(aside);

        assertThat(store.sweep(addresses -> Set.of(), Duration.ofHours(6))).as("nothing old in place").isZero();
        assertThat(Files.readString(store.path(sha))).isEqualTo("stored again after a crashed sweep");
        assertThat(aside).doesNotExist();
    }

    @Test
    void temporaryFilesOfUnfinishedUploadsGoOnceOld() throws IOException {
        Path tmp = Files.createDirectories(root.resolve("uploads"));
        Path abandoned = Files.writeString(tmp.resolve("abandoned"), "half a file");
        age(abandoned);
        Path running = Files.writeString(tmp.resolve("running"), "arriving now");

        assertThat(FileStore.sweepTemporary(tmp, Duration.ofHours(6))).isEqualTo(1);
        assertThat(abandoned).doesNotExist();
        assertThat(running).exists();
    }

    private static StoredFile store(String content, FileStore store) throws IOException {
        return store.store(new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)), "file.txt",
                "text/plain", 1_000_000);
    }

    @Test
    void aContentTypeIsKeptOnlyWhenItIsOne() {
        assertThat(FileStore.cleanType("image/png")).isEqualTo("image/png");
        assertThat(FileStore.cleanType("text/plain;\r\n\tcharset=utf-8")).isEqualTo("text/plain; charset=utf-8");
        assertThat(FileStore.cleanType("image/jpeg; name=\"фото.jpg\"")).isEqualTo("image/jpeg; name=\"фото.jpg\"");
        assertThat(FileStore.cleanType("text/pl\u0000ain")).as("a NUL byte PostgreSQL refuses")
                .isEqualTo("application/octet-stream");
        assertThat(FileStore.cleanType("image/" + "x".repeat(300))).isEqualTo("application/octet-stream");
        assertThat(FileStore.cleanType("text/plain; x=\u0000")).isEqualTo("text/plain");
        assertThat(FileStore.cleanType("image/png; name=" + "x".repeat(300))).isEqualTo("image/png");
        assertThat(FileStore.cleanType("not a type")).isEqualTo("application/octet-stream");
        assertThat(FileStore.cleanType(null)).isEqualTo("application/octet-stream");
        assertThat(FileStore.cleanType(" ")).isEqualTo("application/octet-stream");
    }

    @Test
    void aNameKeepsNoControlsThatHideItsExtensionOrItsFolder() {
        assertThat(FileStore.cleanName("invoice_\u202Egpj.exe")).isEqualTo("invoice_gpj.exe");
        assertThat(FileStore.cleanName("\u2067scan\u2069.pdf\u200F")).isEqualTo("scan.pdf");
        assertThat(FileStore.cleanName("../etc/pass\u0000wd")).isEqualTo(".._etc_pass_wd");
        assertThat(FileStore.cleanName("замовлення №5.pdf")).isEqualTo("замовлення №5.pdf");
        assertThat(FileStore.cleanName("\u202E")).isEqualTo("attachment");
        // Bounded at 200 characters, never inside an emoji's pair (half of one is written as "?").
        assertThat(FileStore.cleanName("x".repeat(199) + "😀.png")).isEqualTo("x".repeat(199));
        assertThat(FileStore.cleanName("x".repeat(198) + "😀.png")).isEqualTo("x".repeat(198) + "😀");
    }

    private static void age(Path file) throws IOException {
        Files.setLastModifiedTime(file, FileTime.from(LONG_AGO));
    }
}
