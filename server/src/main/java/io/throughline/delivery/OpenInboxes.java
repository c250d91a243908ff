package io.throughline.delivery;

import io.throughline.connector.ChannelInbox;
import java.time.Instant;
import java.util.Optional;

/** The inboxes open on this node, which the dispatcher sends through. */
public interface OpenInboxes {

    Optional<ChannelInbox> sender(long inboxId);

    /**
     * The inbox's sender with settings at least as new as {@code savedAt} (the inbox's {@code updated_at} when the
     * delivery was claimed): a node that has not heard of a save yet (its event still on the way) reopens the
     * inbox first, so a reply never goes out with the settings it replaced (an old webhook URL or secret).
     */
    Optional<ChannelInbox> sender(long inboxId, Instant savedAt);
}
