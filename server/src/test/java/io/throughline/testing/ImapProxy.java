package io.throughline.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TCP proxy in front of GreenMail's IMAP port that misbehaves the way some servers do, which GreenMail never
 * does: it refuses a fetch of several mails' bodies with NO, leaves one mail out of such a fetch's answer while
 * the mail still exists, refuses every fetch of one mail's body (a mail the server cannot read) or drops the
 * connection on it, or refuses every slice of a large mail after the first, or refuses IDLE. Everything else
 * passes through byte for byte. It also records the UIDs whose whole body the client asked for.
 */
public final class ImapProxy implements AutoCloseable {

    /** What goes wrong. */
    public enum Fault {
        /** Nothing goes wrong: the proxy only records which mails' whole bodies were fetched. */
        NONE,
        /** Every {@code UID FETCH <several uids> (UID BODY.PEEK[])} is answered NO. */
        REFUSE_BATCH_FETCH,
        /** Every such fetch is answered without its last mail. */
        OMIT_LAST_OF_BATCH,
        /** Every fetch of the body of mail 2 (by UID or by number: the same in a fresh mailbox) is answered NO. */
        REFUSE_MAIL_2,
        /** Every fetch of a body slice that starts past the first byte is answered NO (a large mail cut short). */
        REFUSE_LATER_SLICES,
        /**
         * Every fetch of several mails' bodies is answered NO, and the first {@value #TEMPORARY_REFUSALS} fetches of
         * mail 2 alone {@code NO [UNAVAILABLE]}.
         */
        UNAVAILABLE_MAIL_2,
        /** Every fetch of mail 2's body, alone or with others, makes the server drop the connection. */
        DROP_ON_MAIL_2,
        /**
         * Every fetch of a body slice gets half the bytes it asked for, with OK: a server answering a slice short
         * without being at the end of the mail.
         */
        SHORT_SLICES,
        /** The server's CAPABILITY lists lose {@code MOVE} (RFC 6851): an older server, which only copies. */
        NO_MOVE,
        /**
         * The server names IDLE in its capabilities but answers every IDLE NO, and hangs up (as at its read
         * timeout: a NO alone holds the client until its own).
         */
        REFUSE_IDLE,
        /** The first IDLE loses the connection, unanswered (a network drop, a server restarting); later ones pass. */
        DROP_ON_FIRST_IDLE
    }

    private static final Pattern BODY_FETCH = Pattern.compile("(\\S+) (?:UID )?FETCH ([0-9,:]+) \\(.*BODY.*\\)\\r\\n",
            Pattern.CASE_INSENSITIVE);
    /** A UID FETCH of whole bodies (not of header fields), whole or in slices. */
    private static final Pattern WHOLE_BODY_FETCH = Pattern.compile("\\S+ UID FETCH ([0-9,:]+) \\(.*BODY\\.PEEK\\[][^\\r]*"
            + "\\r\\n", Pattern.CASE_INSENSITIVE);
    private static final Pattern SLICE_FETCH = Pattern.compile("\\S+ (?:UID )?FETCH \\S+ \\(.*BODY\\.PEEK\\[]<([0-9]+)\\."
            + "([0-9]+)>.*\\)\\r\\n", Pattern.CASE_INSENSITIVE);
    private static final Pattern IDLE = Pattern.compile("\\S+ IDLE\\r\\n", Pattern.CASE_INSENSITIVE);
    private static final Pattern BATCH_FETCH = Pattern.compile("(\\S+) UID FETCH (\\S*[,:]\\S*) \\(UID BODY\\.PEEK\\[]\\)"
            + "\\r\\n", Pattern.CASE_INSENSITIVE);

    /** How often {@link Fault#UNAVAILABLE_MAIL_2} refuses before it lets the mail through. */
    public static final int TEMPORARY_REFUSALS = 4;

    private final ServerSocket listener;
    private final int targetPort;
    private final Fault fault;
    private final AtomicInteger faults = new AtomicInteger();
    private final AtomicInteger temporaryRefusals = new AtomicInteger();
    private final Set<Long> bodiesFetched = ConcurrentHashMap.newKeySet();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean frozen;

    private ImapProxy(int targetPort, Fault fault) throws IOException {
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.targetPort = targetPort;
        this.fault = fault;
        Thread.ofVirtual().name("imap-proxy").start(this::acceptLoop);
    }

