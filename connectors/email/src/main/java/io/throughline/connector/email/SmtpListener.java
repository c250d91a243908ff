package io.throughline.connector.email;

import io.throughline.connector.StorageUnavailable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.subethamail.smtp.DropConnectionException;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;
import org.subethamail.smtp.server.SMTPServer;
import org.subethamail.smtp.server.Session;
import org.subethamail.smtp.server.SessionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The optional inbound SMTP listener (SubEthaSMTP), for setups that point MX records or a forward at Throughline.
 * It is never a relay: a recipient is accepted only when an open email inbox answers for it (its address, or a
 * {@code reply+token@} address of its reply domain); anything else gets {@code 550 5.1.1}. Mail over the size limit
 * gets {@code 552}: at {@code MAIL} when its declared size is over, else once its whole {@code DATA} has been read
 * (and thrown away), so the rest of it is never taken for commands. A mail is acknowledged with {@code 250} only
 * after ingest committed it; the database's failure answers {@code 451} so the sending server tries again later:
 * nothing is lost. A mail that fails ingest for any other reason is stored at once unparsed, the original attached
 * (as IMAP stores one failing its attempts), and answered {@code 250}.
 * Either refusal ends the transaction, as RFC 5321 says, so the sender's next {@code MAIL} needs no {@code RSET}.
 *
 * <p>SubEthaSMTP blocks a thread per session, so it runs on its own bounded pool of platform threads. Its read
 * timeout bounds silence only: a client sending a byte or a NOOP now and then held its thread for ever, and fifty
 * such held them all. One client address holds {@code maxConnectionsPerSource} sessions at most (421 beyond), and
 * a session ends at {@code sessionTimeout}, however it trickles: a mail still being received is then not
 * acknowledged (one whose import had begun may be stored, and its retry is known by its Message-ID).
 */
final class SmtpListener {

    private static final Logger log = LoggerFactory.getLogger(SmtpListener.class);
    /**
     * How much past the size limit (this many times the limit again) a {@code DATA} is read and thrown away before
     * the connection is dropped instead: a sender that never ends one holds one of the listener's connections and
     * wastes its own bandwidth, up to this.
     */
    private static final long DRAIN_LIMIT_FACTOR = 10;
    private static final int MAX_RECIPIENTS = 100;

    private final EmailSettings settings;
    private final Function<String, Optional<EmailInbox>> inboxFor;
    private ExecutorService sessions;
    private ScheduledExecutorService deadlines;
    private SMTPServer server;

    SmtpListener(EmailSettings settings, Function<String, Optional<EmailInbox>> inboxFor) {
        this.settings = settings;
        this.inboxFor = inboxFor;
    }

