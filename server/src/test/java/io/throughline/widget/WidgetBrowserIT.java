package io.throughline.widget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.testing.ApiClient;
import io.throughline.testing.Browser;
import io.throughline.testing.HostPage;
import io.throughline.testing.Scratch;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.image.BufferedImage;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The widget end to end in headless Debian chromium, embedded in a page on another origin (a second HTTP server),
 * against the real server. Also takes the README's screenshot.
 */
class WidgetBrowserIT {

    private static final Duration WAIT = ChatWidget.WAIT;

    private static TestServer server;
    private static ApiClient admin;
    private static HostPage host;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        admin = server.admin();
        host = new HostPage();
    }

    @AfterAll
    static void stop() {
        host.close();
        server.close();
    }

    @Test
    void aVisitorOnAnotherSiteChatsWithAnAgentLiveAndFindsItAfterAReload() throws Exception {
        String siteKey = Widgets.create(admin, "Acme", new JsonObject().put("title", "Acme support")
                .put("greeting", "Hi! We usually answer within minutes.")
                .put("colors", new JsonObject().put("primary", "#0f766e")), host.origin()).getString("siteKey");
        String page = host.embed("/chat", server.url(), siteKey, null);
        try (Browser browser = new Browser()) {
            browser.driver().get(page);
            ChatWidget widget = new ChatWidget(browser);
            WebElement launcher = widget.launcher();
            assertThat(launcher.getAttribute("aria-label")).isEqualTo("Open chat");
            assertThat(widget.shadow().findElements(By.cssSelector("iframe")))
                    .as("the frame loads only when the chat is first opened").isEmpty();

            widget.open().send("Hello! Do you sell tomato seeds?");
            widget.stored("Hello! Do you sell tomato seeds?");
            long conversation = awaitConversationWith("Hello! Do you sell tomato seeds?");
            JsonObject stored = thread(conversation).getJsonObject(0);
            assertThat(stored.getString("channel")).isEqualTo("widget");

            // The thread is a live region: a typing signal changes nothing in it (screen readers would re-read it).
            browser.driver().executeScript("""
                    window.__logChanges = 0;
                    new MutationObserver((records) => { window.__logChanges += records.length; })
                        .observe(document.querySelector('[data-testid=throughline-messages]'), { childList: true });""");
            admin.post("/api/v1/conversations/" + conversation + "/typing", new JsonObject().put("typing", true))
                    .expect(204);
            widget.waiting().until(d -> d.findElement(By.cssSelector("[data-testid=throughline-typing]"))
                    .getText().contains("Admin is typing"));
            assertThat(((Number) browser.driver().executeScript("return window.__logChanges")).intValue()).isZero();
            admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject()
                    .put("body", "We do! Six heirloom varieties, shipped in two days.")).expect(201);
            WebElement reply = widget.message("Six heirloom varieties");
            assertThat(reply.getAttribute("data-kind")).isEqualTo("out");
            assertThat(reply.getText()).contains("Admin");
            await().atMost(WAIT).until(() -> "delivered".equals(Widgets.deliveryStatus(admin, conversation,
                    thread(conversation).getJsonObject(1).getLong("id"))));

            // A message the visitor sends goes into the log once: its acknowledgement updates it in place, rather than
            // putting a new element there that a screen reader would read out again.
            browser.driver().executeScript("""
                    window.__added = 0;
                    new MutationObserver((records) => records.forEach((r) => {
                      window.__added += r.addedNodes.length;
                    })).observe(document.querySelector('[data-testid=throughline-messages]'), { childList: true });""");
            widget.send("Great, thank you!");
            WebElement acknowledged = widget.stored("Great, thank you!");
            assertThat(((Number) browser.driver().executeScript("return window.__added")).intValue()).isEqualTo(1);
            assertThat(acknowledged.getText()).doesNotContain("Sending");
            // A screen reader hears who said it: the screen tells the visitor's own messages by their side alone.
            assertThat(acknowledged.findElement(By.cssSelector("[data-testid=throughline-said-by]"))
                    .getAttribute("textContent")).isEqualTo("You: ");

            Path photo = Scratch.file("seed-packet", ".png");
            BufferedImage image = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
            image.setRGB(3, 3, 0x00ff00);
            ImageIO.write(image, "png", photo.toFile());
            browser.driver().findElement(By.cssSelector("[data-testid=throughline-file-input]"))
                    .sendKeys(photo.toAbsolutePath().toString());
            widget.waiting().until(d -> d.findElements(By.cssSelector(".chip:not(.uploading)")).size() == 1);
            widget.send("Here is the packet I mean");
            WebElement withPhoto = widget.stored("Here is the packet I mean");
            widget.waiting().until(d -> {
                List<WebElement> images = withPhoto.findElements(By.cssSelector("img.image"));
                return !images.isEmpty() && images.getFirst().getAttribute("src").startsWith("blob:")
                        && ((Number) browser.driver().executeScript("return arguments[0].naturalWidth",
                        images.getFirst())).intValue() == 40;
            });
            JsonObject withAttachment = thread(conversation).stream().map(m -> (JsonObject) m)
                    .filter(m -> "Here is the packet I mean".equals(m.getString("body"))).findFirst().orElseThrow();
            assertThat(withAttachment.getJsonArray("attachments").getJsonObject(0).getString("contentType"))
                    .isEqualTo("image/png");
            widget.leave();
            browser.screenshot("widget-cross-origin"); // the README's picture

            browser.driver().navigate().refresh();
            ChatWidget again = new ChatWidget(browser);
            assertThat(again.shadow().findElements(By.cssSelector("iframe")))
                    .as("an active conversation loads its frame at once").isNotEmpty();
            again.open();
            again.stored("Great, thank you!");
            assertThat(again.messages()).extracting(WebElement::getText).hasSize(4)
                    .anySatisfy(t -> assertThat(t).contains("tomato seeds"))
                    .anySatisfy(t -> assertThat(t).contains("Six heirloom varieties"));

            // Signed out on a shared computer: the photo the frame held for its preview goes with the thread.
            String preview = again.waiting().until(d -> {
                List<WebElement> images = again.stored("Here is the packet I mean")
                        .findElements(By.cssSelector("img.image"));
                String src = images.isEmpty() ? null : images.getFirst().getAttribute("src");
                return src != null && src.startsWith("blob:") ? src : null;
            });
            again.leave();
            browser.driver().executeScript("Throughline('reset')");
            again.enter();
            again.waiting().until(d -> again.messages().isEmpty());
            assertThat(browser.driver().executeAsyncScript("""
                    const done = arguments[arguments.length - 1];
                    const probe = new Image();
                    probe.onload = () => done('readable');
                    probe.onerror = () => done('revoked');
                    probe.src = arguments[0];""", preview))
                    .isEqualTo("revoked");
        }
    }

    /**
     * Before the chat is first opened, the launcher speaks the first of the browser's languages the widget knows
     * (not only the first language, German here); and its label says how many replies are unread, which the
     * badge shows only to the eye.
     */
    @Test
    void theLauncherSpeaksTheBrowsersLanguagesAndSaysHowManyRepliesAreUnread() {
        String siteKey = Widgets.create(admin, "Gdańsk shop", new JsonObject(), host.origin()).getString("siteKey");
        String polish = host.embed("/pl-launcher", server.url(), siteKey, "Object.defineProperty(navigator,"
                + " 'languages', { get: function () { return ['de-DE', 'pl-PL']; } });");
        String english = host.embed("/unread-launcher", server.url(), siteKey, null);
        try (Browser browser = new Browser()) {
            browser.driver().get(polish);
            assertThat(new ChatWidget(browser).launcher().getAttribute("aria-label")).isEqualTo("Otwórz czat");

            browser.driver().get(english);
            ChatWidget widget = new ChatWidget(browser);
            widget.open().send("Is the amber necklace still in stock?");
            widget.stored("amber necklace");
            widget.leave();
            widget.launcher().click();
            long conversation = awaitConversationWith("Is the amber necklace still in stock?");
            admin.post("/api/v1/conversations/" + conversation + "/messages",
                    new JsonObject().put("body", "Yes, two left.")).expect(201);
            widget.waiting().until(d -> "Open chat. Unread: 1".equals(widget.launcher().getAttribute("aria-label")));
            assertThat(widget.shadow().findElement(By.cssSelector("[data-testid=throughline-unread]")).getText())
                    .isEqualTo("1");
            // Said too, in a status region beside the launcher: the chat's own log is hidden while it is closed.
            WebElement said = widget.shadow().findElement(By.cssSelector("[data-testid=throughline-said]"));
            assertThat(said.getDomAttribute("role")).isEqualTo("status");
            assertThat(said.getDomProperty("textContent")).isEqualTo("New messages in the chat: 1");
        }
    }

    @Test
    void aRefusedAttachmentIsExplainedInTheWidgetsLanguage() throws Exception {
        JsonObject inbox = Widgets.create(admin, "Lviv shop", new JsonObject().put("locale", "uk"), host.origin());
        String siteKey = inbox.getString("siteKey");
        String page = host.embed("/uk", server.url(), siteKey, null);
        try (Browser browser = new Browser()) {
            browser.driver().get(page);
            ChatWidget widget = new ChatWidget(browser);
            widget.open().composer();
            Path archive = Scratch.file("order-scans", ".zip");
            Files.write(archive, new byte[] {'P', 'K', 3, 4, 20, 0, 0, 0});
            browser.driver().findElement(By.cssSelector("[data-testid=throughline-file-input]"))
                    .sendKeys(archive.toAbsolutePath().toString());
            widget.waiting().until(d -> d.findElement(By.id("tl-composer-error")).getText()
                    .contains("файли такого типу не приймаються"));
            assertThat(browser.driver().findElement(By.id("tl-composer-error")).getText())
                    .startsWith("order-scans").doesNotContain("cannot be attached");
            Path large = Scratch.file("scans", ".pdf");
            Files.write(large, new byte[11 * 1024 * 1024]);
            browser.driver().findElement(By.cssSelector("[data-testid=throughline-file-input]"))
                    .sendKeys(large.toAbsolutePath().toString());
            widget.waiting().until(d -> d.findElement(By.id("tl-composer-error")).getText().startsWith("scans"));
            assertThat(browser.driver().findElement(By.id("tl-composer-error")).getText()).endsWith("10 МБ).");

            // The day's budget is said as such (a small photo was "too large"), and a chat that takes no files says
            // so (it was "something went wrong, try again").
            var sql = server.throughline().database().sql();
            JsonObject visitor = sql.single("SELECT id, workspace_id FROM widget_visitors WHERE inbox_id = $1"
                    + " ORDER BY id DESC LIMIT 1", inbox.getLong("id")).toJson();
            sql.update("INSERT INTO widget_uploads (workspace_id, visitor_id, sha256, size, filename, content_type)"
                    + " VALUES ($1, $2, repeat('0', 64), 100 * 1024 * 1024, 'earlier.pdf', 'application/pdf')",
                    visitor.getLong("workspace_id"), visitor.getLong("id"));
            Path small = Scratch.file("receipt", ".txt");
            Files.writeString(small, "a small receipt");
            WebElement files = browser.driver().findElement(By.cssSelector("[data-testid=throughline-file-input]"));
            files.sendKeys(small.toAbsolutePath().toString());
            widget.waiting().until(d -> d.findElement(By.id("tl-composer-error")).getText()
                    .contains("сьогодні цей чат більше не приймає від вас файлів"));
            admin.patch("/api/v1/inboxes/" + inbox.getLong("id"), new JsonObject().put("config", new JsonObject()
                    .put("allowedOrigins", new JsonArray().add(host.origin())).put("locale", "uk")
                    .put("attachments", false))).expect(200);
            files.sendKeys(small.toAbsolutePath().toString());
            widget.waiting().until(d -> d.findElement(By.id("tl-composer-error")).getText()
                    .contains("цей чат не приймає файлів"));
        }
    }

    /**
     * Send waits for a file still uploading, and says so; once the file is attached, the message goes with it. A
     * file of the thread that cannot be fetched says so too, rather than doing nothing.
     */
    @Test
    void sendWaitsForAnUploadAndADownloadThatFailsSaysSo() throws Exception {
        String siteKey = Widgets.create(admin, "Upload shop", new JsonObject(), host.origin()).getString("siteKey");
        try (Browser browser = new Browser()) {
            browser.driver().get(host.embed("/upload-wait", server.url(), siteKey, null));
            ChatWidget widget = new ChatWidget(browser);
            widget.open().composer();
            browser.driver().executeScript("""
                    const real = window.fetch;
                    window.heldUploads = [];
                    window.fetch = (url, init) => {
                      if (String(url).includes('/widget/v1/uploads')) {
                        const answer = real(url, init);
                        return new Promise((resolve) => window.heldUploads.push(() => resolve(answer)));
                      }
                      if (window.failFiles && String(url).includes('/widget/v1/attachments/')) {
                        return Promise.reject(new TypeError('Failed to fetch'));
                      }
                      return real(url, init);
                    };""");
            Path notes = Scratch.file("order-notes", ".txt");
            Files.writeString(notes, "Blue kettle, 2 pieces");
            browser.driver().findElement(By.cssSelector("[data-testid=throughline-file-input]"))
                    .sendKeys(notes.toAbsolutePath().toString());
            widget.waiting().until(d -> ((Number) browser.driver().executeScript(
                    "return window.heldUploads.length")).intValue() == 1);
            // The file on its way says so in words, not only by fading.
            WebElement uploading = browser.driver().findElement(By.cssSelector("[data-testid=throughline-uploading]"));
            assertThat(uploading.getDomProperty("textContent")).contains("(attaching…)");
            assertThat(uploading.findElement(By.xpath("..")).getDomAttribute("aria-busy")).isEqualTo("true");
            widget.send("My order notes");
            WebElement error = browser.driver().findElement(By.id("tl-composer-error"));
            widget.waiting().until(d -> error.getText().equals("Wait until the file is attached, then send."));
            assertThat(widget.messages()).noneMatch(m -> m.getText().contains("My order notes"));

            browser.driver().executeScript("window.heldUploads.splice(0).forEach((answer) => answer())");
            widget.waiting().until(d -> error.getText().isEmpty());
            widget.waiting().until(d -> d.findElements(By.cssSelector("[data-testid=throughline-uploading]")).isEmpty());
            browser.driver().findElement(By.cssSelector("[data-testid=throughline-send-button]")).click();
            WebElement sent = widget.stored("My order notes");
            // A file only downloaded is let go once the next one starts (or a minute later), not held for the life
            // of the page.
            browser.driver().executeScript("""
                    window.revoked = 0;
                    window.created = 0;
                    const revoke = URL.revokeObjectURL.bind(URL);
                    const create = URL.createObjectURL.bind(URL);
                    URL.revokeObjectURL = (url) => { window.revoked++; revoke(url); };
                    URL.createObjectURL = (blob) => { window.created++; return create(blob); };""");
            sent.findElement(By.cssSelector("button.file")).click();
            widget.waiting().until(d -> ((Number) browser.driver().executeScript("return window.created"))
                    .intValue() == 1);
            assertThat(browser.driver().executeScript("return window.revoked")).isEqualTo(0L);
            sent.findElement(By.cssSelector("button.file")).click();
            widget.waiting().until(d -> ((Number) browser.driver().executeScript("return window.revoked"))
                    .intValue() == 1);
            browser.driver().executeScript("window.failFiles = true");
            sent.findElement(By.cssSelector("button.file")).click();
            widget.waiting().until(d -> error.getText().equals(notes.getFileName() + " could not be opened, try"
                    + " again."));
        }
    }

    /**
     * An address the browser takes but the server refuses (no dot in the domain) is explained in the widget's
     * language, beside the field, and the form can be sent again: the pre-chat form, and the offline email form.
     */
    @Test
    void aRefusedFormIsExplainedInTheWidgetsLanguageAndCanBeSentAgain() {
        String prechatKey = Widgets.create(admin, "Kyiv shop", new JsonObject().put("locale", "uk")
                .put("preChatForm", new JsonObject().put("enabled", true)), host.origin()).getString("siteKey");
        JsonObject closed = new JsonObject().put("timezone", "Europe/Kyiv").put("weekly", new JsonObject()
                .put("mon", new JsonArray()).put("tue", new JsonArray()).put("wed", new JsonArray())
                .put("thu", new JsonArray()).put("fri", new JsonArray()).put("sat", new JsonArray())
                .put("sun", new JsonArray()));
        String offlineKey = Widgets.create(admin, "Kyiv shop at night", new JsonObject().put("locale", "uk")
                .put("businessHours", closed), host.origin()).getString("siteKey");
        try (Browser browser = new Browser()) {
            browser.driver().get(host.embed("/uk-prechat", server.url(), prechatKey, null));
            ChatWidget widget = new ChatWidget(browser);
            widget.open();
            // The form shows instead of the composer: focus is in its first field, not in the hidden composer.
            widget.waiting().until(d -> "throughline-prechat-name".equals(browser.driver()
                    .executeScript("return document.activeElement && document.activeElement.dataset.testid")));
            fillPreChat(browser, "Олена", "olena@localhost");
            WebElement form = browser.driver().findElement(By.cssSelector("[data-testid=throughline-prechat]"));
            widget.waiting().until(d -> form.findElement(By.cssSelector("[role=alert]")).getText()
                    .equals("Email: перевірте, що ви ввели."));
            WebElement email = browser.driver().findElement(By.cssSelector("[data-testid=throughline-prechat-email]"));
            email.clear();
            email.sendKeys("olena@example.test");
            browser.driver().findElement(By.cssSelector("[data-testid=throughline-prechat-submit]")).click();
            widget.waiting().until(d -> !form.isDisplayed());
            widget.leave();

            browser.driver().get(host.embed("/uk-offline", server.url(), offlineKey, null));
            ChatWidget offline = new ChatWidget(browser);
            offline.open();
            WebElement input = offline.waiting().until(d -> {
                WebElement field = d.findElement(By.cssSelector("[data-testid=throughline-offline-email-input]"));
                return field.isDisplayed() ? field : null;
            });
            assertThat(browser.driver().findElement(By.cssSelector(
                    "[data-testid=throughline-offline-email-submit]")).getText()).isEqualTo("Зберегти");
            input.sendKeys("olena@localhost");
            browser.driver().findElement(By.cssSelector("[data-testid=throughline-offline-email-submit]")).click();
            WebElement offlineForm = browser.driver().findElement(By.cssSelector(
                    "[data-testid=throughline-offline-email]"));
            offline.waiting().until(d -> offlineForm.findElement(By.cssSelector("[role=alert]")).getText()
                    .equals("Email: перевірте, що ви ввели."));
            input.clear();
            input.sendKeys("olena@example.test");
            browser.driver().findElement(By.cssSelector("[data-testid=throughline-offline-email-submit]")).click();
            offline.waiting().until(d -> !offlineForm.isDisplayed());
        }
    }

    @Test
    void theDemoShopShowsTheWholeLoopAndTakesTheReadmeScreenshot() throws Exception {
        try (TestServer demo = TestServer.start(Map.of("demo.enabled", "true"));
             Browser browser = new Browser(1280, 800)) {
            assertThat(demo.throughline().demoUrl()).contains(URI.create(demo.url() + "/demo"));
            browser.driver().get(demo.url() + "/demo");
            ChatWidget widget = new ChatWidget(browser).open();
            widget.send("Hi! Does the Ridge shell jacket run true to size?");
            widget.stored("Ridge shell jacket");
            ApiClient agent = demo.admin();
            long conversation = agent.get("/api/v1/conversations?channel=widget").expect(200).json()
                    .getJsonArray("conversations").getJsonObject(0).getLong("id");
            agent.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("body",
                    "It does. If you are between sizes, take the larger one: it fits over a fleece.")).expect(201);
            widget.message("between sizes");
            widget.send("Perfect, ordering a medium then. Thanks!");
            widget.stored("ordering a medium");
            widget.leave();
            browser.screenshot("widget"); // the README's picture
        }
    }

    @Test
    void aMessageSentWhileTheServerIsDownIsStoredExactlyOnceAfterItComesBack() {
        TestServer first = TestServer.start();
        int port = first.port();
        String siteKey = Widgets.create(first.admin(), host.origin()).getString("siteKey");
        String page = host.embed("/restart", first.url(), siteKey, null);
        TestServer second = null;
        boolean firstClosed = false;
        try (Browser browser = new Browser()) {
            browser.driver().get(page);
            ChatWidget widget = new ChatWidget(browser).open();
            widget.send("before the restart");
            widget.stored("before the restart");

            first.close();
            firstClosed = true;
            browser.waiting(WAIT).until(d -> d.findElement(By.cssSelector("[data-testid=throughline-connection]"))
                    .isDisplayed());
            widget.send("sent while you were down");
            assertThat(widget.message("sent while you were down").getAttribute("data-status")).isEqualTo("sending");

            second = TestServer.startOn(first.databaseUrl(), first.dataDir(), Map.of("http.port",
                    String.valueOf(port)));
            widget.stored("sent while you were down");
            ApiClient agent = second.admin();
            long conversation = agent.get("/api/v1/conversations").expect(200).json().getJsonArray("conversations")
                    .getJsonObject(0).getLong("id");
            JsonArray thread = agent.get("/api/v1/conversations/" + conversation + "/messages").expect(200).json()
                    .getJsonArray("messages");
            assertThat(thread.stream().map(m -> ((JsonObject) m).getString("body")))
                    .containsExactly("before the restart", "sent while you were down");
            browser.waiting(WAIT).until(d -> !d.findElement(By.cssSelector("[data-testid=throughline-connection]"))
                    .isDisplayed());
        } finally {
            if (!firstClosed) {
                first.close();
            }
            if (second != null) {
                second.close();
            }
        }
    }

    @Test
    void aWrongOrMissingHmacIsRefusedWhenTheSiteRequiresOne() {
        JsonObject inbox = Widgets.create(admin, "Members", new JsonObject().put("hmacRequired", true),
                host.origin());
        String siteKey = inbox.getString("siteKey");
        String forged = host.embed("/forged", server.url(), siteKey,
                "Throughline('identify', {externalId: 'member-1', hmac: '" + "ab".repeat(32) + "'});");
        String unsigned = host.embed("/unsigned", server.url(), siteKey,
                "Throughline('identify', {externalId: 'member-1', name: 'Mallory'});");
        String signed = host.embed("/signed", server.url(), siteKey, "Throughline('identify', {externalId:"
                + " 'member-1', name: 'Meg', hmac: '" + IdentitySignature.sign(inbox.getString("identitySecret"),
                "member-1") + "'});");
        try (Browser browser = new Browser()) {
            for (String refused : new String[] {forged, unsigned}) {
                browser.driver().get(refused);
                ChatWidget widget = new ChatWidget(browser).open();
                browser.waiting(WAIT).until(d -> widget.visibleText().contains("not available"));
                assertThat(visibleComposer(browser)).isEmpty();
                widget.leave();
            }
            assertThat(visitorsOf(inbox)).isZero();

            // On a phone the refused chat covers the page: its title bar stays, and its close button gives the
            // page back. A sign-in the page corrects afterwards brings the chat up in place.
            browser.driver().executeCdpCommand("Emulation.setDeviceMetricsOverride", Map.of("width", 390,
                    "height", 760, "deviceScaleFactor", 2, "mobile", true));
            browser.driver().get(forged);
            ChatWidget phone = new ChatWidget(browser).open();
            browser.waiting(WAIT).until(d -> phone.visibleText().contains("not available"));
            browser.driver().findElement(By.cssSelector("[data-testid=throughline-close]")).click();
            phone.leave();
            browser.waiting(WAIT).until(d -> !(Boolean) browser.driver().executeScript("return document"
                    + ".querySelector('throughline-widget').shadowRoot.querySelector('.panel')"
                    + ".classList.contains('open')"));
            String signIn = "Throughline('identify', {externalId: 'member-1', name: 'Meg', hmac: '"
                    + IdentitySignature.sign(inbox.getString("identitySecret"), "member-1") + "'});";
            browser.driver().executeScript(signIn + " Throughline('open');");
            phone.enter();
            assertThat(phone.composer().isDisplayed()).isTrue();
            phone.leave();
            // Signed wrongly again, then rightly: the chat the refusal replaced comes back.
            browser.driver().executeScript("Throughline('identify', {externalId: 'member-1', name: 'Meg',"
                    + " hmac: '" + "cd".repeat(32) + "'});");
            phone.enter();
            browser.waiting(WAIT).until(d -> phone.visibleText().contains("not available"));
            phone.leave();
            browser.driver().executeScript(signIn);
            phone.enter();
            assertThat(phone.composer().isDisplayed()).isTrue();
            phone.leave();
            browser.driver().executeCdpCommand("Emulation.clearDeviceMetricsOverride", Map.of());

            // A malformed identity (an email that is a number) is refused for good too, not asked again for ever.
            browser.driver().get(host.embed("/malformed", server.url(), siteKey,
                    "Throughline('identify', {email: 42, hmac: 'x'});"));
            ChatWidget malformed = new ChatWidget(browser).open();
            browser.waiting(WAIT).until(d -> malformed.visibleText().contains("not available"));
            malformed.leave();

            browser.driver().get(signed);
            ChatWidget member = new ChatWidget(browser).open();
            member.send("Hi, it's Meg");
            member.stored("Hi, it's Meg");
            assertThat(visitorsOf(inbox)).isOne();
        }
    }

    @Test
    void twoVisitorsNeverSeeEachOtherAndAClaimedEmailRevealsNoThread() throws Exception {
        JsonObject api = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", "CRM"))
                .expect(201).json();
        new ApiClient(server.url()).withToken(api.getString("token"))
                .post("/api/v1/inboxes/" + api.getLong("id") + "/inbound", new JsonObject()
                        .put("externalId", "crm-1").put("body", "Your card ending 4242 was charged")
                        .put("contact", new JsonObject().put("identities", new JsonArray()
                                .add(new JsonObject().put("kind", "email").put("value", "rose@example.test")))))
                .expect(201);
        JsonObject inbox = Widgets.create(admin, "Prechat", new JsonObject().put("preChatForm",
                new JsonObject().put("enabled", true)), host.origin());
        String page = host.embed("/prechat", server.url(), inbox.getString("siteKey"), null);
        try (Browser rose = new Browser(); Browser ivan = new Browser()) {
            rose.driver().get(page);
            ChatWidget roseChat = new ChatWidget(rose).open();
            fillPreChat(rose, "Rose", "rose@example.test");
            roseChat.send("Rose here: where is my parcel 12-77?");
            roseChat.stored("where is my parcel 12-77");
            assertThat(roseChat.visibleText()).doesNotContain("4242");

            // Ivan is on a phone: under 480 px the chat takes the whole screen.
            ivan.driver().executeCdpCommand("Emulation.setDeviceMetricsOverride", Map.of("width", 390,
                    "height", 760, "deviceScaleFactor", 2, "mobile", true));
            ivan.driver().get(page);
            ChatWidget ivanChat = new ChatWidget(ivan).open();
            fillPreChat(ivan, "Ivan", "ivan@example.test");
            // The form gone, the keyboard goes on in the composer; its text is 16px, under which iOS zooms in.
            ivan.waiting(WAIT).until(d -> "throughline-composer-input".equals(ivan.driver().executeScript(
                    "return document.activeElement.dataset.testid")));
            assertThat(ivan.driver().executeScript("return getComputedStyle(document.activeElement).fontSize"))
                    .isEqualTo("16px");
            ivanChat.send("Ivan here: do you deliver to Odesa?");
            ivanChat.stored("deliver to Odesa");
            assertThat(ivanChat.visibleText()).doesNotContain("12-77").doesNotContain("4242");
            assertThat(ivanChat.messages()).hasSize(1);
            assertThat(roseChat.visibleText()).doesNotContain("Odesa");
            assertThat(roseChat.messages()).hasSize(1);
            ivanChat.leave();
            Object panelWidth = ivan.driver().executeScript("return document.querySelector('throughline-widget')"
                    + ".shadowRoot.querySelector('.panel').getBoundingClientRect().width");
            assertThat(((Number) panelWidth).intValue()).isEqualTo(390);
            ivan.screenshot("widget-mobile"); // the README's picture
            // Covering the page, the chat is a modal dialog, and the keyboard goes round its own controls, both ways.
            String panelRole = "const p = document.querySelector('throughline-widget').shadowRoot"
                    + ".querySelector('.panel'); return p.getAttribute('role') + ' ' + p.getAttribute('aria-modal')";
            assertThat(ivan.driver().executeScript(panelRole)).isEqualTo("dialog true");
            rose.driver().switchTo().defaultContent();
            assertThat(rose.driver().executeScript(panelRole)).isEqualTo("null null");
            for (CharSequence key : List.of(Keys.TAB, Keys.chord(Keys.SHIFT, Keys.TAB))) {
                for (int i = 0; i < 8; i++) {
                    new Actions(ivan.driver()).sendKeys(key).perform();
                    assertThat(ivan.driver().executeScript("return document.activeElement.localName"))
                            .as("focus after %s %s", key, i).isEqualTo("throughline-widget");
                }
            }

            // Turned to landscape, the chat still takes the whole screen (it was the 380 px panel, 278 px high).
            ivan.driver().executeCdpCommand("Emulation.setDeviceMetricsOverride", Map.of("width", 844,
                    "height", 390, "deviceScaleFactor", 2, "mobile", true));
            ivan.waiting(WAIT).until(d -> Boolean.TRUE.equals(ivan.driver().executeScript("""
                    const r = document.querySelector('throughline-widget').shadowRoot.querySelector('.panel')
                        .getBoundingClientRect();
                    return r.width === 844 && r.height === 390;""")));
        }
    }

    /**
     * A site's sign-out page calls Throughline('reset') as soon as the loader runs, while it still fetches its
     * settings, and moves on at once: the next person on that browser, opening the chat on another page, must get
     * a new chat, not the previous customer's.
     */
    @Test
    void aResetCalledWhileTheLoaderStartsGivesTheNextPersonANewChat() {
        String siteKey = Widgets.create(admin, "Shared computer", new JsonObject(), host.origin()).getString("siteKey");
        String page = host.embed("/shared", server.url(), siteKey, null);
        // The sign-out page resets as soon as the loader runs and goes on at once, before the settings arrive.
        String signedOut = host.embed("/signed-out", server.url(), siteKey, """
                document.addEventListener('load', function (e) {
                  if (e.target.src && e.target.src.indexOf('/widget.js') > 0) {
                    Throughline('reset');
                    location.href = '/shared';
                  }
                }, true);""");
        try (Browser browser = new Browser()) {
            browser.driver().get(page);
            ChatWidget first = new ChatWidget(browser).open();
            first.send("My account number is 55-0192, please call me.");
            first.stored("My account number is 55-0192");

            // Signed out, and nobody opens the chat on that page; the next person opens it on another.
            browser.driver().get(signedOut);
            browser.waiting(WAIT).until(d -> d.getCurrentUrl().endsWith("/shared"));
            ChatWidget next = new ChatWidget(browser).open();
            next.send("Hello, a different person here.");
            next.stored("a different person here");
            assertThat(next.messages()).hasSize(1);
            assertThat(next.visibleText()).doesNotContain("55-0192");

            // A reset once the chat runs: the open frame starts over at once, and no later page resets again.
            next.leave();
            browser.driver().executeScript("Throughline('reset')");
            next.enter();
            next.waiting().until(d -> next.messages().isEmpty());
            next.leave();
            next.waiting().until(d -> ((JavascriptExecutor) d).executeScript(
                    "return localStorage.getItem(arguments[0])", "throughline:" + siteKey + ":resetPending") == null);
        }
    }

    /**
     * A visitor who only filled in the pre-chat form is forgotten by a sign-out page that never loaded the chat:
     * the next person on that browser was filed under the first one's name and address, with no form to give their
     * own.
     */
    @Test
    void aSignOutForgetsAVisitorWhoOnlyFilledInTheForm() {
        String siteKey = Widgets.create(admin, "Form only", new JsonObject().put("preChatForm",
                new JsonObject().put("enabled", true)), host.origin()).getString("siteKey");
        String page = host.embed("/form-only", server.url(), siteKey, null);
        String signedOut = host.embed("/form-only-out", server.url(), siteKey, "Throughline('reset');");
        try (Browser browser = new Browser()) {
            browser.driver().get(page);
            ChatWidget first = new ChatWidget(browser).open();
            fillPreChat(browser, "Ann", "ann@example.test");
            first.composer();
            first.leave();

            browser.driver().get(signedOut);
            String resetKey = "throughline:" + siteKey + ":resetPending";
            browser.waiting(WAIT).until(d -> new ChatWidget(browser).shadow() != null && ((JavascriptExecutor) d)
                    .executeScript("return localStorage.getItem(arguments[0])", resetKey) == null);
            browser.driver().get(page);
            ChatWidget next = new ChatWidget(browser).open();
            WebElement shown = next.waiting().until(d -> d.findElements(By.cssSelector(
                    "[data-testid=throughline-prechat-name], [data-testid=throughline-composer-input]")).stream()
                    .filter(WebElement::isDisplayed).findFirst().orElse(null));
            assertThat(shown.getAttribute("data-testid")).isEqualTo("throughline-prechat-name");
            assertThat(shown.getAttribute("value")).isEmpty();
        }
    }

    /**
     * A chat started over (a sign-out) whose new session is refused for now says it is connecting: it was a blank
     * panel, with no composer and no word, for as long as the retries took.
     */
    @Test
    void aChatStartedOverWhoseSessionWaitsSaysItIsConnecting() {
        try (TestServer limited = TestServer.start(Map.of("widget.newSessionsPerIp", "2"))) {
            String siteKey = Widgets.create(limited.admin(), "Busy office", new JsonObject(), host.origin())
                    .getString("siteKey");
            try (Browser browser = new Browser()) {
                browser.driver().get(host.embed("/busy-office", limited.url(), siteKey, null));
                ChatWidget chat = new ChatWidget(browser).open();
                chat.composer();
                chat.leave();
                // The second new visitor of this address is the last one its window allows.
                browser.driver().executeScript("Throughline('reset')");
                chat.enter();
                chat.waiting().until(d -> chat.messages().isEmpty() && chat.composer().isDisplayed());
                chat.leave();
                browser.driver().executeScript("Throughline('reset')");
                chat.enter();
                WebElement status = chat.waiting().until(d -> d.findElements(By.cssSelector(
                        "[data-testid=throughline-not-ready]")).stream().filter(WebElement::isDisplayed)
                        .findFirst().orElse(null));
                assertThat(status.getText()).isEqualTo("Connecting…");
                assertThat(status.getAttribute("role")).isEqualTo("status");
            }
        }
    }

    /**
     * A page that signs its customer in and out again before the chat has loaded (a cached user, then a failed
     * session check) leaves the chat signed out: the sign-in, held for the frame until it was ready, was replayed
     * after the reset, and the signed-out page showed that customer's whole thread.
     */
    @Test
    void aSignInHeldForTheFrameDoesNotComeBackAfterAReset() {
        JsonObject inbox = Widgets.create(admin, "Flip-flop", new JsonObject(), host.origin());
        String siteKey = inbox.getString("siteKey");
        String signIn = "Throughline('identify', {externalId: 'flip-1', name: 'Quinn', hmac: '"
                + IdentitySignature.sign(inbox.getString("identitySecret"), "flip-1") + "'});";
        String signedIn = host.embed("/flip-in", server.url(), siteKey, signIn);
        String signedOut = host.embed("/flip-out", server.url(), siteKey, signIn + " Throughline('reset');");
        try (Browser browser = new Browser()) {
            browser.driver().get(signedIn);
            ChatWidget quinn = new ChatWidget(browser).open();
            quinn.send("Quinn's order 77-310, delivered to the office");
            quinn.stored("Quinn's order 77-310");
            quinn.leave();

            browser.driver().get(signedOut);
            ChatWidget next = new ChatWidget(browser).open();
            next.send("Someone else at this computer.");
            next.stored("Someone else at this computer.");
            assertThat(next.messages()).hasSize(1);
            assertThat(next.visibleText()).doesNotContain("77-310");
        }
    }

    /**
     * A sign-out in the open chat takes what the last person typed and never sent, and the error naming their file:
     * on a shared computer the next person found both in the composer.
     */
    @Test
    void aSignOutLeavesTheNextPersonNoDraftAndNoError() throws Exception {
        String siteKey = Widgets.create(admin, "Library kiosk", new JsonObject(), host.origin()).getString("siteKey");
        try (Browser browser = new Browser()) {
            browser.driver().get(host.embed("/kiosk", server.url(), siteKey, null));
            ChatWidget chat = new ChatWidget(browser).open();
            chat.send("Is my order on its way?");
            chat.stored("Is my order on its way?");
            chat.composer().sendKeys("my card ends 4242 and");
            Path large = Scratch.file("passport", ".pdf");
            Files.write(large, new byte[11 * 1024 * 1024]);
            browser.driver().findElement(By.cssSelector("[data-testid=throughline-file-input]"))
                    .sendKeys(large.toAbsolutePath().toString());
            WebElement error = browser.driver().findElement(By.id("tl-composer-error"));
            chat.waiting().until(d -> error.getText().startsWith("passport"));

            chat.leave();
            browser.driver().executeScript("Throughline('reset')");
            chat.enter();
            chat.waiting().until(d -> chat.messages().isEmpty() && chat.composer().isDisplayed());
            assertThat(chat.composer().getAttribute("value")).isEmpty();
            assertThat(browser.driver().findElement(By.id("tl-composer-error")).getText()).isEmpty();
        }
    }

    /**
     * A text longer than the limit stays whole in the composer, and send says it is too long: the composer's
     * maxlength cut a paste silently, and the visitor sent half a log. A file's remove button keeps the focus while
     * the chat changes around it (an agent typing redrew every chip).
     */
    @Test
    void aLongTextIsKeptWholeAndAFilesRemoveButtonKeepsTheFocus() throws Exception {
        JsonObject inbox = Widgets.create(admin, "Log paste", new JsonObject(), host.origin());
        try (Browser browser = new Browser()) {
            browser.driver().get(host.embed("/long-paste", server.url(), inbox.getString("siteKey"), null));
            ChatWidget chat = new ChatWidget(browser).open();
            chat.send("Here is my error log");
            long conversation = Widgets.conversationOf(server, Long.parseLong(chat.stored("Here is my error log")
                    .getAttribute("data-message-id")));
            String log = "E".repeat(5_100);
            chat.composer().sendKeys(log);
            assertThat(chat.composer().getAttribute("value")).hasSize(5_100);
            chat.composer().sendKeys(Keys.ENTER);
            chat.waiting().until(d -> d.findElement(By.id("tl-composer-error")).getText().contains("too long"));
            assertThat(chat.composer().getAttribute("value")).hasSize(5_100);

            Path notes = Scratch.file("notes", ".txt");
            Files.writeString(notes, "a line of notes");
            browser.driver().findElement(By.cssSelector("[data-testid=throughline-file-input]"))
                    .sendKeys(notes.toAbsolutePath().toString());
            chat.waiting().until(d -> !d.findElements(By.cssSelector(".chip:not(.uploading) .chip-remove")).isEmpty());
            browser.driver().executeScript("document.querySelector('.chip-remove').focus()");
            admin.post("/api/v1/conversations/" + conversation + "/typing", new JsonObject().put("typing", true))
                    .expect(204);
            chat.waiting().until(d -> d.findElement(By.cssSelector("[data-testid=throughline-typing]")).isDisplayed());
            assertThat(browser.driver().executeScript(
                    "return document.activeElement?.classList.contains('chip-remove')")).isEqualTo(true);
        }
    }

    /**
     * A page that closes the chat itself (a route change) keeps its own focus; closed from inside the chat, the focus
     * goes back to the launcher. The loader moved it to the launcher either way, out of the page's field.
     */
    @Test
    void aPageClosingTheChatKeepsItsOwnFocus() {
        String siteKey = Widgets.create(admin, "Focus keeper", new JsonObject(), host.origin()).getString("siteKey");
        String page = host.embed("/focus-keeper", server.url(), siteKey, """
                var field = document.createElement('input');
                field.id = 'page-field';
                document.body.appendChild(field);""");
        try (Browser browser = new Browser()) {
            browser.driver().get(page);
            ChatWidget chat = new ChatWidget(browser).open();
            chat.composer();
            chat.leave();
            JavascriptExecutor js = (JavascriptExecutor) browser.driver();
            js.executeScript("document.getElementById('page-field').focus(); Throughline('close')");
            assertThat(js.executeScript("return document.activeElement.id")).isEqualTo("page-field");

            js.executeScript("Throughline('open')");
            chat.enter();
            chat.composer().sendKeys(Keys.ESCAPE);
            chat.leave();
            browser.waiting(WAIT).until(d -> Boolean.TRUE.equals(((JavascriptExecutor) d).executeScript(
                    "return document.querySelector('throughline-widget').shadowRoot.activeElement?.dataset.testid"
                    + " === 'throughline-launcher'")));
        }
    }

    /** The README's snippet queues its listener before the loader runs: it hears "ready" all the same. */
    @Test
    void aReadyListenerQueuedBeforeTheLoaderRunsIsCalled() {
        String siteKey = Widgets.create(admin, "Ready listener", new JsonObject(), host.origin()).getString("siteKey");
        String page = host.embed("/ready", server.url(), siteKey, """
                Throughline('on', 'ready', function () {
                  window.widgetReadyCalls = (window.widgetReadyCalls || 0) + 1;
                });""");
        try (Browser browser = new Browser()) {
            browser.driver().get(page);
            browser.waiting(WAIT).until(d -> !d.findElements(By.cssSelector("throughline-widget")).isEmpty());
            browser.waiting(WAIT).until(d -> Long.valueOf(1).equals(((JavascriptExecutor) d)
                    .executeScript("return window.widgetReadyCalls")));
        }
    }

    @Test
    void aPageOnAnOriginTheWidgetDoesNotAllowGetsNoWidgetAndNoSession() {
        JsonObject inbox = Widgets.create(admin, "https://elsewhere.example.test");
        String page = host.embed("/foreign", server.url(), inbox.getString("siteKey"), null);
        try (Browser browser = new Browser()) {
            browser.driver().get(page);
            browser.waiting(WAIT).until(d -> browser.console().stream().map(LogEntry::getMessage)
                    .anyMatch(m -> m.contains("not available on this page")));
            assertThat(browser.driver().findElements(By.cssSelector("throughline-widget"))).isEmpty();
            assertThat(visitorsOf(inbox)).isZero();
        }
    }

    /**
     * A message whose file was uploaded too long ago (queued offline for days; the upload is forgotten after a
     * day) goes without it and says to attach the file again, instead of failing for ever with its text.
     */
    @Test
    void aMessageWhoseUploadExpiredGoesWithoutItAndSaysSo() throws Exception {
        try (Browser browser = new Browser()) {
            String siteKey = Widgets.create(admin, host.origin()).getString("siteKey");
            browser.driver().get(host.embed("/expired", server.url(), siteKey, null));
            ChatWidget widget = new ChatWidget(browser);
            widget.open().composer();
            Path receipt = Scratch.file("old-receipt", ".txt");
            Files.writeString(receipt, "Order 5512, paid");
            browser.driver().findElement(By.cssSelector("[data-testid=throughline-file-input]"))
                    .sendKeys(receipt.toAbsolutePath().toString());
            widget.waiting().until(d -> !d.findElements(By.cssSelector(".chip")).isEmpty()
                    && d.findElements(By.cssSelector(".chip.uploading")).isEmpty());
            // What the daily housekeeping does to an upload no message claimed within a day.
            assertThat(server.throughline().database().sql().update("DELETE FROM widget_uploads WHERE filename"
                    + " LIKE 'old-receipt%'")).isOne();

            widget.send("here is my receipt from last week");

            long id = Long.parseLong(widget.stored("here is my receipt").getAttribute("data-message-id"));
            assertThat(widget.message("here is my receipt").findElement(By.cssSelector(
                    "[data-testid=throughline-notice]")).getText()).contains("attach them again");
            JsonObject stored = admin.get("/api/v1/conversations/" + Widgets.conversationOf(server, id)
                    + "/messages").expect(200).json().getJsonArray("messages").getJsonObject(0);
            assertThat(stored.getString("body")).isEqualTo("here is my receipt from last week");
            assertThat(stored.getJsonArray("attachments")).isEmpty();
        }
    }

    /**
     * A single-page site calls identify once it has loaded its user, after the widget started: on the next page
     * the signed-in customer's chat waits for it and resumes, instead of starting over as an anonymous visitor and
     * then again (two new visitors a page, each counted against the address's new-session limit).
     */
    @Test
    void aSignedInCustomerWhosePageIdentifiesLateResumesTheirChat() {
        JsonObject inbox = Widgets.create(admin, "Late shop", (JsonObject) null, host.origin());
        String page = host.embed("/late-identify", server.url(), inbox.getString("siteKey"),
                "setTimeout(() => Throughline('identify', {externalId: 'late-1', hmac: '"
                        + IdentitySignature.sign(inbox.getString("identitySecret"), "late-1") + "'}), 300);");
        try (Browser browser = new Browser()) {
            browser.driver().get(page);
            ChatWidget widget = new ChatWidget(browser).open();
            browser.waiting(WAIT).until(d -> signedIn(inbox) == 1);
            widget.send("signed in and asking about my order");
            widget.stored("asking about my order");
            long visitors = visitorsOf(inbox);

            browser.driver().get(page);
            ChatWidget again = new ChatWidget(browser).open();
            again.message("asking about my order");
            again.send("and one more thing");
            again.stored("one more thing");
            assertThat(visitorsOf(inbox)).isEqualTo(visitors);
        }
    }

    /**
     * A page that opens the chat as it loads shows the reply that came meanwhile: that is the visitor seeing it, and
     * the agent is told (it was never reported, and the email fallback would have mailed a reply already read).
     */
    @Test
    void aChatOpenedAsThePageLoadsReportsTheReplyItShowsAsSeen() {
        try (Browser browser = new Browser()) {
            String siteKey = Widgets.create(admin, host.origin()).getString("siteKey");
            browser.driver().get(host.embed("/seen-first", server.url(), siteKey, null));
            ChatWidget widget = new ChatWidget(browser).open();
            widget.send("Do you ship the Aurora lamp to Lviv?");
            long id = Long.parseLong(widget.stored("Aurora lamp").getAttribute("data-message-id"));
            long conversation = Widgets.conversationOf(server, id);
            widget.leave();
            browser.driver().get("about:blank");
            long reply = admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject()
                    .put("body", "Yes, in two days.")).expect(201).json().getLong("id");

            browser.driver().get(host.embed("/seen-open", server.url(), siteKey, "Throughline('open');"));
            new ChatWidget(browser).enter().message("Yes, in two days.");
            await().atMost(WAIT).until(() -> admin.get("/api/v1/conversations/" + conversation + "/visitors")
                    .expect(200).json().getLong("lastSeenMessageId"), seen -> seen != null && seen == reply);
        }
    }

    /** A long thread opens on its newest messages; the earlier ones come by the button (or scrolling up). */
    @Test
    void aLongThreadShowsItsEarlierMessagesOnRequest() {
        try (Browser browser = new Browser()) {
            String siteKey = Widgets.create(admin, host.origin()).getString("siteKey");
            String page = host.embed("/long", server.url(), siteKey, null);
            browser.driver().get(page);
            ChatWidget widget = new ChatWidget(browser).open();
            widget.send("first question about the Aurora lamp");
            long id = Long.parseLong(widget.stored("first question").getAttribute("data-message-id"));
            long conversation = Widgets.conversationOf(server, id);
            for (int i = 1; i <= 55; i++) {
                admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject()
                        .put("body", "answer part " + i)).expect(201);
            }

            browser.driver().get(page);
            ChatWidget again = new ChatWidget(browser).open();
            again.message("answer part 55");
            assertThat(again.visibleText()).doesNotContain("first question");
            // The older page is history, not news: the log is busy while it goes in, so a screen reader does not
            // read it out as new messages; not while it is asked for (a reply arriving meanwhile is news).
            browser.driver().executeScript("""
                    const real = window.fetch;
                    window.heldPages = [];
                    window.fetch = (url, init) => {
                      if (String(url).includes('/widget/v1/messages?before=')) {
                        const answer = real(url, init);
                        return new Promise((resolve) => window.heldPages.push(() => resolve(answer)));
                      }
                      return real(url, init);
                    };""");
            recordBusyWhenAdded(browser);
            browser.driver().findElement(By.cssSelector("[data-testid=throughline-earlier]")).click();
            WebElement log = browser.driver().findElement(By.cssSelector("[data-testid=throughline-messages]"));
            again.waiting().until(d -> ((Number) browser.driver().executeScript(
                    "return window.heldPages.length")).intValue() == 1);
            assertThat(log.getDomAttribute("aria-busy")).isNotEqualTo("true");
            browser.driver().executeScript("window.heldPages.splice(0).forEach((answer) => answer())");

            again.message("first question about the Aurora lamp");
            assertThat(again.messages()).hasSize(56);
            again.waiting().until(d -> "false".equals(log.getDomAttribute("aria-busy")));
            assertThat((List<Object>) browser.driver().executeScript("return window.busyWhenAdded"))
                    .isNotEmpty().containsOnly("true");
            assertThat(browser.driver().findElement(By.cssSelector("[data-testid=throughline-earlier]"))
                    .isDisplayed()).isFalse();
        }
    }

    /** Records, in the frame, whether the message log was busy each time messages went into it. */
    private static void recordBusyWhenAdded(Browser browser) {
        browser.driver().executeScript("""
                    window.busyWhenAdded = [];
                    const log = document.querySelector('[data-testid=throughline-messages]');
                    new MutationObserver((changes) => {
                      if (changes.some((change) => change.addedNodes.length)) {
                        window.busyWhenAdded.push(log.getAttribute('aria-busy'));
                      }
                    }).observe(log, { childList: true });""");
    }

    /**
     * Signing in while the chat is open reads the customer's whole thread in afresh: history, not news. The log is
     * busy while it goes in; each message was read out by screen readers as a new one.
     */
    @SuppressWarnings("unchecked")
    @Test
    void aThreadReadInAfreshIsNotReadOutAsNewMessages() {
        JsonObject api = admin.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", "Orders"))
                .expect(201).json();
        ApiClient orders = new ApiClient(server.url()).withToken(api.getString("token"));
        for (int i = 0; i < 3; i++) {
            orders.post("/api/v1/inboxes/" + api.getLong("id") + "/inbound", new JsonObject()
                    .put("externalId", "afresh-" + i).put("body", "Order update " + i)
                    .put("contact", new JsonObject().put("identities", new JsonArray().add(new JsonObject()
                            .put("kind", "external_id").put("value", "afresh-1"))))).expect(201);
        }
        JsonObject inbox = Widgets.create(admin, "Afresh", new JsonObject(), host.origin());
        try (Browser browser = new Browser()) {
            browser.driver().get(host.embed("/afresh", server.url(), inbox.getString("siteKey"), null));
            ChatWidget chat = new ChatWidget(browser).open();
            chat.composer();
            recordBusyWhenAdded(browser);
            chat.leave();
            browser.driver().executeScript("Throughline('identify', {externalId: 'afresh-1', hmac: arguments[0]})",
                    IdentitySignature.sign(inbox.getString("identitySecret"), "afresh-1"));
            chat.enter();
            chat.message("Order update 2");
            assertThat((List<Object>) browser.driver().executeScript("return window.busyWhenAdded"))
                    .isNotEmpty().containsOnly("true");
        }
    }

    /** The team removes what a visitor pasted: the open chat shows it removed at once, and after a reload too. */
    @Test
    void aMessageTheTeamRemovedShowsRemovedInTheOpenChatAndAfterAReload() {
        try (Browser browser = new Browser()) {
            String siteKey = Widgets.create(admin, host.origin()).getString("siteKey");
            String page = host.embed("/removed", server.url(), siteKey, null);
            browser.driver().get(page);
            ChatWidget widget = new ChatWidget(browser).open();
            widget.send("my password is tulip-77");
            long id = Long.parseLong(widget.stored("tulip-77").getAttribute("data-message-id"));

            admin.post("/api/v1/messages/" + id + "/redact", null).expect(200);

            widget.message("This message was removed.");
            assertThat(widget.visibleText()).doesNotContain("tulip-77");
            browser.driver().get(page);
            ChatWidget again = new ChatWidget(browser).open();
            again.message("This message was removed.");
            assertThat(again.visibleText()).doesNotContain("tulip-77");
        }
    }

    /**
     * A site that allows long messages: one past the socket's frame limit (Chinese is three bytes a letter) closed
     * the socket, and went out again at each reconnect, for ever. It goes by HTTP, and the chat goes on.
     */
    @Test
    void aMessagePastTheSocketsFrameLimitIsSentAnyway() {
        try (TestServer roomy = TestServer.start(Map.of("widget.maxMessageChars", "60000"));
             Browser browser = new Browser()) {
            String siteKey = Widgets.create(roomy.admin(), host.origin()).getString("siteKey");
            browser.driver().get(host.embed("/long", roomy.url(), siteKey, null));
            ChatWidget widget = new ChatWidget(browser).open();
            // Text that compresses little (the socket's deflate would shrink a repeated letter below the limit).
            Random random = new Random(7);
            StringBuilder letters = new StringBuilder("Довгий лист ");
            for (int i = 0; i < 50_000; i++) {
                letters.append((char) (0x4E00 + random.nextInt(20_000)));
            }
            String longText = letters.toString();
            WebElement input = widget.composer();
            browser.driver().executeScript("arguments[0].value = arguments[1];"
                    + " arguments[0].dispatchEvent(new Event('input', {bubbles: true}))", input, longText);
            browser.driver().findElement(By.cssSelector("[data-testid=throughline-send-button]")).click();
            widget.send("and a short one after it");
            widget.stored("Довгий лист");
            widget.stored("and a short one after it");
            // Stored in the order written: the short one waits for the long one's HTTP send.
            assertThat(roomy.throughline().database().sql().list("SELECT length(body) AS n FROM messages ORDER BY id",
                    r -> r.getInteger("n") > 50_000)).containsExactly(true, false);
        }
    }

    @Test
    void theChatWorksOverHttpWhenWebSocketsAreBlocked() {
        try (TestServer blocked = TestServer.start(Map.of("widget.webSocket", "false", "widget.longPoll", "5s"));
             Browser browser = new Browser()) {
            ApiClient agent = blocked.admin();
            String siteKey = Widgets.create(agent, host.origin()).getString("siteKey");
            browser.driver().get(host.embed("/polling", blocked.url(), siteKey, null));
            ChatWidget widget = new ChatWidget(browser).open();
            widget.send("my office proxy blocks websockets");
            widget.stored("my office proxy blocks websockets");
            long conversation = agent.get("/api/v1/conversations").expect(200).json().getJsonArray("conversations")
                    .getJsonObject(0).getLong("id");
            agent.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject()
                    .put("body", "No problem, long polling works too.")).expect(201);
            assertThat(widget.message("long polling works too").getAttribute("data-kind")).isEqualTo("out");
        }
    }

    /**
     * A widget switched off while visitors have it open says so at once in every open chat, on the socket and on
     * long polling: the chats went on (a socket learnt it at its next message), and then each was refused at every
     * reconnect (close 4403, a poll's 409) and reconnected again for as long as the tab stayed open. Switched on
     * again, it comes back without a reload: when the visitor opens the chat, and in a chat left open (every two
     * heartbeats).
     */
    @Test
    void aWidgetSwitchedOffWhileOpenSaysTheChatIsNotAvailableAndComesBackSwitchedOn() {
        try (TestServer polling = TestServer.start(Map.of("widget.webSocket", "false", "widget.longPoll", "2s",
                "widget.heartbeat", "1s"));
             Browser onSocket = new Browser(); Browser onPolls = new Browser()) {
            JsonObject socketInbox = Widgets.create(admin, host.origin());
            onSocket.driver().get(host.embed("/switched-off", server.url(), socketInbox.getString("siteKey"), null));
            ChatWidget socketChat = new ChatWidget(onSocket).open();
            socketChat.send("Before the switch");
            socketChat.stored("Before the switch");
            JsonObject pollInbox = Widgets.create(polling.admin(), host.origin());
            onPolls.driver().get(host.embed("/switched-off-polls", polling.url(), pollInbox.getString("siteKey"),
                    null));
            ChatWidget pollChat = new ChatWidget(onPolls).open();
            pollChat.send("Before the switch, polling");
            pollChat.stored("Before the switch, polling");

            admin.patch("/api/v1/inboxes/" + socketInbox.getLong("id"), new JsonObject().put("enabled", false))
                    .expect(200);
            polling.admin().patch("/api/v1/inboxes/" + pollInbox.getLong("id"), new JsonObject()
                    .put("enabled", false)).expect(200);
            for (Browser browser : List.of(onSocket, onPolls)) {
                WebElement notReady = browser.waiting(WAIT).until(ExpectedConditions.visibilityOfElementLocated(
                        By.cssSelector("[data-testid=throughline-not-ready]")));
                assertThat(notReady.getText()).isNotBlank();
            }
            // Refused again at each look (every two seconds here), the panel stays as it is: redrawn, its alert
            // would be read out again and its close button lose focus.
            WebElement refused = onPolls.driver().findElement(By.cssSelector("[data-testid=throughline-not-ready]"));
            onPolls.driver().executeScript("""
                    window.looks = 0;
                    const real = window.fetch;
                    window.fetch = (url, init) => {
                      if (String(url).includes('/widget/v1/sessions')) window.looks++;
                      return real(url, init);
                    };""");
            onPolls.waiting(WAIT).until(d -> ((Number) onPolls.driver().executeScript("return window.looks"))
                    .intValue() >= 2);
            assertThat(refused.isDisplayed()).as("the same alert, not a redrawn one").isTrue();

            admin.patch("/api/v1/inboxes/" + socketInbox.getLong("id"), new JsonObject().put("enabled", true))
                    .expect(200);
            polling.admin().patch("/api/v1/inboxes/" + pollInbox.getLong("id"), new JsonObject()
                    .put("enabled", true)).expect(200);
            // Left open, the polling chat looks again by itself (its server's heartbeat is a second).
            pollChat.message("Before the switch, polling");
            pollChat.send("After it was switched on, polling");
            pollChat.stored("After it was switched on, polling");
            // The socket's chat (a 25 s heartbeat) looks again as the visitor opens it.
            socketChat.leave();
            socketChat.launcher().click();
            socketChat.open().message("Before the switch");
            socketChat.send("After it was switched on");
            socketChat.stored("After it was switched on");
        }
    }

    @Test
    void aChatThatFellBackToPollingReturnsToTheSocketOnceSocketsGetThrough() {
        Map<String, String> quick = Map.of("widget.heartbeat", "1s", "widget.longPoll", "5s");
        Map<String, String> blockedOptions = new HashMap<>(quick);
        blockedOptions.put("widget.webSocket", "false");
        TestServer blocked = TestServer.start(blockedOptions);
        TestServer open = null;
        boolean blockedClosed = false;
        try (Browser browser = new Browser()) {
            String siteKey = Widgets.create(blocked.admin(), host.origin()).getString("siteKey");
            browser.driver().get(host.embed("/sockets-later", blocked.url(), siteKey, null));
            ChatWidget widget = new ChatWidget(browser).open();
            widget.send("first over long polling");
            widget.stored("first over long polling");
            assertThat(connectionState(browser)).isEqualTo("polling");
            // The page names its user: the frame restarts its transport, which goes on polling (and must go on
            // trying sockets).
            widget.leave();
            browser.driver().executeScript("Throughline('identify', {name: 'Polly'});");
            widget.enter();
            await().atMost(WAIT).until(() -> blocked.throughline().database().sql().single("SELECT count(*) AS n"
                    + " FROM widget_visitors WHERE profile->>'name' = 'Polly'").getLong("n") == 1);

            // The same server comes back with WebSockets allowed (a proxy in front of it stopped blocking them).
            blocked.close();
            blockedClosed = true;
            Map<String, String> reopened = new HashMap<>(quick);
            reopened.put("http.port", String.valueOf(blocked.port()));
            open = TestServer.startOn(blocked.databaseUrl(), blocked.dataDir(), reopened);
            // Only a socket's open says online: long polling says polling.
            // Tries come 4, 8, 16, 32 and 64 heartbeats apart (±25%): ~12 s after the restart, unless tries fail
            // during it.
            browser.waiting(Duration.ofSeconds(150)).until(d -> "online".equals(connectionState(browser)));

            widget.send("then over a socket");
            widget.stored("then over a socket");
            ApiClient agent = open.admin();
            long conversation = agent.get("/api/v1/conversations").expect(200).json().getJsonArray("conversations")
                    .getJsonObject(0).getLong("id");
            agent.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject()
                    .put("body", "Live again.")).expect(201);
            assertThat(widget.message("Live again.").getAttribute("data-kind")).isEqualTo("out");
            assertThat(agent.get("/api/v1/conversations/" + conversation + "/messages").expect(200).json()
                    .getJsonArray("messages").stream().map(m -> ((JsonObject) m).getString("body")))
                    .containsExactly("first over long polling", "then over a socket", "Live again.");
            assertThat(connectionState(browser)).isEqualTo("online");
        } finally {
            if (!blockedClosed) {
                blocked.close();
            }
            if (open != null) {
                open.close();
            }
        }
    }

    private static String connectionState(Browser browser) {
        return browser.driver().findElement(By.cssSelector("[data-testid=throughline-connection]"))
                .getAttribute("data-state");
    }

    private static void fillPreChat(Browser browser, String name, String email) {
        browser.waiting(WAIT).until(d -> d.findElement(By.cssSelector("[data-testid=throughline-prechat-name]"))
                .isDisplayed());
        browser.driver().findElement(By.cssSelector("[data-testid=throughline-prechat-name]")).sendKeys(name);
        browser.driver().findElement(By.cssSelector("[data-testid=throughline-prechat-email]")).sendKeys(email);
        browser.driver().findElement(By.cssSelector("[data-testid=throughline-prechat-submit]")).click();
    }

    private static Optional<WebElement> visibleComposer(Browser browser) {
        return browser.driver().findElements(By.cssSelector("[data-testid=throughline-composer-input]")).stream()
                .filter(WebElement::isDisplayed).findFirst();
    }

    private static long awaitConversationWith(String text) {
        return await().atMost(WAIT).until(() -> admin.get("/api/v1/conversations").json()
                .getJsonArray("conversations").stream().map(c -> (JsonObject) c)
                .filter(c -> text.equals(c.getJsonObject("lastMessage").getString("preview")))
                .map(c -> c.getLong("id")).findFirst(), Optional::isPresent).orElseThrow();
    }

    private static JsonArray thread(long conversation) {
        return admin.get("/api/v1/conversations/" + conversation + "/messages").expect(200).json()
                .getJsonArray("messages");
    }

    private static long signedIn(JsonObject inbox) {
        return server.throughline().database().sql().single("SELECT count(*) AS n FROM widget_visitors"
                + " WHERE inbox_id = $1 AND identity IS NOT NULL", inbox.getLong("id")).getLong("n");
    }

    private static long visitorsOf(JsonObject inbox) {
        return server.throughline().database().sql().single("SELECT count(*) AS n FROM widget_visitors"
                + " WHERE inbox_id = $1", inbox.getLong("id")).getLong("n");
    }
}
