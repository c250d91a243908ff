package io.throughline.webui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.ApiClient;
import io.throughline.testing.Browser;
import io.throughline.testing.ShopSystem;
import io.throughline.testing.TestServer;
import io.throughline.testing.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.Select;

/**
 * Admin settings in the browser (agents, inboxes, canned responses), closed to agents without the admin role in
 * the UI and in the API; and the inbox on a phone.
 */
class AgentInboxAdminIT {

    private static final Duration WAIT = Duration.ofSeconds(15);

    private static TestServer server;
    private static ApiClient admin;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        admin = server.admin();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void anAgentWithoutTheAdminRoleCannotReachTheSettings() {
        admin.post("/api/v1/agents", new JsonObject().put("email", "nina@test.local").put("name", "Nina")
                .put("role", "agent").put("password", "nina-password-123")).expect(201);
        ApiClient nina = server.anonymous().login("nina@test.local", "nina-password-123");
        nina.post("/api/v1/agents", new JsonObject().put("email", "x@test.local").put("name", "X")).expect(403);
        nina.patch("/api/v1/agents/1", new JsonObject().put("role", "agent")).expect(403);
        nina.get("/api/v1/inboxes").expect(403);
        nina.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", "Sneaky")).expect(403);
        nina.post("/api/v1/canned-responses", new JsonObject().put("shortCode", "x").put("body", "x")).expect(403);

        try (Browser browser = new Browser()) {
            InboxPage inbox = new InboxPage(browser, server.url()).login("nina@test.local", "nina-password-123");
            assertThat(inbox.present("settings-link")).isFalse();
            inbox.visit("/#/settings/inboxes");
            assertThat(inbox.find("settings-forbidden").getText()).contains("Only admins");
            assertThat(inbox.present("inboxes-table")).isFalse();
            assertThat(inbox.present("inbox-add")).isFalse();
        }
    }

    @Test
    void adminInvitesAnAgentWhoLogsInWithTheShownPassword() {
        String password;
        try (Browser browser = new Browser()) {
            InboxPage inbox = new InboxPage(browser, server.url()).login(TestServer.ADMIN_EMAIL,
                    TestServer.ADMIN_PASSWORD);
            inbox.find("settings-link").click();
            // The only admin cannot make themself an agent: refused, the role shown is the one kept.
            WebElement own = inbox.until(d -> inbox.all("agent-row").stream()
                    .filter(r -> r.getText().contains(TestServer.ADMIN_EMAIL)).findFirst().orElse(null));
            // A role changes only once confirmed (a select changes on an arrow key in Chromium on Linux and
            // Windows, as a keyboard user passes it), and cancelled, the select shows the role kept, nothing saved.
            new Select(own.findElement(InboxPage.testId("agent-role"))).selectByValue("agent");
            inbox.find("confirm-cancel").click();
            inbox.until(d -> !inbox.present("confirm-dialog"));
            assertThat(new Select(own.findElement(InboxPage.testId("agent-role"))).getFirstSelectedOption()
                    .getAttribute("value")).isEqualTo("admin");
            assertThat(inbox.all("toast")).isEmpty();
            Select ownRole = new Select(own.findElement(InboxPage.testId("agent-role")));
            ownRole.selectByValue("agent");
            inbox.find("confirm-ok").click();
            inbox.until(d -> inbox.all("toast").stream().anyMatch(e -> e.getText().contains("admin")));
            inbox.until(d -> "admin".equals(new Select(inbox.all("agent-row").stream()
                    .filter(r -> r.getText().contains(TestServer.ADMIN_EMAIL)).findFirst().orElseThrow()
                    .findElement(InboxPage.testId("agent-role"))).getFirstSelectedOption().getAttribute("value")));
            WebElement form = inbox.find("invite-form");
            form.findElement(By.name("name")).sendKeys("Oksana");
            form.findElement(By.name("email")).sendKeys("oksana@test.local");
            inbox.find("invite-submit").click();
            WebElement shown = inbox.find("invite-result").findElement(InboxPage.testId("copy-value"));
            password = shown.getAttribute("value");
            assertThat(password).hasSizeGreaterThanOrEqualTo(12);
            inbox.until(d -> inbox.all("agent-row").stream().anyMatch(r -> r.getText().contains("oksana@test.local")));

            WebElement row = inbox.all("agent-row").stream().filter(r -> r.getText().contains("oksana@test.local"))
                    .findFirst().orElseThrow();
            new Select(row.findElement(InboxPage.testId("agent-role"))).selectByValue("admin");
            assertThat(inbox.find("confirm-dialog").getText()).contains("Oksana");
            // The question names the dialog: read out as it opens, not a bare "dialog".
            assertThat(inbox.find("confirm-dialog").getAccessibleName()).contains("Oksana");
            inbox.find("confirm-ok").click();
            inbox.until(d -> admin.get("/api/v1/agents").json().getJsonArray("agents").stream()
                    .map(JsonObject.class::cast).anyMatch(a -> "oksana@test.local".equals(a.getString("email"))
                            && "admin".equals(a.getString("role"))));
        }
        try (Browser agentBrowser = new Browser(); Browser adminBrowser = new Browser()) {
            InboxPage oksana = new InboxPage(agentBrowser, server.url()).login("oksana@test.local", password);
            oksana.find("settings-link");
            oksana.until(d -> "live".equals(oksana.connection()));

            InboxPage adminPage = new InboxPage(adminBrowser, server.url()).login(TestServer.ADMIN_EMAIL,
                    TestServer.ADMIN_PASSWORD);
            adminPage.visit("/#/settings/agents");
            adminPage.until(d -> adminPage.all("agent-row").stream().filter(r -> r.getText().contains("oksana@"))
                    .findFirst().orElse(null)).findElement(InboxPage.testId("agent-deactivate")).click();
            adminPage.find("confirm-ok").click();
            // Her open tab learns it at the next heartbeat and goes back to the login, saying why.
            assertThat(oksana.find("login-notice").getText()).contains("session ended");
            oksana.submitLogin("oksana@test.local", password);
            assertThat(oksana.find("login-error").getText()).contains("do not match");
        }
    }

