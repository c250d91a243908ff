package io.throughline.attachment;

import io.throughline.connector.AttachmentStore;
import io.throughline.connector.StoredFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Files addressed by the SHA-256 of their content: {@code ab/cd/abcd…}. A file is written to a temporary name,
 * hashed on the way, then moved into place atomically; identical content is kept once, and a crash never leaves
 * a half-written file under its final name.
 */
public final class FileStore implements AttachmentStore {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

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
            try (OutputStream out = new DigestOutputStream(Files.newOutputStream(temp), digest)) {
                size = copyLimited(content, out, maxBytes);
            }
            String sha = HexFormat.of().formatHex(digest.digest());
            Path target = path(sha);
            Files.createDirectories(target.getParent());
            if (!Files.exists(target)) {
                try {
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                    // Another writer stored the same content first; theirs is identical.
                    if (!Files.exists(target)) {
                        throw e;
                    }
                }
            }
            return new StoredFile(sha, size, cleanName(filename), contentType == null || contentType.isBlank()
                    ? "application/octet-stream" : contentType);
        } finally {
            Files.deleteIfExists(temp);
        }
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

    /** A display name only: path separators and control characters removed, length bounded. */
    static String cleanName(String filename) {
        String name = filename == null ? "" : filename.replaceAll("[\\p{Cntrl}/\\\\]", "_").strip();
        if (name.isEmpty()) {
            name = "attachment";
        }
        return name.length() > 200 ? name.substring(0, 200) : name;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
