package io.throughline.connector.email;

import io.throughline.connector.CheckpointStore;
import io.throughline.connector.StorageUnavailable;
import io.vertx.core.json.JsonObject;
import jakarta.mail.Address;
import jakarta.mail.FetchProfile;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.FolderClosedException;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Store;
import jakarta.mail.StoreClosedException;
import jakarta.mail.UIDFolder;
import jakarta.mail.event.MessageCountAdapter;
import jakarta.mail.event.MessageCountEvent;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.search.ComparisonTerm;
import jakarta.mail.search.ReceivedDateTerm;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.eclipse.angus.mail.iap.BadCommandException;
import org.eclipse.angus.mail.iap.CommandFailedException;
import org.eclipse.angus.mail.iap.ConnectionException;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.eclipse.angus.mail.imap.IMAPStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives one IMAP folder of one inbox, on its own platform thread (Jakarta Mail blocks inside synchronized
 * methods, which would pin virtual threads' carriers on JDK 21).
 *
 * <p>The checkpoint is the folder's {@code (UIDVALIDITY, last UID)}, saved only after the server committed every
 * message up to it; {@code \Seen} is never read nor set (mail is fetched with BODY.PEEK). After an outage the loop
 * fetches every UID above the checkpoint. When UIDVALIDITY changes, UIDs mean nothing any more: the folder is
 * read again from the start, headers first, and only mail whose Message-ID the inbox has not stored is downloaded
 * (ingest's deduplication on Message-ID would drop the rest anyway). Then it waits
 * in IDLE (RFC 2177), refreshed every few minutes, or polls when the server has no IDLE, or names it but refuses
 * it (for {@link #IDLE_RETRY}); every failure reconnects with backoff.
 */
final class ImapReceiver {

    private static final Logger log = LoggerFactory.getLogger(ImapReceiver.class);
    private static final int BATCH = 100;
    /** Mails up to this size are fetched in batches, in memory; larger ones are streamed to a file one by one. */
    private static final int SMALL_MAIL_BYTES = 2 * 1024 * 1024;
    private static final long BATCH_BYTES = 8L * 1024 * 1024;
    private static final Pattern TEMPORARY = Pattern.compile("\\[(UNAVAILABLE|INUSE)]", Pattern.CASE_INSENSITIVE);
    /** Mails whose Message-IDs are asked at once when a folder is read again. */
    private static final int HEADER_CHUNK = 500;
    /** Re-issue IDLE well within RFC 2177's 29 minutes, and before NAT boxes forget a quiet connection. */
    static final Duration IDLE_REFRESH = Duration.ofMinutes(4);
    /**
     * How long the receiver polls after the server refused an IDLE it named in its capabilities (NO or BAD): it is
     * tried again after that (the server's configuration may change).
     */
    static final Duration IDLE_RETRY = Duration.ofHours(1);

    private final long inboxId;
    private final EmailConfig.Imap imap;
    private final MailLogin login;
    private final String folderName;
    private final FolderCommits commits;
    private final MailImporter importer;
    /** Refusals of a mail fetched alone, by UID under {@link #refusalsValidity} (see {@link #importAlone}). */
    private final Map<Long, Refusals> refusals = new ConcurrentHashMap<>();
    private long refusalsValidity = -1;
    private final Duration giveUpAfter;
    private final CheckpointStore checkpoints;
    private final ScheduledExecutorService timers;
    private final Duration backfill;
    private final Clock clock;
    private final Object sleeper = new Object();
    private volatile boolean running;
    private volatile Store store;
    private volatile IMAPFolder folder;
    private volatile String state = "starting";
    private volatile boolean healthy = true;
    /** Failed syncs in a row, for the backoff; the receiver thread's own. */
    private int failures;
    /** After the connection died during a batch fetch, mails up to this UID are fetched one by one. */
    private long aloneUpTo;
    /**
     * Mail received before this was never meant to be imported: the first sync's backfill start, kept in the
     * checkpoint. Null for checkpoints saved before it was kept (the whole folder is read again then).
     */
    private Instant readsSince;
    /** The last UID saved in the checkpoint (of the current UIDVALIDITY). */
    private long savedUid;
    /**
     * The UIDs up to this one are read as the first sync or a read after a UIDVALIDITY change reads them (only mail
     * received since {@link #readsSince}, not stored yet), also when that read stopped part-way and goes on in a
     * later sync: kept in the checkpoint until the last UID passes it. Mail above it is new.
     */
    private long filteredUpTo;
    /** Until the first sync after a SELECT: the folder's UIDNEXT is the server's, not remembered from earlier. */
    private boolean selectFresh;
    /** Set by the connection's response handler when the server answers IDLE with its continuation ("+ idling"). */
    private volatile boolean idleStarted;
    /** Set by the same handler when the server answers IDLE with a tagged NO or BAD instead. */
    private volatile boolean idleRefused;
    /** When the server last refused IDLE: polled instead until {@link #IDLE_RETRY} after it. */
    private Instant idleRefusedAt;
    private Thread thread;

    ImapReceiver(long inboxId, EmailConfig.Imap imap, MailLogin login, String folderName, MailImporter importer,
                 CheckpointStore checkpoints, ScheduledExecutorService timers, Duration backfill,
                 Duration giveUpAfter, Clock clock) {
        this.inboxId = inboxId;
        this.imap = imap;
        this.login = login;
        this.folderName = folderName;
        this.commits = new FolderCommits(inboxId, folderName, importer);
        this.importer = importer;
        this.checkpoints = checkpoints;
        this.timers = timers;
        this.backfill = backfill;
        this.giveUpAfter = giveUpAfter;
        this.clock = clock;
    }

    void start() {
        running = true;
        thread = Thread.ofPlatform().daemon().name("imap-" + inboxId + "-" + folderName).start(this::run);
    }

    /**
     * Stops the loop, breaking IDLE or a backoff wait, and returns once the thread has ended (a download in flight
     * may take up to the join timeout to notice).
     */
    void stop() {
        running = false;
        synchronized (sleeper) {
            sleeper.notifyAll();
        }
        // Aborting IDLE waits for the folder's locks, which a download in flight holds: do it beside us.
        Thread.ofPlatform().daemon().name("imap-stop-" + inboxId).start(() -> {
            IMAPFolder current = folder;
            if (current != null) {
                try {
                    // A command from another thread ends IDLE (IMAPFolder.idle's contract).
                    current.doCommandIgnoreFailure(p -> null);
                } catch (MessagingException | RuntimeException e) {
                    log.debug("IDLE abort on stop inbox={} folder={}: {}", inboxId, folderName, e.toString());
                }
            }
            closeQuietly();
        });
        if (thread != null) {
            try {
                thread.join(Duration.ofSeconds(20));
                if (thread.isAlive()) {
                    log.warn("imap receiver still finishing inbox={} folder={}", inboxId, folderName);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    String state() {
        return folderName + ": " + state;
    }

    boolean healthy() {
        return healthy;
    }

    String checkpointName() {
        return "imap:" + folderName;
    }

    private void run() {
        while (running) {
            try {
                connect();
                healthy = true;
                boolean idle = ((IMAPStore) store).hasCapability("IDLE");
                while (running) {
                    int before = folder.getMessageCount();
                    sync();
                    // Only progress ends the backoff (here, or a batch committed): a server that lets us in and
                    // then refuses a mail is asked again less and less often, not every second.
                    failures = 0;
                    if (!running) {
                        break;
                    }
                    if (changedSince(before)) {
                        continue;
                    }
                    if (idle && idleRefusedAt != null
                            && clock.instant().isBefore(idleRefusedAt.plus(IDLE_RETRY))) {
                        state = "polling every " + imap.pollInterval().toSeconds() + "s (the server refused IDLE)";
                        sleep(imap.pollInterval());
                    } else if (idle) {
                        state = "idle";
                        idleOnce();
                    } else {
                        state = "polling every " + imap.pollInterval().toSeconds() + "s (no IDLE)";
                        sleep(imap.pollInterval());
                    }
                }
            } catch (MessagingException | IOException | RuntimeException | Error e) {
                // A stack overflow on a pathological mail must not end the receiver: it backs off and retries,
                // and the mail ends as unparsed after its attempts. Nor may any other error (out of memory, a
                // class that would not load) end it unseen: it retries, and health says why it cannot.
                if (!running) {
                    break;
                }
                // The database away says nothing about the mail server: back off a few seconds at most, so mail
                // comes in as soon as it is back.
                failures = e instanceof StorageUnavailable ? Math.min(failures + 1, 3) : failures + 1;
                Duration wait = Reconnect.after(failures);
                healthy = false;
                state = "reconnecting in " + Math.max(1, wait.toSeconds()) + "s: " + MailParser.describe(e);
                log.warn("imap receive failed inbox={} folder={} attempt={} retryInMs={} reason={}", inboxId,
                        folderName, failures, wait.toMillis(), MailParser.describe(e));
                closeQuietly();
                sleep(wait);
            }
        }
        closeQuietly();
        state = "stopped";
    }

    private void connect() throws MessagingException {
        state = "connecting to " + imap.host() + ":" + imap.port();
        Store opened = MailSessions.imap(imap, login).getStore();
        store = opened;
        login.connect(opened, imap.host(), imap.port(), imap.username());
        IMAPFolder selected = (IMAPFolder) opened.getFolder(folderName);
        if (!selected.exists()) {
            throw new MessagingException("the folder '" + folderName + "' does not exist on " + imap.host());
        }
        selected.open(imap.moveTo() == null ? Folder.READ_ONLY : Folder.READ_WRITE);
        // A server may answer EXISTS for mail that arrived just before IDLE while IDLE starts (GreenMail does):
        // Jakarta Mail counts it but keeps waiting. Ending IDLE from beside on every "messages added" event makes
        // sure such mail is fetched now, not at the next refresh; outside IDLE the abort does nothing.
        selected.addMessageCountListener(new MessageCountAdapter() {
            @Override
            public void messagesAdded(MessageCountEvent event) {
                if (running) {
                    try {
                        timers.execute(() -> abortIdle(selected));
                    } catch (RejectedExecutionException e) {
                        log.debug("receiver stopping inbox={} folder={}", inboxId, folderName);
                    }
                }
            }
        });
        // IDLE's answer is handed to the connection's handlers once IDLE's start ends: its continuation, or a tagged
        // NO or BAD (which holds Jakarta Mail in IDLE's start until the connection ends: see idleOnce). No other
        // command runs on the folder's connection during IDLE.
        selected.doCommand(protocol -> {
            protocol.addResponseHandler(response -> {
                if (response.isContinuation()) {
                    idleStarted = true;
                } else if (!idleStarted && response.isTagged() && (response.isNO() || response.isBAD())) {
                    idleRefused = true;
                }
            });
            return null;
        });
        folder = selected;
        selectFresh = true;
        log.info("imap connected inbox={} folder={} host={} idle={}", inboxId, folderName, imap.host(),
                ((IMAPStore) opened).hasCapability("IDLE"));
    }

    /**
     * Whether the mailbox numbers its mail below the checkpoint with UIDVALIDITY unchanged (restored from a backup,
     * its index rebuilt): every UID it gives is then at or below the last one read, and "UID FETCH last+1:*" would
     * skip new mail, without a word, until its UIDs passed the old ones. Judged only on the UIDNEXT of the SELECT
     * just made: later, mail imported since may have passed the UIDNEXT the folder still remembers.
     */
    private boolean renumbered(IMAPFolder current, JsonObject saved) throws MessagingException {
        if (!selectFresh) {
            return false;
        }
        long next = current.getUIDNext();
        return next > 0 && next <= saved.getLong("lastUid", 0L);
    }

    /** Imports every message above the checkpoint, oldest first, advancing the checkpoint as commits return. */
    private void sync() throws MessagingException, IOException {
        IMAPFolder current = folder;
        long validity = current.getUIDValidity();
        if (validity != refusalsValidity) {
            // UIDs name other mails now: what was counted against one must not count against another.
            refusals.clear();
            commits.forgetFailures();
            aloneUpTo = 0;
            refusalsValidity = validity;
        }
        JsonObject saved = checkpoints.load(checkpointName()).filter(this::ofThisMailbox).orElse(null);
        readsSince = saved == null ? Instant.now(clock).minus(backfill)
                : saved.getString("readsSince") == null ? null : Instant.parse(saved.getString("readsSince"));
        long last;
        // Read again from its start (UIDVALIDITY changed, or the mailbox was renumbered): the checkpoint is saved
        // anew even when nothing is imported, or it would stay above the UIDs the server gives.
        boolean readAgain = false;
        // The highest UID that needs nothing more once every candidate is imported (a folder read again after a
        // UIDVALIDITY change skips mail already stored, which may lie above the last one imported).
        long settled = 0;
        Message[] candidates;
        if (saved == null) {
            // Taken before the search: a mail arriving meanwhile is above it, and read as new. Below it, what the
            // backfill's search leaves out (older mail, whatever its UID) is never read, by this sync or a later one.
            settled = current.getUIDNext() > 0 ? current.getUIDNext() - 1 : highestUid(current);
            // The search, and what came since the SELECT (old mail moved in meanwhile is new to the folder too).
            List<Message> found = new ArrayList<>(Arrays.asList(firstSync(current)));
            newerThan(current, settled).stream().filter(message -> !found.contains(message)).forEach(found::add);
            candidates = found.toArray(new Message[0]);
            last = 0;
        } else if (saved.getLong("uidValidity", -1L) != validity || renumbered(current, saved)) {
            if (saved.getLong("uidValidity", -1L) != validity) {
                log.warn("imap UIDVALIDITY changed inbox={} folder={} was={} now={}: reading the folder again; mail"
                        + " already stored is recognised by its Message-ID and not downloaded", inboxId, folderName,
                        saved.getLong("uidValidity"), validity);
            } else {
                log.error("imap UIDNEXT {} is not above the last UID read ({}) though UIDVALIDITY is unchanged"
                        + " inbox={} folder={}: the mailbox was restored or rebuilt with its UIDs numbered anew (RFC"
                        + " 3501 asks for a new UIDVALIDITY then); reading the folder again, as after a UIDVALIDITY"
                        + " change", current.getUIDNext(), saved.getLong("lastUid"), inboxId, folderName);
            }
            readAgain = true;
            Message[] all = current.getMessagesByUID(1, UIDFolder.LASTUID);
            for (Message message : all) {
                if (message != null) {
                    settled = Math.max(settled, uid(current, message));
                }
            }
            // Only what the first sync's backfill would have taken: mail older than that was never imported, and
            // a folder moved or recreated may hold years of it.
            candidates = notYetRead(current, readsSince == null ? all : receivedSince(current, readsSince));
            last = 0;
        } else if (saved.getLong("filteredUpTo", 0L) > saved.getLong("lastUid", 0L)) {
            // A first sync or a read after a UIDVALIDITY change that stopped part-way: the rest of its UIDs is read
            // as its start read them (received since readsSince), the new mail above them as new.
            last = saved.getLong("lastUid", 0L);
            savedUid = last;
            settled = saved.getLong("filteredUpTo");
            long from = last;
            long upTo = settled;
            List<Message> rest = new ArrayList<>();
            Message[] range = readsSince == null ? current.getMessagesByUID(last + 1, upTo)
                    : receivedSince(current, readsSince);
            current.fetch(range, uids());
            // Not asked for their Message-IDs first (as the read's start did): a mail whose fetch fails the
            // connection must reach the import, which counts its refusals and records it unreadable at last.
            // One stored already comes to ingest as a duplicate.
            for (Message message : range) {
                if (message != null && uid(current, message) > from && uid(current, message) <= upTo) {
                    rest.add(message);
                }
            }
            rest.addAll(newerThan(current, upTo));
            candidates = rest.toArray(new Message[0]);
        } else {
            last = saved.getLong("lastUid", 0L);
            savedUid = last;
            candidates = current.getMessagesByUID(last + 1, UIDFolder.LASTUID);
        }
        filteredUpTo = settled;
        selectFresh = false;
        List<Message> pending = new ArrayList<>();
        FetchProfile profile = new FetchProfile();
        profile.add(UIDFolder.FetchProfileItem.UID);
        profile.add(FetchProfile.Item.SIZE);
        current.fetch(candidates, profile);
        for (Message message : candidates) {
            // "UID FETCH n:*" returns the newest message even when its UID is below n (RFC 3501 section 6.4.8).
            if (message != null && current.getUID(message) > last) {
                pending.add(message);
            }
        }
        pending.sort(Comparator.comparingLong(m -> uid(current, m)));
        if (pending.isEmpty()) {
            if (running && (saved == null || readAgain || settled > last)) {
                save(validity, Math.max(settled, Math.max(last, current.getUIDNext() - 1)));
            }
            return;
        }
        state = "importing " + pending.size() + " mail(s)";
        long lastPending = uid(current, pending.getLast());
        int next = 0;
        while (next < pending.size() && running) {
            List<Message> batch = uid(current, pending.get(next)) <= aloneUpTo ? List.of(pending.get(next))
                    : batch(pending, next);
            next += batch.size();
            long batchEnd = uid(current, batch.getLast());
            List<Message> stay;
            if (batch.size() > 1) {
                stay = importSmall(current, batch, validity);
            } else {
                stay = importAlone(current, batch.getFirst(), validity) ? List.of() : batch;
            }
            save(validity, batchEnd);
            failures = 0;
            List<Message> processed = new ArrayList<>(batch);
            processed.removeAll(stay);
            moveProcessed(processed);
        }
        if (running && next == pending.size() && settled > lastPending) {
            save(validity, settled);
        }
    }

    /**
     * The mails among these whose Message-ID the inbox has not stored yet (or that have none), asked in chunks of
     * their headers alone, so a folder read again after a UIDVALIDITY change downloads only what is new to us. Mail
     * already stored is moved away at once when processed mail is moved.
     */
    private Message[] notYetRead(IMAPFolder current, Message[] all) throws MessagingException {
        List<Message> unread = new ArrayList<>();
        List<Message> known = new ArrayList<>();
        FetchProfile headers = new FetchProfile();
        headers.add(UIDFolder.FetchProfileItem.UID);
        headers.add(FetchProfile.Item.SIZE);
        headers.add("Message-ID");
        for (int from = 0; from < all.length && running; from += HEADER_CHUNK) {
            Message[] chunk = Arrays.copyOfRange(all, from, Math.min(all.length, from + HEADER_CHUNK));
            current.fetch(chunk, headers);
            Map<Message, String> ids = new HashMap<>();
            for (Message message : chunk) {
                if (message != null && !message.isExpunged()) {
                    ids.put(message, MailParser.messageId(message));
                }
            }
            Set<String> done = importer.alreadyRead(ids.values().stream().filter(Objects::nonNull)
                    .collect(Collectors.toSet()));
            for (Message message : chunk) {
                if (ids.containsKey(message)) {
                    String id = ids.get(message);
                    (id != null && done.contains(id) ? known : unread).add(message);
                }
            }
        }
        log.info("imap folder read again inbox={} folder={} mails={} alreadyStored={} toImport={}", inboxId,
                folderName, all.length, known.size(), unread.size());
        moveProcessed(known);
        return unread.toArray(new Message[0]);
    }

    /**
     * Small mails, fetched in one round trip. A server that refuses the batch (NO or BAD: one mail it cannot read,
     * say) is asked for each mail alone, so one bad mail does not hold up the others on every retry. A mail missing
     * from the answer, or answered empty, is fetched alone, so a partial answer never moves the checkpoint past it.
     *
     * @return the mails to leave where they are (not moved as processed): recorded unreadable, or gone
     */
    private List<Message> importSmall(IMAPFolder current, List<Message> batch, long validity)
            throws MessagingException, IOException {
        List<Long> uids = batch.stream().map(m -> uid(current, m)).toList();
        Map<Long, byte[]> bodies;
        try {
            bodies = RawFetch.bodies(current, uids);
        } catch (MessagingException e) {
            if (connectionLost(e)) {
                // Perhaps one of them: after the reconnect each is fetched alone, so one that the server drops
                // the connection on is counted against itself and cannot stall the folder.
                aloneUpTo = Math.max(aloneUpTo, uids.getLast());
            }
            if (!refusedByServer(e) || temporarilyRefused(e)) {
                throw e;
            }
            log.warn("imap server refused a batch fetch inbox={} folder={} uids={}..{} ({} mails): {}; fetching"
                    + " them one by one", inboxId, folderName, uids.getFirst(), uids.getLast(), uids.size(),
                    MailParser.describe(e));
            List<Message> stay = new ArrayList<>();
            for (Message message : batch) {
                if (!importAlone(current, message, validity)) {
                    stay.add(message);
                }
            }
            return stay;
        }
        bodies.values().removeIf(body -> body.length == 0);
        List<Message> unanswered = new ArrayList<>();
        for (Message message : batch) {
            if (!bodies.containsKey(uid(current, message))) {
                unanswered.add(message);
            }
        }
        commits.importBatch(uids.stream().filter(bodies::containsKey).toList(), bodies);
        List<Message> stay = new ArrayList<>();
        for (Message message : unanswered) {
            log.warn("imap batch fetch left out a mail or answered it empty inbox={} folder={} uid={}; fetching it"
                    + " alone", inboxId, folderName, uid(current, message));
            if (!importAlone(current, message, validity)) {
                stay.add(message);
            }
        }
        return stay;
    }

    /**
     * One mail, fetched on its own. Whatever stops it (a NO or BAD answer, an answer without it, the server dropping
     * the connection) fails this sync, to be tried again after the backoff, except a mail the server confirms is
     * gone. A refusal the server calls temporary ({@code [UNAVAILABLE]}, {@code [INUSE]}: RFC 5530) is retried for
     * as long as it lasts. Any other failure that repeats at least {@value FolderCommits#POISON_ATTEMPTS}
     * times over at least {@code email.imap.giveUpAfter} has the mail recorded as unreadable, with what the server
     * still says about it, so one mail cannot hold up the folder for good.
     *
     * @return true when the mail was imported, false when it was recorded unreadable or is gone (left in place)
     */
    private boolean importAlone(IMAPFolder current, Message message, long validity)
            throws MessagingException, IOException {
        long uid = uid(current, message);
        if (!current.isOpen()) {
            // Lost before this mail was asked for: nothing to count against it.
            throw new FolderClosedException(current, "the connection was lost before uid " + uid + " was fetched");
        }
        try {
            if (small(message)) {
                Map<Long, byte[]> body = RawFetch.bodies(current, List.of(uid));
                if (!body.containsKey(uid) || body.get(uid).length == 0) {
                    throw new FolderCommits.NoContent("the server answered without this mail");
                }
                commits.importBatch(List.of(uid), body);
            } else {
                commits.importLarge(current, uid, message.getSize());
            }
            refusals.remove(uid);
            return true;
        } catch (MessagingException e) {
            if (temporarilyRefused(e)) {
                log.warn("imap server cannot hand over a mail for now inbox={} folder={} uid={}: {}; retrying",
                        inboxId, folderName, uid, MailParser.describe(e));
                throw e;
            }
            boolean refused = refusedByServer(e);
            if (!refused && !connectionLost(e)) {
                throw e;
            }
            if (refused && !RawFetch.exists(current, uid)) {
                log.info("imap mail expunged before it was read inbox={} folder={} uid={}", inboxId, folderName, uid);
                refusals.remove(uid);
                return false;
            }
            Instant now = Instant.now(clock);
            Refusals count = refusals.merge(uid, new Refusals(1, now),
                    (before, one) -> new Refusals(before.count() + 1, before.first()));
            Duration since = Duration.between(count.first(), now);
            if (count.count() < FolderCommits.POISON_ATTEMPTS || since.compareTo(giveUpAfter) < 0) {
                log.warn("imap mail not handed over inbox={} folder={} uid={} attempt={} since={}s: {}", inboxId,
                        folderName, uid, count.count(), since.toSeconds(), MailParser.describe(e));
                throw e;
            }
            log.error("imap mail not handed over {} times in {}s; recording it as unreadable inbox={} folder={}"
                    + " uid={}: {}", count.count(), since.toSeconds(), inboxId, folderName, uid,
                    MailParser.describe(e));
            importer.unreadable(folderName, validity, uid, envelopeFrom(message), envelopeSubject(message),
                    MailParser.describe(e));
            refusals.remove(uid);
            if (!refused) {
                // The connection is gone: move past this mail (every one before it in the batch is done) and
                // reconnect, rather than count the dead connection against the next mail.
                save(validity, uid);
                throw e;
            }
            return false;
        }
    }

    /** How often, and since when, the server has not handed over one mail. */
    private record Refusals(int count, Instant first) {
    }

    /** A NO or BAD answer, or one without the mail: the server will not do it, unlike a dropped connection. */
    private static boolean refusedByServer(MessagingException e) {
        return e instanceof FolderCommits.NoContent || e.getCause() instanceof CommandFailedException
                || e.getCause() instanceof BadCommandException;
    }

    /** A NO whose response code says the failure is temporary (RFC 5530): not the mail's fault. */
    private static boolean temporarilyRefused(MessagingException e) {
        if (!(e.getCause() instanceof CommandFailedException failed)) {
            return false;
        }
        String text = failed.getResponse() != null ? failed.getResponse().toString() : failed.getMessage();
        return text != null && TEMPORARY.matcher(text).find();
    }

    /** The server closed the connection while handing the mail over (it may do so on a mail it chokes on). */
    private static boolean connectionLost(MessagingException e) {
        return e instanceof FolderClosedException || e instanceof StoreClosedException
                || e.getCause() instanceof ConnectionException;
    }

    /** The sender the server's envelope names, when it still answers that much. */
    private static MailAddress envelopeFrom(Message message) {
        try {
            Address[] from = message.getFrom();
            return from != null && from.length > 0 && from[0] instanceof InternetAddress address
                    && address.getAddress() != null ? new MailAddress(address.getAddress(), address.getPersonal())
                    : null;
        } catch (MessagingException | RuntimeException e) {
            return null;
        }
    }

    private static String envelopeSubject(Message message) {
        try {
            return message.getSubject();
        } catch (MessagingException | RuntimeException e) {
            return null;
        }
    }

    /** The next mails to fetch together: small ones up to a count and a byte budget, or one large mail alone. */
    private static List<Message> batch(List<Message> pending, int from) throws MessagingException {
        List<Message> batch = new ArrayList<>();
        long bytes = 0;
        for (int i = from; i < pending.size() && batch.size() < BATCH; i++) {
            Message message = pending.get(i);
            if (!small(message)) {
                if (batch.isEmpty()) {
                    batch.add(message);
                }
                break;
            }
            if (!batch.isEmpty() && bytes + message.getSize() > BATCH_BYTES) {
                break;
            }
            batch.add(message);
            bytes += message.getSize();
        }
        return batch;
    }

    private static boolean small(Message message) throws MessagingException {
        int size = message.getSize();
        return size >= 0 && size <= SMALL_MAIL_BYTES;
    }

    /**
     * The mails received at or after {@code since}: IMAP's SEARCH SINCE counts whole days (of the server's zone), so
     * its answer is narrowed by each mail's INTERNALDATE, fetched for those alone.
     */
    private static Message[] receivedSince(IMAPFolder current, Instant since) throws MessagingException {
        Message[] found = current.search(new ReceivedDateTerm(ComparisonTerm.GE, Date.from(since)));
        FetchProfile dates = new FetchProfile();
        dates.add(IMAPFolder.FetchProfileItem.INTERNALDATE);
        current.fetch(found, dates);
        List<Message> recent = new ArrayList<>();
        for (Message message : found) {
            Date received = message.isExpunged() ? null : message.getReceivedDate();
            if (received == null || !received.toInstant().isBefore(since)) {
                recent.add(message);
            }
        }
        return recent.toArray(new Message[0]);
    }

    /** A new inbox: import what arrived in the backfill window, then everything new. */
    private Message[] firstSync(IMAPFolder current) throws MessagingException {
        if (backfill.isZero()) {
            return new Message[0];
        }
        Date since = Date.from(readsSince);
        log.info("imap first sync inbox={} folder={} since={}", inboxId, folderName, since.toInstant());
        return current.search(new ReceivedDateTerm(ComparisonTerm.GE, since));
    }

    private void moveProcessed(List<Message> done) throws MessagingException {
        if (imap.moveTo() == null || done.isEmpty()) {
            return;
        }
        IMAPFolder current = folder;
        Folder target = store.getFolder(imap.moveTo());
        if (!target.exists()) {
            target.create(Folder.HOLDS_MESSAGES);
        }
        Message[] moving = done.toArray(new Message[0]);
        IMAPStore opened = (IMAPStore) store;
        if (opened.hasCapability("MOVE")) {
            current.moveMessages(moving, target);
        } else {
            // An older server (no RFC 6851): copy, mark deleted, and expunge those mails alone (UID EXPUNGE, with
            // UIDPLUS). Without UIDPLUS they stay marked deleted: a plain EXPUNGE would also remove mail another
            // client only marked.
            current.copyMessages(moving, target);
            current.setFlags(moving, new Flags(Flags.Flag.DELETED), true);
            if (opened.hasCapability("UIDPLUS")) {
                current.expunge(moving);
            }
        }
        done.clear();
    }

    /**
     * The mailbox a checkpoint counts UIDs in: an inbox moved to another account (or server) has UIDs that name
     * other mail there, and UIDVALIDITY values repeat across accounts (Dovecot's is the folder's creation second).
     */
    private String mailbox() {
        // Not the port (993 with TLS, 143 with STARTTLS: one mailbox), nor the case of the login or the host.
        String host = imap.host().toLowerCase(Locale.ROOT);
        return imap.username().toLowerCase(Locale.ROOT) + "@" + (host.endsWith(".") ? host.substring(0,
                host.length() - 1) : host);
    }

    /**
     * Whether a checkpoint was saved reading this mailbox: one of another (the inbox's settings moved it) is read
     * as none, a first sync with its backfill, rather than resuming at the other's UID (skipping this one's mail
     * below it) or re-reading since the other's start (importing years of it). One saved before checkpoints named
     * their mailbox is taken as this one's.
     */
    private boolean ofThisMailbox(JsonObject saved) {
        String recorded = saved.getString("mailbox");
        if (recorded == null) {
            // Named now, not at the next mail: the inbox's settings may move it to another mailbox before then.
            checkpoints.save(checkpointName(), saved.copy().put("mailbox", mailbox()));
            return true;
        }
        if (recorded.equals(mailbox())) {
            return true;
        }
        log.warn("imap checkpoint of another mailbox inbox={} folder={}: the inbox now reads {}, so the folder is"
                + " read as new (mail of the backfill window, {}; mail already stored is known by its Message-ID)",
                inboxId, folderName, imap.host(), backfill);
        return false;
    }

    private void save(long validity, long lastUid) {
        savedUid = lastUid;
        JsonObject checkpoint = new JsonObject().put("mailbox", mailbox()).put("uidValidity", validity)
                .put("lastUid", lastUid)
                .put("savedAt", Instant.now(clock).toString());
        if (filteredUpTo > lastUid) {
            checkpoint.put("filteredUpTo", filteredUpTo);
        }
        if (readsSince != null) {
            checkpoint.put("readsSince", readsSince.toString());
        }
        checkpoints.save(checkpointName(), checkpoint);
    }

    /**
     * Whether the folder changed during the sync. Mail that arrived after the sync's last command would not wake
     * IDLE on servers that report only what happens once IDLE began (GreenMail does so): a NOOP first collects the
     * pending EXISTS, leaving a window of one round trip, which the IDLE refresh covers.
     */
    private boolean changedSince(int countBefore) throws MessagingException {
        IMAPFolder current = folder;
        current.doCommand(protocol -> {
            protocol.noop();
            return null;
        });
        int count = current.getMessageCount();
        if (count != countBefore) {
            return true;
        }
        // The same count can hide new mail when processed mail was moved away meanwhile (one moved, one arrived,
        // each reported): the newest mail's UID says whether any came after the checkpoint.
        return imap.moveTo() != null && count > 0 && current.getUID(current.getMessage(count)) > savedUid;
    }

    private void abortIdle(IMAPFolder target) {
        try {
            // A command from another thread ends IDLE (IMAPFolder.idle's contract).
            target.doCommandIgnoreFailure(p -> null);
        } catch (MessagingException | RuntimeException e) {
            log.debug("IDLE abort failed inbox={} folder={}: {}", inboxId, folderName, e.toString());
        }
    }

    /**
     * Waits in IDLE until the server announces a change, or the refresh timer ends it. A server that names IDLE
     * but answers it NO or BAD (a proxy, IDLE switched off) leaves Jakarta Mail (Angus 2.0.5) waiting for IDLE's
     * continuation until the connection ends (the read timeout, or the server hanging up), and nothing can break
     * that wait (it holds the folder's lock): the receiver then polls for {@link #IDLE_RETRY}, instead of losing
     * that long at every IDLE.
     */
    private void idleOnce() throws MessagingException {
        IMAPFolder current = folder;
        ScheduledFuture<?> refresh = timers.schedule(() -> abortIdle(current), IDLE_REFRESH.toMillis(),
                TimeUnit.MILLISECONDS);
        idleStarted = false;
        idleRefused = false;
        try {
            current.idle(true);
        } catch (MessagingException | RuntimeException e) {
            // Only the server's own NO or BAD: a connection that dropped as IDLE began, or a BYE at the server's
            // restart, is a failure like any other, and IDLE is used again after the reconnect.
            if (idleRefused && running) {
                idleRefusedAt = clock.instant();
                log.warn("imap server names IDLE but refused it, polling every {}s for the next {} min"
                        + " inbox={} folder={} reason={}", imap.pollInterval().toSeconds(), IDLE_RETRY.toMinutes(),
                        inboxId, folderName, MailParser.describe(e));
            }
            throw e;
        } finally {
            refresh.cancel(false);
        }
        if (!current.isOpen()) {
            throw new MessagingException("the folder was closed by the server");
        }
    }

    private void sleep(Duration wait) {
        long until = System.nanoTime() + wait.toNanos();
        synchronized (sleeper) {
            while (running) {
                long left = until - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(sleeper, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** The folder's highest UID, for a server that sends no UIDNEXT; 0 for an empty folder. */
    private static long highestUid(IMAPFolder current) throws MessagingException {
        int count = current.getMessageCount();
        return count == 0 ? 0 : current.getUID(current.getMessage(count));
    }

    /** The folder's mails whose UID is above {@code uid}. */
    private static List<Message> newerThan(IMAPFolder current, long uid) throws MessagingException {
        Message[] newer = current.getMessagesByUID(uid + 1, UIDFolder.LASTUID);
        current.fetch(newer, uids());
        List<Message> out = new ArrayList<>();
        for (Message message : newer) {
            // "UID FETCH n:*" answers the newest mail even when its UID is below n.
            if (message != null && uid(current, message) > uid) {
                out.add(message);
            }
        }
        return out;
    }

    private static FetchProfile uids() {
        FetchProfile profile = new FetchProfile();
        profile.add(UIDFolder.FetchProfileItem.UID);
        return profile;
    }

    private static long uid(IMAPFolder folder, Message message) {
        try {
            return folder.getUID(message);
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    private synchronized void closeQuietly() {
        IMAPFolder current = folder;
        folder = null;
        if (current != null && current.isOpen()) {
            try {
                current.close(false);
            } catch (MessagingException | RuntimeException e) {
                log.debug("imap folder close failed inbox={}: {}", inboxId, e.toString());
            }
        }
        Store opened = store;
        store = null;
        if (opened != null) {
            try {
                opened.close();
            } catch (MessagingException | RuntimeException e) {
                log.debug("imap store close failed inbox={}: {}", inboxId, e.toString());
            }
        }
    }
}
