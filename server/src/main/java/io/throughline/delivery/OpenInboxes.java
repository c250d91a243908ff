package io.throughline.delivery;

import io.throughline.connector.ChannelInbox;
import java.util.Optional;

/** The inboxes open on this node, which the dispatcher sends through. */
public interface OpenInboxes {

    Optional<ChannelInbox> sender(long inboxId);
}
