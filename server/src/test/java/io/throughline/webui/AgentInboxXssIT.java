package io.throughline.webui;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.connector.Identity;
import io.throughline.connector.IdentityKind;
import io.throughline.connector.InboundMessage;
import io.throughline.connector.InboxRef;
import io.throughline.connector.Sender;
import io.throughline.testing.ApiClient;
import io.throughline.testing.Browser;
import io.throughline.testing.ShopSystem;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/**
 * Customer-controlled text (a name, a message, a subject, a file name, email HTML) and agent-typed labels carry
 * script payloads; the inbox shows them as text and no script runs. A WebDriver BiDi listener records every
 * JavaScript dialog, and a probe at the end proves it would have seen one.
 */
class AgentInboxXssIT {

    private static final String NAME = "<img src=x onerror=alert('name')>";
    private static final String BODY = "<script>alert('body')</script><img src=x onerror=\"alert('img')\"> see "
            + "https://shop.example/?q=<svg/onload=alert('link')>";
    private static final String SUBJECT = "\"><svg onload=alert('subject')>";
    // Netty's multipart decoder turns '=' in a file name into a space and the file store replaces '/': a payload
    // that needs neither still proves a name is never parsed as HTML (a <script> element would appear).
    private static final String FILE = "<script>alert('file')<script>.txt";
    private static final String EMAIL_HTML = "<p>Hello from <b>mail</b></p><script>alert('html')</script>"
            + "<img src=x onerror=alert('html-img')><iframe srcdoc=\"<script>alert('frame')</script>\"></iframe>"
            + "<a href=\"javascript:alert('href')\">click</a><svg><script>alert('svg')</script></svg>"
            + "<style>p{background:url(javascript:alert('css'))}</style><form action=\"https://evil.example\">"
            + "<input name=q></form>";
    private static final String CSP_PROBE = "window.__csp = []; document.addEventListener('securitypolicyviolation',"
            + " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));";

    private static TestServer server;
    private static ShopSystem shop;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        shop = ShopSystem.connect(server, "Shop");
    }

    @AfterAll
    static void stop() {
        shop.close();
        server.close();
    }

    @Test
    void scriptPayloadsRenderAsTextAndNoScriptRuns() throws Exception {
        long conversation = shop.say("xss-1", NAME, "cust-xss", BODY, SUBJECT).getLong("conversationId");
        long workspaceId = server.throughline().workspaces().first().orElseThrow();
        // The email connector lives on its own branch; this feeds the single ingest path exactly as it will.
        server.throughline().ingest().accept(new InboxRef(shop.inboxId(), workspaceId, "email", "Mail"),
                InboundMessage.builder("xss-mail-1", Sender.of(NAME, Identity.proven(IdentityKind.EXTERNAL_ID,
                        "cust-xss"))).subject("Re: " + SUBJECT).text("Hello from mail").html(EMAIL_HTML).build());
        ApiClient admin = server.admin();
        noteWithFile(admin, conversation);

        try (Browser browser = new Browser(1280, 860, true)) {
            browser.driver().executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", CSP_PROBE));
            InboxPage inbox = new InboxPage(browser, server.url()).login(TestServer.ADMIN_EMAIL,
                    TestServer.ADMIN_PASSWORD);
            WebElement row = inbox.conversation(NAME);
            assertThat(row.findElement(By.className("item-name")).getText()).isEqualTo(NAME);
            inbox.open(NAME);

            assertThat(inbox.message("alert('body')").findElement(InboxPage.testId("message-body")).getText())
                    .isEqualTo(BODY);
            assertThat(inbox.all("message-subject").stream().map(WebElement::getText).toList())
                    .contains(SUBJECT, "Re: " + SUBJECT);
            inbox.until(d -> !inbox.all("attachment-file").isEmpty());
            assertThat(inbox.all("attachment-file").stream().map(WebElement::getText).toList())
                    .anyMatch(text -> text.contains(FILE));
            WebElement label = inbox.find("label-input");
            label.sendKeys("<b onmouseover=alert(1)>x</b>", Keys.ENTER);
            inbox.until(d -> inbox.all("label").stream().anyMatch(l -> l.getText().contains("<b onmouseover")));

            inbox.message("Hello from mail").findElement(InboxPage.testId("show-original")).click();
            WebElement frame = inbox.find("email-frame");
            assertThat(frame.getAttribute("sandbox")).doesNotContain("allow-scripts");
            browser.driver().switchTo().frame(frame);
            inbox.until(d -> d.findElement(By.tagName("body")).getText().contains("Hello from mail"));
            assertThat(browser.driver().findElements(By.cssSelector("script, iframe, form, style[src], [onerror]")))
                    .isEmpty();
            browser.driver().switchTo().defaultContent();

            assertThat(inbox.script("return document.querySelectorAll('tl-app img[src=\"x\"], tl-app svg[onload],"
                    + " tl-app script, tl-app [onerror], tl-app [onmouseover]').length")).isEqualTo(0L);
            assertThat(inbox.script("return window.__csp")).asList().isEmpty();
            assertThat(browser.dialogs()).isEmpty();

            // The probe: a dialog opened now is seen, so the empty list above means none was opened before it.
            inbox.script("setTimeout(() => alert('probe'), 0)");
            inbox.until(d -> !browser.dialogs().isEmpty());
            assertThat(browser.dialogs()).containsExactly("alert: probe");
        }
    }

    /** A note carrying a file whose name is a payload (agents attach what customers sent them). */
    private static void noteWithFile(ApiClient admin, long conversation) throws Exception {
        JsonObject uploaded = admin.upload("/api/v1/attachments", FILE, "text/plain",
                "hello".getBytes(StandardCharsets.UTF_8)).expect(201).json();
        assertThat(uploaded.getString("filename")).isEqualTo(FILE);
        long attachment = uploaded.getLong("id");
        admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("note", true)
                .put("body", "file from the customer").put("attachments", new JsonArray(List.of(attachment))))
                .expect(201);
    }
}
