// How each realtime frame changes the store. Durable events come with a seq; typing signals are transient frames
// without one. Unknown types are ignored, so a newer server never breaks an open tab.
import { preview } from './store.js';

/** Event types this UI understands, in the words of EventType.java. */
const HANDLERS = {
  'message.created': messageCreated,
  'message.updated': messageChanged,
  'delivery.updated': messageChanged,
  'delivery.scheduled': deliveryScheduled,
  'message.moved': messageMoved,
  'conversation.created': conversationCreated,
  'conversation.status_changed': conversationChanged,
  'conversation.updated': conversationChanged,
  'assignee.changed': conversationChanged,
  'contact.created': contactChanged,
  'contact.updated': contactChanged,
  'merge.suggested': contactChanged,
  'contact.merged': contactMerged,
  'contact.unmerged': contactUnmerged,
  'inbox.changed': inboxChanged,
  'agent.created': agentChanged,
  'agent.updated': agentChanged,
  // The widget channel's visitor activity (widget EventType): presence and receipts are durable, typing is not.
  'visitor.presence_changed': visitorPresence,
  'visitor.seen': visitorSeen,
  'visitor.typing': visitorTyping,
  'agent.typing': agentTyping,
};

export function applyEvent(store, frame) {
  HANDLERS[frame.type]?.(store, frame.data || {});
}

function messageCreated(store, data) {
  const { message } = data;
  const conversationId = data.conversationId ?? message?.conversationId;
  if (data.conversation) {
    const known = store.state.conversations.get(conversationId);
    const patch = { ...data.conversation };
    if (message && message.kind !== 'note') patch.lastMessage = preview(message);
    if (known) store.place(store.upsert(patch));
    else store.fetchRow(conversationId, patch);
  }
  if (!message) return;
  store.putMessage(message, { created: true });
  if (message.kind === 'in') {
    store.setTyping(conversationId, 'visitor', null);
    const watching = store.watching(conversationId);
    if (watching) store.readIfWatching();
    if (!watching || !store.atBottom || document.visibilityState !== 'visible') {
      store.bumpUnread(conversationId, message.id);
    }
    if (watching) store.loadReplyOptions(conversationId);
  }
}

function messageChanged(store, data) {
  const { message } = data;
  if (!message) return;
  // An edit or a removal of the newest message changes what the list row shows of it.
  store.messageChanged(message, data.conversationId ?? message.conversationId);
}

/** An email fallback was scheduled; the earlier ones it folds in (replaced) are skipped now. */
function deliveryScheduled(store, data) {
  if (data.conversationId && data.replaced?.length) store.refreshMessages(data.conversationId, data.replaced);
}

/** An agent moved a customer's message to another contact's thread. */
function messageMoved(store, data) {
  const { messageId, fromConversationId, toConversationId } = data;
  for (const id of [fromConversationId, toConversationId]) if (id) store.fetchRow(id);
  store.removeMessage(fromConversationId, messageId);
  if (data.message) store.putMessage({ ...data.message, conversationId: toConversationId }, { created: true });
  const open = store.state.thread?.conversationId;
  if (open && (open === fromConversationId || open === toConversationId)) store.loadReplyOptions(open);
}

function conversationCreated(store, data) {
  if (data.conversation) store.fetchRow(data.conversation.id, data.conversation);
}

function conversationChanged(store, data) {
  const row = data.conversation;
  if (!row) return;
  if (store.state.conversations.has(row.id)) store.place(store.upsert(row));
  else store.fetchRow(row.id, row);
}

function contactChanged(store, data) {
  refreshContactConcerned(store, [data.contact?.id, data.contactId, data.otherContactId]);
  const renamed = data.contact;
  if (renamed?.id && renamed.name) store.renameContact(renamed.id, renamed.name);
}

