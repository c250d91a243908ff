package io.throughline.attachment;

import io.throughline.connector.AttachmentStore;
import io.throughline.connector.StoredFile;
import io.throughline.connector.Texts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Files addressed by the SHA-256 of their content: {@code ab/cd/abcd…}. A file is written to a temporary name,
 * hashed on the way, forced to disk, then moved into place atomically; identical content is kept once, and a crash
 * never leaves a half-written file under its final name.
 *
 * <p>Files no attachment or upload refers to any more are swept ({@link #sweep}). Storing content that is already
 * here renews the file's modification time, and the sweep only takes files untouched for {@link #SWEEP_AFTER}, so
 * content stored again just as the sweep runs is never taken from under its new attachment.
 */
public final class FileStore implements AttachmentStore {

    private static final Logger log = LoggerFactory.getLogger(FileStore.class);
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final int MAX_TYPE_CHARS = 255;
    /** {@code type/subtype} in RFC 6838's characters, and what may follow it: parameters, no control character. */
    private static final Pattern MEDIA_TYPE = Pattern.compile(
            "[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*");
    private static final Pattern PARAMETERS = Pattern.compile(" *;[^\\x00-\\x1f\\x7f]*");
    /** Longer than the day an unclaimed upload row lives, so a file outlives every row that may still claim it. */
    public static final Duration SWEEP_AFTER = Duration.ofDays(2);
    private static final int SWEEP_BATCH = 500;

    private final Path root;

    public FileStore(Path root) {
        this.root = root;
        try {
            Files.createDirectories(root.resolve("tmp"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the attachment store in " + root, e);
        }
    }

    @Override
    public StoredFile store(InputStream content, String filename, String contentType, long maxBytes)
            throws IOException {
        Path temp = Files.createTempFile(root.resolve("tmp"), "upload-", ".part");
        try {
            MessageDigest digest = sha256();
            long size;
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE);
                 OutputStream out = new DigestOutputStream(Channels.newOutputStream(channel), digest)) {
                size = copyLimited(content, out, maxBytes);
                out.flush();
                channel.force(true);
            }
            String sha = HexFormat.of().formatHex(digest.digest());
            Path target = path(sha);
            Files.createDirectories(target.getParent());
            if (!renewed(target, size)) {
                try {
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    throw new IOException("the attachment store needs atomic renames within " + root, e);
                }
                forceDirectory(target.getParent());
            }
            return new StoredFile(sha, size, cleanName(filename), cleanType(contentType));
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * The content type as given (unfolded) when it is one: {@code type/subtype}, then parameters without control
     * characters, 255 characters at most; one whose parameters are longer or hold control characters keeps its
     * {@code type/subtype}; anything else (a NUL byte inside the type, which PostgreSQL refuses, or no type at all)
     * is stored as a byte stream.
     */
    static String cleanType(String contentType) {
        String unfolded = contentType == null ? "" : contentType.replaceAll("[\\r\\n\\t]+", " ").strip();
        Matcher type = MEDIA_TYPE.matcher(unfolded);
        if (!type.lookingAt() || type.end() > MAX_TYPE_CHARS) {
            return "application/octet-stream";
        }
        String parameters = unfolded.substring(type.end());
        if (parameters.isEmpty()) {
            return unfolded;
        }
        if (!parameters.startsWith(" ") && !parameters.startsWith(";")) {
            return "application/octet-stream";
        }
        boolean clean = unfolded.length() <= MAX_TYPE_CHARS && PARAMETERS.matcher(parameters).matches();
        return clean ? unfolded : type.group();
    }

    @Override
    public Path path(String sha256) {
        if (!SHA256.matcher(sha256).matches()) {
            throw new IllegalArgumentException("not a SHA-256 address");
        }
        return root.resolve(sha256.substring(0, 2)).resolve(sha256.substring(2, 4)).resolve(sha256);
    }

    public boolean exists(String sha256) {
        return Files.exists(path(sha256));
    }

    /**
     * Whether the content is already stored whole: its modification time is renewed (the sweep leaves it alone
     * from now on). A file of another size (cut short by a crash of the filesystem) is replaced by the caller.
     */
    private static boolean renewed(Path target, long size) throws IOException {
        try {
            Files.setLastModifiedTime(target, FileTime.from(Instant.now()));
            // Checked after the touch: a sweep that took the file before it is seen here, and ours is written.
            return Files.size(target) == size;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    /** The rename into place survives a crash only once its directory is on disk too. */
    private static void forceDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some filesystems cannot open or sync a directory; the file itself is on disk.
            log.debug("attachment directory not synced dir={}: {}", directory, e.toString());
        }
    }

    /**
     * Deletes stored files that nothing refers to: files untouched for {@link #SWEEP_AFTER} whose address
     * {@code referenced} does not return. A file renewed while it is being swept (its content stored again) is
     * put back. Temporary files older than {@code tempAfter} (uploads whose client went away) go too.
     *
     * @param referenced the addresses among those given that an attachment or upload still uses
     * @return how many stored files were deleted
     */
    public int sweep(Function<List<String>, Set<String>> referenced, Duration tempAfter) throws IOException {
        putBackInterrupted();
        sweepTemporary(root.resolve("tmp"), tempAfter);
        Instant cutoff = Instant.now().minus(SWEEP_AFTER);
        List<Path> batch = new ArrayList<>();
        int deleted = 0;
        try (Stream<Path> shards = Files.list(root)) {
            for (Path shard : shards.filter(p -> p.getFileName().toString().matches("[0-9a-f]{2}")).toList()) {
                try (Stream<Path> stored = Files.walk(shard, 2)) {
                    for (Path file : (Iterable<Path>) stored::iterator) {
                        if (SHA256.matcher(file.getFileName().toString()).matches() && olderThan(file, cutoff)) {
                            batch.add(file);
                            if (batch.size() == SWEEP_BATCH) {
                                deleted += sweepBatch(batch, referenced, cutoff);
                                batch.clear();
                            }
                        }
                    }
                }
            }
        }
        deleted += sweepBatch(batch, referenced, cutoff);
        return deleted;
    }

    private int sweepBatch(List<Path> batch, Function<List<String>, Set<String>> referenced, Instant cutoff)
            throws IOException {
        if (batch.isEmpty()) {
            return 0;
        }
        Set<String> used = referenced.apply(batch.stream().map(p -> p.getFileName().toString()).toList());
        int deleted = 0;
        for (Path file : batch) {
            String sha = file.getFileName().toString();
            if (used.contains(sha)) {
                continue;
            }
            Path trash = root.resolve("tmp").resolve("swept-" + sha);
            try {
                Files.move(file, trash, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (NoSuchFileException e) {
                continue;
            }
            if (olderThan(trash, cutoff)) {
                Files.delete(trash);
                deleted++;
            } else {
                // Stored again between the check and the move: put it back (or keep the copy written since).
                try {
                    Files.move(trash, file, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException e) {
                    Files.delete(trash);
                }
            }
        }
        return deleted;
    }

    /**
     * A sweep that stopped between moving a file aside and deciding (a crash, a failed move back) leaves it in
     * {@code tmp}: it goes back to its place first, and this sweep decides about it again.
     */
    private void putBackInterrupted() throws IOException {
        try (Stream<Path> files = Files.list(root.resolve("tmp"))) {
            for (Path aside : files.filter(f -> f.getFileName().toString().startsWith("swept-")).toList()) {
                String sha = aside.getFileName().toString().substring("swept-".length());
                if (!SHA256.matcher(sha).matches()) {
                    continue;
                }
                Path home = path(sha);
                Files.createDirectories(home.getParent());
                // Linked, not moved: a rename replaces a copy stored again meanwhile with this aged one, and the
                // sweep that follows would take that for unused and delete content a new message is about to
                // refer to. A link never replaces; the copy in place (same content, fresh time) wins.
                try {
                    Files.createLink(home, aside);
                } catch (FileAlreadyExistsException e) {
                    // stored again meanwhile: the same content is in place
                } catch (UnsupportedOperationException | IOException e) {
                    // A filesystem without hard links: moved back unless a copy is in place.
                    if (!Files.exists(home)) {
                        Files.move(aside, home, StandardCopyOption.ATOMIC_MOVE);
                    }
                }
                Files.deleteIfExists(aside);
            }
        }
    }

    /** Uploads and sweeps that never finished: a client that hung up, a crash. */
    public static int sweepTemporary(Path directory, Duration olderThan) throws IOException {
        if (!Files.isDirectory(directory)) {
            return 0;
        }
        Instant cutoff = Instant.now().minus(olderThan);
        int deleted = 0;
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.toList()) {
                if (Files.isRegularFile(file) && olderThan(file, cutoff) && Files.deleteIfExists(file)) {
                    deleted++;
                }
            }
        }
        return deleted;
    }

    private static boolean olderThan(Path file, Instant cutoff) {
        try {
            return Files.getLastModifiedTime(file).toInstant().isBefore(cutoff);
        } catch (IOException e) {
            return false;
        }
    }

    private static long copyLimited(InputStream in, OutputStream out, long maxBytes) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = in.read(buffer)) != -1) {
            total += read;
            if (total > maxBytes) {
                throw new FileTooLarge(maxBytes);
            }
            out.write(buffer, 0, read);
        }
        return total;
    }

    /** Bidirectional controls, which make "invoice_[U+202E]gpj.exe" show as "invoice_exe.jpg". */
    private static final Pattern BIDI_CONTROLS = Pattern.compile("[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]");

    /**
     * A display name only: path separators and control characters removed, length bounded at 200 characters (never
     * inside an emoji's surrogate pair, which the database's encoder would write as "?").
     */
    static String cleanName(String filename) {
        String name = filename == null ? "" : BIDI_CONTROLS.matcher(filename).replaceAll("")
                .replaceAll("[\\p{Cntrl}/\\\\]", "_").strip();
        if (name.isEmpty()) {
            name = "attachment";
        }
        return Texts.cut(name, 200);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
