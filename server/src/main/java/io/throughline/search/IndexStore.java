package io.throughline.search;

import io.throughline.store.FileLocks;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.io.file.PathUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The layout of {@code <data>/index}: one directory per generation, named by schema version and a counter
 * ({@code v1-g3}), and a {@code CURRENT} file naming the one in service. A rebuild writes a new generation
 * beside the current one and only then replaces {@code CURRENT} (write a temporary file, fsync, atomic rename),
 * so a crash at any point leaves either the old index or the new one in service, never a half-built one.
 * Generations that {@code CURRENT} does not name are leftovers of such a crash and are deleted on start.
 *
 * <p>One process at a time owns the directory, through a file lock: a server, or {@code reindex} run while no
 * server is up.
 */
final class IndexStore implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(IndexStore.class);
    private static final String CURRENT = "CURRENT";
    private static final String LOCK = "owner.lock";
    static final String CONTROL = "control.json";
    private static final Pattern GENERATION = Pattern.compile("v(\\d+)-g(\\d+)");

    private final Path root;
    private final FileChannel lockChannel;
    private final FileLock lock;
    /** The file system's key of the lock file locked (null where it has none): a file made again has another. */
    private final Object lockFileKey;

    private IndexStore(Path root, FileChannel lockChannel, FileLock lock, Object lockFileKey) {
        this.root = root;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.lockFileKey = lockFileKey;
    }

    /** Thrown when another process owns the index directory. */
    static final class Busy extends RuntimeException {
        Busy(String message) {
            super(message);
        }
    }

    /** Takes ownership of {@code root}, creating it; {@link Busy} when another process owns it. */
    static IndexStore open(Path root) {
        try {
            Files.createDirectories(root);
            FileChannel channel = FileChannel.open(root.resolve(LOCK), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            FileLock lock = FileLocks.tryLock(channel);
            if (lock == null) {
                channel.close();
                throw new Busy("another Throughline process (a server, or ./throughline reindex) is using the search"
                        + " index in " + root.toAbsolutePath());
            }
            return new IndexStore(root, channel, lock, lockFileKey(root).orElse(null));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the search index directory " + root, e);
        }
    }

    Path root() {
        return root;
    }

    /**
     * False once the folder this store owns was deleted under it (its lock file went with it), even when a lock
     * file of the same name is there again (a {@code reindex} that found no server made the folder again).
     */
    boolean intact() {
        Optional<Object> key = lockFileKey(root);
        return key.isPresent() && (lockFileKey == null || lockFileKey.equals(key.get()));
    }

    private static Optional<Object> lockFileKey(Path root) {
        try {
            Object key = Files.readAttributes(root.resolve(LOCK), BasicFileAttributes.class).fileKey();
            return Optional.of(key == null ? LOCK : key);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The generation in service, if there is one and it still exists. */
    Optional<String> current() {
        Path file = root.resolve(CURRENT);
        try {
            if (!Files.isRegularFile(file)) {
                return Optional.empty();
            }
            String name = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (!GENERATION.matcher(name).matches() || !Files.isDirectory(root.resolve(name))) {
                log.warn("search index CURRENT names no usable generation current={}", name);
                return Optional.empty();
            }
            return Optional.of(name);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** The schema version a generation was built with. */
    static int schemaOf(String generation) {
        Matcher matcher = GENERATION.matcher(generation);
        if (!matcher.matches()) {
            throw new IllegalArgumentException("not a generation name: " + generation);
        }
        return Integer.parseInt(matcher.group(1));
    }

    /** A name for a new generation of the current schema, above every existing one. */
    String nextGeneration() {
        return nextGeneration(null);
    }

    /**
     * A name for a new generation of the current schema, above every existing one and above {@code inService}
     * (null: none), whose folder may be gone: its name must not come back, or deleting it once it is replaced
     * would delete its successor.
     */
    String nextGeneration(String inService) {
        Matcher serving = inService == null ? null : GENERATION.matcher(inService);
        long highest = serving != null && serving.matches() ? Long.parseLong(serving.group(2)) : 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path entry : entries) {
                Matcher matcher = GENERATION.matcher(entry.getFileName().toString());
                if (matcher.matches()) {
                    highest = Math.max(highest, Long.parseLong(matcher.group(2)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
        return "v" + SearchFields.SCHEMA_VERSION + "-g" + (highest + 1);
    }

    Path pathOf(String generation) {
        return root.resolve(generation);
    }

    /** Puts a generation in service: an atomic replace of {@code CURRENT}, durable before it returns. */
    void makeCurrent(String generation) {
        Path temp = root.resolve(CURRENT + ".tmp");
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            channel.write(StandardCharsets.UTF_8.encode(generation + "\n"));
            channel.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + temp, e);
        }
        try {
            try {
                Files.move(temp, root.resolve(CURRENT), StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, root.resolve(CURRENT), StandardCopyOption.REPLACE_EXISTING);
            }
            syncDirectory();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot replace " + root.resolve(CURRENT), e);
        }
    }

    private void syncDirectory() {
        // Makes the rename itself durable; not every platform lets a directory be opened (Windows does not).
        try (FileChannel dir = FileChannel.open(root, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            log.debug("cannot fsync the index directory: {}", e.toString());
        }
    }

    /** Deletes every generation except {@code keep} (null: all of them). */
    void deleteGenerationsExcept(String keep) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (GENERATION.matcher(name).matches() && !name.equals(keep)) {
                    deleteTree(entry);
                    log.info("search index generation deleted generation={}", name);
                }
            }
        } catch (IOException e) {
            log.warn("cannot clean the search index directory {}: {}", root, e.toString());
        }
    }

    void deleteGeneration(String generation) {
        deleteTree(root.resolve(generation));
    }

    private static void deleteTree(Path path) {
        if (!Files.exists(path)) {
            return;
        }
        try {
            PathUtils.deleteDirectory(path);
        } catch (IOException e) {
            log.warn("cannot delete {}: {}", path, e.toString());
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            log.warn("cannot release the search index lock: {}", e.toString());
        }
    }
}
