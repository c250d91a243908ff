// How each realtime frame changes the store. Durable events come with a seq; the widget channel may also send
// ephemeral frames (typing, presence) without one. Unknown types are ignored, so a newer server never breaks an
// open tab.
import { preview } from './store.js';

/** Event types this UI understands, in the words of EventType.java. */
const HANDLERS = {
  'message.created': messageCreated,
  'message.updated': messageChanged,
  'delivery.updated': messageChanged,
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
};

export function applyEvent(store, frame) {
  const handler = HANDLERS[frame.type];
  if (handler) {
    handler(store, frame.data || {});
    return;
  }
  visitorActivity(store, frame.type || '', frame.data || {});
}

function messageCreated(store, data) {
  const { message } = data;
  const conversationId = data.conversationId ?? message?.conversationId;
  if (data.conversation) {
    const known = store.state.conversations.get(conversationId);
    const patch = { ...data.conversation };
    if (message && message.kind !== 'note') patch.lastMessage = preview(message);
    if (known) store.place(store.upsert(patch));
    else store.fetchRow(conversationId);
  }
  if (!message) return;
  store.putMessage(message);
  if (message.kind === 'in') {
    store.setTyping(conversationId, null);
    const watching = store.state.thread?.conversationId === conversationId;
    if (watching) store.readIfWatching();
    if (!watching || !store.atBottom || document.visibilityState !== 'visible') store.bumpUnread(conversationId);
    if (watching) store.loadReplyOptions(conversationId);
  }
}

function messageChanged(store, data) {
  if (data.message) store.putMessage(data.message);
}

function conversationCreated(store, data) {
  if (data.conversation) store.fetchRow(data.conversation.id);
}

function conversationChanged(store, data) {
  const row = data.conversation;
  if (!row) return;
  if (store.state.conversations.has(row.id)) store.place(store.upsert(row));
  else store.fetchRow(row.id);
}

function contactChanged(store, data) {
  const open = store.state.contact?.id;
  const ids = [data.contact?.id, data.contactId, data.otherContactId].filter(Boolean);
  if (open && ids.includes(open)) store.loadContact(open);
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
  const open = store.state.thread?.conversationId;
  if (open === sourceConversationId) {
    store.notify('contact.mergedAway', 'info');
    store.open(conversationId);
  } else if (open === conversationId) {
    store.openThread(conversationId);
    store.loadContact(data.contactId);
  }
}

function contactUnmerged(store, data) {
  store.fetchRow(data.conversationId);
  store.fetchRow(data.restoredConversationId);
  if (store.state.thread?.conversationId === data.conversationId) {
    store.openThread(data.conversationId);
    store.loadContact(data.contactId);
  }
}

function inboxChanged(store) {
  store.loadServerInfo();
  const open = store.state.thread?.conversationId;
  if (open) store.loadReplyOptions(open);
}

/**
 * Typing, online and seen state of a widget visitor. The widget channel emits them; their exact names are the
 * widget's to choose, so anything naming typing, presence, online/offline or seen, with a conversation id, is
 * understood here.
 */
function visitorActivity(store, type, data) {
  const conversationId = data.conversationId ?? data.conversation?.id;
  if (!conversationId) return;
  const fromAgent = data.author?.type === 'agent' || data.by === 'agent' || data.agentId != null;
  if (/typing/.test(type)) {
    if (fromAgent && data.agentId === store.state.me?.agentId) return;
    const on = data.typing ?? !/(stop|off|end)/.test(type);
    store.setTyping(conversationId, on ? { name: data.name ?? data.author?.name ?? null, agent: fromAgent } : null);
    return;
  }
  if (/presence|online|offline/.test(type)) {
    const online = data.online ?? (/online/.test(type) && !/offline/.test(type));
    store.setPresence(conversationId, { online, lastSeenAt: data.lastSeenAt ?? data.at ?? null });
    return;
  }
  if (/seen/.test(type)) {
    store.setPresence(conversationId, { seenMessageId: data.messageId ?? data.lastSeenMessageId ?? null,
      seenAt: data.seenAt ?? data.at ?? null });
  }
}
