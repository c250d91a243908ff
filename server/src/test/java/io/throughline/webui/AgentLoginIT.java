package io.throughline.webui;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.testing.Browser;
import io.throughline.testing.TestServer;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The login form respects the server's rate limit: it says how long to wait and does not let the agent hammer. */
class AgentLoginIT {

    @Test
    void tooManyFailedLoginsAreRefusedWithTheWaitShown() {
        try (TestServer server = TestServer.start(Map.of("auth.loginAttemptsPerAccount", "2"));
             Browser browser = new Browser()) {
            InboxPage inbox = new InboxPage(browser, server.url());
            for (int attempt = 0; attempt < 2; attempt++) {
                inbox.submitLogin(TestServer.ADMIN_EMAIL, "wrong-" + attempt);
                inbox.until(d -> inbox.find("login-error").getText().contains("do not match"));
            }
            inbox.submitLogin(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD);
            String shown = inbox.until(d -> inbox.present("login-wait") ? inbox.find("login-wait").getText() : null);
            assertThat(shown).matches("Too many attempts\\. Try again in \\d+ s\\.");
            assertThat(inbox.find("login-submit").isEnabled()).isFalse();
            assertThat(inbox.present("conversation-list")).isFalse();

            // The count goes down on screen, while what the alert says to a screen reader stays as it was said.
            String said = inbox.find("login-wait-said").getDomProperty("textContent");
            assertThat(said).matches("Too many attempts\\. Try again in \\d+ s\\.");
            assertThat(inbox.find("login-wait").getDomAttribute("aria-hidden")).isEqualTo("true");
            inbox.until(d -> !inbox.find("login-wait").getText().equals(shown));
            assertThat(inbox.find("login-wait-said").getDomProperty("textContent")).isEqualTo(said);
        }
    }
}
