package io.throughline.attachment;

import io.throughline.connector.StoredFile;
import io.throughline.store.Sql;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** SQL for attachment metadata. */
public final class AttachmentRepository {

    public Attachment insert(Sql tx, long workspaceId, Long messageId, StoredFile file, String contentId,
                             boolean inline) {
        return Attachment.from(tx.single("""
                INSERT INTO attachments (workspace_id, message_id, sha256, size, filename, content_type, content_id,
                                         inline)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                RETURNING""" + " " + Attachment.COLUMNS, workspaceId, messageId, file.sha256(), file.size(),
                file.filename(), file.contentType(), contentId, inline));
    }

    /** Records an agent's upload, unattached until one of their messages claims it. */
    public Attachment upload(Sql sql, long workspaceId, long agentId, StoredFile file) {
        return Attachment.from(sql.single("""
                INSERT INTO attachments (workspace_id, sha256, size, filename, content_type, inline, uploaded_by)
                VALUES ($1, $2, $3, $4, $5, false, $6)
                RETURNING""" + " " + Attachment.COLUMNS, workspaceId, file.sha256(), file.size(), file.filename(),
                file.contentType(), agentId));
    }

    /**
     * The attachment, if this agent may see it: one of a message (the workspace's), or an upload not yet sent that
     * is their own (or older than the record of who uploaded it).
     */
    public Optional<Attachment> findFor(Sql sql, long workspaceId, long agentId, long id) {
        return sql.one("SELECT " + Attachment.COLUMNS + " FROM attachments WHERE workspace_id = $1 AND id = $2"
                + " AND (message_id IS NOT NULL OR uploaded_by IS NULL OR uploaded_by = $3)", workspaceId, id,
                agentId).map(Attachment::from);
    }

    public Optional<Attachment> find(Sql sql, long workspaceId, long id) {
        return sql.one("SELECT " + Attachment.COLUMNS + " FROM attachments WHERE workspace_id = $1 AND id = $2",
                workspaceId, id).map(Attachment::from);
    }

    /** Attaches files the agent uploaded (not yet tied to a message) to their message. */
    public List<Attachment> claim(Sql tx, long workspaceId, long agentId, List<Long> ids, long messageId) {
        return tx.list("UPDATE attachments SET message_id = $3 WHERE workspace_id = $1 AND id = ANY($2)"
                + " AND message_id IS NULL AND (uploaded_by IS NULL OR uploaded_by = $4) RETURNING "
                + Attachment.COLUMNS, Attachment::from, workspaceId, ids.toArray(new Long[0]), messageId, agentId);
    }

    /**
     * Marks a message's current files replaced (its customer swapped them by an edit) and returns them: they stay
     * downloadable, listed in the message's previous version, and leave its current attachments.
     */
    public List<Attachment> replace(Sql tx, long workspaceId, long messageId) {
        return tx.list("UPDATE attachments SET replaced_at = now() WHERE workspace_id = $1 AND message_id = $2"
                + " AND replaced_at IS NULL RETURNING " + Attachment.COLUMNS, Attachment::from, workspaceId,
                messageId);
    }

    /**
     * Detaches every file of a message, replaced ones too (a redaction), and returns how many: no URL serves them
     * from now on, and the store's sweep deletes the content no other attachment or upload refers to. The widget
     * uploads of the same files in the workspace go too: a visitor's upload can be attached again, and would bring
     * a removed file back into the thread.
     */
    public int removeAll(Sql tx, long workspaceId, long messageId) {
        return tx.single("""
                WITH removed AS (DELETE FROM attachments WHERE workspace_id = $1 AND message_id = $2 RETURNING sha256),
                     uploads AS (DELETE FROM widget_uploads WHERE workspace_id = $1
                                 AND sha256 IN (SELECT sha256 FROM removed))
                SELECT count(*) AS n FROM removed""", workspaceId, messageId).getLong("n").intValue();
    }

    /** The current attachments of several messages (not those an edit replaced), grouped by message id. */
    public Map<Long, List<Attachment>> forMessages(Sql sql, long workspaceId, List<Long> messageIds) {
        Map<Long, List<Attachment>> out = new HashMap<>();
        if (messageIds.isEmpty()) {
            return out;
        }
        for (Attachment attachment : sql.list("SELECT " + Attachment.COLUMNS + " FROM attachments"
                + " WHERE workspace_id = $1 AND message_id = ANY($2) AND replaced_at IS NULL ORDER BY id",
                Attachment::from, workspaceId,
                messageIds.toArray(new Long[0]))) {
            out.computeIfAbsent(attachment.messageId(), k -> new ArrayList<>()).add(attachment);
        }
        return out;
    }
}
