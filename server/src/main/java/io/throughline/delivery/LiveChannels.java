package io.throughline.delivery;

import io.throughline.store.Sql;
import java.time.Instant;
import java.util.Optional;

/**
 * What a live channel (the website chat) tells the outbox about its customers, so a reply they miss there falls
 * back to email (ARCHITECTURE.md rule 4). The widget channel implements it; until one is wired, no channel is live
 * and no fallback is scheduled.
 */
public interface LiveChannels {

    LiveChannels NONE = new LiveChannels() {
        @Override
        public boolean live(String channel) {
            return false;
        }

        @Override
        public Optional<Instant> offlineSince(Sql sql, long workspaceId, long contactId, String channel) {
            return Optional.empty();
        }
    };

    /** Whether replies on this channel reach the customer only while they are there (a chat, not a mailbox). */
    boolean live(String channel);

    /** Since when the contact has been away from the channel; empty when they are there now or it is unknown. */
    Optional<Instant> offlineSince(Sql sql, long workspaceId, long contactId, String channel);
}
