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
import io.throughline.conversation.Status;
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
            Message seen = messages.find(tx, workspaceId, messageId)
                    .orElseThrow(() -> new NotFound("no message " + messageId + " in this workspace"));
            if (seen.kind() != MessageKind.IN) {
                throw Invalid.field("messageId", "only a customer's message can be moved to another contact");
            }
            Conversation seenFrom = conversations.find(tx, workspaceId, seen.conversationId()).orElseThrow();
            Optional<Identity> sender = sender(seen);
            Target target = target(tx, workspaceId, seenFrom, seen, sender, contactId);
            if (target.contactId() == seenFrom.contactId()) {
                throw Invalid.field("contactId", "the message already belongs to this contact's conversation");
            }
            // Locked in the order merges take them (both contacts, then both conversations, lower ids first), so a
            // merge and a move wait for each other rather than deadlock; a merge of either contact either sees
            // this move or is seen here. Ingest takes an identity before the conversation, the other way round
            // from the move's identity change below: that rare deadlock is broken by PostgreSQL and retried.
            for (Contact contact : contacts.lock(tx, workspaceId, seenFrom.contactId(), target.contactId())) {
                if (contact.mergedIntoId() != null) {
                    throw new Conflict("contact " + contact.id() + " was merged into " + contact.mergedIntoId());
                }
            }
            ConversationRepository.Ensured ensured = conversations.ensureFor(tx, workspaceId, target.contactId());
            List<Conversation> locked = conversations.lockBoth(tx, workspaceId, seenFrom.id(),
                    ensured.conversation().id());
            Conversation from = locked.get(0);
            Conversation to = locked.get(1);
            if (from.mergedIntoId() != null || to.mergedIntoId() != null) {
                throw new Conflict("the conversations changed meanwhile (a merge); load them again");
            }
            // Read again under the locks: another agent's move of this very message may have committed meanwhile.
            Message message = messages.find(tx, workspaceId, messageId).orElseThrow();
            if (message.conversationId() != from.id()) {
                throw new Conflict("the message was moved to conversation " + message.conversationId()
                        + " meanwhile");
            }
            if (sender.isPresent()) {
                Identity identity = sender.get();
                contacts.removeClaimed(tx, workspaceId, from.contactId(), identity.kind(), identity.value());
                resolver.attach(tx, workspaceId, message.inboxId(), target.contactId(), List.of(identity), true);
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
            ConversationRepository.Changed reopened = reopenIfUnanswered(tx, refreshedTo, message);
            if (reopened != null) {
                refreshedTo = reopened.conversation();
            }
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
            if (sender.isPresent()) {
                // The sender's identity left one contact for the other: open contact panels of either show it.
                events.append(tx, workspaceId, EventType.CONTACT_UPDATED, new JsonObject()
                        .put("contactId", target.contactId()).put("otherContactId", from.contactId())
                        .put("reason", "message moved"));
            }
            if (reopened != null) {
                events.append(tx, workspaceId, EventType.CONVERSATION_STATUS_CHANGED, new JsonObject()
                        .put("conversation", refreshedTo.toJson())
                        .put("previousStatus", reopened.previousStatus().wireName())
                        .put("reason", "customer message moved in").put("byAgentId", caller.agentId()));
            }
            return new JsonObject().put("message", view).put("conversationId", to.id())
                    .put("contactId", target.contactId()).put("contactCreated", target.created());
        });
        log.info("message moved message={} conversation={} contact={} agent={}", messageId,
                moved.getLong("conversationId"), moved.getLong("contactId"), caller.agentId());
        return moved;
    }

    /**
     * Reopens a resolved or snoozed conversation when the customer message moved into it is now its newest, as
     * the message would have had it reopened arriving there (an automatic answer would not have): the customer
     * waits for an answer there. Null when it stays as it is.
     */
    private ConversationRepository.Changed reopenIfUnanswered(Sql tx, Conversation to, Message message) {
        boolean waiting = to.status() == Status.RESOLVED || to.status() == Status.SNOOZED;
        boolean newest = to.lastMessageId() != null && to.lastMessageId() == message.id();
        if (!waiting || !newest || message.flags().contains(MessageRepository.AUTO_REPLY_FLAG)) {
            return null;
        }
        return conversations.update(tx, to.workspaceId(), to.id(), Status.OPEN, to.assigneeId(), to.priority(),
                to.labels(), null);
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
                .flatMap(identity -> contacts.provenOwner(tx, workspaceId, identity.kind(), identity.value()));
        if (owner.isPresent() && owner.get() == from.contactId()) {
            // A contact made for it would have no identity (the conversation's customer keeps it): their next
            // message would come back here, and the customer would have two threads. A merge is undone instead.
            throw Invalid.field("contactId", "the sender is proven to be this conversation's customer; to separate"
                    + " two customers merged into one, undo the merge");
        }
        if (owner.isPresent()) {
            return new Target(owner.get(), false, null);
        }
        JsonObject recorded = message.metadata() == null ? null : message.metadata().getJsonObject("from");
        String name = recorded == null ? null : recorded.getString("name");
        return new Target(contacts.insert(tx, workspaceId, name).id(), true, name);
    }

    /**
     * The identity the message came from, as ingest recorded it. Claimed when the record does not say: messages
     * stored before it said so count as claimed, as a move must never make a claim proven.
     */
    private static Optional<Identity> sender(Message message) {
        JsonObject from = message.metadata() == null ? null : message.metadata().getJsonObject("from");
        if (from == null || from.getString("value") == null) {
            return Optional.empty();
        }
        return IdentityKind.fromWireName(from.getString("kind")).map(kind -> new Identity(kind,
                from.getString("value"), from.getBoolean("proven", false)));
    }
}
