package io.throughline.connector.email;

import jakarta.mail.Session;
import java.util.Properties;

/**
 * Jakarta Mail sessions for one inbox: never {@code Session.getDefaultInstance}, which is shared process-wide, and
 * always with timeouts, certificate host checks, and {@code peek} so reading a mail never marks it read for the
 * people who share the mailbox.
 */
final class MailSessions {

    static final int CONNECT_TIMEOUT_MS = 15_000;
    /** Longer than the IDLE refresh, so a quiet IDLE never times out on its own. */
    static final int IMAP_READ_TIMEOUT_MS = 5 * 60_000;
    /**
     * RFC 5321 (4.5.3.2) has a client wait minutes for an answer, up to ten after the mail's final dot: relays that
     * scan attachments take their time, and a client that gives up early sends the accepted mail again.
     */
    static final int SMTP_READ_TIMEOUT_MS = 5 * 60_000;
    static final int WRITE_TIMEOUT_MS = 60_000;
    /** Large mails come in 1 MB FETCH slices: one round trip per 16 KB (the default) makes a 20 MB mail crawl. */
    private static final String FETCH_SIZE = String.valueOf(1024 * 1024);

    private MailSessions() {
    }

    static String imapProtocol(EmailConfig.Imap imap) {
        return imap.security() == EmailConfig.Security.TLS ? "imaps" : "imap";
    }

    static String smtpProtocol(EmailConfig.Smtp smtp) {
        return smtp.security() == EmailConfig.Security.TLS ? "smtps" : "smtp";
    }

    static Session imap(EmailConfig.Imap imap, MailLogin login) {
        String p = "mail." + imapProtocol(imap) + ".";
        Properties props = new Properties();
        props.put("mail.store.protocol", imapProtocol(imap));
        props.put(p + "host", imap.host());
        props.put(p + "port", String.valueOf(imap.port()));
        props.put(p + "connectiontimeout", String.valueOf(CONNECT_TIMEOUT_MS));
        props.put(p + "timeout", String.valueOf(IMAP_READ_TIMEOUT_MS));
        props.put(p + "writetimeout", String.valueOf(WRITE_TIMEOUT_MS));
        props.put(p + "peek", "true");
        props.put(p + "fetchsize", FETCH_SIZE);
        props.put(p + "partialfetch", "true");
        props.put(p + "usesocketchannels", "false");
        security(props, p, imap.security());
        if (login.xoauth2()) {
            props.put(p + "auth.mechanisms", "XOAUTH2");
        }
        return Session.getInstance(props);
    }

    static Session smtp(EmailConfig.Smtp smtp, MailLogin login, String envelopeFrom) {
        String p = "mail." + smtpProtocol(smtp) + ".";
        Properties props = new Properties();
        props.put("mail.transport.protocol", smtpProtocol(smtp));
        props.put(p + "host", smtp.host());
        props.put(p + "port", String.valueOf(smtp.port()));
        props.put(p + "connectiontimeout", String.valueOf(CONNECT_TIMEOUT_MS));
        props.put(p + "timeout", String.valueOf(SMTP_READ_TIMEOUT_MS));
        props.put(p + "writetimeout", String.valueOf(WRITE_TIMEOUT_MS));
        // Bounces come back to the inbox address, where the receiver reads them as delivery reports.
        props.put(p + "from", envelopeFrom);
        props.put(p + "auth", String.valueOf(smtp.authenticates()));
        security(props, p, smtp.security());
        if (login.xoauth2()) {
            props.put(p + "auth.mechanisms", "XOAUTH2");
        }
        return Session.getInstance(props);
    }

    private static void security(Properties props, String prefix, EmailConfig.Security security) {
        switch (security) {
            case TLS -> {
                props.put(prefix + "ssl.enable", "true");
                props.put(prefix + "ssl.checkserveridentity", "true");
            }
            case STARTTLS -> {
                props.put(prefix + "starttls.enable", "true");
                props.put(prefix + "starttls.required", "true");
                props.put(prefix + "ssl.checkserveridentity", "true");
            }
            case NONE -> {
                props.put(prefix + "starttls.enable", "false");
            }
        }
    }
}