    /** An admin gives an agent who forgot their password a new one, shown once; the old one stops working. */
    @Test
    void anAdminResetsAForgottenPassword() {
        admin.post("/api/v1/agents", new JsonObject().put("email", "rita@test.local").put("name", "Rita Forgetful")
                .put("password", "rita-old-password")).expect(201);
        try (Browser browser = new Browser()) {
            InboxPage inbox = new InboxPage(browser, server.url()).login(TestServer.ADMIN_EMAIL,
                    TestServer.ADMIN_PASSWORD);
            inbox.visit("/#/settings/agents");
            WebElement own = inbox.until(d -> inbox.all("agent-row").stream()
                    .filter(r -> r.getText().contains(TestServer.ADMIN_EMAIL)).findFirst().orElse(null));
            assertThat(own.findElements(InboxPage.testId("agent-reset-password"))).as("one's own: from the menu")
                    .isEmpty();
            inbox.until(d -> inbox.all("agent-row").stream().filter(r -> r.getText().contains("rita@test.local"))
                    .findFirst().orElse(null)).findElement(InboxPage.testId("agent-reset-password")).click();
            inbox.find("confirm-ok").click();
            WebElement result = inbox.find("invite-result");
            assertThat(result.getText()).contains("Rita Forgetful").contains("new password");
            String password = result.findElement(InboxPage.testId("copy-value")).getAttribute("value");
            assertThat(password).hasSizeGreaterThanOrEqualTo(12);
            server.anonymous().login("rita@test.local", password).get("/api/v1/auth/me").expect(200);
            server.anonymous().post("/api/v1/auth/login", new JsonObject().put("email", "rita@test.local")
                    .put("password", "rita-old-password")).expect(401);
        }
    }

    /**
     * Another admin's change reaches an agent's open page through the stream: promoted, the Settings link comes
     * without a new sign-in, and goes again when demoted; a new name shows in their menu and in the team's list.
     */
    @Test
    void aRoleOrNameAnotherAdminChangesReachesTheOpenPage() {
        long id = admin.post("/api/v1/agents", new JsonObject().put("email", "lena@test.local").put("name", "Lena")
                .put("password", "lenas-password-1")).expect(201).json().getLong("id");
        try (Browser browser = new Browser()) {
            InboxPage inbox = new InboxPage(browser, server.url()).login("lena@test.local", "lenas-password-1");
            inbox.until(d -> "live".equals(inbox.connection()));
            assertThat(inbox.present("settings-link")).isFalse();

            admin.patch("/api/v1/agents/" + id, new JsonObject().put("role", "admin")).expect(200);
            inbox.find("settings-link").click();
            inbox.until(d -> inbox.all("agent-row").stream().anyMatch(r -> r.getText().contains("lena@test.local")));

            admin.patch("/api/v1/agents/" + id, new JsonObject().put("name", "Lena Kovalenko")).expect(200);
            inbox.until(d -> inbox.find("me").getText().contains("Lena Kovalenko"));
            inbox.until(d -> inbox.all("agent-row").stream().anyMatch(r -> r.getText().contains("Lena Kovalenko")));

            admin.patch("/api/v1/agents/" + id, new JsonObject().put("role", "agent")).expect(200);
            inbox.until(d -> !inbox.present("settings-link"));
            inbox.find("settings-forbidden");
        }
    }

    /** An invited agent replaces the password the admin gave them, from the inbox's own menu. */
    @Test
    void anAgentChangesTheirOwnPasswordFromTheMenu() {
        admin.post("/api/v1/agents", new JsonObject().put("email", "petra@test.local").put("name", "Petra")
                .put("password", "from-the-admin-1")).expect(201);
        try (Browser browser = new Browser()) {
            InboxPage inbox = new InboxPage(browser, server.url()).login("petra@test.local", "from-the-admin-1");
            inbox.find("change-password").click();
            inbox.find("password-current").sendKeys("from-the-admin-1");
            inbox.find("password-next").sendKeys("petras-own-pass");
            inbox.find("password-again").sendKeys("petras-own-pas");
            inbox.find("password-save").click();
            inbox.until(d -> inbox.find("password-dialog").getText().contains("The two new passwords differ."));
            assertThat(inbox.script("return document.activeElement.dataset.testid")).isEqualTo("password-again");

            inbox.find("password-again").sendKeys("s");
            inbox.find("password-current").clear();
            inbox.find("password-current").sendKeys("not-my-password");
            inbox.find("password-save").click();
            inbox.until(d -> inbox.find("password-dialog").getText().contains("This is not your current password."));

            inbox.find("password-current").clear();
            inbox.find("password-current").sendKeys("from-the-admin-1");
            inbox.find("password-save").click();
            inbox.until(d -> inbox.all("toast").stream().anyMatch(e -> e.getText().contains("Password changed")));
            assertThat(inbox.present("password-dialog")).isFalse();
            assertThat(inbox.script("return document.activeElement.dataset.testid")).isEqualTo("change-password");
        }
        server.anonymous().login("petra@test.local", "petras-own-pass").get("/api/v1/auth/me").expect(200);
    }

