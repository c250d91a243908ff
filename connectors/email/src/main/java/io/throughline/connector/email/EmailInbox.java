package io.throughline.connector.email;

import io.throughline.connector.ChannelInbox;
import io.throughline.connector.ConnectorHealth;
import io.throughline.connector.DeliveryFailure;
import io.throughline.connector.DeliveryReceipt;
import io.throughline.connector.IdentityKind;
import io.throughline.connector.InboxContext;
import io.throughline.connector.OutboundMessage;
import io.vertx.core.json.JsonObject;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One email inbox open on this node. It sends on every node; it receives (one {@link ImapReceiver} per watched
 * folder) only on the node holding the inbox's lock. Mail from the SMTP listener arrives on any node through
 * {@link #receive}, since ingest is idempotent.
 *
 * <p>SMTP runs on a small pool of platform threads: Jakarta Mail blocks inside synchronized methods, which on JDK 21
 * would pin the carriers of the dispatcher's virtual threads.
 */
final class EmailInbox implements ChannelInbox {

    private static final Logger log = LoggerFactory.getLogger(EmailInbox.class);
    private static final int SMTP_THREADS = 4;
    /** Sends waiting behind the running ones; more are handed back to the outbox to retry (SendQueue). */
    private static final int SMTP_LINE = 8;

    private final InboxContext context;
    private final EmailConfig config;
    private final EmailSettings settings;
    private final MessageIds messageIds;
    private final MailImporter importer;
    private final OAuth2Tokens tokens;
    private final MailLogin smtpLogin;
    private final MailLogin imapLogin;
    private final Session smtpSession;
    private final SendQueue smtp;
    /**
     * The running receivers, replaced whole: health reads them without a lock, as a stop can wait seconds per folder
     * for a dead connection (and /health, or a virtual thread pinned on a monitor on JDK 21, must not wait with it).
     */
    private volatile List<ImapReceiver> receivers = List.of();
    /** Start and stop, one at a time: a folder is never read by a stopping receiver and a new one at once. */
    private final Object lifecycle = new Object();
    private ScheduledExecutorService timers;
    private final Runnable onClose;
    private volatile String lastSendError;
    /**
     * After the account failed (a refused login, a sending limit), sends are handed back without connecting until
     * then: one login per waiting reply every 15 minutes would look like an attack to the provider (Microsoft's
     * smart lockout, Google's blocks) and make the admin's fix harder. Saving the inbox (the fix) reopens it.
     */
    private volatile Instant accountPausedUntil;
    private volatile String accountProblem;
    /**
     * Whether the account took a login since the inbox opened. Until it has, sends log in one at a time, each
     * looking at the pause first: a burst of replies (an inbox enabled again, a pause run out) against a changed
     * password would otherwise try as many logins at once as there are send threads and queued replies.
     */
    private volatile boolean accountTaken;
    private final ReentrantLock accountProbe = new ReentrantLock();

    EmailInbox(InboxContext context, EmailSettings settings, Runnable onClose) {
        this.context = context;
        this.onClose = onClose;
        this.config = EmailConfig.of(context.config());
        this.settings = settings;
        this.messageIds = new MessageIds(context.signingKey(), config.messageIdDomain());
        this.importer = new MailImporter(context.inbox().id(), config, messageIds, context.sink(),
                context.attachments(), settings::maxAttachmentBytes);
        this.tokens = config.oauth2() == null ? null
                : new OAuth2Tokens(context.inbox().id(), config.oauth2(), context.checkpoints(), Clock.systemUTC());
        this.smtpLogin = MailLogin.smtp(config.smtp(), tokens);
        this.imapLogin = config.imap() == null ? null : MailLogin.imap(config.imap(), tokens);
        this.smtpSession = MailSessions.smtp(config.smtp(), smtpLogin, config.address());
        this.smtp = new SendQueue("smtp-" + context.inbox().id(), SMTP_THREADS, SMTP_LINE, MailParser::describe);
    }

    EmailConfig config() {
        return config;
    }

    long id() {
        return context.inbox().id();
    }

    @Override
    public DeliveryReceipt send(OutboundMessage message) throws DeliveryFailure {
        if (message.to().kind() != IdentityKind.EMAIL) {
            throw DeliveryFailure.permanent("an email inbox can only send to an email address, not to "
                    + message.to().kind().wireName());
        }
        Instant now = Instant.now();
        Instant pausedUntil = accountPausedUntil;
        if (pausedUntil != null && now.isBefore(pausedUntil)) {
            throw DeliveryFailure.notAttempted(accountProblem + " [not tried: the account failed a moment ago]",
                    Duration.between(now, pausedUntil));
        }
        try {
            return smtp.run(() -> accountTaken ? sendNow(message) : probe(message));
        } catch (DeliveryFailure failure) {
            lastSendError = failure.getMessage();
            if (SmtpSender.accountFailure(failure)) {
                // The account failed after it had worked (its password changed): pause, and probe again after.
                accountProblem = failure.getMessage();
                accountPausedUntil = Instant.now().plus(failure.retryAfter());
                accountTaken = false;
            }
            throw failure;
        }
    }

    /** A send while the account has not taken a login yet: one at a time, each after looking at the pause. */
    private DeliveryReceipt probe(OutboundMessage message) throws DeliveryFailure {
        accountProbe.lock();
        try {
            Instant now = Instant.now();
            Instant pausedUntil = accountPausedUntil;
            if (pausedUntil != null && now.isBefore(pausedUntil)) {
                throw DeliveryFailure.notAttempted(accountProblem + " [not tried: the account failed a moment ago]",
                        Duration.between(now, pausedUntil));
            }
            DeliveryReceipt receipt = sendNow(message);
            accountPausedUntil = null;
            accountTaken = true;
            return receipt;
        } catch (DeliveryFailure failure) {
            // Paused before the next waiting send looks.
            if (SmtpSender.accountFailure(failure)) {
                accountProblem = failure.getMessage();
                accountPausedUntil = Instant.now().plus(failure.retryAfter());
            }
            throw failure;
        } finally {
            accountProbe.unlock();
        }
    }

    private DeliveryReceipt sendNow(OutboundMessage message) throws DeliveryFailure {
        MimeMessage mail;
        try {
            mail = ReplyMail.build(smtpSession, message, config, messageIds);
        } catch (MessagingException | RuntimeException e) {
            throw DeliveryFailure.permanent("the reply could not be turned into an email: "
                    + MailParser.describe(e));
        }
        String answer = SmtpSender.send(smtpSession, config.smtp(), smtpLogin, mail);
        lastSendError = null;
        String messageId = messageIds.of(message);
        log.info("email sent inbox={} message={} delivery={} messageId={}", context.inbox().id(),
                message.messageId(), message.deliveryId(), messageId);
        return new DeliveryReceipt(messageId, new JsonObject().put("smtpResponse", answer)
                .put("messageId", messageId));
    }

    @Override
    public void startReceiving() {
        synchronized (lifecycle) {
            start();
        }
    }

    private void start() {
        if (config.imap() == null || !receivers.isEmpty()) {
            return;
        }
        // One thread per folder: ending a folder's IDLE waits for that folder's lock, which a long FETCH may hold.
        timers = Executors.newScheduledThreadPool(config.imap().folders().size(), Thread.ofPlatform().daemon()
                .name("imap-timer-" + context.inbox().id() + "-", 0).factory());
        List<ImapReceiver> started = new ArrayList<>();
        for (String folder : config.imap().folders()) {
            started.add(new ImapReceiver(context.inbox().id(), config.imap(), imapLogin, folder, importer,
                    context.checkpoints(), timers, settings.backfill(), settings.giveUpAfter(),
                    Clock.systemUTC()));
        }
        receivers = List.copyOf(started);
        started.forEach(ImapReceiver::start);
    }

    @Override
    public void stopReceiving() {
        synchronized (lifecycle) {
            List<ImapReceiver> stopping = receivers;
            receivers = List.of();
            // Side by side: each may wait its 20 s for a dead connection to let go, and twenty folders one after the
            // other would take minutes.
            List<Thread> stops = stopping.stream()
                    .map(receiver -> Thread.ofPlatform().daemon().name("imap-stopping-" + context.inbox().id())
                            .start(receiver::stop))
                    .toList();
            for (Thread stop : stops) {
                try {
                    stop.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (timers != null) {
                timers.shutdownNow();
                timers = null;
            }
        }
    }

    /** A mail from the SMTP listener, already spooled to a file. */
    MailImporter.Outcome receive(Path raw, List<String> recipients) throws IOException {
        return importer.importMail(raw, recipients);
    }

    /** Stores a mail the SMTP listener could not ingest as it came: unparsed, with the original attached. */
    MailImporter.Outcome receiveUnparsed(Path raw, String reason) throws IOException {
        return importer.unparsed(raw, reason);
    }

    /**
     * Whether the SMTP listener should take mail for this address on this inbox's behalf: its address when it has
     * no IMAP (an inbox with IMAP reads its address's mail from its mailbox, and claims no routing of its domain,
     * see {@link EmailConnector#domainClaims}), and reply+ addresses of its reply domain.
     */
    boolean accepts(String recipient) {
        String address = recipient.toLowerCase(Locale.ROOT);
        if (address.equals(config.address())) {
            return config.imap() == null;
        }
        int at = address.lastIndexOf('@');
        return config.replyDomain() != null && at > 0 && address.substring(at + 1).equals(config.replyDomain())
                && address.startsWith("reply+");
    }

    @Override
    public ConnectorHealth health() {
        Instant pausedUntil = accountPausedUntil;
        if (pausedUntil != null && Instant.now().isBefore(pausedUntil)) {
            // The inbox cannot send at all: that is down, whatever receiving does.
            return ConnectorHealth.down("sending paused until " + pausedUntil + ": " + accountProblem);
        }
        String sending = lastSendError == null ? "" : "; last send failed: " + lastSendError;
        if (config.imap() == null) {
            return ConnectorHealth.up("receives through the SMTP listener" + sending);
        }
        List<ImapReceiver> running = receivers;
        if (running.isEmpty()) {
            return ConnectorHealth.up("sends from this node; receiving runs on another node" + sending);
        }
        boolean up = running.stream().allMatch(ImapReceiver::healthy);
        String detail = String.join(", ", running.stream().map(ImapReceiver::state).toList()) + sending;
        return up ? ConnectorHealth.up(detail) : ConnectorHealth.down(detail);
    }

    @Override
    public void close() {
        onClose.run();
        stopReceiving();
        smtp.close(Duration.ofSeconds(10));
        if (tokens != null) {
            tokens.close();
        }
    }
}
