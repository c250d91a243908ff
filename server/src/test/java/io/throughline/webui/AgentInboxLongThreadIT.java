package io.throughline.webui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.connector.Identity;
import io.throughline.connector.IdentityKind;
import io.throughline.connector.InboundMessage;
import io.throughline.connector.InboxRef;
import io.throughline.connector.IngestReceipt;
import io.throughline.connector.Sender;
import io.throughline.testing.Browser;
import io.throughline.testing.ShopSystem;
import io.throughline.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A customer with 5,000 messages: the thread opens on its latest page, scrolling loads pages in both directions,
 * and the DOM never holds more than the window (200 messages), wherever the agent reads. A search hit's link opens
 * the thread at that message.
 */
class AgentInboxLongThreadIT {

    private static final int MESSAGES = 5000;
    private static final int WINDOW = 200;
    private static final String NAME = "Larry Longthread";

    private static TestServer server;
    private static ShopSystem shop;
    private static final List<Long> ids = new ArrayList<>();
    private static long conversation;

    @BeforeAll
    static void seed() {
        server = TestServer.start();
        shop = ShopSystem.connect(server, "Shop");
        long workspaceId = server.throughline().workspaces().first().orElseThrow();
        InboxRef inbox = new InboxRef(shop.inboxId(), workspaceId, "api", "Shop");
        Sender larry = Sender.of(NAME, Identity.proven(IdentityKind.EXTERNAL_ID, "cust-larry"));
        for (int i = 1; i <= MESSAGES; i++) {
            IngestReceipt receipt = server.throughline().ingest().accept(inbox, InboundMessage.builder("long-" + i,
                    larry).text(String.format("Message %04d about order #%d", i, 10_000 + i)).build());
            ids.add(receipt.messageId());
            conversation = receipt.conversationId();
        }
    }

    @AfterAll
    static void stop() {
        shop.close();
        server.close();
    }

    @Test
    void fiveThousandMessagesOpenAtTheEndAndPageOnScrollWithABoundedDom() {
        try (Browser browser = new Browser()) {
            InboxPage inbox = new InboxPage(browser, server.url()).login(TestServer.ADMIN_EMAIL,
                    TestServer.ADMIN_PASSWORD).open(NAME);
            inbox.message("Message 5000");
            assertThat(rendered(inbox)).isEqualTo(50);

            for (int page = 0; page < 6; page++) {
                long firstBefore = firstId(inbox);
                inbox.script("document.querySelector('[data-testid=timeline]').scrollTop = 0");
                inbox.until(d -> firstId(inbox) < firstBefore);
                assertThat(rendered(inbox)).isLessThanOrEqualTo(WINDOW);
            }
            assertThat(rendered(inbox)).isEqualTo(WINDOW);
            assertThat(firstId(inbox)).isEqualTo(ids.get(MESSAGES - 350));
            assertThat(inbox.present("load-later")).isTrue();

            inbox.find("jump-latest").click();
            inbox.message("Message 5000");
            assertThat(rendered(inbox)).isLessThanOrEqualTo(WINDOW);

            long target = ids.get(1233);
            inbox.visit("/#/c/" + conversation + "/m/" + target);
            inbox.until(d -> Boolean.TRUE.equals(inbox.script("""
                    const m = document.querySelector('tl-message[data-message-id="' + arguments[0] + '"] .highlight');
                    const view = document.querySelector('[data-testid=timeline]');
                    if (!m || !view) return false;
                    const a = m.getBoundingClientRect(), b = view.getBoundingClientRect();
                    return a.top >= b.top && a.top < b.bottom;""", target)));
            assertThat(inbox.message("Message 1234 ")).isNotNull();
            assertThat(rendered(inbox)).isEqualTo(50);

            long lastBefore = lastId(inbox);
            inbox.script("const t = document.querySelector('[data-testid=timeline]'); t.scrollTop = t.scrollHeight");
            inbox.until(d -> lastId(inbox) > lastBefore);
            assertThat(rendered(inbox)).isLessThanOrEqualTo(WINDOW);
        }
    }

    /**
     * Read further up, a thread counts what arrived below once each: the agent's own reply (its answer and its
     * event), then its delivery's progress, made it three where there was one.
     */
    @Test
    void newMessagesBelowAreCountedOnceEach() {
        long workspaceId = server.throughline().workspaces().first().orElseThrow();
        InboxRef inbox = new InboxRef(shop.inboxId(), workspaceId, "api", "Shop");
        Sender nina = Sender.of("Nina Counted", Identity.proven(IdentityKind.EXTERNAL_ID, "cust-nina"));
        IngestReceipt early = null;
        for (int i = 1; i <= 120; i++) {
            IngestReceipt receipt = server.throughline().ingest().accept(inbox, InboundMessage.builder("count-" + i,
                    nina).text("Counted message " + i).build());
            early = i == 5 ? receipt : early;
        }
        try (Browser browser = new Browser()) {
            InboxPage page = new InboxPage(browser, server.url()).login(TestServer.ADMIN_EMAIL,
                    TestServer.ADMIN_PASSWORD);
            page.visit("/#/c/" + early.conversationId() + "/m/" + early.messageId());
            page.message("Counted message 5");
            page.find("composer-input").sendKeys("A reply written while reading up");
            page.find("send-button").click();
            await().atMost(Duration.ofSeconds(15)).until(() -> shop.webhook().received().stream()
                    .anyMatch(r -> r.body().contains("A reply written while reading up")));
            shop.say("count-121", "Nina Counted", "cust-nina", "And one more from me");
            // Events come in order: once the row shows the last message, everything before it has been applied.
            page.until(d -> page.conversation("Nina Counted").getText().contains("And one more from me"));
            assertThat(page.find("jump-latest").getText()).isEqualTo("2 new messages");
        }
    }

    private static long rendered(InboxPage inbox) {
        return (Long) inbox.script("return document.querySelectorAll('tl-message').length");
    }

    private static long firstId(InboxPage inbox) {
        return Long.parseLong((String) inbox.script("return document.querySelector('tl-message').dataset.messageId"));
    }

    private static long lastId(InboxPage inbox) {
        return Long.parseLong((String) inbox.script(
                "const all = document.querySelectorAll('tl-message'); return all[all.length - 1].dataset.messageId"));
    }
}
