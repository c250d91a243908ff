package io.throughline.webui;

import static org.awaitility.Awaitility.await;

import io.throughline.testing.ApiClient;
import io.throughline.testing.Browser;
import io.throughline.testing.ShopSystem;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * The README's pictures, taken from a realistic day in the real app: a live list in four languages, a thread with
 * a reply (sent, with an attachment), a private note and labels, the contact panel with a merge suggestion, the
 * thread on a phone, and an inbox's settings. Saved under target/screenshots.
 */
class InboxScreenshotsIT {

    @Test
    void screenshotsOfTheInboxTheThreadAndTheSettings() throws Exception {
        try (TestServer server = TestServer.start(); ShopSystem shop = ShopSystem.connect(server, "Web shop")) {
            ApiClient admin = server.admin();
            long adminId = admin.get("/api/v1/auth/me").json().getLong("agentId");
            shop.say("s-5", "Liam O'Brien", "cust-liam", "Is the XL size of the rain jacket back in stock?");
            shop.say("s-4", "Дмитрий Соколов", "cust-dmitry",
                    "Здравствуйте! Подскажите, можно ли оплатить заказ картой при получении?");
            shop.say("s-3", "Piotr Nowak", "cust-piotr",
                    "Dzień dobry, chciałbym zmienić adres dostawy dla zamówienia 77120.");
            shop.say("s-6b", new JsonObject().put("name", "Emma W.").put("identities", new JsonArray()
                    .add(new JsonObject().put("kind", "email").put("value", "emma.walker@example.com"))),
                    "Any news about my order?");
            JsonObject emma = shop.say("s-1", new JsonObject().put("name", "Emma Walker").put("identities",
                    new JsonArray().add(new JsonObject().put("kind", "external_id").put("value", "cust-emma"))
                            .add(new JsonObject().put("kind", "email").put("value", "emma.walker@example.com")
                                    .put("proven", false))),
                    "Hi! My order #A-10492 arrived with a cracked screen. Can I get a refund or a replacement?");
            long conversation = emma.getLong("conversationId");
            admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject().put("note", true)
                    .put("body", "Checked the warehouse: a replacement unit is ready in Kyiv.")).expect(201);
            long label = upload(admin, "return-label-A-10492.png", returnLabel());
            admin.post("/api/v1/conversations/" + conversation + "/messages", new JsonObject()
                    .put("body", "So sorry, Emma! A replacement is on its way today. Here is the return label for"
                            + " the broken one.").put("attachments", new JsonArray(List.of(label)))).expect(201);
            await().atMost(Duration.ofSeconds(15)).until(() -> shop.webhook().received().size() == 1);
            shop.say("s-2", "Оксана Коваленко", "cust-oksana",
                    "Добрий день! Я досі не отримала замовлення №58213. Коли його доставлять?");
            shop.say("s-1b", new JsonObject().put("name", "Emma Walker").put("identities", new JsonArray()
                    .add(new JsonObject().put("kind", "external_id").put("value", "cust-emma"))),
                    "Thank you! I will drop the box at the post office tomorrow.");
            admin.patch("/api/v1/conversations/" + conversation, new JsonObject().put("assigneeId", adminId)
                    .put("priority", "high").put("labels", new JsonArray().add("refund").add("damaged")))
                    .expect(200);

            try (Browser browser = new Browser(1440, 900)) {
                InboxPage inbox = new InboxPage(browser, server.url()).login(TestServer.ADMIN_EMAIL,
                        TestServer.ADMIN_PASSWORD);
                inbox.conversation("Оксана Коваленко");
                inbox.open("Emma Walker");
                inbox.find("merge-suggestion");
                inbox.until(d -> !inbox.all("attachment-image").isEmpty() && (Boolean) inbox.script(
                        "return [...document.querySelectorAll('img')].every(i => i.complete)"));
                inbox.until(d -> "live".equals(inbox.connection()));
                inbox.find("composer-input").sendKeys("Your replacement ships with DHL, tracking follows.");
                inbox.script("document.activeElement.blur()");
                inbox.until(d -> (Boolean) inbox.script("const t = document.querySelector('[data-testid=timeline]');"
                        + " return t.scrollTop + t.clientHeight >= t.scrollHeight - 2"));
                inbox.until(d -> inbox.conversation("Emma Walker").findElements(InboxPage.testId("unread-badge"))
                        .isEmpty());
                inbox.screenshot("inbox"); // the README's picture

                inbox.visit("/#/settings/inboxes/" + shop.inboxId());
                inbox.find("api-inbox-panel");
                inbox.screenshot("settings"); // the README's picture
            }
            try (Browser browser = new Browser()) {
                InboxPage phone = new InboxPage(browser, server.url()).asPhone().login(TestServer.ADMIN_EMAIL,
                        TestServer.ADMIN_PASSWORD);
                phone.open("Emma Walker");
                phone.until(d -> !phone.all("attachment-image").isEmpty());
                phone.screenshot("thread-phone"); // the README's picture
            }
        }
    }

    private static long upload(ApiClient admin, String name, byte[] png) {
        return admin.upload("/api/v1/attachments", name, "image/png", png).expect(201).json().getLong("id");
    }

    /** A small return label image, drawn here so the screenshot shows a real image attachment. */
    private static byte[] returnLabel() throws Exception {
        BufferedImage image = new BufferedImage(360, 200, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 360, 200);
        g.setColor(new Color(0x24, 0x51, 0xc7));
        g.fillRect(0, 0, 360, 44);
        g.setColor(Color.WHITE);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 20));
        g.drawString("RETURN LABEL", 16, 30);
        g.setColor(Color.DARK_GRAY);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 16));
        g.drawString("Order #A-10492  ·  1 item", 16, 80);
        g.drawString("To: Web shop returns, Kyiv 01001", 16, 108);
        for (int x = 16; x < 344; x += 6) {
            g.fillRect(x, 130, (x / 6) % 3 == 0 ? 3 : 1, 52);
        }
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }
}
