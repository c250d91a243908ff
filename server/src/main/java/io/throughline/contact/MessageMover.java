package io.throughline.contact;

import io.throughline.agent.Caller;
import io.throughline.connector.Identity;
import io.throughline.connector.IdentityKind;
import io.throughline.conversation.Conversation;
import io.throughline.conversation.ConversationRepository;
import io.throughline.conversation.Message;
import io.throughline.conversation.MessageKind;
import io.throughline.conversation.MessageRepository;
import io.throughline.conversation.MessageView;
import io.throughline.failure.Conflict;
import io.throughline.failure.Invalid;
import io.throughline.failure.NotFound;
import io.throughline.realtime.EventLog;
import io.throughline.realtime.EventType;
import io.throughline.store.Database;
import io.throughline.store.Sql;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Corrects threading: an agent moves a customer message that joined the wrong conversation (a forwarded thread, a
 * colleague answering from a shared mail) to the conversation of the contact who really wrote it: a contact the
 * agent names, the contact that proves the sender's address, or a new contact. The sender's identity goes with the
 * message: its claimed copy leaves the wrong contact, and the right one gets it as the channel proved it. The
 * previous threading decision stays on the message as evidence.
 */
public final class MessageMover {

    private static final Logger log = LoggerFactory.getLogger(MessageMover.class);

    private final Database database;
    private final ContactRepository contacts;
    private final ConversationRepository conversations;
    private final MessageRepository messages;
    private final IdentityResolver resolver;
    private final MessageView views;
    private final EventLog events;

    public MessageMover(Database database, ContactRepository contacts, ConversationRepository conversations,
                        MessageRepository messages, IdentityResolver resolver, MessageView views, EventLog events) {
        this.database = database;
        this.contacts = contacts;
        this.conversations = conversations;
        this.messages = messages;
        this.resolver = resolver;
        this.views = views;
        this.events = events;
    }

    /** Moves one inbound message; {@code contactId} null means its sender's own contact, made if needed. */
    public JsonObject move(Caller caller, long messageId, Long contactId) {
        long workspaceId = caller.workspaceId();
        JsonObject moved = database.txWithRetry(3, tx -> {
            Message message = messages.find(tx, workspaceId, messageId)
                    .orElseThrow(() -> new NotFound("no message " + messageId + " in this workspace"));
            if (message.kind() != MessageKind.IN) {
                throw Invalid.field("messageId", "only a customer's message can be moved to another contact");
            }
            Conversation from = conversations.lock(tx, workspaceId, message.conversationId()).orElseThrow();
            if (from.mergedIntoId() != null) {
                throw new Conflict("the message's conversation was merged into " + from.mergedIntoId());
            }
            Optional<Identity> sender = sender(message);
            Target target = target(tx, workspaceId, from, message, sender, contactId);
            if (target.contactId() == from.contactId()) {
                throw Invalid.field("contactId", "the message already belongs to this contact's conversation");
            }
            if (sender.isPresent()) {
                Identity identity = sender.get();
                contacts.removeClaimed(tx, workspaceId, from.contactId(), identity.kind(), identity.value());
                resolver.attach(tx, workspaceId, message.inboxId(), target.contactId(), List.of(identity), true);
            }
            ConversationRepository.Ensured ensured = conversations.ensureFor(tx, workspaceId, target.contactId());
            // Locked, so a merge of the target contact either sees this message or is seen here.
            Conversation to = conversations.lock(tx, workspaceId, ensured.conversation().id()).orElseThrow();
            if (to.mergedIntoId() != null) {
                throw new Conflict("contact " + target.contactId() + " was merged into another contact meanwhile");
            }
            JsonObject threading = new JsonObject().put("reason", "moved")
                    .put("evidence", "moved by agent " + caller.agentId()).put("senderVerified", true)
                    .put("previous", message.threading());
            tx.update("""
                    UPDATE messages SET conversation_id = $3, origin_conversation_id = $3, author_contact_id = $4,
                        threading = $5, flags = array_remove(flags, 'unverified_sender')
                    WHERE workspace_id = $1 AND id = $2""", workspaceId, messageId, to.id(), target.contactId(),
                    threading);
            Conversation refreshedFrom = conversations.refresh(tx, workspaceId, from.id());
            Conversation refreshedTo = conversations.refresh(tx, workspaceId, to.id());
            JsonObject view = views.render(tx, workspaceId, messages.viewRow(tx, workspaceId, messageId).orElseThrow());
            if (target.created()) {
                events.append(tx, workspaceId, EventType.CONTACT_CREATED, new JsonObject().put("contact",
                        new JsonObject().put("id", target.contactId()).put("name", target.name())));
            }
            if (ensured.created()) {
                events.append(tx, workspaceId, EventType.CONVERSATION_CREATED, new JsonObject()
                        .put("conversation", refreshedTo.toJson()));
            }
            events.append(tx, workspaceId, EventType.MESSAGE_MOVED, new JsonObject()
                    .put("messageId", messageId).put("fromConversationId", from.id())
                    .put("toConversationId", to.id()).put("message", view).put("byAgentId", caller.agentId())
                    .put("conversation", refreshedTo.toJson()).put("previousConversation", refreshedFrom.toJson()));
            return new JsonObject().put("message", view).put("conversationId", to.id())
                    .put("contactId", target.contactId()).put("contactCreated", target.created());
        });
        log.info("message moved message={} conversation={} contact={} agent={}", messageId,
                moved.getLong("conversationId"), moved.getLong("contactId"), caller.agentId());
        return moved;
    }

    private record Target(long contactId, boolean created, String name) {
    }

    private Target target(Sql tx, long workspaceId, Conversation from, Message message, Optional<Identity> sender,
                          Long contactId) {
        if (contactId != null) {
            Contact contact = contacts.find(tx, workspaceId, contactId)
                    .orElseThrow(() -> new NotFound("no contact " + contactId + " in this workspace"));
            if (contact.mergedIntoId() != null) {
                throw new Conflict("contact " + contactId + " was merged into " + contact.mergedIntoId());
            }
            return new Target(contactId, false, contact.name());
        }
        Optional<Long> owner = sender.filter(Identity::proven)
                .flatMap(identity -> contacts.provenOwner(tx, workspaceId, identity.kind(), identity.value()))
                .filter(id -> id != from.contactId());
        if (owner.isPresent()) {
            return new Target(owner.get(), false, null);
        }
        JsonObject recorded = message.metadata() == null ? null : message.metadata().getJsonObject("from");
        String name = recorded == null ? null : recorded.getString("name");
        return new Target(contacts.insert(tx, workspaceId, name).id(), true, name);
    }

    /** The identity the message came from, as ingest recorded it. */
    private static Optional<Identity> sender(Message message) {
        JsonObject from = message.metadata() == null ? null : message.metadata().getJsonObject("from");
        if (from == null || from.getString("value") == null) {
            return Optional.empty();
        }
        return IdentityKind.fromWireName(from.getString("kind")).map(kind -> new Identity(kind,
                from.getString("value"), from.getBoolean("proven", true)));
    }
}
