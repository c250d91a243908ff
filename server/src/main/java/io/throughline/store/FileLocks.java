package io.throughline.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;

/** Exclusive locks on files that mark a directory as owned by one process. */
public final class FileLocks {

    private FileLocks() {
    }

    /**
     * The lock, or null when it is held: by another process, or (an overlapping lock, which the JVM reports
     * by throwing) by this one.
     */
    public static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }
}
