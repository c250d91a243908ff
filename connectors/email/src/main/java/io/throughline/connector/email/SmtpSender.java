package io.throughline.connector.email;

import io.throughline.connector.DeliveryFailure;
import jakarta.mail.Address;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPSenderFailedException;
import org.eclipse.angus.mail.smtp.SMTPTransport;
import org.eclipse.angus.mail.util.MailConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one mail through the inbox's SMTP server in its own transport (never {@code Transport.send}, which reads
 * the session's defaults, nor the IMAP session that {@code Message.reply()} would use), and turns SMTP answers into
 * the server's retry rules: 4xx and network faults are retried with backoff, 5xx fails with the server's words.
 */
final class SmtpSender {

    private static final Logger log = LoggerFactory.getLogger(SmtpSender.class);
    /** An enhanced status code (RFC 3463) in a server's answer: "550 5.4.5 Daily user sending limit exceeded". */
    private static final Pattern ENHANCED = Pattern.compile("\\b(5\\.\\d{1,3}\\.\\d{1,3})\\b");
    /**
     * Answers about the sending account rather than the message: sending limit exceeded (5.4.5), authentication
     * failed or required (5.7.8, 5.7.9, 5.7.57), not allowed to send as this address (5.7.60).
     */
    private static final Set<String> ACCOUNT_STATUSES = Set.of("5.4.5", "5.7.8", "5.7.9", "5.7.57", "5.7.60");
    static final Duration ACCOUNT_RETRY = Duration.ofMinutes(15);
    private static final String ACCOUNT_HINT = " (the inbox's mail account cannot send: fix it in the inbox settings"
            + " or with the mail provider; the reply waits and is tried again every 15 minutes)";

    private SmtpSender() {
    }

    /** Whether a failure is about the inbox's account (a refused login, a sending limit), not the message. */
    static boolean accountFailure(DeliveryFailure failure) {
        return !failure.attempted() && ACCOUNT_RETRY.equals(failure.retryAfter());
    }

    /**
     * Sends and returns the server's last answer ("250 2.0.0 Ok: queued as ..."). Once the server has accepted the
     * mail, the send is done: a QUIT that goes unanswered (a dropped connection, a timeout) is only logged, or the
     * mail would go out again on the retry.
     */
    static String send(Session session, EmailConfig.Smtp smtp, MailLogin login, MimeMessage mail)
            throws DeliveryFailure {
        String where = smtp.host() + ":" + smtp.port();
        Transport transport;
        try {
            transport = session.getTransport();
        } catch (MessagingException e) {
            throw classify(e, where);
        }
        String accepted;
        try {
            if (smtp.authenticates()) {
                login.connect(transport, smtp.host(), smtp.port(), smtp.username());
            } else {
                transport.connect(smtp.host(), smtp.port(), null, null);
            }
            Address[] recipients = mail.getAllRecipients();
            transport.sendMessage(mail, recipients);
            accepted = transport instanceof SMTPTransport smtpTransport
                    ? answer(smtpTransport.getLastServerResponse()) : "accepted";
        } catch (MessagingException e) {
            closeQuietly(transport, where);
            throw classify(e, where);
        }
        closeQuietly(transport, where);
        return accepted;
    }

    private static void closeQuietly(Transport transport, String where) {
        try {
            transport.close();
        } catch (MessagingException e) {
            log.info("the SMTP server {} did not answer QUIT: {}", where, MailParser.describe(e));
        }
    }

