package io.throughline.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.io.FileUtils;

/**
 * Temporary files and directories that are removed when the test JVM exits. A run creates thousands (every test
 * server has a data directory holding its index), and a server restarted on the same directory needs it to outlive
 * the first server, so they go at exit rather than when a test ends.
 */
public final class Scratch {

    private static final List<Path> CREATED = new ArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Scratch::removeAll, "scratch-cleanup"));
    }

    private Scratch() {
    }

    /** A new empty directory. */
    public static Path dir(String prefix) {
        try {
            return remember(Files.createTempDirectory(prefix));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A new empty file. */
    public static Path file(String prefix, String suffix) {
        try {
            return remember(Files.createTempFile(prefix, suffix));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static synchronized Path remember(Path path) {
        CREATED.add(path);
        return path;
    }

    private static synchronized void removeAll() {
        for (Path path : CREATED) {
            FileUtils.deleteQuietly(path.toFile());
        }
    }
}
