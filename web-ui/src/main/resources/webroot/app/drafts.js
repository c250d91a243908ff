// One draft per agent and conversation, kept in localStorage so a reload or a crash loses nothing. A send turns
// the draft's content into a request with its own Idempotency-Key, kept in the draft as `pending` until the server
// confirms it: a retry after a lost answer (or after a reload mid-send) sends that same request with the same key,
// so the server stores it once, whatever was typed into the composer meanwhile.

const PREFIX = 'tl.draft.';
const MAX_AGE_MS = 30 * 24 * 3600 * 1000;
// An unconfirmed request is dropped after this: the server keeps its key 35 days, so within it a retry or a
// withdrawal always meets the key, never a forgotten one.
const PENDING_MAX_AGE_MS = 30 * 24 * 3600 * 1000;

function key(agentId, conversationId) {
  return `${PREFIX}${agentId}.${conversationId}`;
}

export function emptyDraft() {
  return { body: '', note: false, channel: null, attachments: [], pending: null };
}

export function loadDraft(agentId, conversationId) {
  try {
    const saved = JSON.parse(localStorage.getItem(key(agentId, conversationId)) || 'null');
    if (!saved || Date.now() - (saved.savedAt || 0) > MAX_AGE_MS) return emptyDraft();
    const { idempotencyKey: legacyKey, savedAt, ...draft } = saved;
    // A draft saved by an older version held its key itself: it was being sent, so it is the pending request.
    if (legacyKey && !draft.pending) draft.pending = requestOf({ ...emptyDraft(), ...draft }, legacyKey);
    if (draft.pending && Date.now() - (draft.pending.createdAt ?? Date.now()) > PENDING_MAX_AGE_MS) draft.pending = null;
    return { ...emptyDraft(), ...draft };
  } catch {
    return emptyDraft();
  }
}

/** Nothing typed, attached or waiting for confirmation: nothing to keep. */
function isEmpty(draft) {
  return !draft.body.trim() && !draft.attachments.length && !draft.pending;
}

export function saveDraft(agentId, conversationId, draft) {
  if (isEmpty(draft)) localStorage.removeItem(key(agentId, conversationId));
  else localStorage.setItem(key(agentId, conversationId), JSON.stringify({ ...draft, savedAt: Date.now() }));
}

export function clearDraft(agentId, conversationId) {
  localStorage.removeItem(key(agentId, conversationId));
}

/**
 * The draft of a conversation merged into another, joined to that one's draft: what the agent was typing follows
 * them to the conversation the merge opened, instead of waiting under one that no longer takes replies.
 */
export function carryOver(source, target) {
  if (isEmpty(source)) return target;
  if (isEmpty(target)) return { ...source };
  return { ...target, body: [target.body, source.body].filter((b) => b.trim()).join('\n\n'),
    attachments: [...target.attachments, ...source.attachments], pending: target.pending ?? source.pending };
}

/**
 * What a send posts: the request still unconfirmed if there is one (its key makes the retry safe), else the draft's
 * content with a fresh key. A request keeps the conversation it was first posted to: after a merge carried it to
 * another, the retry goes where the first try went, so the server recognises it (a stored one is answered as it
 * was; one never stored is refused there, and the agent sends it again here).
 */
export function nextRequest(draft, conversationId) {
  return draft.pending || requestOf(draft, uuid(), conversationId);
}

function requestOf(draft, idempotencyKey, conversationId) {
  const { body, note, channel, attachments } = draft;
  return { body, note, channel, attachments, idempotencyKey, conversationId, createdAt: Date.now() };
}

/**
 * The draft once the server confirmed {@code sent}: the text typed after it (or all of it, when it was rewritten)
 * and the files attached since stay; the mode and channel stay for the next reply.
 */
export function afterConfirmed(current, sent) {
  const sentIds = new Set(sent.attachments.map((a) => a.id));
  return { ...emptyDraft(), note: current.note, channel: current.channel, body: leftAfterSend(current.body, sent.body),
    attachments: current.attachments.filter((a) => !sentIds.has(a.id)) };
}

/** A random UUID; crypto.randomUUID exists only in secure contexts, and plain-HTTP intranet installs are common. */
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Drops drafts older than a month, so localStorage does not fill up over years of use. */
export function pruneDrafts() {
  for (let i = localStorage.length - 1; i >= 0; i--) {
    const name = localStorage.key(i);
    if (!name?.startsWith(PREFIX)) continue;
    try {
      const saved = JSON.parse(localStorage.getItem(name));
      if (Date.now() - (saved?.savedAt || 0) > MAX_AGE_MS) localStorage.removeItem(name);
    } catch {
      localStorage.removeItem(name);
    }
  }
}

/**
 * What stays in the composer once a reply went out: the text typed while it was being sent (after the sent
 * text), or the whole draft when it was rewritten meanwhile; nothing when it is still the text that was sent.
 */
export function leftAfterSend(current, sent) {
  if (current === sent) return '';
  if (current.startsWith(sent)) return current.slice(sent.length).trimStart();
  // A draft joined after a merge holds the sent text after the target's own: that block goes, the rest stays.
  const at = sent.trim() ? current.indexOf(sent) : -1;
  return at >= 0 ? `${current.slice(0, at).trimEnd()}\n\n${current.slice(at + sent.length).trimStart()}`.trim()
    : current;
}
