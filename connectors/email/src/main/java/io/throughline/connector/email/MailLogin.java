package io.throughline.connector.email;

import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import jakarta.mail.Service;

/**
 * How Throughline logs in to one mail server: with a password, with a fixed XOAUTH2 token, or with XOAUTH2 tokens
 * fetched from {@code config.oauth2} and renewed as they expire.
 */
final class MailLogin {

    private final String secret;
    private final boolean xoauth2;
    private final OAuth2Tokens tokens;

    private MailLogin(String secret, boolean xoauth2, OAuth2Tokens tokens) {
        this.secret = secret;
        this.xoauth2 = xoauth2;
        this.tokens = tokens;
    }

    /** The login of the IMAP server; {@code tokens} is used when it has neither password nor token of its own. */
    static MailLogin imap(EmailConfig.Imap imap, OAuth2Tokens tokens) {
        return of(imap.password(), imap.oauth2Token(), tokens);
    }

    static MailLogin smtp(EmailConfig.Smtp smtp, OAuth2Tokens tokens) {
        return of(smtp.password(), smtp.oauth2Token(), tokens);
    }

    private static MailLogin of(String password, String token, OAuth2Tokens tokens) {
        if (password != null) {
            return new MailLogin(password, false, null);
        }
        if (token != null || tokens == null) {
            return new MailLogin(token, token != null, null);
        }
        return new MailLogin(null, true, tokens);
    }

    /** Whether the SASL mechanism is XOAUTH2 rather than a password. */
    boolean xoauth2() {
        return xoauth2;
    }

    /**
     * Connects and logs in. A renewed token that the server refuses although it was in hand before this login
     * (revoked, or expired early) is replaced at once and tried once more; a token just fetched is not retried.
     */
    void connect(Service service, String host, int port, String user) throws MessagingException {
        if (tokens == null) {
            service.connect(host, port, user, secret);
            return;
        }
        long fetchesBefore = tokens.fetches();
        String token = tokens.accessToken();
        boolean fetchedNow = tokens.fetches() != fetchesBefore;
        try {
            service.connect(host, port, user, token);
        } catch (AuthenticationFailedException e) {
            tokens.refused(token);
            if (fetchedNow) {
                throw e;
            }
            service.connect(host, port, user, tokens.accessToken());
        }
    }
}
