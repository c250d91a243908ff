package io.throughline.realtime;

/** Event names: dotted facts in the words support teams use (as Chatwoot's). */
public final class EventType {

    public static final String MESSAGE_CREATED = "message.created";
    public static final String MESSAGE_UPDATED = "message.updated";
    public static final String DELIVERY_UPDATED = "delivery.updated";
    /** A conditional delivery was scheduled (an email fallback of a chat reply). */
    public static final String DELIVERY_SCHEDULED = "delivery.scheduled";
    /** An agent moved a wrongly threaded message to another contact's conversation. */
    public static final String MESSAGE_MOVED = "message.moved";
    public static final String CONVERSATION_CREATED = "conversation.created";
    public static final String CONVERSATION_STATUS_CHANGED = "conversation.status_changed";
    public static final String CONVERSATION_UPDATED = "conversation.updated";
    public static final String ASSIGNEE_CHANGED = "assignee.changed";
    public static final String CONTACT_CREATED = "contact.created";
    public static final String CONTACT_UPDATED = "contact.updated";
    public static final String CONTACT_MERGED = "contact.merged";
    public static final String CONTACT_UNMERGED = "contact.unmerged";
    public static final String MERGE_SUGGESTED = "merge.suggested";
    public static final String INBOX_CHANGED = "inbox.changed";
    /** An agent joined the workspace: {agentId, agent}. */
    public static final String AGENT_CREATED = "agent.created";
    /** An agent's name, role or active state changed: {agentId, agent}; a password change alone is not told. */
    public static final String AGENT_UPDATED = "agent.updated";
    /** A widget visitor came online or went offline: {visitorId, contactId, conversationId, online, lastSeenAt}. */
    public static final String VISITOR_PRESENCE_CHANGED = "visitor.presence_changed";
    /** A widget visitor saw the thread up to a message: {visitorId, contactId, conversationId, messageId, seenAt}. */
    public static final String VISITOR_SEEN = "visitor.seen";
    /**
     * A widget visitor was ended by the site's logout ({@code reason: "reset"}): its token no longer works, and its
     * open sockets and polls end. {visitorId, reason}.
     */
    public static final String VISITOR_SESSION_ENDED = "visitor.session_ended";
    /** Transient (no seq, not in the log): a widget visitor is typing, {conversationId, visitorId, typing}. */
    public static final String VISITOR_TYPING = "visitor.typing";
    /** Transient (no seq, not in the log): an agent is typing a reply, {conversationId, agent, typing}. */
    public static final String AGENT_TYPING = "agent.typing";

    private EventType() {
    }
}
