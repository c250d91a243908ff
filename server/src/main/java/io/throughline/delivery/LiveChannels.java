package io.throughline.delivery;

import java.time.Instant;
import java.util.Optional;

/**
 * What a live channel (the website chat) tells the outbox about its customers, so a reply they miss there falls
 * back to email (ARCHITECTURE.md rule 4). The widget channel implements it.
 */
public interface LiveChannels {

    /**
     * Whether a contact is on a live channel.
     *
     * @param online there now (any tab, any node)
     * @param lastSeenAt when they were last there: since when they are away, when offline; null if never
     */
    record Presence(boolean online, Instant lastSeenAt) {

        /** Since when the contact has been away; empty when they are there now or were never there. */
        public Optional<Instant> offlineSince() {
            return online ? Optional.empty() : Optional.ofNullable(lastSeenAt);
        }
    }

    /** Whether replies on this channel reach the customer only while they are there (a chat, not a mailbox). */
    boolean live(String channel);

    /** The contact's presence on the channel; empty when they never used it. Read from committed state. */
    Optional<Presence> presence(long workspaceId, long contactId, String channel);
}
