package io.throughline.contact;

import io.throughline.agent.Caller;
import io.throughline.connector.ChannelConnector;
import io.throughline.failure.Conflict;
import io.throughline.failure.Invalid;
import io.throughline.failure.NotFound;
import io.throughline.inbox.ConnectorRegistry;
import io.throughline.inbox.Inbox;
import io.throughline.inbox.InboxRepository;
import io.throughline.store.Database;
import io.throughline.store.Sql;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issues "Continue on Telegram" links for agents, the widget and emails to offer: a link into an inbox whose
 * channel has deep links ({@link ChannelConnector#deepLink}), carrying a single-use token for one contact. When the
 * customer follows it, ingest joins their channel account to that contact and the chat continues in the same
 * thread.
 */
public final class DeepLinks {

    private static final Logger log = LoggerFactory.getLogger(DeepLinks.class);
    private static final String PROBE = "probe";

    private final Database database;
    private final ContactLinks links;
    private final InboxRepository inboxes;
    private final ConnectorRegistry connectors;

    public DeepLinks(Database database, ContactLinks links, InboxRepository inboxes, ConnectorRegistry connectors) {
        this.database = database;
        this.links = links;
        this.inboxes = inboxes;
        this.connectors = connectors;
    }

    public JsonObject forContact(Caller caller, long contactId, Long inboxId) {
        return database.tx(tx -> {
            tx.one("SELECT id FROM contacts WHERE workspace_id = $1 AND id = $2", caller.workspaceId(), contactId)
                    .orElseThrow(() -> new NotFound("no contact " + contactId + " in this workspace"));
            return issue(tx, caller, ContactLinks.activeContact(tx, caller.workspaceId(), contactId), inboxId);
        });
    }

    public JsonObject forConversation(Caller caller, long conversationId, Long inboxId) {
        return database.tx(tx -> {
            long contactId = tx.one("SELECT contact_id FROM conversations WHERE workspace_id = $1 AND id = $2",
                    caller.workspaceId(), conversationId).map(r -> r.getLong("contact_id"))
                    .orElseThrow(() -> new NotFound("no conversation " + conversationId + " in this workspace"));
            return issue(tx, caller, ContactLinks.activeContact(tx, caller.workspaceId(), contactId), inboxId);
        });
    }

    private JsonObject issue(Sql tx, Caller caller, long contactId, Long inboxId) {
        long workspaceId = caller.workspaceId();
        List<Inbox> linkable = inboxes.list(tx, workspaceId).stream()
                .filter(Inbox::enabled)
                .filter(i -> connectors.find(i.kind()).flatMap(c -> c.deepLink(i.config(), PROBE)).isPresent())
                .toList();
        Inbox inbox;
        if (inboxId != null) {
            inbox = linkable.stream().filter(i -> i.id() == inboxId).findFirst().orElseThrow(() -> Invalid.field(
                    "inboxId", "inbox " + inboxId + " is not an enabled inbox with deep links (a telegram inbox)"));
        } else {
            inbox = linkable.stream().findFirst().orElseThrow(() -> new Conflict(
                    "no enabled inbox offers deep links: add a telegram inbox first"));
        }
        ContactLinks.Issued issued = links.issue(tx, workspaceId, contactId, inbox.id(), caller.agentId());
        URI url = connectors.require(inbox.kind()).deepLink(inbox.config(), issued.token()).orElseThrow();
        Optional<Long> conversationId = tx.one("SELECT id FROM conversations WHERE workspace_id = $1"
                + " AND contact_id = $2", workspaceId, contactId).map(r -> r.getLong("id"));
        log.info("deep link issued link={} contact={} inbox={} agent={}", issued.id(), contactId, inbox.id(),
                caller.agentId());
        return new JsonObject()
                .put("url", url.toString())
                .put("channel", inbox.kind())
                .put("inboxId", inbox.id())
                .put("contactId", contactId)
                .put("conversationId", conversationId.orElse(null))
                .put("expiresAt", issued.expiresAt().toString());
    }
}
