package io.throughline.connector;

import java.util.Optional;

/** Finds an inbox open on this node, for connector routes such as a webhook endpoint. */
public interface InboxDirectory {

    /** The open inbox with this id, if it is of the given type (a connector sees only its own inboxes). */
    <T extends ChannelInbox> Optional<T> find(long inboxId, Class<T> type);
}
