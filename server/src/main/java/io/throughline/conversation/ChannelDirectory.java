package io.throughline.conversation;

import io.throughline.connector.IdentityKind;
import io.throughline.store.Sql;
import java.util.List;
import java.util.Optional;

/** What routing needs to know about the workspace's inboxes and their channels (read on the caller's transaction). */
public interface ChannelDirectory {

    /** An inbox of the workspace. */
    record InboxInfo(long id, String kind, String name) {
    }

    Optional<InboxInfo> enabledInbox(Sql sql, long workspaceId, long inboxId);

    /** An inbox of the workspace, enabled or not (not a deleted one). */
    Optional<InboxInfo> inbox(Sql sql, long workspaceId, long inboxId);

    /**
     * The workspace's enabled inbox that serves what this one served remotely (the same bot, moved to a new inbox
     * while this one is disabled).
     */
    Optional<InboxInfo> servingInstead(Sql sql, long workspaceId, long inboxId);

    /** Enabled inboxes of one kind, oldest first. */
    List<InboxInfo> enabledInboxes(Sql sql, long workspaceId, String kind);

    /** The identity kind through which a channel reaches any contact (see ChannelConnector#reaches). */
    Optional<IdentityKind> reaches(String kind);
}