    @Test
    void adminCreatesAnApiInboxSeesItsSecretsOnceAndTheTokenWorks() {
        try (WebhookReceiver webhook = new WebhookReceiver(); Browser browser = new Browser()) {
            InboxPage inbox = newApiInboxForm(browser, "CRM", webhook.url());
            inbox.find("inbox-save").click();

            WebElement secrets = inbox.find("inbox-secrets");
            String token = secrets.findElement(By.cssSelector("[data-secret='token'] [data-testid='copy-value']"))
                    .getAttribute("value");
            assertThat(token).startsWith("tlapi_");
            String webhookSecret = secrets.findElement(By.cssSelector(
                    "[data-secret='webhookSecret'] [data-testid='copy-value']")).getAttribute("value");
            assertThat(webhookSecret).startsWith("whsec_");
            String endpoint = inbox.find("api-inbox-panel").findElement(InboxPage.testId("copy-value"))
                    .getAttribute("value");
            assertThat(endpoint).startsWith(server.url()).endsWith("/inbound");
            inbox.screenshot("settings-inbox");

            // Copying is said in a status region (focus stays on the button, whose new word is not read out); a
            // refused copy leaves the value selected and says how to copy it by hand.
            WebElement tokenField = secrets.findElement(By.cssSelector("[data-secret='token']"));
            tokenField.findElement(InboxPage.testId("copy-button")).click();
            inbox.until(d -> "Copied".equals(tokenField.findElement(InboxPage.testId("copy-status"))
                    .getDomProperty("textContent").strip()));
            assertThat(tokenField.findElement(InboxPage.testId("copy-status")).getDomAttribute("role"))
                    .isEqualTo("status");
            inbox.script("navigator.clipboard.writeText = () => Promise.reject(new Error('refused'))");
            WebElement secretField = secrets.findElement(By.cssSelector("[data-secret='webhookSecret']"));
            secretField.findElement(InboxPage.testId("copy-button")).click();
            inbox.until(d -> secretField.findElement(InboxPage.testId("copy-status")).getDomProperty("textContent")
                    .contains("press Ctrl+C"));
            assertThat(inbox.script("const v = document.activeElement;"
                    + " return v.value.substring(v.selectionStart, v.selectionEnd)")).isEqualTo(webhookSecret);

            new ApiClient(server.url()).withToken(token).post(endpoint.substring(server.url().length()),
                    new JsonObject().put("externalId", "crm-1").put("body", "From the CRM")
                            .put("contact", new JsonObject().put("name", "Cora").put("identities", new JsonArray()
                                    .add(new JsonObject().put("kind", "external_id").put("value", "cora")))))
                    .expect(201);

            browser.driver().navigate().refresh();
            inbox.find("inbox-form");
            assertThat(inbox.present("inbox-secrets")).isFalse();
            assertThat(inbox.find("inbox-webhookUrl").getAttribute("value")).isEqualTo(webhook.url());

            // A webhook secret removed in the JSON (a leak) is made anew, and shown this once.
            inbox.driver().findElement(By.cssSelector("details.advanced summary")).click();
            WebElement json = inbox.find("inbox-json");
            json.clear();
            json.sendKeys("{\"webhookUrl\": \"" + webhook.url() + "\", \"webhookSecret\": null}");
            inbox.find("inbox-save").click();
            String renewed = inbox.find("inbox-secrets")
                    .findElement(By.cssSelector("[data-secret='webhookSecret'] [data-testid='copy-value']"))
                    .getAttribute("value");
            assertThat(renewed).startsWith("whsec_").isNotEqualTo(webhookSecret);
            assertThat(server.throughline().database().sql().single("SELECT config ->> 'webhookSecret' AS secret"
                    + " FROM inboxes WHERE name = 'CRM'").getString("secret")).isEqualTo(renewed);
        }
    }

