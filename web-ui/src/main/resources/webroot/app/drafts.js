// One draft per agent and conversation, kept in localStorage so a reload or a crash loses nothing. A draft holds
// its Idempotency-Key: a second click, or a retry after a lost answer, sends the same key and the server stores
// the message once. Any edit makes a new request, so the key is dropped and the next send mints a fresh one.

const PREFIX = 'tl.draft.';
const MAX_AGE_MS = 30 * 24 * 3600 * 1000;

function key(agentId, conversationId) {
  return `${PREFIX}${agentId}.${conversationId}`;
}

export function emptyDraft() {
  return { body: '', note: false, channel: null, attachments: [], idempotencyKey: null };
}

export function loadDraft(agentId, conversationId) {
  try {
    const saved = JSON.parse(localStorage.getItem(key(agentId, conversationId)) || 'null');
    if (!saved || Date.now() - (saved.savedAt || 0) > MAX_AGE_MS) return emptyDraft();
    return { ...emptyDraft(), ...saved };
  } catch {
    return emptyDraft();
  }
}

export function saveDraft(agentId, conversationId, draft) {
  const empty = !draft.body.trim() && !draft.attachments.length && !draft.idempotencyKey;
  if (empty) localStorage.removeItem(key(agentId, conversationId));
  else localStorage.setItem(key(agentId, conversationId), JSON.stringify({ ...draft, savedAt: Date.now() }));
}

export function clearDraft(agentId, conversationId) {
  localStorage.removeItem(key(agentId, conversationId));
}

/** The draft's key for this send: kept while the draft is unchanged, minted when there is none. */
export function idempotencyKey(draft) {
  return draft.idempotencyKey || uuid();
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
  return current.startsWith(sent) ? current.slice(sent.length).trimStart() : current;
}
