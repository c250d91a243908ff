package io.throughline.search;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What {@code ./throughline reindex} needs to reach the server running on a data directory: its local URL and
 * operator token, as published in {@code <data>/index/control.json} (see {@code OperatorChannel}).
 *
 * @param pid the server's process id, to tell a live server from a file left by a crash
 */
public record ServerControl(String url, String token, long pid) {

    /** The control file under this index directory, if a server wrote one (it may be stale after a crash). */
    public static Optional<ServerControl> read(Path indexRoot) {
        Path path = indexRoot.resolve(IndexStore.CONTROL);
        if (!Files.isRegularFile(path)) {
            return Optional.empty();
        }
        try {
            JsonObject json = new JsonObject(Files.readString(path, StandardCharsets.UTF_8));
            if (json.getString("url") == null || json.getString("token") == null) {
                return Optional.empty();
            }
            return Optional.of(new ServerControl(json.getString("url"), json.getString("token"),
                    json.getLong("pid", 0L)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** True while the process that wrote the file runs (always true when the pid is unknown). */
    public boolean processAlive() {
        return pid <= 0 || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
}
