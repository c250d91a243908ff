package io.throughline.connector.email;

import jakarta.mail.MessagingException;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.angus.mail.iap.ByteArray;
import org.eclipse.angus.mail.iap.Response;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.eclipse.angus.mail.imap.protocol.BODY;
import org.eclipse.angus.mail.imap.protocol.FetchResponse;
import org.eclipse.angus.mail.imap.protocol.UID;
import org.eclipse.angus.mail.imap.protocol.UIDSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches raw mails with plain {@code UID FETCH} commands: many small mails in one {@code (UID BODY.PEEK[])} round
 * trip, or one large mail in slices. Jakarta Mail's public API fetches a body per message (a round trip each,
 * which dominates import time) or caches whole messages in the folder for as long as it is open, and reads a NO
 * to a body slice as the end of the mail; this keeps nothing beyond what it returns and fails on every refusal.
 * BODY.PEEK never sets {@code \Seen}.
 */
final class RawFetch {

    private static final Logger log = LoggerFactory.getLogger(RawFetch.class);
    /** A large mail comes in slices of this size, one round trip each. */
    static final int SLICE_BYTES = 1024 * 1024;

    private RawFetch() {
    }

    /**
     * Streams one mail to {@code out}, slice by slice, and returns its size. A NO or BAD fails it, and so does an
     * answer without the slice ({@link FolderCommits.NoContent}), so a mail is never taken for shorter than it is; a
     * slice answered short before the size the server gave ({@code size}, RFC822.SIZE) is followed by the next one;
     * and a server that goes on sending far past that size is stopped.
     */
    static long sliced(IMAPFolder folder, long uid, long size, OutputStream out)
            throws MessagingException, IOException {
        long offset = 0;
        // Past a slice that came short, an answer without the next one ends the mail (as it did before the size
        // was compared): a server whose size overstated the mail may answer past its end with NIL.
        boolean afterShort = false;
        long slices = 0;
        while (true) {
            if (size > 0 && offset > 2 * size + SLICE_BYTES) {
                throw new FolderCommits.NoContent("the server sent " + offset + " bytes of a mail of " + size);
            }
            if (++slices > 2 * (Math.max(size, 0) / SLICE_BYTES + 1) + 16) {
                throw new FolderCommits.NoContent("the server answered this mail in more than " + (slices - 1)
                        + " slices, each shorter than asked for");
            }
            BODY slice = null;
            for (FetchResponse fetch : uidFetch(folder, uid + " (UID BODY.PEEK[]<" + offset + "." + SLICE_BYTES
                    + ">)")) {
                if (answers(fetch, uid) && fetch.getItem(BODY.class) != null) {
                    slice = fetch.getItem(BODY.class);
                }
            }
            // Past the end a server answers an empty string; NIL, another part, or nothing is no answer.
            if (afterShort && (slice == null || slice.getByteArray() == null)) {
                log.warn("imap mail ended short of the size the server gave uid={} bytes={} size={}", uid, offset,
                        size);
                return offset;
            }
            if (slice == null || slice.getByteArray() == null || slice.getOrigin() != offset) {
                throw new FolderCommits.NoContent(offset == 0 ? "the server answered without this mail"
                        : "the server answered without the part of this mail from byte " + offset);
            }
            ByteArray bytes = slice.getByteArray();
            if (bytes.getCount() > SLICE_BYTES && offset > 0) {
                throw new FolderCommits.NoContent("the server answered more than the part of this mail asked for");
            }
            int count = bytes.getCount();
            out.write(bytes.getBytes(), bytes.getStart(), count);
            offset += count;
            if (count == SLICE_BYTES) {
                continue;
            }
            // More than a slice from the start: a server that ignores partial fetches sent the whole mail. Less, and
            // the mail ends here unless the server gave a larger size: a slice may come short of the end with OK,
            // so the rest is asked for, and an empty answer ends a mail the size overstated (Exchange estimates it).
            if (count > SLICE_BYTES || count == 0 || size <= 0 || offset >= size) {
                return offset;
            }
            afterShort = true;
        }
    }

    /** Whether the server still holds this UID, asked now (Jakarta Mail answers from its cache). */
    static boolean exists(IMAPFolder folder, long uid) throws MessagingException {
        return uidFetch(folder, uid + " (UID)").stream().anyMatch(fetch -> answers(fetch, uid));
    }

    /** The raw mails by UID; a UID missing from the answer was expunged meanwhile. */
    static Map<Long, byte[]> bodies(IMAPFolder folder, List<Long> uids) throws MessagingException {
        long[] wanted = uids.stream().mapToLong(Long::longValue).toArray();
        Map<Long, byte[]> out = new HashMap<>();
        for (FetchResponse fetch : uidFetch(folder, UIDSet.toString(UIDSet.createUIDSets(wanted))
                + " (UID BODY.PEEK[])")) {
            UID uid = fetch.getItem(UID.class);
            BODY body = fetch.getItem(BODY.class);
            if (uid != null && body != null && body.getByteArray() != null) {
                out.put(uid.uid, body.getByteArray().getNewBytes());
            }
        }
        return out;
    }

    /**
     * Runs {@code UID FETCH <arguments>} and returns the FETCH answers. Untagged answers (EXISTS, EXPUNGE) go to the
     * folder first, to keep its view current; then a NO or BAD fails the call.
     */
    @SuppressWarnings("unchecked")
    private static List<FetchResponse> uidFetch(IMAPFolder folder, String arguments) throws MessagingException {
        return (List<FetchResponse>) folder.doCommand(protocol -> {
            Response[] responses = protocol.command("UID FETCH " + arguments, null);
            List<FetchResponse> fetched = new ArrayList<>();
            for (Response response : responses) {
                if (response instanceof FetchResponse fetch) {
                    fetched.add(fetch);
                }
            }
            protocol.notifyResponseHandlers(responses);
            protocol.handleResult(responses[responses.length - 1]);
            return fetched;
        });
    }

    private static boolean answers(FetchResponse fetch, long uid) {
        UID answered = fetch.getItem(UID.class);
        return answered != null && answered.uid == uid;
    }
}
