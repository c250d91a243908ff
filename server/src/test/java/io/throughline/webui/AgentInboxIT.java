package io.throughline.webui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.attachment.FileStore;
import io.throughline.connector.Identity;
import io.throughline.connector.IdentityKind;
import io.throughline.connector.InboundAttachment;
import io.throughline.connector.InboundEdit;
import io.throughline.connector.InboundMessage;
import io.throughline.connector.InboxRef;
import io.throughline.connector.Sender;
import io.throughline.connector.StoredFile;
import io.throughline.realtime.EventType;
import io.throughline.testing.ApiClient;
import io.throughline.testing.ApiInbox;
import io.throughline.testing.Browser;
import io.throughline.testing.HeldTransaction;
import io.throughline.testing.Scratch;
import io.throughline.testing.ShopSystem;
import io.throughline.testing.StreamClient;
import io.throughline.testing.TestServer;
import io.throughline.testing.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;

/**
 * An agent's day in the browser against the real server, with the API inbox as the customer's channel: messages
 * arrive live, replies reach the customer's system, notes never do, and the conversation is assigned, resolved
 * and reopened, by mouse and by keyboard.
 */
class AgentInboxIT {

    private static TestServer server;
    private static ShopSystem shop;
    private static ApiClient admin;
    private static long adminId;
    private Browser browser;
    private InboxPage inbox;

    @BeforeAll
    static void start() {
        // Every test signs in from the same address: more than the 30 sign-ins a window allows one address.
        server = TestServer.start(Map.of("auth.loginAttemptsPerIp", "500"));
        shop = ShopSystem.connect(server, "Shop");
        admin = server.admin();
        adminId = admin.get("/api/v1/auth/me").expect(200).json().getLong("agentId");
    }

    @AfterAll
    static void stop() {
        shop.close();
        server.close();
    }

    @BeforeEach
    void openBrowser() {
        browser = new Browser();
        inbox = new InboxPage(browser, server.url());
    }

    @AfterEach
    void closeBrowser() {
        browser.close();
    }

    /** A customer swapped the photo of a message: the thread shows the new one, its previous version the old. */
    @Test
    void aFileTheCustomerReplacedByAnEditIsReachableFromThePreviousVersion() throws IOException {
        long workspaceId = server.throughline().workspaces().first().orElseThrow();
        InboxRef ref = new InboxRef(shop.inboxId(), workspaceId, "api", "Shop");
        FileStore store = new FileStore(server.throughline().config().attachmentsDir());
        StoredFile before = store.store(new ByteArrayInputStream("first scan".getBytes(StandardCharsets.UTF_8)),
                "scan-1.pdf", "application/pdf", 1_000);
        StoredFile after = store.store(new ByteArrayInputStream("second scan".getBytes(StandardCharsets.UTF_8)),
                "scan-2.pdf", "application/pdf", 1_000);
        Sender ruta = Sender.of("Ruta Swap", Identity.proven(IdentityKind.EXTERNAL_ID, "cust-ruta"));
        server.throughline().ingest().accept(ref, InboundMessage.builder("swap-1", ruta).text("My invoice")
                .attachment(InboundAttachment.of(before)).build());
        server.throughline().ingest().edit(ref, new InboundEdit("swap-1", "My invoice", null, null, null,
                List.of(InboundAttachment.of(after))));

        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Ruta Swap");
        WebElement message = inbox.message("My invoice");
        assertThat(message.findElements(InboxPage.testId("attachment-file"))).extracting(WebElement::getText)
                .singleElement().asString().contains("scan-2.pdf");
        message.findElement(By.cssSelector("button.edited")).click();
        WebElement previous = inbox.until(d -> message.findElements(InboxPage.testId("previous-attachment")).stream()
                .findFirst().orElse(null));
        assertThat(previous.getText()).contains("scan-1.pdf");
        long replaced = server.throughline().database().sql().single("SELECT id FROM attachments"
                + " WHERE filename = 'scan-1.pdf' AND replaced_at IS NOT NULL").getLong("id");
        assertThat(previous.getAttribute("href")).endsWith("/api/v1/attachments/" + replaced);
    }

