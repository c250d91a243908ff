package io.throughline.connector.email;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The email inbox config: every problem at once, and the defaults. */
class EmailConfigTest {

    @Test
    void everyProblemIsListedWithItsField() {
        assertThat(EmailConfig.problems(new JsonObject().put("address", "nope").put("colour", "red")
                .put("offlineEmailAfter", "soon")
                .put("imap", new JsonObject().put("host", "imap example").put("port", 0).put("security", "ssl")
                        .put("folders", new JsonArray().add("")))
                .put("smtp", new JsonObject().put("host", "smtp.example.com").put("username", "u"))))
                .containsExactlyInAnyOrder(
                        "config.colour: unknown field (known: address, displayName, imap, oauth2,"
                                + " offlineEmailAfter, replyDomain, smtp)",
                        "config.address: must be an email address",
                        "config.offlineEmailAfter: must be a duration such as 2m or 90s",
                        "config.imap.host: is required (a host name such as mail.example.com)",
                        "config.imap.port: must be a port number from 1 to 65535",
                        "config.imap.security: must be tls, starttls or none",
                        "config.imap.folders[0]: must be a folder name",
                        "config.imap.password: is required (or config.imap.oauth2Token, or config.oauth2 for"
                                + " XOAUTH2)",
                        "config.smtp.password: is required with a username (or config.smtp.oauth2Token, or"
                                + " config.oauth2)");
    }

    @Test
    void oauth2NeedsAnHttpsTokenEndpointAClientAndARefreshToken() {
        JsonObject servers = new JsonObject().put("address", "help@example.com")
                .put("imap", new JsonObject().put("host", "imap.example.com"))
                .put("smtp", new JsonObject().put("host", "smtp.example.com"));
        assertThat(EmailConfig.problems(servers.copy().put("oauth2", new JsonObject()
                .put("tokenUrl", "http://login.example.com/token").put("clientSecret", "").put("extra", 1))))
                .containsExactlyInAnyOrder(
                        "config.oauth2.extra: unknown field (known: clientId, clientSecret, refreshToken, scope,"
                                + " tokenUrl)",
                        "config.oauth2.tokenUrl: is required, the provider's https token endpoint (such as"
                                + " https://oauth2.googleapis.com/token)",
                        "config.oauth2.clientId: is required",
                        "config.oauth2.refreshToken: is required",
                        "config.oauth2.clientSecret: must be a non-empty string");

        JsonObject oauth2 = new JsonObject().put("tokenUrl", "http://127.0.0.1:8999/token").put("clientId", "c")
                .put("refreshToken", "r");
        assertThat(EmailConfig.problems(servers.copy().put("oauth2", oauth2))).as("http on loopback is fine")
                .isEmpty();
        EmailConfig config = EmailConfig.of(servers.copy().put("oauth2", oauth2));
        assertThat(config.smtp().username()).as("SMTP logs in with the tokens too").isEqualTo("help@example.com");
        assertThat(config.toString()).doesNotContain("\"r\"").contains("client c");

        JsonObject passwords = servers.copy().put("oauth2", oauth2);
        passwords.getJsonObject("imap").put("password", "p");
        passwords.getJsonObject("smtp").put("password", "p");
        assertThat(EmailConfig.problems(passwords)).containsExactly(
                "config.oauth2: is used by neither imap nor smtp (each has a password or token of its own)");
    }

    @Test
    void defaultsFollowTheSecurity() {
        EmailConfig config = EmailConfig.of(new JsonObject().put("address", "Help@Example.com")
                .put("imap", new JsonObject().put("host", "imap.example.com").put("password", "p"))
                .put("smtp", new JsonObject().put("host", "smtp.example.com").put("security", "starttls")
                        .put("password", "p")));
        assertThat(config.address()).isEqualTo("help@example.com");
        assertThat(config.imap().port()).isEqualTo(993);
        assertThat(config.imap().security()).isEqualTo(EmailConfig.Security.TLS);
        assertThat(config.imap().username()).isEqualTo("help@example.com");
        assertThat(config.imap().folders()).containsExactly("INBOX");
        assertThat(config.smtp().port()).isEqualTo(587);
        assertThat(config.smtp().username()).isEqualTo("help@example.com");
        assertThat(config.offlineEmailAfter()).isEqualTo(Duration.ofMinutes(2));
        assertThat(config.messageIdDomain()).isEqualTo("example.com");
        assertThat(config.toString()).doesNotContain("p]").doesNotContain("password");
    }

    @Test
    void anInboxWithoutImapIsValid() {
        assertThat(EmailConfig.problems(new JsonObject().put("address", "sales@example.org")
                .put("smtp", new JsonObject().put("host", "smtp.example.org")))).isEmpty();
    }

    /** Replies are sent from the inbox's address: one whose local part SMTP cannot carry is refused when saved. */
    @Test
    void anAddressRepliesCannotBeSentFromIsRefused() {
        assertThat(EmailConfig.problems(new JsonObject().put("address", "поддержка@shop.example")
                .put("smtp", new JsonObject().put("host", "smtp.example.org"))))
                .containsExactly("config.address: the part before the @ has non-ASCII characters, which replies"
                        + " cannot be sent from");
    }

    /**
     * Mail moved into a folder that is read gets a new UID there and is imported and moved again, for ever; a
     * folder listed twice has two readers racing over the same mail. INBOX is the inbox in any case.
     */
    @Test
    void theFolderImportedMailMovesToIsNotOneThatIsReadAndNoFolderIsReadTwice() {
        JsonObject base = new JsonObject().put("address", "sales@example.org")
                .put("smtp", new JsonObject().put("host", "smtp.example.org"));
        JsonObject imap = new JsonObject().put("host", "imap.example.org").put("username", "u").put("password", "p");
        assertThat(EmailConfig.problems(base.copy().put("imap", imap.copy().put("moveTo", "inbox"))))
                .containsExactly("config.imap.moveTo: must not be one of the folders read (config.imap.folders)");
        // Read as the receiver reads them: stripped.
        assertThat(EmailConfig.problems(base.copy().put("imap", imap.copy().put("moveTo", "INBOX "))))
                .containsExactly("config.imap.moveTo: must not be one of the folders read (config.imap.folders)");
        assertThat(EmailConfig.problems(base.copy().put("imap", imap.copy().put("folders",
                new JsonArray().add("INBOX").add(" Support").add("Support ")))))
                .containsExactly("config.imap.folders[2]: is listed twice");
        assertThat(EmailConfig.problems(base.copy().put("imap", imap.copy().put("moveTo", "Archive")
                .put("folders", new JsonArray().add("INBOX").add("Archive")))))
                .containsExactly("config.imap.moveTo: must not be one of the folders read (config.imap.folders)");
        assertThat(EmailConfig.problems(base.copy().put("imap", imap.copy()
                .put("folders", new JsonArray().add("INBOX").add("Sales").add("Inbox")))))
                .containsExactly("config.imap.folders[2]: is listed twice");
        assertThat(EmailConfig.problems(base.copy().put("imap", imap.copy().put("moveTo", "Processed")
                .put("folders", new JsonArray().add("INBOX").add("Sales").add("sales"))))).isEmpty();
    }
}
