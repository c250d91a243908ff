package io.throughline.search;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How {@code ./throughline reindex} reaches the server running on the same data directory. The index lives in
 * the server process and only one process can hold its IndexWriter, so the command asks the server to rebuild
 * online rather than opening the index itself.
 *
 * <p>At start the server writes {@code <data>/index/control.json} (owner-only permissions) with its local URL
 * and a random operator token, and removes it on shutdown. Whoever can read the data directory can already read
 * the whole database, so the file grants nothing new, much as PostgreSQL's peer authentication trusts the local
 * user. The token is accepted by the {@code /api/v1/ops/search} endpoints, and shows every inbox in {@code /health}.
 */
final class OperatorChannel {

    private static final Logger log = LoggerFactory.getLogger(OperatorChannel.class);

    private final Path file;
    private final String token;
    private volatile boolean published;

    OperatorChannel(Path indexRoot) {
        this.file = indexRoot.resolve(IndexStore.CONTROL);
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        this.token = "tlop_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    void publish(String localUrl) {
        JsonObject json = new JsonObject().put("url", localUrl).put("token", token)
                .put("pid", ProcessHandle.current().pid()).put("startedAt", Instant.now().toString());
        Path temp = file.resolveSibling(IndexStore.CONTROL + ".tmp");
        try {
            Files.deleteIfExists(temp);
            try {
                Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                        "rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(temp);
            } catch (FileAlreadyExistsException e) {
                log.debug("control file appeared concurrently: {}", e.toString());
            }
            Files.writeString(temp, json.encodePrettily() + "\n", StandardCharsets.UTF_8);
            try {
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            published = true;
        } catch (IOException e) {
            log.warn("cannot write {}; ./throughline reindex will not reach this server: {}", file, e.toString());
        }
    }

    /** Removes the file this server wrote (never one another process wrote on a directory it could not take). */
    void withdraw() {
        if (!published) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.debug("cannot delete {}: {}", file, e.toString());
        }
    }

    boolean accepts(String candidate) {
        return candidate != null && MessageDigest.isEqual(candidate.getBytes(StandardCharsets.UTF_8),
                token.getBytes(StandardCharsets.UTF_8));
    }
}