    @Test
    void wrongPasswordIsExplainedAndTheRightOneOpensTheInbox() {
        inbox.submitLogin(TestServer.ADMIN_EMAIL, "not-the-password");
        assertThat(inbox.find("login-error").getText()).contains("do not match");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD);
        assertThat(inbox.find("me").getText()).contains("Admin");
        inbox.find("logout").click();
        // The form takes the focus again after a sign-out (autofocus acts once per document).
        inbox.until(d -> (Boolean) inbox.script("return document.activeElement?.id === 'login-email'"));
        inbox.visit("/");
        assertThat(inbox.find("login-email").isDisplayed()).isTrue();
    }

    @Test
    void customerMessageAppearsLiveWithoutReload() {
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD);
        inbox.until(d -> "live".equals(inbox.connection()));
        inbox.markPageLoad();
        shop.say("live-1", "Bob Live", "cust-bob-live", "Where is my parcel?");

        WebElement row = inbox.conversation("Bob Live");
        assertThat(row.findElement(InboxPage.testId("conversation-preview")).getText())
                .isEqualTo("Where is my parcel?");
        WebElement badge = row.findElement(InboxPage.testId("unread-badge"));
        assertThat(badge.getText()).isEqualTo("1");
        // A screen reader hears what the number counts: ARIA forbids naming a plain span, so it is an image.
        assertThat(badge.getAriaRole()).isEqualTo("image");
        assertThat(badge.getAccessibleName()).isEqualTo("1 unread message");
        assertThat(row.findElement(InboxPage.testId("waiting")).getText()).startsWith("waiting");
        assertThat(row.findElements(By.cssSelector("[data-channel='api']"))).isNotEmpty();

        shop.say("live-2", "Bob Live", "cust-bob-live", "Hello? Anyone there?");
        inbox.until(d -> inbox.conversation("Bob Live").findElement(InboxPage.testId("unread-badge")).getText()
                .equals("2"));
        assertThat(inbox.samePageLoad()).isTrue();

        inbox.open("Bob Live");
        inbox.message("Hello? Anyone there?");
        inbox.until(d -> inbox.conversation("Bob Live").findElements(InboxPage.testId("unread-badge")).isEmpty());

        // Screen readers hear each new message, also a second one from the same customer (a new live node).
        By announced = By.cssSelector("tl-timeline [aria-live=polite] span");
        shop.say("live-3", "Bob Live", "cust-bob-live", "It was due yesterday.");
        WebElement first = inbox.until(d -> d.findElements(announced).stream().findFirst().orElse(null));
        // Visually hidden: its text is read as the DOM has it (getText gives only what is drawn).
        assertThat(first.getAttribute("textContent")).isEqualTo("New message from Bob Live");
        shop.say("live-4", "Bob Live", "cust-bob-live", "Order 4471.");
        inbox.message("Order 4471.");
        inbox.until(ExpectedConditions.stalenessOf(first));
        assertThat(browser.driver().findElement(announced).getAttribute("textContent"))
                .isEqualTo("New message from Bob Live");
    }

    /**
     * A read state the server computed before the customer's next message, answered after that message was counted
     * live, no longer takes the count back down: it is asked again, and the badge keeps both.
     */
    @Test
    void aReadStateAnsweredLateDoesNotUncountACustomersNewerMessage() {
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD);
        inbox.until(d -> "live".equals(inbox.connection()));
        inbox.holdAnswersMatching("/api/v1/read-state");
        shop.say("late-read-1", "Nora Late", "cust-nora-late", "First line");
        inbox.until(d -> inbox.answeredWhileHeld() == 1);
        shop.say("late-read-2", "Nora Late", "cust-nora-late", "Second line");
        inbox.until(d -> inbox.conversation("Nora Late").findElement(InboxPage.testId("unread-badge")).getText()
                .equals("2"));
        inbox.releaseHeld();
        inbox.until(d -> inbox.heldAnswers() == 1 && inbox.answeredWhileHeld() == 2);
        assertThat(inbox.conversation("Nora Late").findElement(InboxPage.testId("unread-badge")).getText())
                .as("while asked again").isEqualTo("2");
        inbox.releaseHeld();
        inbox.until(d -> inbox.heldAnswers() == 0);
        assertThat(inbox.conversation("Nora Late").findElement(InboxPage.testId("unread-badge")).getText())
                .isEqualTo("2");
    }

    /**
     * A row the page reads because an event named a conversation it did not hold (a resolved one the customer
     * reopened) takes in the row another event for it carries meanwhile (an assignment): the answer, computed
     * before that, showed it unassigned until the next change.
     */
    @Test
    void anEventWhileARowIsReadIsNotLostToThatRead() {
        long id = shop.say("row-read-1", "Rhea Row", "cust-rhea-row", "An old question").getLong("conversationId");
        admin.patch("/api/v1/conversations/" + id, new JsonObject().put("status", "resolved")).expect(200);
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD);
        inbox.until(d -> "live".equals(inbox.connection()));
        inbox.holdAnswersMatching("/api/v1/conversations/" + id + "$");
        shop.say("row-read-2", "Rhea Row", "cust-rhea-row", "Any news on it?");
        inbox.until(d -> inbox.answeredWhileHeld() == 1);
        admin.patch("/api/v1/conversations/" + id, new JsonObject().put("assigneeId", adminId)).expect(200);
        // A later event the page shows: the assignment's, before it in the stream, has been applied.
        shop.say("row-read-3", "Mark Later", "cust-mark-later", "Another customer");
        inbox.conversation("Mark Later");
        inbox.releaseHeld();
        inbox.until(d -> !inbox.conversation("Rhea Row").findElements(By.cssSelector(".assignee")).isEmpty());
    }

    /**
     * A message moved to another contact while its thread's page is being read stays out of that thread: the page,
     * read before the move, brought it back.
     */
    @Test
    void aMessageMovedWhileItsThreadLoadsStaysOut() {
        long thread = shop.say("move-load-1", "Mona Move", "cust-mona-move", "My first question")
                .getLong("conversationId");
        long wrong = shop.say("move-load-2", "Mona Move", "cust-mona-move", "Meant for another thread")
                .getLong("messageId");
        long other = shop.say("move-load-3", "Otto Owner", "cust-otto-owner", "My own question")
                .getLong("contactId");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD);
        inbox.until(d -> "live".equals(inbox.connection()));
        inbox.holdFirstAnswerMatching("/api/v1/conversations/" + thread + "/messages\\?");
        inbox.conversation("Mona Move").click();
        inbox.until(d -> inbox.answeredWhileHeld() == 1);
        admin.post("/api/v1/messages/" + wrong + "/move", new JsonObject().put("contactId", other)).expect(200);
        // A later event the page shows: the move's, before it in the stream, has been applied. Waited for without
        // a click: conversation() pages the list, and a click there as a row came live once opened another thread.
        shop.say("move-load-4", "Mark Marker", "cust-mark-marker", "Another customer");
        inbox.until(d -> inbox.conversationOrNull("Mark Marker") != null);
        inbox.releaseHeld();
        inbox.message("My first question");
        assertThat(inbox.all("message")).noneMatch(m -> m.getText().contains("Meant for another thread"));
    }

    /**
     * A customer message that comes while the agent watches the thread is not counted (it is about to be read);
     * the agent moving on before the read's delay left it neither read nor counted. It is counted then. The read's
     * timer is taken from the page and run after the move, as the delay's end would.
     */
    @Test
    void aMessageTheAgentMovedAwayFromBeforeItsReadIsCounted() {
        shop.say("passed-1", "Pia Passed", "cust-pia-passed", "First question");
        shop.say("passed-2", "Paul Next", "cust-paul-next", "Unrelated");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Pia Passed");
        inbox.until(d -> inbox.conversation("Pia Passed").findElements(InboxPage.testId("unread-badge")).isEmpty());
        // Each read's timer is kept, not started.
        inbox.script("""
                const real = window.setTimeout;
                window.readTimers = [];
                window.setTimeout = (fn, ms, ...args) => {
                  if (!String(fn).includes('readTimers')) return real(fn, ms, ...args);
                  window.readTimers.push(fn);
                  return 1e9 + window.readTimers.length;
                };""");
        shop.say("passed-3", "Pia Passed", "cust-pia-passed", "Are you there?");
        inbox.message("Are you there?");
        inbox.until(d -> ((Number) inbox.script("return window.readTimers.length")).intValue() > 0);
        // The latest one set for this thread (each message's arrival sets it again).
        inbox.script("window.piaTimer = window.readTimers[window.readTimers.length - 1]");
        inbox.open("Paul Next");
        inbox.script("window.piaTimer()");
        inbox.until(d -> inbox.conversation("Pia Passed").findElement(InboxPage.testId("unread-badge")).getText()
                .equals("1"));
    }

    /** The thread an agent left open when they went to settings is not in view: what comes meanwhile is unread. */
    @Test
    void aMessageThatComesWhileTheAgentIsInSettingsStaysUnread() {
        shop.say("away-1", "Ada Away", "cust-ada-away", "Is it in stock?");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Ada Away");
        inbox.until(d -> inbox.conversation("Ada Away").findElements(InboxPage.testId("unread-badge")).isEmpty());
        inbox.script("location.hash = '#/settings/canned'");
        inbox.until(d -> inbox.driver().findElements(By.cssSelector("tl-settings")).size() == 1);

        // The tab's title counts the conversations with unread messages (other tests' among them).
        int unread = unreadIn(inbox.driver().getTitle());
        shop.say("away-2", "Ada Away", "cust-ada-away", "Hello?");
        inbox.until(d -> unreadIn(d.getTitle()) == unread + 1);
        inbox.script("location.hash = '#/'");
        assertThat(inbox.conversation("Ada Away").findElement(InboxPage.testId("unread-badge")).getText())
                .isEqualTo("1");
    }

    private static int unreadIn(String title) {
        return title.startsWith("(") ? Integer.parseInt(title.substring(1, title.indexOf(')'))) : 0;
    }

    @Test
    void replyReachesTheCustomersSystemAndANoteNeverDoes() {
        long conversation = shop.say("reply-1", "Dana Reply", "cust-dana", "Can I change my address?")
                .getLong("conversationId");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Dana Reply");
        assertThat(inbox.find("reply-target").getText()).contains("cust-dana").contains("Shop");

        inbox.note("VIP customer, handle with care");
        assertThat(inbox.message("VIP customer").findElements(InboxPage.testId("note-badge"))).isNotEmpty();
        inbox.reply("Yes, reply with the new address.");

        await().atMost(Duration.ofSeconds(15)).until(() -> deliveredTo(shop.webhook(), "cust-dana") == 1);
        inbox.until(d -> "sent".equals(inbox.message("Yes, reply with the new address.")
                .findElement(InboxPage.testId("delivery")).getAttribute("data-status")));
        inbox.reply("Anything else?");
        await().atMost(Duration.ofSeconds(15)).until(() -> deliveredTo(shop.webhook(), "cust-dana") == 2);

        assertThat(shop.webhook().received()).noneMatch(r -> r.body().contains("VIP"));
        JsonArray thread = admin.get("/api/v1/conversations/" + conversation + "/messages").json()
                .getJsonArray("messages");
        JsonObject note = thread.stream().map(JsonObject.class::cast).filter(m -> "note".equals(m.getString("kind")))
                .findFirst().orElseThrow();
        assertThat(note.getValue("delivery")).isNull();
    }

    /**
     * A customer of a disabled API inbox (its shop's receiver down) is answered through it: the composer says the
     * reply waits, and it goes once the inbox is enabled.
     */
    @Test
    void aReplyThroughADisabledInboxSaysItWaits() {
        try (ShopSystem paused = ShopSystem.connect(server, "Paused shop")) {
            paused.say("paused-1", "Petra Paused", "cust-petra", "Is my refund on its way?");
            admin.patch("/api/v1/inboxes/" + paused.inboxId(), new JsonObject().put("enabled", false)).expect(200);
            inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Petra Paused");
            assertThat(inbox.find("reply-target").getText()).contains("cust-petra").contains("Paused shop");
            assertThat(inbox.find("reply-waits").getText())
                    .isEqualTo("Paused shop is disabled: the reply waits and goes once it is enabled again.");
            inbox.reply("The refund left today.");
            inbox.until(d -> "pending".equals(inbox.message("The refund left today.")
                    .findElement(InboxPage.testId("delivery")).getAttribute("data-status")));

            admin.patch("/api/v1/inboxes/" + paused.inboxId(), new JsonObject().put("enabled", true)).expect(200);
            await().atMost(Duration.ofSeconds(15)).until(() -> deliveredTo(paused.webhook(), "cust-petra") == 1);
            inbox.until(d -> "sent".equals(inbox.message("The refund left today.")
                    .findElement(InboxPage.testId("delivery")).getAttribute("data-status")));
        }
    }

    @Test
    void assignResolveSnoozeAndReopen() {
        long conversation = shop.say("state-1", "Erik State", "cust-erik", "My invoice is wrong")
                .getLong("conversationId");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Erik State");

        new Select(inbox.find("assignee-select")).selectByValue(String.valueOf(adminId));
        await().atMost(Duration.ofSeconds(10)).until(() -> Long.valueOf(adminId).equals(
                admin.get("/api/v1/conversations/" + conversation).json().getLong("assigneeId")));
        inbox.find("filter-me").click();
        inbox.conversation("Erik State");

        inbox.click("resolve");
        inbox.until(d -> inbox.find("thread-status").getText().contains("Resolved"));
        assertThat(status(conversation)).isEqualTo("resolved");
        inbox.until(d -> inbox.conversationOrNull("Erik State") == null);

        inbox.find("tab-resolved").click();
        inbox.conversation("Erik State");
        inbox.click("reopen");
        await().atMost(Duration.ofSeconds(10)).until(() -> "open".equals(status(conversation)));

        // The page's clock moves on 50 minutes with nothing on the page changing: "In 1 hour" counts from the click,
        // not from when the menu was drawn.
        inbox.script("const real = Date; const offset = 50 * 60_000; window.Date = class extends real {"
                + " constructor(...a) { super(...(a.length ? a : [real.now() + offset])); }"
                + " static now() { return real.now() + offset; } };");
        // Escape closes the menu, back on its button, and leaves the thread where it is.
        inbox.find("snooze-menu").click();
        inbox.all("snooze-option").getFirst().sendKeys(Keys.ESCAPE);
        inbox.until(d -> Boolean.FALSE.equals(inbox.script(
                "return document.querySelector('[data-testid=snooze-menu]').open")));
        assertThat(inbox.script("return document.activeElement.matches('[data-testid=snooze-menu] > summary')"))
                .isEqualTo(true);
        assertThat(inbox.find("composer-input").isDisplayed()).isTrue();
        inbox.find("snooze-menu").click();
        inbox.all("snooze-option").getFirst().click();
        await().atMost(Duration.ofSeconds(10)).until(() -> "snoozed".equals(status(conversation)));
        Instant until = Instant.parse(admin.get("/api/v1/conversations/" + conversation).json()
                .getString("snoozedUntil"));
        assertThat(until).isBetween(Instant.now().plus(Duration.ofMinutes(105)),
                Instant.now().plus(Duration.ofMinutes(115)));
        inbox.until(d -> inbox.find("thread-status").getText().contains("Snoozed"));

        new Select(inbox.find("priority-select")).selectByValue("high");
        // The header's controls wait while a change is being saved.
        WebElement label = inbox.until(d -> inbox.find("label-input").isEnabled() ? inbox.find("label-input") : null);
        label.sendKeys("billing", Keys.ENTER);
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            JsonObject row = admin.get("/api/v1/conversations/" + conversation).json();
            return "high".equals(row.getString("priority")) && row.getJsonArray("labels").contains("billing");
        });
        inbox.until(d -> inbox.find("label-input").getAttribute("value").isEmpty());

        // A label whose save is lost stays in the field, to be saved with another Enter.
        inbox.failFetches("init?.method === 'PATCH' && String(init.body).includes('addLabels')");
        inbox.until(d -> inbox.find("label-input").isEnabled() ? inbox.find("label-input") : null)
                .sendKeys("refund", Keys.ENTER);
        inbox.until(d -> inbox.all("toast").stream().anyMatch(t -> t.getText().contains("cannot be reached")));
        inbox.until(d -> inbox.find("label-input").isEnabled());
        assertThat(inbox.find("label-input").getAttribute("value")).isEqualTo("refund");
        inbox.restoreFetches();
        inbox.find("label-input").sendKeys(Keys.ENTER);
        await().atMost(Duration.ofSeconds(10)).until(() -> admin.get("/api/v1/conversations/" + conversation).json()
                .getJsonArray("labels").contains("refund"));
        inbox.until(d -> inbox.find("label-input").getAttribute("value").isEmpty());
    }

    /**
     * Resolve resolves what the agent read. While the page has not been told of a change (its event held back
     * behind a transaction still open), Resolve goes through over a reply of the agent's own but stops, with a
     * notice, at a customer message the page has not shown: the conversation stays open. Once the message is shown,
     * Resolve works.
     */
    @Test
    void resolveStopsAtACustomerMessageThePageHasNotShownYet() {
        long conversation = shop.say("unseen-1", "Ines Unseen", "cust-ines", "My order is late")
                .getLong("conversationId");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Ines Unseen");
        inbox.until(d -> "live".equals(inbox.connection()));

        HeldTransaction<Void> gap = holdTheFeed();
        admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject()
                .put("body", "Sorry, it ships today")).expect(201);
        inbox.click("resolve");
        await().atMost(Duration.ofSeconds(10)).until(() -> "resolved".equals(status(conversation)));
        gap.commit();
        inbox.until(d -> inbox.find("thread-status").getText().contains("Resolved"));
        inbox.click("reopen");
        await().atMost(Duration.ofSeconds(10)).until(() -> "open".equals(status(conversation)));
        inbox.until(d -> inbox.present("resolve"));

        gap = holdTheFeed();
        shop.say("unseen-2", "Ines Unseen", "cust-ines", "Wait, the address is wrong too");
        inbox.click("resolve");
        inbox.until(d -> inbox.all("toast").stream()
                .anyMatch(t -> t.getText().startsWith("The customer wrote again while you were reading")));
        assertThat(status(conversation)).isEqualTo("open");
        // Shown with the notice, though its event is still held: the next Resolve is made over what is on screen.
        inbox.message("Wait, the address is wrong too");
        gap.commit();
        inbox.click("resolve");
        await().atMost(Duration.ofSeconds(10)).until(() -> "resolved".equals(status(conversation)));
    }

    /**
     * Holds the realtime feed of every node: an event in another workspace whose transaction stays open, so the
     * events committed after it wait (up to {@code realtime.gapTimeout}, 30 s) until it commits.
     */
    private static HeldTransaction<Void> holdTheFeed() {
        long elsewhere = server.throughline().database().sql().one(
                "SELECT id FROM workspaces WHERE name = 'Feed holder'").map(r -> r.getLong("id"))
                .orElseGet(() -> server.throughline().workspaces().create("Feed holder", "holder@feed.test", "Holder",
                        "holder-password").workspaceId());
        return HeldTransaction.start(server.throughline().database(), tx -> {
            server.throughline().eventLog().append(tx, elsewhere, EventType.INBOX_CHANGED, new JsonObject());
            tx.rows("SELECT 1"); // the append is only sent: a later statement's answer means it has run
            return null;
        });
    }

    /**
     * Another agent signs in in another tab of this browser (their cookie replaces this tab's), and this tab's
     * stream drops and reconnects, with that cookie: it streamed the other agent's workspace into a page still
     * showing the first agent. The page starts over as the agent whose cookie it has.
     */
    @Test
    void aStreamThatReconnectsAsAnotherSignInStartsThePageOverAsThem() {
        admin.post("/api/v1/agents", new JsonObject().put("email", "sam.switch@test.local").put("name", "Sam Switch")
                .put("role", "agent").put("password", "sam-switch-password")).expect(201);
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD);
        inbox.until(d -> "live".equals(inbox.connection()));
        assertThat(inbox.find("me").getText()).doesNotContain("Sam Switch");
        inbox.markPageLoad();
        assertThat(inbox.signInElsewhere("sam.switch@test.local", "sam-switch-password")).isEqualTo(200L);

        // The stream drops, as at a deploy or a network blip.
        inbox.driver().executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                import('/app/store.js').then(({ store }) => { store.stream.socket.close(); done(); });""");
        inbox.untilStartedOverAs("Sam Switch");
    }

    /**
     * Another agent signs in in another tab of this browser, and this tab only reads (the agent opens a conversation
     * read before): the reads carried the other agent's cookie, and brought their workspace into a page still
     * showing the first agent. The page starts over as the agent whose cookie it has, as a write's check made it.
     */
    @Test
    void aReadAfterAnotherAgentSignsInElsewhereStartsThePageOverAsThem() {
        JsonObject said = shop.say("reader-1", "Rosa Reader", "cust-rosa-reader", "Is the blue one back?");
        // Read already: opening it writes nothing (a write would find the switch as it is).
        admin.post("/api/v1/conversations/" + said.getLong("conversationId") + "/read",
                new JsonObject().put("messageId", said.getLong("messageId"))).expect(200);
        admin.post("/api/v1/agents", new JsonObject().put("email", "rhea.read@test.local").put("name", "Rhea Read")
                .put("role", "agent").put("password", "rhea-read-password")).expect(201);
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD);
        WebElement row = inbox.conversation("Rosa Reader");
        inbox.markPageLoad();
        assertThat(inbox.signInElsewhere("rhea.read@test.local", "rhea-read-password")).isEqualTo(200L);

        row.click();
        inbox.untilStartedOverAs("Rhea Read");
    }

    /**
     * A sign-in in another tab replaces the browser's session cookie (and its CSRF cookie): this tab's writes go
     * with the new session's token, not the one it kept from its own login (every write was a 403 until a reload).
     */
    @Test
    void aSignInInAnotherTabLeavesThisTabsWritesWorking() {
        long conversation = shop.say("tabs-1", "Tanja Tabs", "cust-tanja", "Is my parcel insured?")
                .getLong("conversationId");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Tanja Tabs");
        assertThat(inbox.signInElsewhere(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD)).isEqualTo(200L);

        inbox.click("resolve");
        await().atMost(Duration.ofSeconds(10)).until(() -> "resolved".equals(status(conversation)));
    }

    /**
     * A sign-in as another agent in another tab: this tab's screen is the first agent's, so its next write does not
     * go out as the second one; the page starts over as whoever the browser is signed in as now.
     */
    @Test
    void aSignInAsAnotherAgentInAnotherTabStartsThisTabOverAsThem() {
        admin.post("/api/v1/agents", new JsonObject().put("email", "uma@test.local").put("name", "Uma Other")
                .put("role", "agent").put("password", "uma-password-123")).expect(201);
        long conversation = shop.say("tabs-2", "Ulla Tabs", "cust-ulla", "Can I change my address?")
                .getLong("conversationId");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Ulla Tabs");
        inbox.until(d -> inbox.find("resolve").isEnabled());
        // Resolve is clicked as soon as the other sign-in answers, before any write of the page's own (a read
        // mark) could find the switch first and start the page over, where a click would be Uma's own.
        Object status = inbox.driver().executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                fetch('/api/v1/auth/login', {method: 'POST', headers: {'Content-Type': 'application/json'},
                  body: JSON.stringify({email: 'uma@test.local', password: 'uma-password-123'})})
                  .then((r) => {
                    document.querySelector('[data-testid=resolve]').click();
                    done(r.status);
                  });""");
        assertThat(status).isEqualTo(200L);

        inbox.until(d -> inbox.find("me").getText().contains("Uma Other"));
        assertThat(status(conversation)).as("not resolved by Uma from Admin's screen").isEqualTo("open");
    }

    /** Paging through with j reads what stays on screen for the read delay, not each conversation it passes. */
    @Test
    void pagingThroughWithJLeavesWhatItPassedUnread() {
        long first = shop.say("paging-1", "Paula Paged", "cust-paula-paged", "First question")
                .getLong("conversationId");
        long second = shop.say("paging-2", "Pavel Paged", "cust-pavel-paged", "Second question")
                .getLong("conversationId");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD);
        inbox.conversation("Pavel Paged");
        // The read delay's timers are held, to run when the test says: as if j came within the delay.
        inbox.script("window.heldReads = []; window.realSetTimeout = window.setTimeout; window.setTimeout ="
                + " (f, ms, ...a) => String(f).includes('/read`') ? (window.heldReads.push(f), 0)"
                + " : window.realSetTimeout(f, ms, ...a);");
        inbox.press("j");
        inbox.until(d -> d.getCurrentUrl().endsWith("#/c/" + second));
        inbox.until(d -> ((Number) inbox.script("return window.heldReads.length")).intValue() > 0);
        inbox.press("j");
        inbox.until(d -> d.getCurrentUrl().endsWith("#/c/" + first));
        inbox.script("window.setTimeout = window.realSetTimeout; window.heldReads.splice(0).forEach((f) => f());");

        await().atMost(Duration.ofSeconds(10)).until(() -> readState(first).getLong("unread") == 0);
        assertThat(readState(second).getLong("unread")).as("passed within the delay").isEqualTo(1);
    }

    private static JsonObject readState(long conversation) {
        return admin.get("/api/v1/read-state?conversations=" + conversation).expect(200).json()
                .getJsonArray("readState").getJsonObject(0);
    }

    @Test
    void keyboardShortcutsDriveTheInbox() {
        long first = shop.say("keys-1", "Kira Keys", "cust-kira", "First question").getLong("conversationId");
        long second = shop.say("keys-2", "Karl Keys", "cust-karl", "Second question").getLong("conversationId");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD);
        inbox.conversation("Kira Keys");

        inbox.press("j");
        inbox.until(d -> d.getCurrentUrl().endsWith("#/c/" + second));
        inbox.press("j");
        inbox.until(d -> d.getCurrentUrl().endsWith("#/c/" + first));
        inbox.press("k");
        inbox.until(d -> d.getCurrentUrl().endsWith("#/c/" + second));
        inbox.until(d -> inbox.find("thread-contact-name").getText().equals("Karl Keys"));

        inbox.press("a");
        await().atMost(Duration.ofSeconds(10)).until(() -> Long.valueOf(adminId).equals(
                admin.get("/api/v1/conversations/" + second).json().getLong("assigneeId")));

        inbox.press("n");
        inbox.until(d -> "true".equals(inbox.find("mode-note").getAttribute("aria-pressed")));
        assertThat(inbox.script("return document.activeElement.dataset.testid")).isEqualTo("composer-input");
        inbox.press("r");
        inbox.until(d -> "true".equals(inbox.find("mode-reply").getAttribute("aria-pressed")));
        inbox.find("composer-input").sendKeys("Typing j and k here moves nothing");
        assertThat(inbox.driver().getCurrentUrl()).endsWith("#/c/" + second);

        // A newer conversation on top: the one being resolved is in the middle of the list now.
        shop.say("keys-3", "Kurt Keys", "cust-kurt", "Third question");
        inbox.conversation("Kurt Keys");
        @SuppressWarnings("unchecked")
        List<Object> rows = (List<Object>) inbox.script("return [...document.querySelectorAll("
                + "'[data-conversation-id]')].map((e) => e.dataset.conversationId)");
        int at = rows.indexOf(String.valueOf(second));
        String below = String.valueOf(rows.get(at + 1 < rows.size() ? at + 1 : at - 1));
        inbox.press("e");
        await().atMost(Duration.ofSeconds(10)).until(() -> "resolved".equals(status(second)));
        inbox.until(d -> inbox.conversationOrNull("Karl Keys") == null);
        // Resolve, then next: the row below the resolved one, not the top of the list.
        inbox.press("j");
        inbox.until(d -> d.getCurrentUrl().endsWith("#/c/" + below));

        // The skip link moves focus to the conversation and leaves it open.
        inbox.script("document.querySelector('.skip-link').click()");
        assertThat(inbox.script("return document.activeElement.id")).isEqualTo("main");
        assertThat(inbox.driver().getCurrentUrl()).endsWith("#/c/" + below);

        // On a Ukrainian or Russian layout, k types "л": the key's place counts.
        inbox.script("document.body.dispatchEvent(new KeyboardEvent('keydown',"
                + " {key: '\u043b', code: 'KeyK', bubbles: true}))");
        inbox.until(d -> !d.getCurrentUrl().endsWith("#/c/" + below));

        // In settings, j moves nothing (it would leave an unsaved form).
        inbox.script("location.hash = '#/settings/agents'");
        inbox.until(d -> d.findElements(By.cssSelector("tl-settings-agents")).size() == 1);
        inbox.script("document.body.dispatchEvent(new KeyboardEvent('keydown', {key: 'j', code: 'KeyJ',"
                + " bubbles: true}))");
        assertThat(inbox.driver().getCurrentUrl()).endsWith("#/settings/agents");
        inbox.script("location.hash = '#/c/" + below + "'");

        inbox.press("?");
        inbox.until(d -> inbox.find("shortcuts-help").isDisplayed());
        assertThat(inbox.find("shortcuts-help").getText()).contains("Assign to me");
        inbox.press(Keys.ESCAPE);
        inbox.until(d -> !inbox.find("shortcuts-help").isDisplayed());

        inbox.press("/");
        assertThat(inbox.script("return document.activeElement.dataset.testid")).isEqualTo("search-input");
    }

    /**
     * A reply waiting without spending attempts (here an API inbox with no webhook URL yet) says why, where the agent
     * can act on it, instead of "Sending…" for as long as it waits.
     */
    @Test
    void aReplyThatWaitsShowsWhy() {
        ApiInbox hookless = ApiInbox.create(admin, "Hookless shop", null);
        hookless.say("hookless-1", "cust-hugo", "Hugo Hookless", "Any news on my order?");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Hugo Hookless");
        inbox.reply("It ships tomorrow.");
        WebElement reason = inbox.until(d -> inbox.message("It ships tomorrow.").findElements(
                InboxPage.testId("delivery-error")).stream().filter(e -> e.getText().contains("webhookUrl"))
                .findFirst().orElse(null));
        assertThat(inbox.message("It ships tomorrow.").findElement(InboxPage.testId("delivery"))
                .getAttribute("data-status")).isEqualTo("pending");
        assertThat(reason.getText()).contains("no webhookUrl");
    }

    /**
     * A failure of the agent's reply and a customer's message that reach the timeline in one update (a catch-up
     * after a drop brings both) are both said: the customer's no longer replaces the failure. The update is made
     * in the page, from the thread's own messages, since the stream's timing decides when two events share one.
     */
    @Test
    void aFailedReplyAndACustomerMessageInOneUpdateAreBothSaid() {
        shop.say("both-1", "Bea Both", "cust-bea", "Where is my parcel?");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Bea Both");
        inbox.reply("It left the depot today.");
        inbox.until(d -> "sent".equals(inbox.message("It left the depot today.").findElement(InboxPage.testId(
                "delivery")).getAttribute("data-status")));
        inbox.script("""
                const timeline = document.querySelector('tl-timeline');
                const thread = timeline.thread;
                const reply = thread.messages.find((m) => m.kind === 'out');
                const customer = thread.messages.find((m) => m.kind === 'in');
                timeline.thread = { ...thread, messages: [...thread.messages,
                  { ...reply, id: reply.id + 1000, delivery: { ...reply.delivery, status: 'failed', attempts: 1 } },
                  { ...customer, id: reply.id + 1001 }] };""");
        inbox.until(d -> {
            String said = String.valueOf(inbox.find("timeline-status").getDomProperty("textContent"));
            return said.contains("Your reply could not be delivered") && said.contains("New message from Bea Both");
        });
    }

    @Test
    void failedDeliveryShowsTheReasonAndRetrySendsIt() {
        try (ShopSystem flaky = ShopSystem.connect(server, "Flaky shop")) {
            flaky.say("flaky-1", "Fiona Flaky", "cust-fiona", "Refund please");
            flaky.webhook().respondWith(422);
            inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Fiona Flaky");
            inbox.reply("Refund issued.");
            WebElement delivery = inbox.until(d -> {
                WebElement status = inbox.message("Refund issued.").findElement(InboxPage.testId("delivery"));
                return "failed".equals(status.getAttribute("data-status")) ? status : null;
            });
            assertThat(delivery.findElement(InboxPage.testId("delivery-error")).getText()).contains("422");
            // The agent who cannot see the mark hears it.
            inbox.until(d -> inbox.find("timeline-status").getDomProperty("textContent")
                    .contains("Your reply could not be delivered"));

            flaky.webhook().respondWith(200);
            delivery.findElement(InboxPage.testId("retry")).click();
            inbox.until(d -> "sent".equals(inbox.message("Refund issued.").findElement(InboxPage.testId("delivery"))
                    .getAttribute("data-status")));
            assertThat(flaky.webhook().received()).hasSize(2);
        }
    }

    /**
     * The server unreachable while a conversation opens: the thread and the reply's target say so in the agent's
     * words (not "network"), each with a retry that works once the server answers again.
     */
    @Test
    void partsThatCouldNotLoadSaySoInTheAgentsWordsAndLoadOnRetry() {
        shop.say("gap-1", "Greta Gap", "cust-greta", "Is the blue kettle back in stock?");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD);
        inbox.conversation("Greta Gap");
        inbox.failFetches("/\\/conversations\\/\\d+\\/(messages|reply-options)/.test(url)");
        inbox.conversation("Greta Gap").click();
        String network = "The server cannot be reached. Check the connection and try again.";
        WebElement timeline = inbox.until(d -> d.findElement(By.cssSelector("tl-timeline [role=alert]")));
        assertThat(timeline.getText()).startsWith(network);
        WebElement target = inbox.find("reply-options-error");
        assertThat(target.getText()).startsWith(network);

        inbox.restoreFetches();
        timeline.findElement(By.tagName("button")).click();
        inbox.message("Is the blue kettle back in stock?");
        inbox.click("reply-options-retry");
        inbox.find("reply-target-box");
        inbox.reply("Yes, since this morning.");
        inbox.until(d -> "sent".equals(inbox.message("Yes, since this morning.").findElement(InboxPage.testId(
                "delivery")).getAttribute("data-status")));
    }

    /** A reply still going out in one conversation does not hold the composer of the next the agent opens. */
    @Test
    void aSendStillGoingOutInOneConversationDoesNotHoldTheNextOnesComposer() {
        shop.say("hold-1", "Hana Hold", "cust-hana", "Can I change my delivery address?");
        shop.say("free-1", "Fred Free", "cust-fred", "Do you gift-wrap?");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Hana Hold");
        inbox.gateFetches("init?.method === 'POST' && /\\/messages$/.test(url)", false);
        inbox.click("mode-reply");
        inbox.find("composer-input").sendKeys("Yes: send us the new address.");
        inbox.click("send-button");
        inbox.until(d -> inbox.find("send-button").getText().contains("Sending"));

        inbox.open("Fred Free");
        inbox.reply("Yes, for free.");
        inbox.releaseGate();
        inbox.open("Hana Hold");
        inbox.message("Yes: send us the new address.");
        inbox.until(d -> shop.webhook().received().stream().map(r -> new JsonObject(r.body())
                .getJsonObject("message").getString("body")).toList()
                .containsAll(List.of("Yes, for free.", "Yes: send us the new address.")));
    }

    /** A send confirmed after the agent moved to another field leaves the focus there, not in the composer. */
    @Test
    void aConfirmedSendLeavesTheFocusWhereTheAgentWent() {
        shop.say("focus-send-1", "Fiona Focus", "cust-fiona-focus", "Do you ship to Norway?");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Fiona Focus");
        inbox.gateFetches("init?.method === 'POST' && /\\/messages$/.test(url)", false);
        inbox.click("mode-reply");
        inbox.find("composer-input").sendKeys("Yes, we do.");
        inbox.click("send-button");
        inbox.until(d -> inbox.find("send-button").getText().contains("Sending"));
        inbox.find("search-input").click();
        inbox.releaseGate();
        inbox.message("Yes, we do.");
        inbox.until(d -> !inbox.find("send-button").getText().contains("Sending"));
        assertThat(inbox.script("return document.activeElement.id")).isEqualTo("search-input");

        // Esc leaves the focus on the page, for the shortcuts: a send confirmed after it leaves it there too.
        inbox.gateFetches("init?.method === 'POST' && /\\/messages$/.test(url)", false);
        inbox.find("composer-input").sendKeys("And to Sweden.", Keys.ENTER);
        inbox.until(d -> inbox.find("send-button").getText().contains("Sending"));
        inbox.find("composer-input").sendKeys(Keys.ESCAPE);
        inbox.until(d -> inbox.script("return document.activeElement === document.body").equals(true));
        inbox.releaseGate();
        inbox.message("And to Sweden.");
        inbox.until(d -> !inbox.find("send-button").getText().contains("Sending"));
        assertThat(inbox.script("return document.activeElement === document.body")).isEqualTo(true);
    }

    /**
     * A reply whose send fails after its thread view went (Settings opened meanwhile) is reported, not set as an
     * error on a composer nobody sees; it waits in its conversation's draft. Its confirmation, had it come, gives the
     * focus back to no composer either.
     */
    @Test
    void aSendFailingAfterTheThreadViewWentIsReported() {
        shop.say("gone-1", "Gina Gone", "cust-gina-gone", "Is my order on its way?");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Gina Gone");
        inbox.gateFetches("init?.method === 'POST' && /\\/messages$/.test(url)", true);
        inbox.click("mode-reply");
        inbox.find("composer-input").sendKeys("It left this morning.");
        inbox.click("send-button");
        inbox.until(d -> inbox.find("send-button").getText().contains("Sending"));
        inbox.click("settings-link");
        inbox.until(d -> !inbox.present("composer"));
        inbox.releaseGate();
        inbox.until(d -> inbox.all("toast").stream().anyMatch(t -> t.getText().contains("waits as a draft")));
        inbox.restoreFetches();
        inbox.script("history.back()");
        inbox.until(d -> inbox.find("composer-input").getAttribute("value").equals("It left this morning."));
    }

    /**
     * The list says "You:" only before the signed-in agent's own replies: a colleague's last reply is named, in the
     * list as loaded and as it changes live.
     */
    @Test
    void theListSaysWhoSentTheLastReply() {
        long theirs = shop.say("replier-1", "Rita Replies", "cust-rita-replies", "Is the blue one in stock?")
                .getLong("conversationId");
        long mine = shop.say("replier-2", "Ross Replies", "cust-ross-replies", "Can I pay by card?")
                .getLong("conversationId");
        admin.post("/api/v1/agents", new JsonObject().put("email", "pavlo@test.local").put("name", "Pavlo Colleague")
                .put("password", "pavlo-password-123")).expect(201);
        ApiClient pavlo = server.anonymous().login("pavlo@test.local", "pavlo-password-123");
        pavlo.post("/api/v1/conversations/" + theirs + "/messages", new JsonObject().put("body", "Two left."))
                .expect(201);
        admin.post("/api/v1/conversations/" + mine + "/messages", new JsonObject().put("body", "Yes, any card."))
                .expect(201);

        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD);
        inbox.until(d -> preview("Rita Replies").equals("Pavlo Colleague: Two left."));
        assertThat(preview("Ross Replies")).isEqualTo("You: Yes, any card.");
        pavlo.post("/api/v1/conversations/" + mine + "/messages", new JsonObject().put("body", "Visa too."))
                .expect(201);
        inbox.until(d -> preview("Ross Replies").equals("Pavlo Colleague: Visa too."));
    }

    private String preview(String contact) {
        return inbox.conversation(contact).findElement(InboxPage.testId("conversation-preview")).getText();
    }

    /** A colleague writing a reply shows on the conversation's row and in its thread, named. */
    @Test
    void aColleagueWritingAReplyShowsOnTheRowAndInTheThread() {
        long conversation = shop.say("typing-1", "Tara Typing", "cust-tara", "Are you open on Sunday?")
                .getLong("conversationId");
        admin.post("/api/v1/agents", new JsonObject().put("email", "olha@test.local").put("name", "Olha")
                .put("password", "olha-password-123")).expect(201);
        ApiClient olha = server.anonymous().login("olha@test.local", "olha-password-123");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Tara Typing");
        olha.post("/api/v1/conversations/" + conversation + "/typing", new JsonObject().put("typing", true))
                .expect(204);
        // Both at once: a signal lapses 6 s after it came.
        inbox.until(d -> inbox.conversation("Tara Typing").getText().contains("Olha is writing a reply")
                && inbox.find("typing-indicator").getText().contains("Olha is writing a reply"));
    }

    /** Typing a reply tells colleagues on every channel (an API channel's here), not only where a visitor sees it. */
    @Test
    void typingAReplyInAnyChannelTellsColleagues() {
        long conversation = shop.say("typing-2", "Tom Typed", "cust-tom-typed", "Has my order shipped?")
                .getLong("conversationId");
        admin.post("/api/v1/agents", new JsonObject().put("email", "tess-typing@test.local").put("name", "Tess")
                .put("password", "tess-password-123")).expect(201);
        ApiClient tess = server.anonymous().login("tess-typing@test.local", "tess-password-123");
        try (StreamClient colleague = StreamClient.connect(tess, null)) {
            inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Tom Typed");
            inbox.find("composer-input").sendKeys("Let me check the warehouse");
            JsonObject typing = colleague.next(f -> EventType.AGENT_TYPING.equals(f.getString("type"))
                    && f.getJsonObject("data").getLong("conversationId") == conversation, Duration.ofSeconds(10))
                    .getJsonObject("data");
            assertThat(typing.getJsonObject("agent").getLong("id"))
                    .isEqualTo(admin.get("/api/v1/auth/me").expect(200).json().getLong("agentId"));
            assertThat(typing.getValue("visitorId")).isNull();
        }
    }

    /**
     * Another agent's label that this browser has not heard of yet (written here straight to the database, so no
     * event tells the page) survives a label added and one removed in the browser: the page sends what it changes,
     * not the list it shows.
     */
    @Test
    void labelsChangedInTheBrowserKeepALabelItHasNotSeenYet() {
        long conversation = shop.say("labels-1", "Lena Labels", "cust-lena", "Two of you are labelling me.")
                .getLong("conversationId");
        admin.patch("/api/v1/conversations/" + conversation, new JsonObject()
                .put("labels", new JsonArray().add("old"))).expect(200);
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Lena Labels");
        inbox.until(d -> inbox.all("label").stream().anyMatch(l -> l.getText().contains("old")));
        server.throughline().database().sql().update(
                "UPDATE conversations SET labels = labels || '{unseen}' WHERE id = $1", conversation);

        inbox.until(d -> inbox.find("label-input").isEnabled() ? inbox.find("label-input") : null)
                .sendKeys("mine", Keys.ENTER);
        await().atMost(Duration.ofSeconds(10)).until(() -> labels(conversation).contains("mine"));
        assertThat(labels(conversation)).containsExactly("old", "unseen", "mine");
        // The answer brought the other agent's label to the page, which can remove its own as well.
        inbox.until(d -> inbox.all("label").stream().anyMatch(l -> l.getText().contains("unseen")));
        server.throughline().database().sql().update(
                "UPDATE conversations SET labels = labels || '{later}' WHERE id = $1", conversation);
        inbox.all("label").stream().filter(l -> l.getText().contains("old")).findFirst().orElseThrow()
                .findElement(By.cssSelector("button")).click();
        await().atMost(Duration.ofSeconds(10)).until(() -> !labels(conversation).contains("old"));
        assertThat(labels(conversation)).containsExactly("unseen", "mine", "later");

        // A label half typed here does not follow the agent to the next conversation, where Enter would add it.
        shop.say("labels-2", "Lars Labels", "cust-lars", "Another question.");
        inbox.find("label-input").sendKeys("half");
        inbox.open("Lars Labels");
        inbox.until(d -> inbox.find("thread-contact-name").getText().equals("Lars Labels"));
        assertThat(inbox.find("label-input").getDomProperty("value")).isEmpty();
    }

    private List<Object> labels(long conversation) {
        return admin.get("/api/v1/conversations/" + conversation).json().getJsonArray("labels").getList();
    }

    /** By keyboard, focus stays where the agent works: on the control that replaced the one used, or on it. */
    @Test
    void headerActionsByKeyboardKeepTheFocusInTheHeader() {
        long conversation = shop.say("focus-1", "Fay Focus", "cust-fay-focus", "Keyboard only, please.")
                .getLong("conversationId");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Fay Focus");
        inbox.until(d -> inbox.find("resolve").isEnabled());
        inbox.find("resolve").sendKeys(Keys.ENTER);
        inbox.until(d -> "reopen".equals(focusedTestId()));
        assertThat(status(conversation)).isEqualTo("resolved");
        inbox.find("reopen").sendKeys(Keys.ENTER);
        inbox.until(d -> "resolve".equals(focusedTestId()));
        assertThat(status(conversation)).isEqualTo("open");

        inbox.find("label-input").sendKeys("keyboard", Keys.ENTER);
        inbox.until(d -> admin.get("/api/v1/conversations/" + conversation).json().getJsonArray("labels")
                .contains("keyboard"));
        inbox.until(d -> "label-input".equals(focusedTestId()) && inbox.find("label-input").isEnabled());
    }

    /** A change still saving in one conversation does not hold the header of the next the agent opens. */
    @Test
    void aChangeStillSavingInOneConversationDoesNotHoldTheNextOnesHeader() {
        long slow = shop.say("slow-h-1", "Sid Slow", "cust-sid", "First question").getLong("conversationId");
        long quick = shop.say("quick-h-1", "Quinn Quick", "cust-quinn", "Second question").getLong("conversationId");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Sid Slow");
        inbox.gateFetches("init?.method === 'PATCH' && url.endsWith('/conversations/" + slow + "')", false);
        inbox.click("resolve");
        inbox.until(d -> !inbox.find("resolve").isEnabled());

        inbox.open("Quinn Quick");
        inbox.click("resolve");
        await().atMost(Duration.ofSeconds(10)).until(() -> "resolved".equals(status(quick)));
        assertThat(status(slow)).isEqualTo("open");
        inbox.releaseGate();
        await().atMost(Duration.ofSeconds(10)).until(() -> "resolved".equals(status(slow)));
    }

    private String focusedTestId() {
        return (String) inbox.script("return document.activeElement && document.activeElement.dataset.testid");
    }

    @Test
    void cannedResponseIsInsertedWithSlashAndFilled() {
        admin.post("/api/v1/canned-responses", new JsonObject().put("shortCode", "thanks")
                .put("title", "Thanks").put("body", "Thank you, {{contact.first_name}}! {{agent.name}} here."))
                .expect(201);
        shop.say("canned-1", "Carla Gomez", "cust-carla", "Hi there");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Carla Gomez");
        WebElement input = inbox.find("composer-input");
        input.sendKeys("/zzqx");
        // The reply box is a text box: the list's state is said in a status region, not by aria-expanded.
        inbox.until(d -> "No canned response matches.".equals(cannedStatus()));
        input.sendKeys(Keys.BACK_SPACE, Keys.BACK_SPACE, Keys.BACK_SPACE, Keys.BACK_SPACE, "tha");
        inbox.until(d -> inbox.all("canned-option").stream().anyMatch(o -> o.getText().contains("/thanks")));
        inbox.until(d -> cannedStatus().endsWith("arrow keys choose, Enter inserts"));
        assertThat(input.getDomAttribute("aria-expanded")).isNull();
        assertThat(input.getDomAttribute("aria-controls")).isEqualTo("canned-picker");
        WebElement chosen = inbox.find("canned-picker").findElement(By.cssSelector("[aria-selected='true']"));
        assertThat(input.getDomAttribute("aria-activedescendant")).isEqualTo(chosen.getDomAttribute("id"));
        input.sendKeys(Keys.ENTER);
        inbox.until(d -> input.getAttribute("value").equals("Thank you, Carla! Admin here."));
        assertThat(inbox.present("canned-picker")).isFalse();
        assertThat(cannedStatus()).isEmpty();
        assertThat(input.getDomAttribute("aria-controls")).isNull();
        assertThat(input.getDomAttribute("aria-activedescendant")).isNull();
    }

    private String cannedStatus() {
        return inbox.find("canned-status").getDomProperty("textContent").strip();
    }

    /**
     * Enter pressed before the picker's list for what was typed arrived picks from that list once it is there:
     * it sent the short code itself to the customer, which no one can take back.
     */
    @Test
    void aShortCodeTypedFasterThanTheListLoadsIsInsertedNotSent() {
        admin.post("/api/v1/canned-responses", new JsonObject().put("shortCode", "refundnow")
                .put("title", "Refund").put("body", "Refunds take 5 days, {{contact.first_name}}.")).expect(201);
        long conversation = shop.say("canned-3", "Rita Rapid", "cust-rita", "Refund?").getLong("conversationId");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Rita Rapid");
        // The list's answer is held until the test lets it through.
        inbox.holdAnswers("/api/v1/canned-responses");
        WebElement input = inbox.find("composer-input");
        input.sendKeys("/refundnow");
        input.sendKeys(Keys.ENTER);
        inbox.until(d -> inbox.heldAnswers() > 0);
        assertThat(input.getAttribute("value")).isEqualTo("/refundnow");
        assertThat(inbox.heldAnswers()).as("one request for the whole short code").isEqualTo(1);

        inbox.releaseHeld();
        inbox.until(d -> input.getAttribute("value").equals("Refunds take 5 days, Rita."));
        assertThat(storedReplies(conversation, "/refundnow")).isZero();
    }

    /**
     * Enter while the list loads, for a slash that matches no short code: what was typed was a message, and is sent,
     * even when a response's text mentions the word (never inserted unseen).
     */
    @Test
    void aSlashMatchingNoShortCodeIsSentOnceTheListSaysSo() {
        admin.post("/api/v1/canned-responses", new JsonObject().put("shortCode", "pwreset").put("title", "Password")
                .put("body", "Reset it under Settings, then Nosuchcode.")).expect(201);
        long conversation = shop.say("canned-4", "Sasha Slash", "cust-sasha", "Docs?").getLong("conversationId");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Sasha Slash");
        inbox.holdAnswers("/api/v1/canned-responses");
        WebElement input = inbox.find("composer-input");
        input.sendKeys("See /nosuchcode");
        input.sendKeys(Keys.ENTER);
        inbox.until(d -> inbox.heldAnswers() > 0);
        inbox.releaseHeld();
        inbox.message("See /nosuchcode");
        await().atMost(Duration.ofSeconds(10)).until(() -> storedReplies(conversation, "See /nosuchcode") == 1);
    }

    @Test
    void theNextAgentSignedInInTheSameTabSeesOnlyTheirOwnWorkspacesCannedResponses() {
        admin.post("/api/v1/canned-responses", new JsonObject().put("shortCode", "shopsecret")
                .put("title", "Shop only").put("body", "Our supplier discount code is SHOP-77.")).expect(201);
        long globexWorkspace = server.throughline().workspaces().create("Globex", "boss@globex.test", "Boss",
                "globex-password").workspaceId();
        ApiClient globex = server.anonymous().login("boss@globex.test", "globex-password");
        globex.post("/api/v1/canned-responses", new JsonObject().put("shortCode", "globexhello")
                .put("title", "Globex hello").put("body", "Hello from Globex!")).expect(201);
        long globexInbox = globex.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", "Globex"))
                .expect(201).json().getLong("id");
        server.throughline().ingest().accept(new InboxRef(globexInbox, globexWorkspace, "api", "Globex"),
                InboundMessage.builder("globex-1", Sender.of("Gina Globex",
                        Identity.proven(IdentityKind.EXTERNAL_ID, "cust-gina"))).text("Hello Globex").build());
        shop.say("canned-2", "Sven Shop", "cust-sven", "Hello Shop");

        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Sven Shop");
        inbox.find("composer-input").sendKeys("/");
        inbox.until(d -> inbox.all("canned-option").stream().anyMatch(o -> o.getText().contains("/shopsecret")));
        inbox.find("logout").click();

        inbox.signInHere("boss@globex.test", "globex-password");
        inbox.until(d -> !d.findElements(By.tagName("tl-inbox-filters")).isEmpty());
        inbox.open("Gina Globex");
        inbox.find("composer-input").sendKeys("/");
        inbox.until(d -> inbox.all("canned-option").stream().anyMatch(o -> o.getText().contains("/globexhello")));
        assertThat(inbox.all("canned-option")).noneMatch(o -> o.getText().contains("/shopsecret"));
    }

    /**
     * An answer still on its way when the agent signs out never reaches the next agent's session in this tab:
     * the list it held (another workspace's rows) showed until the next one's list arrived.
     */
    @Test
    void aListStillLoadingAtSignOutNeverShowsInTheNextSession() {
        long initech = server.throughline().workspaces().create("Initech", "chief@initech.test", "Chief",
                "initech-password").workspaceId();
        ApiClient chief = server.anonymous().login("chief@initech.test", "initech-password");
        long initechInbox = chief.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", "Initech"))
                .expect(201).json().getLong("id");
        server.throughline().ingest().accept(new InboxRef(initechInbox, initech, "api", "Initech"),
                InboundMessage.builder("initech-1", Sender.of("Ian Initech",
                        Identity.proven(IdentityKind.EXTERNAL_ID, "cust-ian"))).text("Hello Initech").build());
        shop.say("stale-1", "Vera Stale", "cust-vera-stale", "A message of the first workspace");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD);
        inbox.conversation("Vera Stale");

        inbox.holdAnswers("/api/v1/conversations?");
        inbox.find("tab-resolved").click();
        inbox.find("tab-open").click();
        inbox.until(d -> inbox.heldAnswers() == 2);
        inbox.find("logout").click();
        inbox.find("login-email");
        inbox.releaseHeld();

        inbox.signInHere("chief@initech.test", "initech-password");
        inbox.until(d -> inbox.heldAnswers() > 0);
        assertThat(inbox.conversationOrNull("Vera Stale")).as("the first workspace's row").isNull();
        inbox.releaseHeld();
        inbox.conversation("Ian Initech");
        assertThat(inbox.conversationOrNull("Vera Stale")).isNull();
    }

    @Test
    void draftSurvivesAReloadAndADoubleClickSendsOnce() {
        long conversation = shop.say("draft-1", "Dmytro Draft", "cust-dmytro", "Is it in stock?")
                .getLong("conversationId");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Dmytro Draft");
        inbox.find("composer-input").sendKeys("Yes, 3 left in Kyiv.");
        inbox.until(d -> inbox.script("return Object.keys(localStorage).find(k => k.startsWith('tl.draft.'))") != null);
        inbox.driver().navigate().refresh();
        inbox.until(d -> "Yes, 3 left in Kyiv.".equals(inbox.find("composer-input").getAttribute("value")));

        inbox.script("const b = arguments[0]; b.click(); b.click();", inbox.find("send-button"));
        inbox.message("Yes, 3 left in Kyiv.");
        await().atMost(Duration.ofSeconds(15)).until(() -> deliveredTo(shop.webhook(), "cust-dmytro") == 1);
        long stored = admin.get("/api/v1/conversations/" + conversation + "/messages").json()
                .getJsonArray("messages").stream().map(JsonObject.class::cast)
                .filter(m -> "Yes, 3 left in Kyiv.".equals(m.getString("body"))).count();
        assertThat(stored).isEqualTo(1);
        assertThat(inbox.all("message").stream().filter(m -> m.getText().contains("3 left in Kyiv"))).hasSize(1);
        inbox.driver().navigate().refresh();
        inbox.until(d -> inbox.find("composer-input").getAttribute("value").isEmpty());
    }

    @Test
    void aReplyWhoseAnswerWasLostIsSentAgainOnceAndWhatWasTypedMeanwhileStays() {
        long conversation = shop.say("lost-1", "Lesia Lost", "cust-lesia", "Do you ship to Lviv?")
                .getLong("conversationId");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Lesia Lost");
        // The network drops the answer of the first send: the server stores the reply, the page hears nothing
        // until the test lets the request fail.
        inbox.script("""
                const real = window.fetch;
                window.lostAnswers = [];
                window.fetch = (url, init) => {
                  if (init && init.method === 'POST' && String(url).endsWith('/messages') && !window.dropped) {
                    window.dropped = true;
                    return real(url, init).then(() => new Promise((resolve, reject) =>
                      window.lostAnswers.push(() => reject(new TypeError('Failed to fetch')))));
                  }
                  return real(url, init);
                };""");
        inbox.find("composer-input").sendKeys("Yes, in two days.");
        inbox.find("send-button").click();
        await().atMost(Duration.ofSeconds(15)).until(() -> storedReplies(conversation, "Yes, in two days.") == 1
                && Long.valueOf(1).equals(inbox.script("return window.lostAnswers.length")));
        inbox.find("composer-input").sendKeys(" Shipping is free.");
        inbox.script("window.lostAnswers.shift()()");
        inbox.until(d -> inbox.find("composer-error").getText().startsWith("Not confirmed"));

        inbox.find("send-button").click();
        inbox.until(d -> "Shipping is free.".equals(inbox.find("composer-input").getAttribute("value")));
        assertThat(inbox.present("composer-error")).isFalse();
        assertThat(storedReplies(conversation, "Yes, in two days.")).isEqualTo(1);
        await().atMost(Duration.ofSeconds(15)).until(() -> deliveredTo(shop.webhook(), "cust-lesia") == 1);
        inbox.message("Yes, in two days.");
    }

    /**
     * "Don't send" on an unconfirmed reply asks the server: one that never arrived is withdrawn (its text stays to
     * edit, and the next send is a new reply, stored once); one that was stored is found in the thread.
     */
    @Test
    void anUnconfirmedReplyCanBeWithdrawnOrIsFoundSent() {
        long conversation = shop.say("withdraw-1", "Wanda Withdraw", "cust-wanda", "Is the blue one back?")
                .getLong("conversationId");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Wanda Withdraw");
        // The first send never reaches the server; the second is stored, but its answer is lost.
        inbox.script("""
                const real = window.fetch;
                window.sends = 0;
                window.fetch = (url, init) => {
                  if (init && init.method === 'POST' && String(url).endsWith('/messages') && window.sends < 2) {
                    window.sends++;
                    if (window.sends === 1) return Promise.reject(new TypeError('Failed to fetch'));
                    return real(url, init).then(() => Promise.reject(new TypeError('Failed to fetch')));
                  }
                  return real(url, init);
                };""");
        inbox.find("composer-input").sendKeys("Not yet, sorry.");
        inbox.find("send-button").click();
        inbox.until(d -> inbox.find("composer-error").getText().startsWith("Not confirmed"));

        inbox.click("composer-discard");
        inbox.until(d -> inbox.all("toast").stream().anyMatch(t -> t.getText().startsWith("Not sent, and it never")));
        assertThat(inbox.present("composer-error")).isFalse();
        assertThat(inbox.find("composer-input").getAttribute("value")).isEqualTo("Not yet, sorry.");
        assertThat(storedReplies(conversation, "Not yet")).isZero();

        inbox.find("composer-input").sendKeys(Keys.chord(Keys.CONTROL, "a"), "Yes, since Monday.");
        inbox.find("send-button").click();
        inbox.until(d -> inbox.find("composer-error").getText().startsWith("Not confirmed"));
        assertThat(storedReplies(conversation, "Yes, since Monday.")).isEqualTo(1);

        inbox.click("composer-discard");
        inbox.until(d -> inbox.all("toast").stream().anyMatch(t -> t.getText().startsWith("It had gone out")));
        inbox.message("Yes, since Monday.");
        inbox.until(d -> inbox.find("composer-input").getAttribute("value").isEmpty());
        assertThat(inbox.present("composer-error")).isFalse();
        assertThat(storedReplies(conversation, "Yes, since Monday.")).isEqualTo(1);
        await().atMost(Duration.ofSeconds(15)).until(() -> deliveredTo(shop.webhook(), "cust-wanda") == 1);
        assertThat(storedReplies(conversation, "Not yet")).isZero();
    }

    @Test
    void aFilterWhoseListFailsToLoadShowsTheErrorNotTheOldFiltersRows() {
        shop.say("filter-1", "Fay Filter", "cust-fay", "Still open, please help");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD);
        inbox.conversation("Fay Filter");
        inbox.script("""
                const real = window.fetch;
                window.fetch = (url, init) => String(url).includes('status=resolved')
                  ? Promise.reject(new TypeError('Failed to fetch')) : real(url, init);""");
        inbox.click("tab-resolved");
        inbox.until(d -> inbox.present("list-retry"));
        assertThat(inbox.conversationOrNull("Fay Filter")).as("an open conversation under Resolved").isNull();
        assertThat(inbox.present("list-more")).isFalse();
    }

    @Test
    void aCustomerWhoGivesTheirNameLaterIsShownByItWithoutAReload() {
        JsonObject nameless = new JsonObject().put("identities", new JsonArray()
                .add(new JsonObject().put("kind", "external_id").put("value", "cust-zoya")));
        shop.say("late-name-1", nameless, "Hello, a question about sizes");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD);
        inbox.until(d -> inbox.all("conversation-preview").stream()
                .anyMatch(p -> p.getText().equals("Hello, a question about sizes")));
        inbox.markPageLoad();
        shop.say("late-name-2", "Zoya Late", "cust-zoya", "I am Zoya, by the way");
        inbox.conversation("Zoya Late");
        assertThat(inbox.samePageLoad()).isTrue();
    }

    /** Replies of the conversation whose body starts with {@code text}. */
    private static long storedReplies(long conversation, String text) {
        return admin.get("/api/v1/conversations/" + conversation + "/messages").json()
                .getJsonArray("messages").stream().map(JsonObject.class::cast)
                .filter(m -> "out".equals(m.getString("kind")) && m.getString("body").startsWith(text)).count();
    }

    @Test
    void attachmentsUploadFromTheComposerAndShowAsPreviews() throws Exception {
        shop.say("file-1", "Fedir Files", "cust-fedir", "The box is damaged");
        Path picture = Scratch.file("label", ".png");
        Files.write(picture, Base64.getDecoder().decode(
                "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="));
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Fedir Files");
        inbox.find("attach-input").sendKeys(picture.toString());
        inbox.until(d -> inbox.find("composer-files").getText().contains(picture.getFileName().toString()));
        inbox.find("composer-input").sendKeys("Here is the return label.");
        inbox.until(d -> inbox.find("send-button").isEnabled());
        inbox.find("send-button").click();
        WebElement sent = inbox.message("Here is the return label.");
        inbox.until(d -> !sent.findElements(InboxPage.testId("attachment-image")).isEmpty());
        await().atMost(Duration.ofSeconds(15)).until(() -> deliveredTo(shop.webhook(), "cust-fedir") == 1);
        assertThat(shop.webhook().received().stream().filter(r -> r.body().contains("cust-fedir")).findFirst()
                .orElseThrow().body()).contains(picture.getFileName().toString());
    }

    /**
     * A file still uploading when the agent opens another conversation goes on, and lands in its own conversation's
     * draft (it was dropped without a word, and the reply saying "attached" went without it).
     */
    @Test
    void aFileStillUploadingWhenTheAgentMovesOnLandsInItsOwnDraft() throws Exception {
        shop.say("slow-up-1", "Uma Upload", "cust-uma-up", "Can you send the invoice?");
        shop.say("slow-up-2", "Vik Upload", "cust-vik-up", "Hello there");
        Path invoice = Scratch.file("invoice", ".pdf");
        Files.write(invoice, new byte[600_000]);
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Uma Upload");
        // A slow uplink: about twelve seconds for the file.
        inbox.driver().executeCdpCommand("Network.enable", Map.of());
        inbox.driver().executeCdpCommand("Network.emulateNetworkConditions", Map.of("offline", false, "latency", 0,
                "downloadThroughput", -1, "uploadThroughput", 50_000));
        By uploading = By.cssSelector(".file-chip.uploading");
        try {
            inbox.find("attach-input").sendKeys(invoice.toString());
            inbox.until(d -> !d.findElements(uploading).isEmpty());
            inbox.open("Vik Upload");
            inbox.until(d -> inbox.find("thread-contact-name").getText().equals("Vik Upload"));
            assertThat(inbox.driver().findElements(uploading)).isEmpty();
            assertThat(uploaded(invoice.getFileName().toString())).as("still uploading").isFalse();
            // Back while it still uploads: it shows there again, and holds that conversation's Send.
            inbox.open("Uma Upload");
            inbox.until(d -> !d.findElements(uploading).isEmpty());
            assertThat(uploaded(invoice.getFileName().toString())).as("still uploading").isFalse();
            inbox.open("Vik Upload");
            inbox.until(d -> inbox.find("thread-contact-name").getText().equals("Vik Upload"));
        } finally {
            inbox.driver().executeCdpCommand("Network.emulateNetworkConditions", Map.of("offline", false,
                    "latency", 0, "downloadThroughput", -1, "uploadThroughput", -1));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> uploaded(invoice.getFileName().toString()));
        inbox.open("Uma Upload");
        inbox.until(d -> inbox.find("thread-contact-name").getText().equals("Uma Upload"));
        inbox.until(d -> inbox.find("composer-files").getText().contains(invoice.getFileName().toString()));
    }

    /** Whether an agent's upload of this name is stored. */
    private static boolean uploaded(String filename) {
        return server.throughline().database().sql().one("SELECT 1 FROM attachments WHERE filename = $1",
                filename).isPresent();
    }

    /**
     * Links that outlived a merge: one to a message now in another thread opens its conversation from the end (it
     * stayed on "Loading" for good), and one to a conversation merged away opens the one it went into (it showed
     * an empty thread whose replies failed with 409).
     */
    @Test
    void linksAMergeOutdatedLeadToWhereTheMessagesAreNow() {
        JsonObject kept = shop.say("outdated-1", "Nadia Kept", "cust-nadia", "Where is my order 5521?");
        JsonObject second = shop.say("outdated-2", "Nadia Second", "cust-nadia-2", "Writing from my work account");
        JsonObject elsewhere = shop.say("outdated-3", "Oleg Elsewhere", "cust-oleg", "Unrelated question");
        admin.post("/api/v1/contacts/" + kept.getLong("contactId") + "/merge", new JsonObject()
                .put("otherContactId", second.getLong("contactId"))).expect(200);
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD);

        String keptRoute = "#/c/" + kept.getLong("conversationId");
        inbox.script("location.hash = arguments[0]", keptRoute + "/m/" + elsewhere.getLong("messageId"));
        inbox.message("Where is my order 5521?");
        assertThat(inbox.script("return location.hash")).isEqualTo(keptRoute);

        inbox.script("location.hash = arguments[0]", "#/c/" + second.getLong("conversationId"));
        inbox.until(d -> keptRoute.equals(inbox.script("return location.hash")));
        inbox.message("Writing from my work account");
        assertThat(inbox.find("thread-contact-name").getText()).isEqualTo("Nadia Kept");
    }

    /**
     * A draft follows its conversation into the one a colleague merged it into: one typed and left for another
     * conversation, and one still open when the merge lands with its target not in the list (resolved), whose
     * composer goes while the target's row loads.
     */
    @Test
    void aDraftFollowsItsConversationIntoTheOneItWasMergedInto() {
        JsonObject kept = shop.say("draft-merge-1", "Dora Kept", "cust-dora-kept", "My parcel is late");
        JsonObject other = shop.say("draft-merge-2", "Dora Other", "cust-dora-other", "Writing from my phone");
        shop.say("draft-merge-3", "Ivan Elsewhere", "cust-ivan-elsewhere", "Unrelated question");
        // Resolved before the page loads: its row is not in the page at all.
        JsonObject resolved = shop.say("draft-merge-4", "Bea Resolved", "cust-bea-resolved", "Refund please");
        admin.patch("/api/v1/conversations/" + resolved.getLong("conversationId"), new JsonObject()
                .put("status", "resolved")).expect(200);
        JsonObject open = shop.say("draft-merge-5", "Bea Open", "cust-bea-open", "It's me again");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Dora Other");
        inbox.find("composer-input").sendKeys("Your parcel left the warehouse today");
        inbox.open("Ivan Elsewhere");
        admin.post("/api/v1/contacts/" + kept.getLong("contactId") + "/merge", new JsonObject()
                .put("otherContactId", other.getLong("contactId"))).expect(200);
        inbox.until(d -> inbox.conversationOrNull("Dora Other") == null);
        inbox.open("Dora Kept");
        inbox.until(d -> inbox.find("composer-input").getAttribute("value")
                .equals("Your parcel left the warehouse today"));

        inbox.open("Bea Open");
        inbox.find("composer-input").sendKeys("We refunded you this morning");
        admin.post("/api/v1/contacts/" + resolved.getLong("contactId") + "/merge", new JsonObject()
                .put("otherContactId", open.getLong("contactId"))).expect(200);
        inbox.until(d -> d.getCurrentUrl().endsWith("#/c/" + resolved.getLong("conversationId")));
        inbox.until(d -> inbox.find("composer-input").getAttribute("value").equals("We refunded you this morning"));
    }

    /**
     * A colleague's merge of the conversation last open, heard while the admin is in the settings, leaves them there
     * with their unsaved form (it took them to the merge's target, and the form was gone); back in the inbox, the
     * conversation merged away opens the one it went into.
     */
    @Test
    void aMergeHeardInTheSettingsLeavesTheUnsavedFormAlone() {
        JsonObject kept = shop.say("settings-merge-1", "Lena Kept", "cust-lena-kept", "My order 7781 is missing");
        JsonObject other = shop.say("settings-merge-2", "Lena Other", "cust-lena-other", "Writing from my tablet");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Lena Other");
        inbox.script("location.hash = '#/settings/agents'");
        inbox.find("invite-form").findElement(By.name("name")).sendKeys("Half-typed colleague");
        admin.post("/api/v1/contacts/" + kept.getLong("contactId") + "/merge", new JsonObject()
                .put("otherContactId", other.getLong("contactId"))).expect(200);
        // Heard after the merge, in the stream's order: once it shows, the merge was heard too.
        admin.post("/api/v1/agents", new JsonObject().put("email", "after-merge@test.local").put("name", "Ada After")
                .put("password", "after-merge-password")).expect(201);
        inbox.until(d -> inbox.all("agent-row").stream().anyMatch(r -> r.getText().contains("after-merge@")));
        assertThat(inbox.script("return location.hash")).isEqualTo("#/settings/agents");
        assertThat(inbox.find("invite-form").findElement(By.name("name")).getAttribute("value"))
                .isEqualTo("Half-typed colleague");

        inbox.script("location.hash = arguments[0]", "#/c/" + other.getLong("conversationId"));
        inbox.until(d -> ("#/c/" + kept.getLong("conversationId")).equals(inbox.script("return location.hash")));
        inbox.message("Writing from my tablet");
    }

    /**
     * Once a merge this page heard of is undone, the restored conversation's draft is its own again: the target's
     * composer took it in (and removed it) for as long as the page lived.
     */
    @Test
    void anUndoneMergeLeavesTheRestoredConversationsDraftWithIt() {
        JsonObject kept = shop.say("undo-draft-1", "Uma Kept", "cust-uma-kept", "Where is my order?");
        JsonObject other = shop.say("undo-draft-2", "Uma Other", "cust-uma-other", "A second question");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Uma Kept");
        admin.post("/api/v1/contacts/" + kept.getLong("contactId") + "/merge", new JsonObject()
                .put("otherContactId", other.getLong("contactId"))).expect(200);
        inbox.until(d -> inbox.conversationOrNull("Uma Other") == null);
        admin.post("/api/v1/contacts/" + kept.getLong("contactId") + "/unmerge", new JsonObject()).expect(200);
        inbox.open("Uma Other");
        inbox.find("composer-input").sendKeys("Only for the second question");
        inbox.open("Uma Kept");
        inbox.message("Where is my order?");
        assertThat(inbox.find("composer-input").getAttribute("value")).isEmpty();
        inbox.open("Uma Other");
        inbox.until(d -> inbox.find("composer-input").getAttribute("value").equals("Only for the second question"));
    }

    /** While the next conversation's thread loads, the panel never shows the previous customer. */
    @Test
    void theContactPanelNeverShowsThePreviousCustomerWhileTheNextThreadLoads() {
        shop.say("panel-1", "Paula First", "cust-paula", "About my first order");
        long next = shop.say("panel-2", "Quentin Next", "cust-quentin", "About my second order")
                .getLong("conversationId");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Paula First");
        inbox.until(d -> inbox.find("contact-name").getText().equals("Paula First"));
        inbox.holdAnswers("/api/v1/conversations/" + next + "/messages");
        inbox.conversation("Quentin Next").click();
        inbox.until(d -> inbox.heldAnswers() > 0);
        assertThat(inbox.all("contact-name")).noneMatch(e -> e.getText().equals("Paula First"));
        inbox.releaseHeld();
        inbox.until(d -> inbox.find("contact-name").getText().equals("Quentin Next"));
    }

    /**
     * A customer known by a nickname gets their real name from the contact panel: the panel, the list and the
     * header show it at once, and it is stored. Escape leaves the name as it was, and focus comes back to the
     * button that edits it.
     */
    @Test
    void anAgentRenamesTheCustomerFromTheContactPanel() {
        long conversation = shop.say("rename-1", "xx_gamer_42", "cust-rename", "Hi, it's Rita from accounting.")
                .getLong("conversationId");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("xx_gamer_42");
        inbox.until(d -> inbox.find("contact-name").getText().equals("xx_gamer_42"));

        inbox.find("rename-button").click();
        WebElement field = inbox.find("contact-name-input");
        inbox.until(d -> "contact-name-input".equals(focusedTestId()));
        field.sendKeys(Keys.chord(Keys.CONTROL, "a"), "Never mind", Keys.ESCAPE);
        inbox.until(d -> "rename-button".equals(focusedTestId()));
        assertThat(inbox.find("contact-name").getText()).isEqualTo("xx_gamer_42");

        inbox.find("rename-button").sendKeys(Keys.ENTER);
        inbox.find("contact-name-input").sendKeys(Keys.chord(Keys.CONTROL, "a"), "  Rita Reyes ", Keys.ENTER);
        inbox.until(d -> inbox.find("contact-name").getText().equals("Rita Reyes"));
        inbox.until(d -> "rename-button".equals(focusedTestId()));
        inbox.conversation("Rita Reyes");
        inbox.until(d -> inbox.find("thread-header").getText().contains("Rita Reyes"));
        long contact = admin.get("/api/v1/conversations/" + conversation).json().getJsonObject("contact")
                .getLong("id");
        assertThat(admin.get("/api/v1/contacts/" + contact).json().getString("name")).isEqualTo("Rita Reyes");
    }

    /** An agent blocks a spammer from the contact panel: their next message never reaches the inbox. */
    @Test
    void anAgentBlocksAContactFromThePanelAndTheirNextMessageIsRefused() {
        shop.say("blocky-1", "Boris Blocky", "cust-blocky", "Buy followers cheap");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Boris Blocky");
        inbox.until(d -> inbox.find("contact-name").getText().equals("Boris Blocky"));
        assertThat(inbox.all("contact-blocked")).isEmpty();
        inbox.find("block-button").click();
        inbox.find("confirm-ok").click();
        inbox.find("contact-blocked");
        inbox.until(d -> inbox.find("block-button").getText().equals("Unblock"));

        JsonObject refused = shop.send("blocky-2", "Boris Blocky", "cust-blocky", "Still cheap followers", null)
                .expect(200).json();
        assertThat(refused.getString("outcome")).isEqualTo("blocked");
        assertThat(inbox.all("message")).noneMatch(m -> m.getText().contains("Still cheap followers"));
        // Their first message sent again (the shop never heard the answer) is known as stored, not refused.
        assertThat(shop.send("blocky-1", "Boris Blocky", "cust-blocky", "Buy followers cheap", null)
                .expect(200).json().getString("outcome")).isEqualTo("duplicate");
    }

    /** A card number pasted into the chat: the agent removes it, and neither the thread nor the list shows it. */
    @Test
    void anAgentRemovesAMessagesContentAndTheThreadAndTheListSaySo() {
        shop.say("redact-1", "Rhea Redact", "cust-redact", "My card: 4111 1111 1111 1111, exp 12/29");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Rhea Redact");
        WebElement message = inbox.message("4111 1111");
        // The control shows on hover (or focus), as a mouse reaches it.
        new Actions(inbox.driver()).moveToElement(message)
                .click(message.findElement(InboxPage.testId("message-redact"))).perform();
        // Nothing undoes it: the question starts on Cancel, and names the dialog a screen reader reads.
        inbox.find("confirm-ok");
        assertThat(inbox.script("return document.activeElement.dataset.testid")).isEqualTo("confirm-cancel");
        assertThat((String) inbox.script("const d = document.querySelector('dialog[open]');"
                + " return document.getElementById(d.getAttribute('aria-labelledby')).textContent"))
                .startsWith("Remove this message's text and files for good?");
        inbox.find("confirm-ok").click();

        inbox.until(d -> inbox.find("message-redacted").getText().contains("Content removed by Admin"));
        assertThat(inbox.all("message")).noneMatch(m -> m.getText().contains("4111"));
        inbox.until(d -> inbox.conversation("Rhea Redact").findElement(InboxPage.testId("conversation-preview"))
                .getText().contains("Message removed"));
    }

    @Test
    void contactPanelShowsProvenAndClaimedIdentitiesAndMergesAndUnmerges() {
        shop.say("merge-1", new JsonObject().put("name", "Mia Mail").put("identities", new JsonArray()
                .add(new JsonObject().put("kind", "email").put("value", "mia@example.com"))), "Emailed you before");
        shop.say("merge-2", new JsonObject().put("name", "Mia Chat").put("identities", new JsonArray()
                .add(new JsonObject().put("kind", "external_id").put("value", "cust-mia"))
                .add(new JsonObject().put("kind", "email").put("value", "mia@example.com").put("proven", false))),
                "It is me again, from the app");
        shop.say("merge-3", "Max Meanwhile", "cust-max-meanwhile", "Another question");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Mia Chat");

        WebElement panel = inbox.find("contact-panel");
        assertThat(panel.findElements(InboxPage.testId("identity"))).hasSize(2);
        inbox.until(d -> inbox.all("identity-badge").stream().map(WebElement::getText).toList()
                .containsAll(java.util.List.of("proven", "claimed")));
        WebElement suggestion = inbox.find("merge-suggestion");
        assertThat(suggestion.getText()).contains("Mia Mail").contains("mia@example.com");

        suggestion.findElement(InboxPage.testId("merge-button")).click();
        inbox.find("confirm-ok").click();
        inbox.find("merge-record");
        inbox.message("Emailed you before");
        inbox.message("It is me again");

        // The agent moves on before the undo is answered: the panel stays on the customer they went to.
        inbox.holdAnswers("/unmerge");
        inbox.find("unmerge-button").click();
        inbox.find("confirm-ok").click();
        inbox.until(d -> inbox.heldAnswers() == 1);
        inbox.open("Max Meanwhile");
        inbox.until(d -> inbox.find("contact-name").getText().equals("Max Meanwhile"));
        inbox.releaseHeld();
        inbox.until(d -> inbox.all("toast").stream().anyMatch(t -> t.getText().equals("Merge undone.")));
        assertThat(inbox.find("contact-name").getText()).isEqualTo("Max Meanwhile");
        assertThat(inbox.all("merge-record")).isEmpty();

        inbox.open("Mia Chat");
        inbox.until(d -> inbox.all("message").stream().noneMatch(m -> m.getText().contains("Emailed you before")));
        inbox.conversation("Mia Mail");
    }

    /** A logout the server never got keeps the agent signed in, and says so; the next one signs out for good. */
    @Test
    void aLogoutTheServerDidNotTakeKeepsTheSessionAndSaysSo() {
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD);
        inbox.failFetches("url.includes('/auth/logout')");
        inbox.find("logout").click();
        inbox.until(d -> inbox.all("toast").stream().anyMatch(t -> t.getText().startsWith("Not logged out")));
        assertThat(inbox.find("me").getText()).contains("Admin");
        // A failure is an alert of its own, outside the polite region of confirmations, and stays until closed.
        WebElement failure = inbox.find("error-toasts").findElement(InboxPage.testId("toast"));
        assertThat(failure.getAttribute("role")).isEqualTo("alert");
        assertThat(failure.findElements(By.xpath("ancestor::*[@role='status' or @aria-live]"))).isEmpty();
        failure.findElement(InboxPage.testId("toast-close")).click();
        inbox.until(d -> inbox.all("toast").isEmpty());

        inbox.restoreFetches();
        inbox.find("logout").click();
        // The form takes the focus again after a sign-out (autofocus acts once per document).
        inbox.until(d -> (Boolean) inbox.script("return document.activeElement?.id === 'login-email'"));
        inbox.visit("/");
        assertThat(inbox.find("login-email").isDisplayed()).isTrue();
    }

    /**
     * A suggestion whose other side another agent merges away is shown as it now stands, without a reload: it kept
     * offering the merged contact, with evidence that no longer held.
     */
    @Test
    void aMergeSuggestionFollowsAMergeMadeElsewhere() {
        long shopContact = shop.say("follow-1", new JsonObject().put("name", "Olga Shop").put("identities",
                new JsonArray().add(new JsonObject().put("kind", "email").put("value", "olga@example.com"))),
                "My order from the shop").getLong("contactId");
        shop.say("follow-2", new JsonObject().put("name", "Olga App").put("identities", new JsonArray()
                .add(new JsonObject().put("kind", "external_id").put("value", "cust-olga-app"))
                .add(new JsonObject().put("kind", "email").put("value", "olga@example.com").put("proven", false))),
                "Writing from the app now");
        long crmContact = shop.say("follow-3", "Olga Crm", "cust-olga-crm", "And from the CRM").getLong("contactId");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Olga App");
        inbox.until(d -> inbox.find("merge-suggestion").getText().contains("Olga Shop"));

        admin.post("/api/v1/contacts/" + crmContact + "/merge", new JsonObject().put("otherContactId", shopContact))
                .expect(200);
        inbox.until(d -> inbox.find("merge-suggestion").getText().contains("Olga Crm"));
        assertThat(inbox.find("merge-suggestion").getText()).doesNotContain("Olga Shop");

        // The evidence's own words (why, which kind) are in the page's language, not the server's English.
        new Select(inbox.find("language")).selectByValue("uk");
        try {
            inbox.until(d -> inbox.find("evidence").getText().contains("підтверджено іншим контактом"));
            assertThat(inbox.find("evidence").getText()).doesNotContain("proven by");
        } finally {
            new Select(inbox.find("language")).selectByValue("en");
        }
    }

    /**
     * A refusal that is the same whatever was asked (not found, too large, too many) is said in the agent's
     * language, not with the server's English detail.
     */
    @Test
    void aConversationThatIsNotThereIsSaidInTheAgentsLanguage() {
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD);
        new Select(inbox.find("language")).selectByValue("uk");
        try {
            inbox.visit("/#/c/987654321");
            WebElement error = inbox.until(d -> d.findElement(By.cssSelector("[data-testid=timeline][role=alert],"
                    + " .timeline-loading[role=alert]")));
            inbox.until(d -> error.getText().contains("Не знайдено"));
            assertThat(error.getText()).doesNotContain("conversation");
        } finally {
            inbox.visit("/");
            new Select(inbox.find("language")).selectByValue("en");
        }
    }

    /** Two customers who only look alike: the agent dismisses the suggestion, and it is gone from both panels. */
    @Test
    void anAgentDismissesAMergeSuggestionFromThePanel() {
        shop.say("lookalike-1", new JsonObject().put("name", "Nora Shop").put("identities", new JsonArray()
                .add(new JsonObject().put("kind", "email").put("value", "nora@example.com"))), "My order");
        shop.say("lookalike-2", new JsonObject().put("name", "Nora App").put("identities", new JsonArray()
                .add(new JsonObject().put("kind", "external_id").put("value", "cust-nora-2"))
                .add(new JsonObject().put("kind", "email").put("value", "nora@example.com").put("proven", false))),
                "A different Nora, typing someone's address");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Nora App");
        inbox.find("merge-suggestion").findElement(InboxPage.testId("dismiss-suggestion")).click();
        inbox.until(d -> inbox.all("merge-suggestion").isEmpty());
        inbox.open("Nora Shop");
        inbox.until(d -> inbox.find("contact-name").getText().equals("Nora Shop"));
        assertThat(inbox.all("merge-suggestion")).isEmpty();
        assertThat(inbox.all("merge-record")).isEmpty();
    }

    @Test
    void emailShowsItsSubjectThreadingReasonAndFoldedQuotes() {
        long workspaceId = server.throughline().workspaces().first().orElseThrow();
        // The email connector is on its own branch; the message takes the single ingest path as it will there.
        server.throughline().ingest().accept(new InboxRef(shop.inboxId(), workspaceId, "email", "Support mail"),
                InboundMessage.builder("<reply-1@mail.example>", Sender.of("Greta Mail",
                        Identity.proven(IdentityKind.EMAIL, "greta@mail.example")))
                        .subject("Re: Your order #A-20077")
                        .text("It arrived, thank you!\n\nOn Mon, 2 Mar 2026 at 10:00, Support <support@shop.example>"
                                + " wrote:\n> Your parcel is on its way.\n> Tracking: 123")
                        .html("<p>It arrived, <b>thank you</b>!</p><blockquote>Your parcel is on its way.</blockquote>")
                        .build());
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Greta Mail");
        WebElement mail = inbox.message("It arrived, thank you!");
        assertThat(mail.getAttribute("data-channel")).isEqualTo("email");
        assertThat(mail.findElement(InboxPage.testId("message-subject")).getText()).isEqualTo("Re: Your order #A-20077");
        assertThat(mail.findElement(InboxPage.testId("threading")).getText()).contains("new conversation");
        assertThat(mail.findElement(InboxPage.testId("message-body")).getText()).isEqualTo("It arrived, thank you!");
        assertThat(mail.findElements(InboxPage.testId("quoted"))).isEmpty();
        mail.findElement(InboxPage.testId("quote-toggle")).click();
        inbox.until(d -> inbox.message("It arrived").findElement(InboxPage.testId("quoted")).getText()
                .contains("> Your parcel is on its way."));
        inbox.message("It arrived").findElement(InboxPage.testId("show-original")).click();
        WebElement frame = inbox.find("email-frame");
        inbox.driver().switchTo().frame(frame);
        inbox.until(d -> d.findElement(By.tagName("b")).getText().equals("thank you"));
        inbox.driver().switchTo().defaultContent();
        assertThat(Long.parseLong(frame.getCssValue("height").replace("px", "").split("\\.")[0])).isGreaterThan(40);
    }

    /**
     * A screenshot pasted into an HTML mail is an inline part its HTML shows: in the text view it is a preview of
     * its own (it was hidden until "Show original"), and the HTML view shows it in place, not twice.
     */
    @Test
    void anInlineImageOfAnHtmlMailShowsInTheTextViewToo() throws IOException {
        long workspaceId = server.throughline().workspaces().first().orElseThrow();
        StoredFile screenshot = new FileStore(server.throughline().config().attachmentsDir()).store(
                new ByteArrayInputStream(Base64.getDecoder().decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAAD"
                        + "UlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")), "image001.png", "image/png", 1_000_000);
        server.throughline().ingest().accept(new InboxRef(shop.inboxId(), workspaceId, "email", "Support mail"),
                InboundMessage.builder("<inline-1@mail.example>", Sender.of("Ines Inline",
                        Identity.proven(IdentityKind.EMAIL, "ines@mail.example")))
                        .text("The error looks like this:\n[image: image001.png]")
                        .html("<p>The error looks like this:</p><img src=\"cid:shot@mail.example\">")
                        .attachment(new InboundAttachment(screenshot, "<shot@mail.example>", true)).build());
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Ines Inline");
        WebElement mail = inbox.message("The error looks like this:");
        assertThat(mail.findElements(InboxPage.testId("attachment-image"))).hasSize(1);

        mail.findElement(InboxPage.testId("show-original")).click();
        inbox.until(d -> !mail.findElements(InboxPage.testId("email-frame")).isEmpty());
        assertThat(mail.findElements(InboxPage.testId("attachment-image")))
                .as("shown in the mail, not again below it").isEmpty();
    }

    @Test
    void aChatMessageIsShownWholeEvenWhenItLooksLikeAQuoteOrASignature() {
        String text = "Order 123\n--\nbrown boots, size 41\n\nThe courier wrote:\n> left at the depot";
        shop.say("chat-dash-1", "Hanna Chat", "cust-hanna", text);
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Hanna Chat");
        WebElement message = inbox.message("Order 123");
        assertThat(message.findElement(InboxPage.testId("message-body")).getText()).isEqualTo(text);
        assertThat(message.findElements(InboxPage.testId("quote-toggle"))).isEmpty();
    }

    @Test
    void theInboxSpeaksUkrainianRussianAndPolish() {
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD);
        new Select(inbox.find("language")).selectByValue("uk");
        inbox.until(d -> inbox.find("tab-open").getText().equals("Відкриті"));
        assertThat(inbox.script("return document.documentElement.lang")).isEqualTo("uk");
        inbox.driver().navigate().refresh();
        inbox.until(d -> inbox.find("tab-open").getText().equals("Відкриті"));
        new Select(inbox.find("language")).selectByValue("ru");
        inbox.until(d -> inbox.find("tab-resolved").getText().equals("Решённые"));
        new Select(inbox.find("language")).selectByValue("pl");
        inbox.until(d -> inbox.find("filter-none").getText().equals("Nieprzypisane"));
        new Select(inbox.find("language")).selectByValue("en");
    }

    @Test
    void everyControlHasAnAccessibleName() {
        shop.say("a11y-1", "Ada Access", "cust-ada", "Hello");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Ada Access");
        assertThat(unlabelledControls()).isEmpty();
        inbox.visit("/#/settings/inboxes");
        inbox.find("inbox-add").click();
        inbox.find("inbox-form");
        assertThat(unlabelledControls()).isEmpty();
    }

    /** The file button's focus is on a hidden input: reached by Tab, the button around it shows the focus. */
    @Test
    void theFileButtonShowsTheKeyboardFocus() {
        shop.say("a11y-2", "Farah Focus", "cust-farah-focus", "Hello");
        inbox.login(TestServer.ADMIN_EMAIL, TestServer.ADMIN_PASSWORD).open("Farah Focus");
        inbox.find("composer-input").click();
        for (int i = 0; i < 10 && !"attach-input".equals(focusedTestId()); i++) {
            inbox.driver().switchTo().activeElement().sendKeys(Keys.TAB);
        }
        assertThat(focusedTestId()).isEqualTo("attach-input");
        assertThat(inbox.script("return getComputedStyle(arguments[0]).outlineStyle", inbox.find("attach-button")))
                .isEqualTo("solid");
    }

    @SuppressWarnings("unchecked")
    private java.util.List<String> unlabelledControls() {
        return (java.util.List<String>) inbox.script("""
                return [...document.querySelectorAll('input, select, textarea, button, a[href]')]
                  .filter(e => e.offsetParent !== null && e.type !== 'hidden')
                  .filter(e => !((e.labels && e.labels.length) || e.getAttribute('aria-label')
                    || e.getAttribute('aria-labelledby') || e.getAttribute('title') || e.textContent.trim()))
                  .map(e => e.outerHTML.slice(0, 120));""");
    }

    private static String status(long conversation) {
        return admin.get("/api/v1/conversations/" + conversation).json().getString("status");
    }

    private static long deliveredTo(WebhookReceiver webhook, String customer) {
        return webhook.received().stream().filter(r -> r.body().contains("\"" + customer + "\"")).count();
    }
}
