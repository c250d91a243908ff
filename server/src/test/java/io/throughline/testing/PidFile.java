package io.throughline.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/** A PostgreSQL data directory's {@code postmaster.pid}, as the tests that start and stop servers read it. */
public final class PidFile {

    private PidFile() {
    }

    /**
     * Whether the server of this data directory accepts connections: the pid file's eighth line says "ready". A
     * file gone between the look and the read (a first start's setup runs a server of its own, which removes it as
     * it stops) is no server yet.
     */
    public static boolean ready(Path dataDir) throws IOException {
        Path pid = dataDir.resolve("postmaster.pid");
        List<String> lines;
        try {
            lines = Files.readAllLines(pid);
        } catch (NoSuchFileException e) {
            return false;
        }
        return lines.size() >= 8 && lines.get(7).strip().equals("ready");
    }

    /** The server's process id. */
    public static long pid(Path dataDir) throws IOException {
        return Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).getFirst().strip());
    }
}
