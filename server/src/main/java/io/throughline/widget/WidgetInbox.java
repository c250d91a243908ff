package io.throughline.widget;

import io.throughline.connector.ChannelInbox;
import io.throughline.connector.ConnectorHealth;
import io.throughline.connector.DeliveryFailure;
import io.throughline.connector.DeliveryReceipt;
import io.throughline.connector.IdentityKind;
import io.throughline.connector.OutboundMessage;
import io.throughline.store.Sql;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * One open widget inbox. A reply needs no transport of its own: it is in the thread as soon as it commits, and the
 * widget hub pushes it to the visitor's open tabs (or the visitor reads it on their next visit). So sending checks
 * that the visitor exists and reports the reply as sent; the visitor's frame later marks it delivered when it is
 * seen ({@link VisitorReceipts}).
 */
final class WidgetInbox implements ChannelInbox {

    /** The external id a widget reply's delivery gets, so a later "seen" report can name it. */
    static String externalId(long messageId) {
        return "widget-msg-" + messageId;
    }

    private final Site site;
    private final SiteDirectory sites;
    private final Supplier<Sql> sql;

    WidgetInbox(Site site, SiteDirectory sites, Supplier<Sql> sql) {
        this.site = site;
        this.sites = sites;
        this.sql = sql;
        sites.register(site);
    }

    @Override
    public DeliveryReceipt send(OutboundMessage message) throws DeliveryFailure {
        if (message.to().kind() != IdentityKind.WIDGET_VISITOR) {
            throw DeliveryFailure.permanent("the website widget can only reach widget visitors, not "
                    + message.to().kind().wireName());
        }
        Optional<Row> visitor = sql.get().one("SELECT online FROM widget_visitors WHERE workspace_id = $1"
                + " AND public_id = $2", site.workspaceId(), message.to().value());
        if (visitor.isEmpty()) {
            throw DeliveryFailure.permanent("this widget visitor no longer exists");
        }
        return new DeliveryReceipt(externalId(message.messageId()), new JsonObject()
                .put("visitorId", message.to().value()).put("visitorOnline", visitor.get().getBoolean("online")));
    }

    @Override
    public ConnectorHealth health() {
        return ConnectorHealth.up("accepting visitors from " + site.settings().allowedOrigins().size()
                + " origin(s)");
    }

    @Override
    public void close() {
        sites.unregister(site);
    }
}
