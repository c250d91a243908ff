package io.throughline.connector.email;

import io.throughline.connector.StorageUnavailable;
import io.throughline.connector.ThreadHints;
import jakarta.mail.MessagingException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits the mails one IMAP folder fetched: a batch of small mails parsed in UID order and committed on a few
 * lanes at once, or one large mail streamed from the server. A mail that fails ingest again and again is stored
 * unparsed after a few attempts, so one bad mail never blocks a mailbox.
 */
final class FolderCommits {

    private static final Logger log = LoggerFactory.getLogger(FolderCommits.class);
    static final int POISON_ATTEMPTS = 3;
    /** Commits in flight at once per folder: PostgreSQL groups their fsyncs, so a batch commits several times faster. */
    private static final int LANES = 4;

    private final long inboxId;
    private final String folderName;
    private final MailImporter importer;
    private final Map<Long, Integer> failuresByUid = new ConcurrentHashMap<>();

    FolderCommits(long inboxId, String folderName, MailImporter importer) {
        this.inboxId = inboxId;
        this.folderName = folderName;
        this.importer = importer;
    }

    /**
     * A batch of small mails: parsed here in UID order, then committed on a few lanes at once (the commits, not
     * the parsing, take the time), each sender's mails in order on one lane. Any failure fails the batch, which is
     * fetched again after the reconnect backoff: what was committed is deduplicated.
     *
     * @param uids the mails to commit, each with its raw bytes in {@code bodies}
     */
    void importBatch(List<Long> uids, Map<Long, byte[]> bodies) throws IOException {
        Map<Long, MailImporter.Prepared> prepared = new LinkedHashMap<>();
        for (long uid : uids) {
            prepared.put(uid, prepare(uid, bodies.get(uid)));
        }
        Map<Integer, List<Long>> lanes = new TreeMap<>();
        Map<Long, String> laneKeys = laneKeys(prepared);
        prepared.forEach((uid, mail) -> lanes.computeIfAbsent(Math.floorMod(laneKeys.get(uid).hashCode(), LANES),
                k -> new ArrayList<>()).add(uid));
        Map<Long, RuntimeException> failed = new ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        for (List<Long> lane : lanes.values()) {
            threads.add(Thread.ofVirtual().name("imap-ingest-" + inboxId).start(() -> {
                for (long uid : lane) {
                    try {
                        deliver(uid, prepared.get(uid));
                    } catch (RuntimeException e) {
                        failed.put(uid, e);
                        return;
                    } catch (Error e) {
                        // Never let the checkpoint pass a mail whose commit died with the JVM's error.
                        failed.put(uid, new IllegalStateException("committing the mail failed: " + e, e));
                        return;
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while committing mail", e);
            }
        }
        if (!failed.isEmpty()) {
            long first = failed.keySet().stream().min(Long::compare).orElseThrow();
            throw failed.get(first);
        }
    }

    /**
     * The lane of each mail: its sender's, except that a mail answering another mail of the batch (In-Reply-To or
     * References) shares that mail's lane, whoever sent it, so it commits after it and is threaded into its
     * conversation (a colleague in CC answering all, both mails read after an outage). Lanes joined this way stay
     * joined for the batch (a union-find over the sender keys); within a lane, mails keep their UID order.
     */
    static Map<Long, String> laneKeys(Map<Long, MailImporter.Prepared> prepared) {
        Map<String, String> parent = new HashMap<>();
        Map<String, String> laneOfMessageId = new HashMap<>();
        for (MailImporter.Prepared mail : prepared.values()) {
            String lane = mail.lane();
            parent.putIfAbsent(lane, lane);
            if (mail instanceof MailImporter.ToAccept accept) {
                ThreadHints thread = accept.message().thread();
                List<String> answered = new ArrayList<>(thread.references());
                if (thread.inReplyTo() != null) {
                    answered.add(thread.inReplyTo());
                }
                for (String id : answered) {
                    String other = laneOfMessageId.get(id);
                    if (other != null) {
                        parent.put(root(parent, other), root(parent, lane));
                    }
                }
                laneOfMessageId.put(accept.message().externalId(), lane);
            }
        }
        Map<Long, String> keys = new LinkedHashMap<>();
        prepared.forEach((uid, mail) -> keys.put(uid, root(parent, mail.lane())));
        return keys;
    }

    private static String root(Map<String, String> parent, String key) {
        String root = key;
        while (!parent.get(root).equals(root)) {
            root = parent.get(root);
        }
        for (String at = key; !at.equals(root); ) {
            String next = parent.get(at);
            parent.put(at, root);
            at = next;
        }
        return root;
    }

    /**
     * Parses one mail of a batch and stores its files. One that failed ingest again and again (parsing it here, or
     * committing it, not a passing database fault) must not block the folder: after a few attempts it is prepared
     * unparsed, with the original attached.
     */
    private MailImporter.Prepared prepare(long uid, byte[] raw) throws IOException {
        int failures = failuresByUid.getOrDefault(uid, 0);
        if (failures >= POISON_ATTEMPTS) {
            return importer.prepareUnparsed(raw, "ingest failed " + failures + " times");
        }
        try {
            return importer.prepare(raw, List.of());
        } catch (StorageUnavailable e) {
            throw e;
        } catch (RuntimeException | Error e) {
            // An error too (a parser's runaway): left uncounted, the batch would be fetched again for ever.
            count(uid, e);
            throw e;
        }
    }

    /** Commits one prepared mail; a failure that is not the database's moment counts against the mail. */
    private void deliver(long uid, MailImporter.Prepared mail) {
        try {
            MailImporter.Outcome outcome = importer.deliver(mail);
            log.debug("imap mail imported inbox={} folder={} uid={} outcome={}", inboxId, folderName, uid, outcome);
            failuresByUid.remove(uid);
        } catch (StorageUnavailable e) {
            // The database's fault, not the mail's: retried later without counting towards the poison limit.
            log.warn("imap mail waits for the database inbox={} folder={} uid={}: {}", inboxId, folderName, uid,
                    e.getMessage());
            throw e;
        } catch (RuntimeException | Error e) {
            count(uid, e);
            throw e;
        }
    }

    private void count(long uid, Throwable e) {
        int attempts = failuresByUid.merge(uid, 1, Integer::sum);
        log.warn("imap mail failed ingest inbox={} folder={} uid={} attempt={}: {}", inboxId, folderName, uid,
                attempts, MailParser.describe(e));
    }

    /** Forgets the ingest failures counted by UID: after a UIDVALIDITY change the UIDs name other mails. */
    void forgetFailures() {
        failuresByUid.clear();
    }

    /** The server answered a body fetch without the mail's content, though the mail still exists. */
    static final class NoContent extends MessagingException {
        NoContent(String message) {
            super(message);
        }
    }

    /**
     * A large mail, streamed to a file in 1 MB FETCH slices rather than held in memory.
     *
     * @throws NoContent when the server answered without the mail's content, or without a part of it
     */
    void importLarge(IMAPFolder folder, long uid, long size) throws MessagingException, IOException {
        Path raw = Files.createTempFile("throughline-mail-", ".eml");
        try {
            try (OutputStream out = Files.newOutputStream(raw)) {
                if (RawFetch.sliced(folder, uid, size, out) == 0) {
                    throw new NoContent("the server returned no content for this mail");
                }
            }
            int failures = failuresByUid.getOrDefault(uid, 0);
            try {
                MailImporter.Outcome outcome = failures >= POISON_ATTEMPTS
                        ? importer.unparsed(raw, "ingest failed " + failures + " times")
                        : importer.importMail(raw, List.of());
                log.debug("imap mail imported inbox={} folder={} uid={} outcome={}", inboxId, folderName, uid,
                        outcome);
                failuresByUid.remove(uid);
            } catch (StorageUnavailable e) {
                throw e;
            } catch (RuntimeException | Error e) {
                count(uid, e);
            throw e;
            }
        } finally {
            Files.deleteIfExists(raw);
        }
    }
}
