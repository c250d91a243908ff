package io.throughline.telegram;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How many times each update failed, for every bot of this node. It lives with the connector, not an inbox: an
 * inbox is reloaded by any edit of it (and by the supervisor's reconcile), and a count kept by the inbox would
 * start again each time, so an update failing the same way could hold its bot back for ever.
 */
final class FailedTries {

    private static final int MAX_TRACKED = 10_000;

    private final Map<String, Integer> tries = new ConcurrentHashMap<>();
    /** When each update first failed to fetch a file for a passing reason (the network, Telegram's 5xx). */
    private final Map<String, Instant> passingSince = new ConcurrentHashMap<>();
    /** Inboxes whose files Telegram kept failing to serve until a message went without one ({@link #gaveUp}). */
    private final Map<Long, Instant> impatient = new ConcurrentHashMap<>();

    /** Counts one more failure of this update and returns how many there were. */
    int count(long inboxId, int updateId) {
        if (tries.size() > MAX_TRACKED) {
            // Updates Telegram gave up on, or that succeeded on another node: forgetting them costs a few tries.
            tries.clear();
            passingSince.clear();
        }
        return tries.merge(inboxId + ":" + updateId, 1, Integer::sum);
    }

    /**
     * Counts one more try of this update that waited for a file Telegram could not serve yet, apart from its
     * failures (a wait must not use up the tries that keep a failing update's text), and returns how many.
     */
    int countWait(long inboxId, int updateId) {
        return tries.merge(inboxId + ":" + updateId + ":wait", 1, Integer::sum);
    }

    /** How many tries of this update waited for a file so far. */
    int waits(long inboxId, int updateId) {
        return tries.getOrDefault(inboxId + ":" + updateId + ":wait", 0);
    }

    /** Notes that fetching this update's files failed for a passing reason; the first time is kept. */
    void failedPassing(long inboxId, int updateId, Instant now) {
        if (passingSince.size() > MAX_TRACKED) {
            passingSince.clear();
        }
        passingSince.putIfAbsent(inboxId + ":" + updateId, now);
    }

    /** How long fetching this update's files has been failing for passing reasons (zero when it has not). */
    Duration failingPassing(long inboxId, int updateId, Instant now) {
        Instant since = passingSince.get(inboxId + ":" + updateId);
        return since == null ? Duration.ZERO : Duration.between(since, now);
    }

    /**
     * An update of this inbox was kept without a file after its patience ran out: Telegram's file server is in
     * trouble, and the updates queued behind it need not each wait as long, until a file comes through again or
     * that patience's length has passed (an inbox that rarely gets files waits for the next one again).
     */
    void gaveUp(long inboxId, Instant now) {
        impatient.put(inboxId, now);
    }

    /** A file of this inbox came through: passing failures are worth waiting for again. */
    void fetched(long inboxId) {
        impatient.remove(inboxId);
    }

    boolean impatient(long inboxId, Instant now, Duration patience) {
        Instant since = impatient.get(inboxId);
        return since != null && Duration.between(since, now).compareTo(patience) < 0;
    }

    void forget(long inboxId, int updateId) {
        tries.remove(inboxId + ":" + updateId);
        tries.remove(inboxId + ":" + updateId + ":wait");
        passingSince.remove(inboxId + ":" + updateId);
    }
}
