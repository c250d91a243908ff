package io.throughline.attachment;

import io.throughline.connector.AttachmentStore;
import io.throughline.connector.StoredFile;
import io.throughline.failure.NotFound;
import io.throughline.failure.PayloadTooLarge;
import io.throughline.store.Database;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Uploads (files an agent attaches before sending) and downloads, scoped to the caller's workspace. */
public final class AttachmentService {

    /** How long an unfinished upload's temporary file may stay: far longer than any upload takes. */
    public static final Duration TEMPORARY_FILES_LIVE = Duration.ofHours(6);
    /** "tl-sweep": held by the node sweeping the store. */
    static final long SWEEP_LOCK = 0x746c2d7377656570L;
    private static final Logger log = LoggerFactory.getLogger(AttachmentService.class);

    private final Database database;
    private final AttachmentRepository attachments;
    private final FileStore files;
    private final long maxBytes;

    public AttachmentService(Database database, AttachmentRepository attachments, FileStore files, long maxBytes) {
        this.database = database;
        this.attachments = attachments;
        this.files = files;
        this.maxBytes = maxBytes;
    }

    /** A stored file and its metadata, ready to stream. */
    public record Download(Attachment attachment, Path path) {
    }

    /** Stores an agent's uploaded file; it stays unattached, and theirs, until one of their messages claims it. */
    public Attachment upload(long workspaceId, long agentId, Path uploaded, String filename, String contentType) {
        StoredFile stored;
        try (InputStream in = Files.newInputStream(uploaded)) {
            stored = files.store(in, filename, contentType, maxBytes);
        } catch (AttachmentStore.FileTooLarge e) {
            throw new PayloadTooLarge("the file is larger than " + maxBytes + " bytes");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store the upload", e);
        }
        return attachments.upload(database.sql(), workspaceId, agentId, stored);
    }

    /** A file of the workspace, for a caller that is no agent (an API inbox, whose route checks the relation). */
    public Download download(long workspaceId, long id) {
        return downloadOf(attachments.find(database.sql(), workspaceId, id), id);
    }

    /** A file for an agent: any message's of the workspace, or an upload not yet sent that is their own. */
    public Download download(long workspaceId, long agentId, long id) {
        return downloadOf(attachments.findFor(database.sql(), workspaceId, agentId, id), id);
    }

    private Download downloadOf(Optional<Attachment> found, long id) {
        Attachment attachment = found.orElseThrow(() -> new NotFound("no attachment " + id + " in this workspace"));
        return new Download(attachment, files.path(attachment.sha256()));
    }

    /**
     * Forgets agents' uploads no message claimed within 31 days: a composer keeps a draft, its files with it, for 30
     * days after its last change (a file attached in the evening and sent the next afternoon was refused as unknown
     * when this was a day). The bytes stay: they are shared by content address and may back another attachment.
     */
    public int dropUnclaimedUploads() {
        return database.sql().update("DELETE FROM attachments WHERE message_id IS NULL"
                + " AND created_at < now() - interval '31 days'");
    }

    /**
     * Deletes stored files no attachment or widget upload uses any more (dropped drafts, unsent widget uploads,
     * messages whose ingest failed after their files were stored), and temporary files left by uploads whose client
     * went away. Returns how many stored files went.
     */
    public int sweepFiles() {
        // One node at a time: nodes sharing the store moved the same files aside under the same names, and one
        // could delete the fresh copy a new upload of the same bytes had just written (another's file then 404s).
        // The lock is the transaction's: a node that dies mid-sweep lets it go.
        Integer swept = database.tx(tx -> {
            if (!tx.single("SELECT pg_try_advisory_xact_lock($1) AS locked", SWEEP_LOCK).getBoolean("locked")) {
                return null;
            }
            try {
                return files.sweep(this::referenced, TEMPORARY_FILES_LIVE);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot sweep the attachment store", e);
            }
        });
        if (swept == null) {
            log.info("attachment store sweep skipped: another node is sweeping it");
            return 0;
        }
        return swept;
    }

    private Set<String> referenced(List<String> addresses) {
        Set<String> used = new HashSet<>();
        database.sql().rows("""
                SELECT sha256 FROM attachments WHERE sha256 = ANY($1)
                UNION SELECT sha256 FROM widget_uploads WHERE sha256 = ANY($1)""", addresses)
                .forEach(row -> used.add(row.getString("sha256")));
        return used;
    }

    public long maxBytes() {
        return maxBytes;
    }
}