    /**
     * The inbox form to a screen reader: a required field says so, a field the server refused is marked invalid
     * with its error read with it; and an empty title or greeting is explained in the admin's words.
     */
    @Test
    void aRefusedFieldIsMarkedInvalidAndDescribedByItsError() {
        try (Browser browser = new Browser()) {
            InboxPage inbox = new InboxPage(browser, server.url()).login(TestServer.ADMIN_EMAIL,
                    TestServer.ADMIN_PASSWORD);
            inbox.visit("/#/settings/inboxes");
            inbox.find("inbox-add").click();
            new Select(inbox.find("inbox-kind")).selectByValue("widget");
            assertThat(inbox.find("inbox-allowedOrigins").getDomAttribute("aria-required")).isEqualTo("true");
            // Left empty, the widget says its own greeting in the visitor's language: the placeholder says so.
            assertThat(inbox.find("inbox-greeting").getDomAttribute("placeholder"))
                    .isEqualTo("Empty: “Hi! How can we help you today?” in the visitor’s language");
            // On a settings page the skip link goes to the settings, not to a conversation.
            assertThat(inbox.driver().findElement(By.cssSelector(".skip-link")).getDomProperty("textContent"))
                    .isEqualTo("Skip to the settings");
            new Select(inbox.find("inbox-kind")).selectByValue("api");
            inbox.find("inbox-name").sendKeys("Ftp shop");
            inbox.find("inbox-webhookUrl").sendKeys("ftp://files.example.com/hook");
            assertThat(inbox.find("inbox-webhookUrl").getDomAttribute("aria-required")).isEqualTo("false");
            inbox.find("inbox-save").click();
            WebElement field = inbox.until(d -> "true".equals(inbox.find("inbox-webhookUrl")
                    .getDomAttribute("aria-invalid")) ? inbox.find("inbox-webhookUrl") : null);
            String error = browser.driver().findElement(By.id(field.getDomAttribute("aria-describedby")
                    .replaceAll(".*?(\\S+-error).*", "$1"))).getText();
            assertThat(error).contains("http or https");
        }
    }

    /**
     * A new API inbox's secrets show even when the list's reload after the create fails (the server keeps only the
     * token's hash: they were lost). Regenerating the token then saves the token alone, not the form's unsaved
     * edits, and reopening the inbox shows the new token, not the dead one it was created with.
     */
    @Test
    void aRegeneratedTokenIsTheOneShownAndSavesNothingElse() {
        try (WebhookReceiver webhook = new WebhookReceiver(); Browser browser = new Browser()) {
            InboxPage inbox = newApiInboxForm(browser, "Ledger", webhook.url());
            inbox.failFetches("url.endsWith('/api/v1/inboxes') && init.method === 'GET'");
            inbox.find("inbox-save").click();
            String created = shownToken(inbox);
            assertThat(created).startsWith("tlapi_");
            assertThat(inbox.find("inboxes-error").getText()).isNotBlank();
            inbox.restoreFetches();
            inbox.find("inboxes-retry").click();
            await().atMost(WAIT).until(() -> !inbox.present("inboxes-error"));

            inbox.find("inbox-webhookUrl").clear();
            inbox.find("inbox-webhookUrl").sendKeys("https://unsaved.example/hook");
            inbox.find("inbox-regenerate-token").click();
            inbox.find("confirm-ok").click();
            String regenerated = await().atMost(WAIT).until(() -> shownToken(inbox), t -> !t.equals(created));
            assertThat(server.throughline().database().sql().single("SELECT config ->> 'webhookUrl' AS url"
                    + " FROM inboxes WHERE name = 'Ledger'").getString("url")).isEqualTo(webhook.url());

            inbox.find("inbox-back").click();
            inbox.all("inbox-link").stream().filter(link -> link.getText().equals("Ledger")).findFirst()
                    .orElseThrow().click();
            assertThat(shownToken(inbox)).isEqualTo(regenerated);
            String endpoint = inbox.find("api-inbox-panel").findElement(InboxPage.testId("copy-value"))
                    .getAttribute("value").substring(server.url().length());
            JsonObject message = new JsonObject().put("externalId", "ledger-1").put("body", "From the ledger")
                    .put("contact", new JsonObject().put("identities", new JsonArray().add(new JsonObject()
                            .put("kind", "external_id").put("value", "ledger-customer"))));
            new ApiClient(server.url()).withToken(created).post(endpoint, message).expect(401);
            new ApiClient(server.url()).withToken(regenerated).post(endpoint, message).expect(201);
        }
    }

