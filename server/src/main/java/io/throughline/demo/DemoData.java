package io.throughline.demo;

import io.throughline.connector.Identity;
import io.throughline.connector.IdentityKind;
import io.throughline.connector.InboundMessage;
import io.throughline.connector.InboundSink;
import io.throughline.connector.InboxRef;
import io.throughline.connector.Sender;
import io.throughline.inbox.InboxService;
import io.throughline.ingest.IngestService;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seeds a new installation so the inbox is not empty on first sight: an API inbox named "Demo shop" and customer
 * messages in English, Ukrainian, Polish and Russian, ingested like any other message.
 */
public final class DemoData {

    private static final Logger log = LoggerFactory.getLogger(DemoData.class);

    private final InboxService inboxes;
    private final IngestService ingest;

    public DemoData(InboxService inboxes, IngestService ingest) {
        this.inboxes = inboxes;
        this.ingest = ingest;
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
        log.info("demo data seeded workspace={} inbox={}", workspaceId, inbox.getLong("id"));
    }

    private static void say(InboundSink sink, String id, String name, String email, String text) {
        sink.accept(InboundMessage.builder(id, Sender.of(name, Identity.proven(IdentityKind.EMAIL, email)))
                .text(text).build());
    }
}
