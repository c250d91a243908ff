package io.throughline.connector.email;

import jakarta.mail.MessagingException;
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

/**
 * Fetches the raw bytes of many small mails in one {@code UID FETCH ... (UID BODY.PEEK[])} round trip. Jakarta
 * Mail's public API fetches a body per message (a round trip each, which dominates import time) or caches whole
 * messages in the folder for as long as it is open; this keeps nothing beyond the batch. BODY.PEEK never sets
 * {@code \Seen}.
 */
final class RawFetch {

    private RawFetch() {
    }

    /** The raw mails by UID; a UID missing from the answer was expunged meanwhile. */
    @SuppressWarnings("unchecked")
    static Map<Long, byte[]> bodies(IMAPFolder folder, List<Long> uids) throws MessagingException {
        long[] wanted = uids.stream().mapToLong(Long::longValue).toArray();
        String set = UIDSet.toString(UIDSet.createUIDSets(wanted));
        return (Map<Long, byte[]>) folder.doCommand(protocol -> {
            Response[] responses = protocol.command("UID FETCH " + set + " (UID BODY.PEEK[])", null);
            Map<Long, byte[]> out = new HashMap<>();
            for (Response response : responses) {
                if (response instanceof FetchResponse fetch) {
                    UID uid = fetch.getItem(UID.class);
                    BODY body = fetch.getItem(BODY.class);
                    if (uid != null && body != null && body.getByteArray() != null) {
                        ByteArray bytes = body.getByteArray();
                        out.put(uid.uid, bytes.getNewBytes());
                    }
                }
            }
            // Untagged answers (EXISTS, EXPUNGE) keep the folder's view current; then fail on a NO or BAD.
            protocol.notifyResponseHandlers(responses);
            protocol.handleResult(responses[responses.length - 1]);
            return out;
        });
    }
}