    public static ImapProxy start(int targetPort, Fault fault) {
        try {
            return new ImapProxy(targetPort, fault);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** The UIDs whose whole body a client fetched, since the start or the last {@link #forgetFetches}. */
    public Set<Long> bodiesFetched() {
        return Set.copyOf(bodiesFetched);
    }

    public void forgetFetches() {
        bodiesFetched.clear();
    }

    /** How many fetches it answered {@code NO [UNAVAILABLE]}. */
    public int temporaryRefusals() {
        return temporaryRefusals.get();
    }

    /**
     * From now on nothing passes either way, and the connections stay open: a network that died under them, which
     * neither side hears of until a timeout.
     */
    public void freeze() {
        frozen = true;
    }

    /** How many fetches it spoiled: a test asserts there were some, so it cannot pass without meeting the fault. */
    public int faults() {
        return faults.get();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                sockets.add(client);
                sockets.add(server);
                OutputStream toClient = client.getOutputStream();
                OutputStream toServer = server.getOutputStream();
                Thread.ofVirtual().start(() -> pipe(server, toClient));
                Thread.ofVirtual().start(() -> commands(client, server, toServer, toClient));
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Server to client, unchanged (or, for {@link Fault#NO_MOVE}, line by line without MOVE in capabilities). */
    private void pipe(Socket server, OutputStream toClient) {
        if (fault == Fault.NO_MOVE) {
            pipeWithoutMove(server, toClient);
            return;
        }
        byte[] buffer = new byte[8192];
        try (InputStream in = server.getInputStream()) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                if (frozen) {
                    continue;
                }
                synchronized (toClient) {
                    toClient.write(buffer, 0, n);
                    toClient.flush();
                }
            }
        } catch (IOException e) {
            // the connection ended
        }
    }

    private void pipeWithoutMove(Socket server, OutputStream toClient) {
        try (InputStream in = server.getInputStream()) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0) {
                line.write(b);
                if (b != '\n' && line.size() < 65_536) {
                    continue;
                }
                String text = line.toString(StandardCharsets.ISO_8859_1);
                line.reset();
                if (text.toUpperCase(Locale.ROOT).contains("CAPABILITY")) {
                    text = text.replaceAll("(?i) MOVE(?=[ \\]\r])", "");
                }
                synchronized (toClient) {
                    toClient.write(text.getBytes(StandardCharsets.ISO_8859_1));
                    toClient.flush();
                }
            }
        } catch (IOException e) {
            // the connection ended
        }
    }

    /** Client to server, line by line (literals pass through as the bytes after their line). */
    private void commands(Socket client, Socket server, OutputStream toServer, OutputStream toClient) {
        try (InputStream in = client.getInputStream()) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) >= 0) {
                line.write(b);
                if (b != '\n') {
                    continue;
                }
                String text = line.toString(StandardCharsets.ISO_8859_1);
                line.reset();
                if (frozen) {
                    continue;
                }
                Matcher whole = WHOLE_BODY_FETCH.matcher(text);
                if (whole.matches()) {
                    bodiesFetched.addAll(expand(whole.group(1)));
                }
                Matcher batch = BATCH_FETCH.matcher(text);
                Matcher body = BODY_FETCH.matcher(text);
                Matcher slice = SLICE_FETCH.matcher(text);
                if (fault == Fault.DROP_ON_FIRST_IDLE && IDLE.matcher(text).matches()
                        && faults.compareAndSet(0, 1)) {
                    server.close();
                    client.close();
                    return;
                }
                if (fault == Fault.REFUSE_IDLE && IDLE.matcher(text).matches()) {
                    faults.incrementAndGet();
                    answer(toClient, text, "NO simulated: IDLE is switched off here");
                    server.close();
                    client.close();
                    return;
                }
                if (body.matches() && fault == Fault.DROP_ON_MAIL_2 && expand(body.group(2)).contains(2L)) {
                    faults.incrementAndGet();
                    server.close();
                    client.close();
                    return;
                }
                if (body.matches() && fault == Fault.UNAVAILABLE_MAIL_2 && expand(body.group(2)).equals(List.of(2L))
                        && temporaryRefusals.get() < TEMPORARY_REFUSALS) {
                    temporaryRefusals.incrementAndGet();
                    answer(toClient, text, "NO [UNAVAILABLE] simulated: the mail store is busy, try again later");
                    continue;
                }
                if ((batch.matches() && (fault == Fault.REFUSE_BATCH_FETCH || fault == Fault.UNAVAILABLE_MAIL_2))
                        || (body.matches() && fault == Fault.REFUSE_MAIL_2 && expand(body.group(2)).contains(2L))
                        || (slice.matches() && fault == Fault.REFUSE_LATER_SLICES
                            && Long.parseLong(slice.group(1)) > 0)) {
                    faults.incrementAndGet();
                    answer(toClient, text, "NO simulated: cannot read this mail");
                    continue;
                }
                if (slice.matches() && fault == Fault.SHORT_SLICES) {
                    faults.incrementAndGet();
                    long asked = Long.parseLong(slice.group(2));
                    text = text.replace("<" + slice.group(1) + "." + asked + ">",
                            "<" + slice.group(1) + "." + asked / 2 + ">");
                }
                if (batch.matches() && fault == Fault.OMIT_LAST_OF_BATCH) {
                    faults.incrementAndGet();
                    List<Long> uids = expand(batch.group(2));
                    uids.removeLast();
                    text = batch.group(1) + " UID FETCH " + String.join(",", uids.stream().map(String::valueOf)
                            .toList()) + " (UID BODY.PEEK[])\r\n";
                }
                toServer.write(text.getBytes(StandardCharsets.ISO_8859_1));
                toServer.flush();
            }
        } catch (IOException e) {
            // the connection ended
        }
    }

    /** Answers a command in the server's place: its tag, then the given status and text. */
    private static void answer(OutputStream toClient, String command, String status) throws IOException {
        synchronized (toClient) {
            toClient.write((command.substring(0, command.indexOf(' ')) + " " + status + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            toClient.flush();
        }
    }

    private static List<Long> expand(String set) {
        List<Long> uids = new ArrayList<>();
        for (String part : set.split(",")) {
            int colon = part.indexOf(':');
            long from = Long.parseLong(colon < 0 ? part : part.substring(0, colon));
            long to = colon < 0 ? from : Long.parseLong(part.substring(colon + 1));
            for (long uid = Math.min(from, to); uid <= Math.max(from, to); uid++) {
                uids.add(uid);
            }
        }
        return uids;
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (IOException e) {
            // closing anyway
        }
        for (Socket socket : sockets) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
