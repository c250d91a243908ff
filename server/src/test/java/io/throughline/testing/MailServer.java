package io.throughline.testing;

import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.eclipse.angus.mail.imap.IMAPFolder;
import jakarta.mail.Address;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * A real IMAP and SMTP peer for email tests: GreenMail on free ports of 127.0.0.1, spoken to only through the
 * protocols (SMTP to deliver, IMAP APPEND to place a raw mail with its flags, IMAP to read what arrived).
 */
public final class MailServer implements AutoCloseable {

    public static final String PASSWORD = "mail-password-1";

    static {
        // GreenMail re-reads stored mail with mail.mime.allowutf8=true unless told otherwise, which turns raw 8-bit
        // legacy header bytes (windows-1251, KOI8) into U+FFFD. Real IMAP servers keep the bytes; with false,
        // GreenMail keeps them too (a Latin-1 round trip), so the corpus reaches Throughline as it was written.
        System.setProperty("mail.mime.allowutf8", "false");
    }

    private final GreenMail greenMail;

    private MailServer(GreenMail greenMail) {
        this.greenMail = greenMail;
    }

    /** SMTP and IMAP on free ports. */
    public static MailServer start() {
        return start(0);
    }

    /** SMTP on the given port (0: a free one) and IMAP on a free one. */
    public static MailServer start(int smtpPort) {
        ServerSetup smtp = new ServerSetup(smtpPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTP);
        if (smtpPort == 0) {
            smtp = smtp.dynamicPort();
        }
        ServerSetup imap = new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_IMAP).dynamicPort();
        GreenMail greenMail = new GreenMail(new ServerSetup[] {smtp, imap})
                .withConfiguration(GreenMailConfiguration.aConfig());
        greenMail.start();
        return new MailServer(greenMail);
    }

    public MailServer user(String address) {
        greenMail.setUser(address, address, PASSWORD);
        return this;
    }

    /** Changes a user's password, which GreenMail also takes as the user's XOAUTH2 token. */
    public void password(String address, String password) {
        greenMail.getUserManager().getUserByEmail(address).setPassword(password);
    }

    public int smtpPort() {
        return greenMail.getSmtp().getPort();
    }

    public int imapPort() {
        return greenMail.getImap().getPort();
    }

    /** An email inbox config for this server, the way an admin would enter it. */
    public JsonObject inboxConfig(String address, String displayName, String replyDomain) {
        JsonObject config = new JsonObject()
                .put("address", address)
                .put("displayName", displayName)
                .put("imap", new JsonObject().put("host", "127.0.0.1").put("port", imapPort()).put("security", "none")
                        .put("username", address).put("password", PASSWORD).put("folders", new JsonArray()
                                .add("INBOX")))
                .put("smtp", new JsonObject().put("host", "127.0.0.1").put("port", smtpPort())
                        .put("security", "none").put("username", address).put("password", PASSWORD));
        if (replyDomain != null) {
            config.put("replyDomain", replyDomain);
        }
        return config;
    }

    public Session session() {
        Properties props = new Properties();
        props.put("mail.smtp.host", "127.0.0.1");
        props.put("mail.smtp.port", String.valueOf(smtpPort()));
        props.put("mail.imap.host", "127.0.0.1");
        props.put("mail.imap.port", String.valueOf(imapPort()));
        return Session.getInstance(props);
    }

    /**
     * A new mail whose Message-ID stays what it was given (Jakarta Mail would make up a new one at each
     * {@code saveChanges()}), as a customer's client would send it.
     */
    public MimeMessage compose(String messageId) {
        return new MimeMessage(session()) {
            @Override
            protected void updateMessageID() throws MessagingException {
                setHeader("Message-ID", messageId);
            }
        };
    }

    /** Delivers a mail by SMTP to its header recipients. */
    public void send(MimeMessage message) {
        try {
            Transport.send(message);
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Delivers a mail by SMTP to envelope recipients other than its headers name (an alias, a forward). */
    public void send(MimeMessage message, String... envelopeRecipients) {
        try (Transport transport = session().getTransport("smtp")) {
            transport.connect();
            Address[] to = new Address[envelopeRecipients.length];
            for (int i = 0; i < to.length; i++) {
                to[i] = new InternetAddress(envelopeRecipients[i]);
            }
            message.saveChanges();
            transport.sendMessage(message, to);
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Places a raw mail, byte for byte, in a user's folder with the given flags (IMAP APPEND). */
    public void append(String user, String folderName, byte[] raw, Flags flags) {
        append(user, folderName, List.of(raw), flags);
    }

    /** Places raw mails in a user's folder, one APPEND each, over one connection. */
    public void append(String user, String folderName, List<byte[]> raws, Flags flags) {
        try (Store store = session().getStore("imap")) {
            store.connect("127.0.0.1", imapPort(), user, PASSWORD);
            Folder folder = store.getFolder(folderName);
            if (!folder.exists()) {
                folder.create(Folder.HOLDS_MESSAGES);
            }
            for (byte[] raw : raws) {
                MimeMessage message = new MimeMessage(session(), new ByteArrayInputStream(raw));
                if (flags != null) {
                    message.setFlags(flags, true);
                }
                folder.appendMessages(new Message[] {message});
            }
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Deletes a user's folder (an admin recreating it changes its UIDVALIDITY). */
    public void deleteFolder(String user, String folderName) {
        try (Store store = session().getStore("imap")) {
            store.connect("127.0.0.1", imapPort(), user, PASSWORD);
            Folder folder = store.getFolder(folderName);
            if (folder.exists()) {
                folder.delete(true);
            }
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A user's folder's UIDVALIDITY. */
    public long uidValidity(String user, String folderName) {
        try (Store store = session().getStore("imap")) {
            store.connect("127.0.0.1", imapPort(), user, PASSWORD);
            IMAPFolder folder = (IMAPFolder) store.getFolder(folderName);
            folder.open(Folder.READ_ONLY);
            try {
                return folder.getUIDValidity();
            } finally {
                folder.close(false);
            }
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** How many mails a user's folder holds (0 when it does not exist). */
    public int count(String user, String folderName) {
        try (Store store = session().getStore("imap")) {
            store.connect("127.0.0.1", imapPort(), user, PASSWORD);
            Folder folder = store.getFolder(folderName);
            return folder.exists() ? folder.getMessageCount() : 0;
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The mails in a user's INBOX, read over IMAP. */
    public List<MimeMessage> inbox(String user) {
        try (Store store = session().getStore("imap")) {
            store.connect("127.0.0.1", imapPort(), user, PASSWORD);
            Folder folder = store.getFolder("INBOX");
            folder.open(Folder.READ_ONLY);
            List<MimeMessage> out = new ArrayList<>();
            for (Message message : folder.getMessages()) {
                out.add(new MimeMessage((MimeMessage) message));
            }
            folder.close(false);
            return out;
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    public void stop() {
        greenMail.stop();
    }

    @Override
    public void close() {
        greenMail.stop();
    }
}
