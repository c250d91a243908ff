// The frame's one store: every component renders from it and changes it only through these functions.
export function createStore(initial) {
  let state = initial;
  const listeners = new Set();
  return {
    get: () => state,
    set(patch) {
      state = { ...state, ...(typeof patch === 'function' ? patch(state) : patch) };
      listeners.forEach((listener) => listener(state));
    },
    subscribe(listener) {
      listeners.add(listener);
      listener(state);
      return () => listeners.delete(listener);
    }
  };
}

// Messages are kept once each: by server id, and a local (pending) one by its client id until the server's copy
// arrives; an older copy of a message (a late frame after a newer edit) never replaces a newer one, nor a copy from
// before its removal a removed one. Sorted oldest first.
export function upsertMessage(list, message) {
  const existing = list.find((m) => m.id && m.id === message.id);
  if (existing && (version(message) < version(existing) || (existing.redactedAt && !message.redactedAt))) return list;
  const pending = !existing && message.clientId ? list.find((m) => !m.id && m.clientId === message.clientId) : null;
  const out = list.filter((m) => !(m.id && m.id === message.id)
    && !(message.clientId && !m.id && m.clientId === message.clientId));
  // The server's copy can come before the acknowledgement: what the frame said under its pending copy (its files
  // had to go) stays said.
  const merged = pending && pending.notice && !message.notice ? { ...message, notice: pending.notice } : message;
  out.push(existing ? { ...existing, ...message } : merged);
  out.sort(order);
  return out;
}

function version(message) {
  return Math.max(Date.parse(message.editedAt ?? '') || 0, Date.parse(message.createdAt ?? '') || 0,
    Date.parse(message.redactedAt ?? '') || 0);
}

function order(a, b) {
  if (a.id && b.id) return a.id - b.id;
  if (!a.id && !b.id) return (a.createdAt || '').localeCompare(b.createdAt || '');
  return a.id ? -1 : 1;
}
