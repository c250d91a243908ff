package io.throughline.connector.email;

import io.throughline.connector.ConnectionCheck;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Folder;
import jakarta.mail.MessagingException;
import jakarta.mail.Store;
import jakarta.mail.Transport;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLException;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.eclipse.angus.mail.imap.IMAPStore;

/**
 * The "test connection" steps of an email inbox, each saying in words an admin can act on what worked and what
 * did not: IMAP connect and login, each folder, IDLE support; SMTP connect and login. Nothing is sent.
 */
final class ConnectionTest {

    private ConnectionTest() {
    }

    static List<ConnectionCheck> run(EmailConfig config) {
        List<ConnectionCheck> checks = new ArrayList<>();
        OAuth2Tokens tokens = null;
        try {
            if (config.oauth2() != null) {
                tokens = new OAuth2Tokens(0, config.oauth2(), null, Clock.systemUTC());
                checks.add(oauth2(config.oauth2(), tokens));
            }
            if (config.imap() != null) {
                imap(config.imap(), MailLogin.imap(config.imap(), tokens), checks);
            } else {
                checks.add(new ConnectionCheck("imap", true, "no IMAP configured: mail arrives through the SMTP"
                        + " listener"));
            }
            smtp(config.smtp(), MailLogin.smtp(config.smtp(), tokens), checks);
            return checks;
        } finally {
            if (tokens != null) {
                tokens.close();
            }
        }
    }

    /** Fetches the first access token, which the logins below then use. */
    private static ConnectionCheck oauth2(EmailConfig.OAuth2 oauth2, OAuth2Tokens tokens) {
        try {
            tokens.accessToken();
            return new ConnectionCheck("oauth2 token", true, "the token endpoint " + oauth2.tokenUrl().getHost()
                    + " issued an access token");
        } catch (MessagingException e) {
            return new ConnectionCheck("oauth2 token", false, e.getMessage());
        }
    }

    private static void imap(EmailConfig.Imap imap, MailLogin login, List<ConnectionCheck> checks) {
        String where = imap.host() + ":" + imap.port() + " (" + imap.security().name().toLowerCase() + ")";
        Store store = null;
        try {
            store = MailSessions.imap(imap, login).getStore();
            try {
                login.connect(store, imap.host(), imap.port(), imap.username());
            } catch (AuthenticationFailedException e) {
                checks.add(new ConnectionCheck("imap connect", true, "connected to " + where));
                checks.add(new ConnectionCheck("imap login", false, "the server refused the login of "
                        + imap.username() + ": " + MailParser.describe(e)));
                return;
            } catch (MessagingException e) {
                checks.add(new ConnectionCheck("imap connect", false, connectProblem(where, e)));
                return;
            }
            checks.add(new ConnectionCheck("imap connect", true, "connected to " + where));
            checks.add(new ConnectionCheck("imap login", true, "logged in as " + imap.username()));
            for (String name : imap.folders()) {
                checks.add(folder(store, name));
            }
            boolean idle = ((IMAPStore) store).hasCapability("IDLE");
            checks.add(new ConnectionCheck("imap idle", true, idle ? "the server supports IDLE: new mail arrives"
                    + " within seconds" : "the server has no IDLE: the inbox polls every "
                    + imap.pollInterval().toSeconds() + "s"));
            if (imap.moveTo() != null) {
                checks.add(new ConnectionCheck("imap move", true, "processed mail will be moved to '"
                        + imap.moveTo() + "' (created if missing)"));
            }
        } catch (MessagingException | RuntimeException e) {
            checks.add(new ConnectionCheck("imap", false, MailParser.describe(e)));
        } finally {
            close(store);
        }
    }

    private static ConnectionCheck folder(Store store, String name) {
        String step = "imap folder " + name;
        try {
            Folder folder = store.getFolder(name);
            if (!folder.exists()) {
                List<String> existing = new ArrayList<>();
                for (Folder f : store.getDefaultFolder().list("*")) {
                    existing.add(f.getFullName());
                    if (existing.size() >= 20) {
                        break;
                    }
                }
                return new ConnectionCheck(step, false, "the folder '" + name + "' does not exist; this mailbox has "
                        + String.join(", ", existing));
            }
            folder.open(Folder.READ_ONLY);
            try {
                long validity = ((IMAPFolder) folder).getUIDValidity();
                return new ConnectionCheck(step, true, folder.getMessageCount() + " messages (UIDVALIDITY "
                        + validity + ")");
            } finally {
                folder.close(false);
            }
        } catch (MessagingException | RuntimeException e) {
            return new ConnectionCheck(step, false, "cannot open '" + name + "': " + MailParser.describe(e));
        }
    }

    private static void smtp(EmailConfig.Smtp smtp, MailLogin login, List<ConnectionCheck> checks) {
        String where = smtp.host() + ":" + smtp.port() + " (" + smtp.security().name().toLowerCase() + ")";
        try (Transport transport = MailSessions.smtp(smtp, login, "test@invalid").getTransport()) {
            try {
                if (smtp.authenticates()) {
                    login.connect(transport, smtp.host(), smtp.port(), smtp.username());
                } else {
                    transport.connect(smtp.host(), smtp.port(), null, null);
                }
            } catch (AuthenticationFailedException e) {
                checks.add(new ConnectionCheck("smtp connect", true, "connected to " + where));
                checks.add(new ConnectionCheck("smtp login", false, "the server refused the login of "
                        + smtp.username() + ": " + MailParser.describe(e)));
                return;
            }
            checks.add(new ConnectionCheck("smtp connect", true, "connected to " + where));
            checks.add(new ConnectionCheck("smtp login", true, smtp.authenticates() ? "logged in as "
                    + smtp.username() : "no login configured: the server accepts mail from this host"));
        } catch (MessagingException e) {
            checks.add(new ConnectionCheck("smtp connect", false, connectProblem(where, e)));
        }
    }

    /** What an admin needs to hear about a failed connection. */
    static String connectProblem(String where, MessagingException e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root instanceof UnknownHostException) {
            return "the host name of " + where + " is unknown";
        }
        if (root instanceof ConnectException) {
            return "the connection to " + where + " was refused: is the host and port right?";
        }
        if (root instanceof SocketTimeoutException) {
            return "no answer from " + where + " within " + MailSessions.CONNECT_TIMEOUT_MS / 1000 + "s";
        }
        if (root instanceof SSLException) {
            return "TLS with " + where + " failed (" + MailParser.describe(root) + "): check the security setting";
        }
        return "cannot connect to " + where + ": " + MailParser.describe(e);
    }

    private static void close(Store store) {
        if (store != null) {
            try {
                store.close();
            } catch (MessagingException e) {
                // The test already has its answer; a failing logout changes nothing.
                return;
            }
        }
    }
}
