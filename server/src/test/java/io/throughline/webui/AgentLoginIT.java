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
            String message = inbox.until(d -> {
                String text = inbox.find("login-error").getText();
                return text.startsWith("Too many attempts") ? text : null;
            });
            assertThat(message).matches("Too many attempts\\. Try again in \\d+ s\\.");
            assertThat(inbox.find("login-submit").isEnabled()).isFalse();
            assertThat(inbox.present("conversation-list")).isFalse();
        }
    }
}