    static DeliveryFailure classify(MessagingException e, String where) {
        if (e instanceof AuthenticationFailedException) {
            // A changed password is fixed by an admin, after which the retry succeeds: until then every reply of
            // the inbox waits, without spending the attempts that would fail it.
            return DeliveryFailure.notAttempted("the SMTP server " + where + " refused the login: "
                    + MailParser.describe(e) + ACCOUNT_HINT, ACCOUNT_RETRY);
        }
        SMTPAddressFailedException rejected = find(e, SMTPAddressFailedException.class);
        if (rejected != null) {
            String reason = "the SMTP server refused the recipient " + rejected.getAddress().getAddress() + ": "
                    + answer(rejected.getMessage());
            if (rejected.getReturnCode() == 552) {
                // RFC 5321 4.5.3.1.10: a 552 to RCPT (mailbox full, over a quota) is to be taken as 452, temporary.
                return DeliveryFailure.retryable(reason, e);
            }
            return byCode(rejected.getReturnCode(), reason, e);
        }
        // MAIL FROM refused (the sender address): not an SMTPSendFailedException, but its code decides the same way.
        SMTPSenderFailedException sender = find(e, SMTPSenderFailedException.class);
        if (sender != null) {
            return byCode(sender.getReturnCode(), "the SMTP server " + where + " refused the sender "
                    + sender.getAddress().getAddress() + ": " + answer(sender.getMessage()), e);
        }
        SMTPSendFailedException failed = find(e, SMTPSendFailedException.class);
        if (failed != null) {
            return byCode(failed.getReturnCode(), "the SMTP server " + where + " refused the message: "
                    + answer(failed.getMessage()), e);
        }
        if (e instanceof MailConnectException || find(e, MailConnectException.class) != null) {
            return DeliveryFailure.retryable("cannot connect to the SMTP server " + where + ": "
                    + rootMessage(e), e);
        }
        if (e instanceof SendFailedException sendFailed && sendFailed.getInvalidAddresses() != null
                && sendFailed.getInvalidAddresses().length > 0 && e.getNextException() == null) {
            return DeliveryFailure.permanent("invalid recipient address " + sendFailed.getInvalidAddresses()[0]);
        }
        Throwable root = root(e);
        if (root instanceof UnknownHostException) {
            return DeliveryFailure.retryable("the SMTP host " + smtpHost(where) + " is unknown", e);
        }
        if (root instanceof SocketTimeoutException) {
            return DeliveryFailure.retryable("the SMTP server " + where + " timed out", e);
        }
        if (root instanceof IOException) {
            return DeliveryFailure.retryable("the connection to the SMTP server " + where + " failed: "
                    + rootMessage(e), e);
        }
        return DeliveryFailure.retryable("sending through " + where + " failed: " + MailParser.describe(e), e);
    }

    /**
     * A 5xx is the message's or the recipient's fault, and final; except when it says the inbox's own account
     * cannot send at all (authentication required or refused, over a daily sending limit, not allowed to send as
     * this address): then every reply would fail alike until an admin fixes the account, so each waits and tries
     * again, and the reason shows on the delivery and in the inbox's health.
     */
    private static DeliveryFailure byCode(int code, String reason, Throwable cause) {
        if (code >= 500 && code < 600 && accountProblem(code, reason)) {
            // The account, not this message: a daily limit lasts up to a day, and an admin fixes a login. Every
            // reply of the inbox waits meanwhile without spending attempts, or each would fail and need a resend.
            return DeliveryFailure.notAttempted(reason + ACCOUNT_HINT, ACCOUNT_RETRY);
        }
        if (code >= 500 && code < 600) {
            return DeliveryFailure.permanent(reason);
        }
        return DeliveryFailure.retryable(reason, cause);
    }

    static boolean accountProblem(int code, String reason) {
        if (code == 530 || code == 535) {
            return true;
        }
        // Exchange names a generic code first and the telling one later ("554 5.2.0 ... 5.7.60 SMTP; ...").
        Matcher enhanced = ENHANCED.matcher(reason);
        while (enhanced.find()) {
            if (ACCOUNT_STATUSES.contains(enhanced.group(1))) {
                return true;
            }
        }
        return false;
    }

    /** An SMTP answer on one line, without the trailing newline Jakarta Mail keeps. */
    private static String answer(String text) {
        return text == null ? "" : text.replaceAll("\\s+", " ").strip();
    }

    private static <T extends Throwable> T find(Throwable e, Class<T> type) {
        Throwable current = e;
        for (int depth = 0; current != null && depth < 10; depth++) {
            if (type.isInstance(current)) {
                return type.cast(current);
            }
            Throwable next = current instanceof MessagingException m && m.getNextException() != null
                    ? m.getNextException() : current.getCause();
            current = next == current ? null : next;
        }
        return null;
    }

    private static Throwable root(Throwable e) {
        Throwable current = e;
        for (int depth = 0; depth < 10; depth++) {
            Throwable next = current instanceof MessagingException m && m.getNextException() != null
                    ? m.getNextException() : current.getCause();
            if (next == null || next == current) {
                return current;
            }
            current = next;
        }
        return current;
    }

    private static String rootMessage(Throwable e) {
        return MailParser.describe(root(e));
    }

    private static String smtpHost(String where) {
        return where.substring(0, where.lastIndexOf(':'));
    }
}
