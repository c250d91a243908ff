package io.throughline.demo;

import io.throughline.connector.Identity;
import io.throughline.connector.IdentityKind;
import io.throughline.connector.InboundMessage;
import io.throughline.connector.InboundSink;
import io.throughline.connector.InboxRef;
import io.throughline.connector.Sender;
import io.throughline.inbox.InboxService;
import io.throughline.ingest.IngestService;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seeds a new installation so the inbox is not empty on first sight: an API inbox named "Demo shop" and customer
 * messages in English, Ukrainian, Polish and Russian, ingested like any other message; and a widget inbox for the
 * sample shop page at {@code /demo}, whose origin (this server's) it allows.
 */
public final class DemoData {

    private static final Logger log = LoggerFactory.getLogger(DemoData.class);

    private final InboxService inboxes;
    private final IngestService ingest;
    private final URI publicUrl;

    public DemoData(InboxService inboxes, IngestService ingest, URI publicUrl) {
        this.inboxes = inboxes;
        this.ingest = ingest;
        this.publicUrl = publicUrl;
    }

    public void seed(long workspaceId) {
        JsonObject inbox = inboxes.create(workspaceId, "api", "Demo shop", new JsonObject()).inbox();
        InboundSink sink = ingest.sinkFor(new InboxRef(inbox.getLong("id"), workspaceId, "api", "Demo shop"));
        say(sink, "demo-1", "Emma Walker", "emma.walker@example.com",
                "Hi! My order #A-10492 arrived with a cracked screen. Can I get a refund or a replacement?");
        say(sink, "demo-2", "Оксана Коваленко", "oksana.k@example.com",
                "Добрий день! Я досі не отримала замовлення №58213. Коли його доставлять?");
        say(sink, "demo-3", "Piotr Nowak", "piotr.nowak@example.com",
                "Dzień dobry, chciałbym zmienić adres dostawy dla zamówienia 77120.");
        say(sink, "demo-4", "Дмитрий Соколов", "d.sokolov@example.com",
                "Здравствуйте! Подскажите, можно ли оплатить заказ картой при получении?");
        say(sink, "demo-5", "Emma Walker", "emma.walker@example.com",
                "I attached photos of the box in my email yesterday, did you get them?");
        JsonObject widget = inboxes.create(workspaceId, "widget", DemoPage.WIDGET_INBOX, new JsonObject()
                .put("allowedOrigins", new JsonArray().add(publicUrl.getScheme() + "://" + publicUrl.getAuthority()))
                .put("title", "Northwind Outfitters")
                .put("greeting", "Hi! Questions about an order, sizes or delivery? We usually answer in minutes.")
                .put("offlineMessage", "We are offline right now. Leave your email and we will answer there.")
                .put("colors", new JsonObject().put("primary", "#0f766e").put("onPrimary", "#ffffff"))
                .put("preChatForm", new JsonObject().put("enabled", false))).inbox();
        log.info("demo data seeded workspace={} inbox={} widgetInbox={}", workspaceId, inbox.getLong("id"),
                widget.getLong("id"));
    }

    private static void say(InboundSink sink, String id, String name, String email, String text) {
        sink.accept(InboundMessage.builder(id, Sender.of(name, Identity.proven(IdentityKind.EMAIL, email)))
                .text(text).build());
    }
}