    /**
     * Escape leaves a field, not the settings page: pressed on a button of the inbox form (or twice in a field) it
     * took the admin back to the inbox, and the form's unsaved edits were gone.
     */
    @Test
    void escapeInSettingsKeepsTheFormsUnsavedEdits() {
        long id = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", "Escapes")
                .put("config", new JsonObject())).expect(201).json().getLong("id");
        try (Browser browser = new Browser()) {
            InboxPage inbox = new InboxPage(browser, server.url()).login(TestServer.ADMIN_EMAIL,
                    TestServer.ADMIN_PASSWORD);
            inbox.visit("/#/settings/inboxes/" + id);
            WebElement name = inbox.find("inbox-name");
            name.sendKeys(" (edited)");
            name.sendKeys(Keys.ESCAPE);
            inbox.until(d -> !(Boolean) inbox.script("return document.activeElement?.id === 'inbox-name'"));
            new Actions(browser.driver()).sendKeys(Keys.ESCAPE).perform();
            inbox.script("document.querySelector('[data-testid=inbox-save]').focus()");
            new Actions(browser.driver()).sendKeys(Keys.ESCAPE).perform();
            // The key is handled as it is pressed: a round trip through the page after it sees its outcome.
            inbox.script("return 1");
            assertThat(browser.driver().getCurrentUrl()).endsWith("#/settings/inboxes/" + id);
            assertThat(inbox.find("inbox-name").getAttribute("value")).isEqualTo("Escapes (edited)");
        }
    }

    /** The admin's form for a new API inbox, filled in and not yet saved. */
    private static InboxPage newApiInboxForm(Browser browser, String name, String webhookUrl) {
        InboxPage inbox = new InboxPage(browser, server.url()).login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD);
        inbox.visit("/#/settings/inboxes");
        inbox.find("inbox-add").click();
        new Select(inbox.find("inbox-kind")).selectByValue("api");
        inbox.find("inbox-name").sendKeys(name);
        inbox.find("inbox-webhookUrl").sendKeys(webhookUrl);
        return inbox;
    }

    private static String shownToken(InboxPage inbox) {
        return inbox.find("inbox-secrets").findElement(By.cssSelector(
                "[data-secret='token'] [data-testid='copy-value']")).getAttribute("value");
    }

    /**
     * A stored password the admin clears in the form is removed: SMTP moves to a token (the cleared field was left
     * out of the save, and the server kept the password, which it then preferred to the token).
     */
    @Test
    void aPasswordClearedInTheFormIsRemoved() {
        long id = emailInbox("Relay", "relay@acme.test");
        try (Browser browser = new Browser()) {
            InboxPage inbox = new InboxPage(browser, server.url()).login(TestServer.ADMIN_EMAIL,
                    TestServer.ADMIN_PASSWORD);
            inbox.visit("/#/settings/inboxes/" + id);
            WebElement password = inbox.find("inbox-smtp-password");
            inbox.until(d -> "********".equals(password.getAttribute("value")));
            password.clear();
            password.sendKeys(Keys.TAB);
            inbox.find("inbox-smtp-oauth2Token").sendKeys("smtp-token-1", Keys.TAB);
            inbox.find("inbox-save").click();
            inbox.until(d -> "smtp-token-1".equals(smtp(id).getString("oauth2Token")));
            assertThat(smtp(id).containsKey("password")).isFalse();
            assertThat(server.throughline().database().sql().single("SELECT config #>> '{imap,password}' AS kept"
                    + " FROM inboxes WHERE id = $1", id).getString("kept")).isEqualTo("imap-secret-1");
        } finally {
            admin.delete("/api/v1/inboxes/" + id).expect(204);
        }
    }

    /**
     * An email inbox at an address nothing listens on (port 9: it opens and keeps retrying, which these tests do not
     * look at), with an IMAP and an SMTP password stored.
     */
    private static long emailInbox(String name, String address) {
        JsonObject config = new JsonObject().put("address", address)
                .put("imap", new JsonObject().put("host", "127.0.0.1").put("port", 9).put("security", "none")
                        .put("username", address).put("password", "imap-secret-1"))
                .put("smtp", new JsonObject().put("host", "127.0.0.1").put("port", 9).put("security", "none")
                        .put("username", address).put("password", "smtp-secret-1"));
        return admin.post("/api/v1/inboxes", new JsonObject().put("kind", "email").put("name", name)
                .put("config", config)).expect(201).json().getLong("id");
    }

    private static JsonObject smtp(long inbox) {
        return server.throughline().database().sql().single("SELECT config -> 'smtp' AS smtp FROM inboxes"
                + " WHERE id = $1", inbox).getJsonObject("smtp");
    }

    @Test
    void adminSetsUpAnEmailInboxWithOAuth2AndItsSecretsStayMasked() {
        try (Browser browser = new Browser()) {
            InboxPage inbox = new InboxPage(browser, server.url()).login(TestServer.ADMIN_EMAIL,
                    TestServer.ADMIN_PASSWORD);
            inbox.visit("/#/settings/inboxes");
            inbox.find("inbox-add").click();
            new Select(inbox.find("inbox-kind")).selectByValue("email");
            inbox.find("inbox-name").sendKeys("Microsoft 365");
            inbox.find("inbox-address").sendKeys("help@acme.test");
            // Nothing listens on port 9: the inbox opens and keeps retrying, which this test does not look at.
            inbox.find("inbox-imap-host").sendKeys("127.0.0.1");
            inbox.find("inbox-imap-port").sendKeys("9");
            inbox.find("inbox-smtp-host").sendKeys("127.0.0.1");
            inbox.find("inbox-smtp-port").sendKeys("9");
            inbox.find("inbox-oauth2-tokenUrl").sendKeys("http://127.0.0.1:9/oauth2/token");
            inbox.find("inbox-oauth2-clientId").sendKeys("throughline-app");
            inbox.find("inbox-oauth2-clientSecret").sendKeys("client-secret-1");
            inbox.find("inbox-oauth2-refreshToken").sendKeys("refresh-token-1");
            inbox.find("inbox-save").click();

            inbox.until(d -> inboxNamed("Microsoft 365") != null);
            JsonObject created = inboxNamed("Microsoft 365");
            try {
                JsonObject oauth2 = created.getJsonObject("config").getJsonObject("oauth2");
                assertThat(oauth2.getString("tokenUrl")).isEqualTo("http://127.0.0.1:9/oauth2/token");
                assertThat(oauth2.getString("clientId")).isEqualTo("throughline-app");
                assertThat(oauth2.getString("clientSecret")).isEqualTo("********");
                assertThat(oauth2.getString("refreshToken")).isEqualTo("********");
                assertThat(created.getJsonObject("config").getJsonObject("imap").containsKey("password")).isFalse();
                assertThat(server.throughline().database().sql().single("SELECT config #>> '{oauth2,refreshToken}'"
                        + " AS token FROM inboxes WHERE id = $1", created.getLong("id")).getString("token"))
                        .isEqualTo("refresh-token-1");

                // The editor moves to the inbox's own address once saved: reload that page, not the list.
                inbox.until(d -> d.getCurrentUrl().endsWith("#/settings/inboxes/" + created.getLong("id")));
                browser.driver().navigate().refresh();
                assertThat(inbox.find("inbox-oauth2-clientId").getAttribute("value")).isEqualTo("throughline-app");
                assertThat(inbox.find("inbox-oauth2-refreshToken").getAttribute("value")).isEqualTo("********");
            } finally {
                admin.delete("/api/v1/inboxes/" + created.getLong("id"));
            }
        }
    }

    private static JsonObject inboxNamed(String name) {
        return admin.get("/api/v1/inboxes").expect(200).json().getJsonArray("inboxes").stream()
                .map(JsonObject.class::cast).filter(i -> name.equals(i.getString("name"))).findFirst().orElse(null);
    }

    @Test
    void adminManagesCannedResponses() {
        try (Browser browser = new Browser()) {
            InboxPage inbox = new InboxPage(browser, server.url()).login(TestServer.ADMIN_EMAIL,
                    TestServer.ADMIN_PASSWORD);
            // A list that cannot be read says so, with a retry, rather than "Loading…" for ever.
            inbox.failFetches("url.includes('/api/v1/canned-responses')");
            inbox.script("location.hash = '#/settings/canned'");
            assertThat(inbox.find("canned-load-error").getText()).contains("cannot be reached");
            inbox.restoreFetches();
            inbox.find("canned-retry").click();
            inbox.find("canned-table");
            assertThat(inbox.present("canned-load-error")).isFalse();

            inbox.find("canned-code").sendKeys("shipping");
            inbox.find("canned-body").sendKeys("We ship within 2 working days.");
            inbox.find("canned-save").click();
            inbox.until(d -> inbox.all("canned-row").stream().anyMatch(r -> r.getText().contains("/shipping")));

            // Text typed for a new response does not stay in the form when another one is opened for editing (a
            // title typed here was kept over the edited response's empty one, and saved into it).
            inbox.find("canned-title").sendKeys("Greeting");
            inbox.all("canned-row").getFirst().findElement(InboxPage.testId("canned-edit")).click();
            inbox.until(d -> (Boolean) inbox.script("return document.activeElement?.id === 'canned-code'"));
            assertThat(inbox.find("canned-code").getAttribute("value")).isEqualTo("shipping");
            assertThat(inbox.find("canned-title").getAttribute("value")).isEmpty();
            WebElement body = inbox.find("canned-body");
            body.clear();
            body.sendKeys("We ship within 1 working day.");
            inbox.find("canned-save").click();
            inbox.until(d -> inbox.all("canned-row").stream().anyMatch(r -> r.getText().contains("1 working day")));

            // Escape cancels the confirmation only: the admin stays on the page (it also left for the inbox).
            inbox.all("canned-row").getFirst().findElement(InboxPage.testId("canned-delete")).click();
            inbox.find("confirm-ok").sendKeys(Keys.ESCAPE);
            inbox.until(d -> !inbox.present("confirm-ok"));
            assertThat(inbox.script("return location.hash")).isEqualTo("#/settings/canned");
            assertThat(inbox.all("canned-row")).hasSize(1);
            inbox.all("canned-row").getFirst().findElement(InboxPage.testId("canned-delete")).click();
            inbox.find("confirm-ok").click();
            inbox.until(d -> inbox.all("canned-row").isEmpty());
            assertThat(admin.get("/api/v1/canned-responses").json().getJsonArray("cannedResponses")).isEmpty();
        }
    }

    /**
     * JSON typed in the inbox's advanced view that does not parse says so (also on the collapsed view's summary)
     * and holds Save; a change made in the form instead wins: the error goes, and Save saves the form's config.
     */
    @Test
    void invalidJsonGivesWayToAFormEditAndIsShownWhileItHoldsSave() {
        long id = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", "Json shop")
                .put("config", new JsonObject().put("webhookUrl", "http://127.0.0.1:9/first"))).expect(201).json()
                .getLong("id");
        try (Browser browser = new Browser()) {
            InboxPage inbox = new InboxPage(browser, server.url()).login(TestServer.ADMIN_EMAIL,
                    TestServer.ADMIN_PASSWORD);
            inbox.visit("/#/settings/inboxes/" + id);
            // The editor is drawn once the inbox is read: found when it is there, not at once.
            inbox.find("inbox-form");
            WebElement summary = inbox.driver().findElement(By.cssSelector("details.advanced summary"));
            summary.click();
            WebElement json = inbox.find("inbox-json");
            json.clear();
            json.sendKeys("{\"webhookUrl\": \"http://127.0.0.1:9/typed\",}");
            WebElement error = inbox.find("inbox-json-error");
            assertThat(error.getDomAttribute("role")).isEqualTo("alert");
            assertThat(json.getDomAttribute("aria-invalid")).isEqualTo("true");
            assertThat(json.getDomAttribute("aria-describedby")).isEqualTo("inbox-json-error");
            assertThat(inbox.find("inbox-save").isEnabled()).isFalse();
            summary.click();
            assertThat(inbox.find("inbox-json-summary-error").isDisplayed()).isTrue();

            WebElement url = inbox.find("inbox-webhookUrl");
            url.clear();
            url.sendKeys("http://127.0.0.1:9/second", Keys.TAB);
            inbox.until(d -> inbox.find("inbox-save").isEnabled());
            assertThat(inbox.present("inbox-json-summary-error")).isFalse();
            assertThat(inbox.find("inbox-json").getDomProperty("value")).contains("http://127.0.0.1:9/second")
                    .doesNotContain("typed");
            inbox.find("inbox-save").click();
            inbox.until(d -> "http://127.0.0.1:9/second".equals(server.throughline().database().sql().single(
                    "SELECT config ->> 'webhookUrl' AS url FROM inboxes WHERE id = $1", id).getString("url")));
        } finally {
            admin.delete("/api/v1/inboxes/" + id).expect(204);
        }
    }

    /** A connection test refused for a secret that must be given again marks that secret's field, as a save does. */
    @Test
    void aConnectionTestNeedingASecretAgainMarksItsField() {
        long id = emailInbox("Moving", "moved@acme.test");
        try (Browser browser = new Browser()) {
            InboxPage inbox = new InboxPage(browser, server.url()).login(TestServer.ADMIN_EMAIL,
                    TestServer.ADMIN_PASSWORD);
            inbox.visit("/#/settings/inboxes/" + id);
            WebElement host = inbox.find("inbox-imap-host");
            inbox.until(d -> "127.0.0.1".equals(host.getAttribute("value")));
            host.clear();
            host.sendKeys("127.0.0.2", Keys.TAB);
            inbox.find("inbox-test").click();
            inbox.until(d -> "true".equals(inbox.find("inbox-imap-password").getDomAttribute("aria-invalid")));
            assertThat(inbox.driver().findElement(By.id("inbox-imap-password-error")).getText())
                    .contains("give it again");
            assertThat(inbox.find("inbox-smtp-password").getDomAttribute("aria-invalid")).isEqualTo("false");
            assertThat(inbox.find("inbox-test-result").getDomAttribute("data-ok")).isEqualTo("false");
        } finally {
            admin.delete("/api/v1/inboxes/" + id).expect(204);
        }
    }

    /** A session ended while a dialog is open (an admin gave a new password) leaves a sign-in form that works. */
    @Test
    void aDialogOpenWhenTheSessionEndsGoesWithIt() {
        long vera = admin.post("/api/v1/agents", new JsonObject().put("email", "vera@test.local").put("name", "Vera")
                .put("password", "vera-password-1")).expect(201).json().getLong("id");
        try (Browser browser = new Browser()) {
            InboxPage inbox = new InboxPage(browser, server.url()).login("vera@test.local", "vera-password-1");
            inbox.until(d -> "live".equals(inbox.connection()));
            inbox.find("change-password").click();
            inbox.find("password-current").sendKeys("vera-pass");
            String given = admin.patch("/api/v1/agents/" + vera, new JsonObject().put("resetPassword", true))
                    .expect(200).json().getString("password");

            assertThat(inbox.find("login-notice").getText()).contains("session ended");
            assertThat(inbox.script("return document.querySelectorAll('dialog[open]').length")).isEqualTo(0L);
            inbox.until(d -> (Boolean) inbox.script("return document.activeElement?.id === 'login-email'"));
            inbox.submitLogin("vera@test.local", given);
            inbox.find("change-password");
        }
    }

    /**
     * The canned response being edited goes away: deleted here, the form is a new one again; deleted by another
     * admin, Save says so and keeps what was typed, to be saved as a new response.
     */
    @Test
    void aCannedResponseDeletedWhileEditedLeavesAFormThatWorks() {
        admin.post("/api/v1/canned-responses", new JsonObject().put("shortCode", "gone-here")
                .put("body", "Deleted from this page")).expect(201);
        long second = admin.post("/api/v1/canned-responses", new JsonObject().put("shortCode", "gone-elsewhere")
                .put("body", "Deleted by another admin")).expect(201).json().getLong("id");
        try (Browser browser = new Browser()) {
            InboxPage inbox = new InboxPage(browser, server.url()).login(TestServer.ADMIN_EMAIL,
                    TestServer.ADMIN_PASSWORD);
            inbox.visit("/#/settings/canned");
            WebElement here = inbox.until(d -> inbox.all("canned-row").stream()
                    .filter(r -> r.getText().contains("/gone-here")).findFirst().orElse(null));
            here.findElement(InboxPage.testId("canned-edit")).click();
            inbox.until(d -> "gone-here".equals(inbox.find("canned-code").getAttribute("value")));
            here.findElement(InboxPage.testId("canned-delete")).click();
            inbox.find("confirm-ok").click();
            inbox.until(d -> inbox.find("canned-form").getText().contains("Add a canned response"));
            assertThat(inbox.find("canned-code").getAttribute("value")).isEmpty();

            inbox.until(d -> inbox.all("canned-row").stream().filter(r -> r.getText().contains("/gone-elsewhere"))
                    .findFirst().orElse(null)).findElement(InboxPage.testId("canned-edit")).click();
            inbox.until(d -> "gone-elsewhere".equals(inbox.find("canned-code").getAttribute("value")));
            admin.delete("/api/v1/canned-responses/" + second).expect(204);
            WebElement body = inbox.find("canned-body");
            body.clear();
            body.sendKeys("Typed after it was deleted");
            inbox.find("canned-save").click();
            assertThat(inbox.find("canned-error").getText()).contains("deleted meanwhile");
            assertThat(inbox.find("canned-form").getText()).contains("Add a canned response");
            assertThat(inbox.find("canned-body").getAttribute("value")).isEqualTo("Typed after it was deleted");
            inbox.find("canned-save").click();
            inbox.until(d -> inbox.all("canned-row").stream().anyMatch(r -> r.getText().contains("Typed after")));
            assertThat(admin.get("/api/v1/canned-responses").json().getJsonArray("cannedResponses").stream()
                    .map(JsonObject.class::cast).filter(c -> "gone-elsewhere".equals(c.getString("shortCode")))
                    .count()).isEqualTo(1);
        } finally {
            admin.get("/api/v1/canned-responses").json().getJsonArray("cannedResponses").stream()
                    .map(JsonObject.class::cast).filter(c -> c.getString("shortCode").startsWith("gone-"))
                    .forEach(c -> admin.delete("/api/v1/canned-responses/" + c.getLong("id")).expect(204));
        }
    }

    /** The invite form is checked by the server, in the app's words: an address Chromium's check refused is taken. */
    @Test
    void theInviteFormTakesWhatTheServerTakesAndSaysWhatItRefuses() {
        try (Browser browser = new Browser()) {
            InboxPage inbox = new InboxPage(browser, server.url()).login(TestServer.ADMIN_EMAIL,
                    TestServer.ADMIN_PASSWORD);
            inbox.visit("/#/settings/agents");
            WebElement form = inbox.find("invite-form");
            form.findElement(By.name("email")).sendKeys("nameless@test.local");
            inbox.find("invite-submit").click();
            // The server's answer says what is missing: shown once it comes.
            assertThat(inbox.until(d -> form.findElement(By.cssSelector("[role='alert']"))).getText()).isNotBlank();
            form.findElement(By.name("name")).sendKeys("Анна");
            WebElement email = form.findElement(By.name("email"));
            email.clear();
            email.sendKeys("анна@test.local");
            inbox.find("invite-submit").click();
            assertThat(inbox.find("invite-result").getText()).contains("анна@test.local");
        }
    }

    @Test
    void onAPhoneTheListAndTheThreadTakeTurns() {
        try (ShopSystem shop = ShopSystem.connect(server, "Phone shop"); Browser browser = new Browser()) {
            shop.say("phone-1", "Piotr Phone", "cust-piotr", "Czy mogę zmienić adres dostawy?");
            InboxPage inbox = new InboxPage(browser, server.url()).asPhone().login(TestServer.ADMIN_EMAIL,
                    TestServer.ADMIN_PASSWORD);
            WebElement row = inbox.conversation("Piotr Phone");
            inbox.screenshot("inbox-phone");
            row.click();
            inbox.message("zmienić adres");
            // The row tapped is hidden with the list: focus goes to the thread, not to the page's start.
            inbox.until(d -> (Boolean) inbox.script("return document.activeElement?.id === 'main'"));
            inbox.until(d -> inbox.conversationOrNull("Piotr Phone") == null
                    || !inbox.conversation("Piotr Phone").isDisplayed());
            assertThat(inbox.find("composer-input").isDisplayed()).isTrue();
            // Icons only on a phone, but the buttons keep their names.
            assertThat(inbox.find("resolve").getAccessibleName()).isEqualTo("Resolve");
            inbox.screenshot("admin-thread-phone");
            assertThat(inbox.script("return document.documentElement.scrollWidth")).isEqualTo(390L);
            assertThat(inbox.script("return [...document.querySelectorAll('button, a, input, select, textarea')]"
                    + ".filter(e => e.checkVisibility({visibilityProperty: true}) && e.getBoundingClientRect().right"
                    + " > 391 && !e.closest('.thread-actions')).map(e => e.outerHTML.slice(0, 80))")).asList().isEmpty();

            // The contact drawer: its toggle says whether it is open, and focus goes in and comes back out with it.
            assertThat(inbox.find("contact-toggle").getAttribute("aria-expanded")).isEqualTo("false");
            inbox.click("contact-toggle");
            inbox.until(d -> "true".equals(inbox.find("contact-toggle").getAttribute("aria-expanded")));
            inbox.until(d -> (Boolean) inbox.script("return document.activeElement?.id === 'contact-pane'"));
            inbox.click("contact-close");
            inbox.until(d -> "false".equals(inbox.find("contact-toggle").getAttribute("aria-expanded")));
            inbox.until(d -> (Boolean) inbox.script(
                    "return document.activeElement?.matches('[data-testid=contact-toggle]') === true"));
            inbox.click("contact-toggle");
            inbox.until(d -> (Boolean) inbox.script("return document.activeElement?.id === 'contact-pane'"));
            new Actions(browser.driver()).sendKeys(Keys.ESCAPE).perform();
            inbox.until(d -> (Boolean) inbox.script(
                    "return document.activeElement?.matches('[data-testid=contact-toggle]') === true"));

            browser.driver().findElement(By.cssSelector(".back-button")).click();
            inbox.until(d -> inbox.conversation("Piotr Phone").isDisplayed());
            // And back on the conversation's row, where the agent left the list.
            inbox.until(d -> (Boolean) inbox.script("return document.activeElement?.matches("
                    + "'[data-testid=conversation-item]') === true && document.activeElement.textContent"
                    + ".includes('Piotr Phone')"));
        }
    }
}