function contactMerged(store, data) {
  const { conversationId, sourceConversationId } = data;
  const conversations = new Map(store.state.conversations);
  const source = conversations.get(sourceConversationId);
  if (source) {
    conversations.set(sourceConversationId, { ...source, mergedIntoId: conversationId });
    store.state.conversations = conversations;
    store.place(conversations.get(sourceConversationId));
  }
  store.fetchRow(conversationId);
  // The source's unread messages are the target's now (fetchRow reads its count): the source counts no more.
  if (store.state.unread.has(sourceConversationId)) {
    const unread = new Map(store.state.unread);
    unread.delete(sourceConversationId);
    store.set({ unread });
  }
  // Remembered even when the source's row is not in the page: the target's composer takes in its draft, whenever
  // it shows the target (not here: another tab's composer may hold the target's draft, and would save over it).
  store.mergedAway.set(sourceConversationId, conversationId);
  const open = store.state.thread?.conversationId;
  if (open === sourceConversationId && store.state.route.view !== 'inbox') {
    // The thread kept while the agent is in the settings: going to the target would drop an unsaved form there.
    // It goes instead; back in the inbox, the route's conversation, merged away, leads to the target.
    store.set({ thread: null, contact: null, replyOptions: null });
  } else if (open === sourceConversationId) {
    store.notify('contact.mergedAway', 'info');
    store.open(conversationId);
  } else if (open === conversationId) {
    store.openThread(conversationId);
    store.loadReplyOptions(conversationId);
  }
  refreshContactConcerned(store, [data.contactId, data.sourceContactId]);
}

function contactUnmerged(store, data) {
  // Its own again: its drafts and files stay with it, and the target's composer no longer takes them in.
  store.mergedAway.delete(data.restoredConversationId);
  const restored = store.state.conversations.get(data.restoredConversationId);
  if (restored?.mergedIntoId) {
    const conversations = new Map(store.state.conversations);
    conversations.set(data.restoredConversationId, { ...restored, mergedIntoId: null });
    store.state.conversations = conversations;
  }
  store.fetchRow(data.conversationId);
  store.fetchRow(data.restoredConversationId);
  if (store.state.thread?.conversationId === data.conversationId) {
    store.openThread(data.conversationId);
    store.loadReplyOptions(data.conversationId);
  }
  refreshContactConcerned(store, [data.contactId, data.restoredContactId]);
}

/**
 * The open contact panel is read again when a merge or an unmerge touches its contact, or a contact it suggests
 * merging: a suggestion whose other side another agent merged away (or whose evidence an unmerge took back) stayed
 * offered, and merging it on stale evidence merged a customer who no longer shared anything with this one.
 */
function refreshContactConcerned(store, ids) {
  const contact = store.state.contact;
  if (!contact?.id) return;
  const suggested = (contact.data?.mergeSuggestions || []).map((s) => s.otherContactId);
  if (ids.some((id) => id != null && (id === contact.id || suggested.includes(id)))) store.loadContact(contact.id);
}

function inboxChanged(store) {
  store.loadServerInfo();
  const open = store.state.thread?.conversationId;
  if (open) store.loadReplyOptions(open);
}

/** A visitor came online or left; the open thread asks for the state of all the contact's visitors together. */
function visitorPresence(store, data) {
  if (!data.conversationId) return;
  if (store.state.thread?.conversationId === data.conversationId) store.loadVisitors(data.conversationId);
  else store.setPresence(data.conversationId, { online: !!data.online, lastSeenAt: data.lastSeenAt ?? null });
}

function visitorSeen(store, data) {
  if (!data.conversationId) return;
  const before = store.state.presence.get(data.conversationId)?.seenMessageId ?? 0;
  store.setPresence(data.conversationId, { seenMessageId: Math.max(before, data.messageId ?? 0),
    seenAt: data.seenAt ?? null });
}

function visitorTyping(store, data) {
  if (data.conversationId) {
    store.setTyping(data.conversationId, 'visitor', data.typing ? { name: null, agent: false } : null);
  }
}

/** Another agent writing a reply in the same conversation: shown, so two agents do not answer at once. */
function agentTyping(store, data) {
  if (!data.conversationId || data.agent?.id === store.state.me?.agentId) return;
  store.setTyping(data.conversationId, `agent:${data.agent?.id}`,
    data.typing ? { name: data.agent?.name ?? null, agent: true } : null);
}

/**
 * An agent joined or changed (name, role, active): the team shown (assignees, settings) follows, and an agent whose
 * own role or name another admin changed reads it back, so the Settings link comes or goes without a new sign-in.
 */
function agentChanged(store, data) {
  const { agent } = data;
  if (!agent?.id) return;
  const agents = store.state.agents;
  const at = agents.findIndex((a) => a.id === agent.id);
  store.agentsChanged += 1;
  store.set({ agents: at < 0 ? [...agents, agent] : agents.map((a, i) => (i === at ? agent : a)) });
  for (const row of store.state.conversations.values()) {
    if (row.assignee?.id === agent.id && row.assignee.name !== agent.name) {
      store.upsert({ ...row, assignee: { ...row.assignee, name: agent.name } });
    }
  }
  const { me } = store.state;
  if (agent.id === me?.agentId && (agent.role !== me.role || agent.name !== me.name)) store.refreshMe();
}