    /** Starts listening; a port taken or a keystore that cannot be loaded says which option to change. */
    void start() throws IOException {
        SSLContext startTls = null;
        if (settings.listenerKeystore() != null) {
            try {
                startTls = tls(Path.of(settings.listenerKeystore()), settings.listenerKeystorePassword().toCharArray());
            } catch (IOException | GeneralSecurityException e) {
                throw new IOException("email.listener.tlsKeystore (THROUGHLINE_EMAIL_LISTENER_TLS_KEYSTORE): "
                        + settings.listenerKeystore() + " cannot be loaded with its password: " + e.getMessage(), e);
            }
        }
        InetAddress bindAddress = InetAddress.getByName(settings.listenerHost());
        sessions = Executors.newFixedThreadPool(settings.listenerMaxConnections(), Thread.ofPlatform().daemon()
                .name("smtp-in-", 0).factory());
        // Cancelled deadlines leave the queue at once (each session ends long before its own): kept, a busy
        // listener would hold ten minutes' worth of them.
        ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().daemon()
                .name("smtp-in-deadlines").factory());
        timers.setRemoveOnCancelPolicy(true);
        deadlines = timers;
        long maxBytes = settings.listenerMaxMessageBytes();
        SMTPServer.Builder builder = SMTPServer.port(settings.listenerPort())
                .bindAddress(bindAddress)
                .softwareName("Throughline")
                .maxConnections(settings.listenerMaxConnections())
                .maxRecipients(MAX_RECIPIENTS)
                .maxMessageSize((int) Math.min(Integer.MAX_VALUE, maxBytes))
                .connectionTimeout(60, TimeUnit.SECONDS)
                .executorService(sessions)
                .sessionHandler(new Limits(SessionHandler.limitConcurrentSessionsBySource(
                        settings.listenerMaxConnectionsPerSource()), settings.listenerSessionTimeout(), deadlines))
                .insertReceivedHeaders()
                .messageHandlerFactory(context -> new Delivery(context, maxBytes));
        if (settings.listenerHostname() != null) {
            builder.hostName(settings.listenerHostname());
        }
        if (startTls != null) {
            builder.enableTLS().startTlsSocketFactory(startTls);
        }
        try {
            server = builder.build();
            server.start();
        } catch (RuntimeException e) {
            server = null;
            sessions.shutdownNow();
            deadlines.shutdownNow();
            throw new IOException("cannot listen on " + settings.listenerHost() + ":" + settings.listenerPort()
                    + " for inbound mail (set THROUGHLINE_EMAIL_LISTENER_PORT to another port, or turn the listener"
                    + " off with THROUGHLINE_EMAIL_LISTENER_ENABLED=false)", e);
        }
        log.info("smtp listener started host={} port={} maxMessageBytes={} starttls={}", settings.listenerHost(),
                server.getPortAllocated(), maxBytes, settings.listenerKeystore() != null);
    }

    int port() {
        return server.getPortAllocated();
    }

    void stop() {
        if (server != null) {
            server.stop();
            server = null;
        }
        if (sessions != null) {
            sessions.shutdownNow();
            sessions = null;
        }
        if (deadlines != null) {
            deadlines.shutdownNow();
            deadlines = null;
        }
    }

    /**
     * One source's share of the sessions (SubEthaSMTP's own count, which a refused session never enters), and each
     * accepted session's deadline: its TCP socket is closed then, which ends whatever read or write it is blocked in.
     * The socket is taken at accept, before the greeting and so before any STARTTLS: closing the TLS socket would
     * wait for its lock, which a session blocked writing to a client that never reads holds.
     */
    private record Limits(SessionHandler bySource, Duration timeout, ScheduledExecutorService timers,
                          Map<Session, ScheduledFuture<?>> open) implements SessionHandler {

        Limits(SessionHandler bySource, Duration timeout, ScheduledExecutorService timers) {
            this(bySource, timeout, timers, new ConcurrentHashMap<>());
        }

        @Override
        public SessionAcceptance accept(Session session) {
            SessionAcceptance acceptance = bySource.accept(session);
            if (!acceptance.accepted()) {
                // The client decides how often this happens: not a warning each time.
                log.info("smtp session refused: too many from one source remote={}", session.getRemoteAddress());
                return acceptance;
            }
            Socket socket = session.getSocket();
            Object remote = session.getRemoteAddress();
            open.put(session, timers.schedule(() -> {
                log.warn("smtp session ended at its deadline ({}s) remote={}", timeout.toSeconds(), remote);
                try {
                    socket.close();
                } catch (IOException e) {
                    log.debug("smtp session socket close failed: {}", e.toString());
                }
            }, timeout.toMillis(), TimeUnit.MILLISECONDS));
            return acceptance;
        }

        @Override
        public void onSessionEnd(Session session) {
            ScheduledFuture<?> deadline = open.remove(session);
            if (deadline != null) {
                deadline.cancel(false);
            }
            bySource.onSessionEnd(session);
        }
    }

    private static SSLContext tls(Path keystore, char[] password) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            store.load(in, password);
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, password);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), null, null);
        return context;
    }

    /** One SMTP transaction: MAIL FROM, RCPT TO (checked one by one), DATA. */
    private final class Delivery implements MessageHandler {
        private final MessageContext context;
        private final long maxBytes;
        private final Map<EmailInbox, List<String>> recipients = new LinkedHashMap<>();
        private Path spool;

        Delivery(MessageContext context, long maxBytes) {
            this.context = context;
            this.maxBytes = maxBytes;
        }

        @Override
        public void from(String from) {
            // Any sender may write to support; recipients decide.
        }

        @Override
        public void recipient(String recipient) throws RejectException {
            Optional<EmailInbox> inbox;
            try {
                inbox = inboxFor.apply(recipient);
            } catch (EmailConnector.TryLater e) {
                throw new RejectException(451, "4.3.0 <" + recipient + ">: mailbox temporarily unavailable, try"
                        + " again later");
            }
            if (inbox.isEmpty()) {
                log.info("smtp recipient refused recipient={} remote={}", recipient, context.getRemoteAddress());
                throw new RejectException(550, "5.1.1 <" + recipient + ">: no such mailbox here (this server"
                        + " does not relay)");
            }
            recipients.computeIfAbsent(inbox.get(), k -> new ArrayList<>()).add(recipient);
        }

        @Override
        public String data(InputStream data) throws RejectException, IOException {
            try {
                return store(data);
            } catch (RejectException e) {
                // RFC 5321 ends the transaction at the end of DATA whatever its answer, but SubEthaSMTP 7.2 keeps a
                // refused one open (the sender's next MAIL would get 503 until it sent RSET): end it here. The
                // library then answers the refusal; ending it calls done(), which removes the spool file.
                if (context instanceof Session session) {
                    session.resetMailTransaction();
                }
                throw e;
            }
        }

        private String store(InputStream data) throws RejectException, IOException {
            spool = Files.createTempFile("throughline-smtp-", ".eml");
            long size = 0;
            try (OutputStream out = Files.newOutputStream(spool)) {
                byte[] buffer = new byte[64 * 1024];
                int read;
                while ((read = data.read(buffer)) != -1) {
                    size += read;
                    if (size > maxBytes) {
                        String refusal = "5.3.4 message exceeds the size limit of " + maxBytes + " bytes";
                        // SubEthaSMTP answers at once and reads on from where the mail stopped: the rest of the
                        // mail would be taken for commands. It is read to its end first, up to a point.
                        long drained = 0;
                        while ((read = data.read(buffer)) != -1) {
                            drained += read;
                            if (drained > maxBytes * DRAIN_LIMIT_FACTOR) {
                                log.warn("smtp mail over the size limit never ended; connection dropped from={}"
                                        + " bytes={}", context.getRemoteAddress(), size + drained);
                                throw new DropConnectionException(552, refusal);
                            }
                        }
                        log.info("smtp mail refused over the size limit from={} bytes={} limit={}",
                                context.getRemoteAddress(), size + drained, maxBytes);
                        throw new RejectException(552, refusal);
                    }
                    out.write(buffer, 0, read);
                }
            }
            for (Map.Entry<EmailInbox, List<String>> target : recipients.entrySet()) {
                try {
                    MailImporter.Outcome outcome = target.getKey().receive(spool, target.getValue());
                    log.info("smtp mail received inbox={} recipients={} bytes={} outcome={}", target.getKey().id(),
                            target.getValue().size(), size, outcome);
                } catch (IOException | StorageUnavailable e) {
                    throw retryLater(target.getKey(), e);
                } catch (RuntimeException e) {
                    // Not the database's moment but this mail: the sender would send it again and again for days,
                    // and bounce it. Kept at once as IMAP keeps a mail failing its attempts: unparsed, the original
                    // attached, for an agent to read.
                    log.warn("smtp mail failed ingest inbox={} from={}; stored unparsed: {}", target.getKey().id(),
                            context.getRemoteAddress(), MailParser.describe(e), e);
                    try {
                        MailImporter.Outcome outcome = target.getKey().receiveUnparsed(spool, "ingest failed");
                        log.info("smtp mail received unparsed inbox={} bytes={} outcome={}", target.getKey().id(),
                                size, outcome);
                    } catch (IOException | RuntimeException again) {
                        e.addSuppressed(again);
                        throw retryLater(target.getKey(), e);
                    }
                }
            }
            return null;
        }

        private static RejectException retryLater(EmailInbox inbox, Exception e) {
            log.error("smtp mail could not be stored inbox={}; answered 451 so the sender retries", inbox.id(), e);
            return new RejectException(451, "4.3.0 temporary failure storing the message, try again later");
        }

        @Override
        public void done() {
            if (spool != null) {
                try {
                    Files.deleteIfExists(spool);
                } catch (IOException e) {
                    log.warn("smtp spool file not deleted file={}: {}", spool, e.toString());
                }
            }
        }
    }
}
