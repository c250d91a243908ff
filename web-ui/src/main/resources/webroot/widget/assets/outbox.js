// Messages the visitor sent that the server has not acknowledged yet. Kept in storage, so a reload or a lost
// connection resends them; each keeps its client UUID, so the server stores it once however often it arrives.
//
// Every change reads the stored list, changes it and writes it back: the tabs of one browser share it, and a tab
// writing its own copy would erase what another tab queued. A message another tab queued is sent by whichever tab
// gets to it first; the server stores it once.
export class Outbox {
  constructor(storage, key) {
    this.storage = storage;
    this.key = key;
  }

  items() {
    const stored = this.storage.read(this.key);
    return Array.isArray(stored) ? stored : [];
  }

  add(item) {
    this.change((list) => [...list.filter((kept) => kept.clientId !== item.clientId), item]);
  }

  remove(clientId) {
    this.change((list) => list.filter((item) => item.clientId !== clientId));
  }

  update(clientId, patch) {
    this.change((list) => list.map((item) => (item.clientId === clientId ? { ...item, ...patch } : item)));
  }

  clear() {
    this.change(() => []);
  }

  /**
   * Takes over what another visitor's outbox still holds (this browser's previous visitor, before it signed in):
   * those messages were never acknowledged, and would otherwise never be sent nor shown again. Items stay in their
   * order, after any of this one's; the other outbox is emptied.
   */
  takeOver(other) {
    if (other.key === this.key) return;
    const moved = other.items();
    if (!moved.length) return;
    this.change((list) => [...list, ...moved.filter((item) => !list.some((kept) => kept.clientId === item.clientId))]);
    other.clear();
  }

  change(edit) {
    this.storage.write(this.key, edit(this.items()));
  }
}

/** localStorage, tolerant of browsers that block it in third-party frames (then state lives for the page only). */
export function storage(prefix) {
  const memory = new Map();
  // Keys whose last write did not reach localStorage (full, or blocked): memory holds their value, not the stale
  // stored one.
  const unsaved = new Set();
  const read = (key) => {
    if (unsaved.has(key)) return memory.has(key) ? memory.get(key) : null;
    try {
      const text = localStorage.getItem(prefix + key);
      return text === null ? null : JSON.parse(text);
    } catch (e) {
      return memory.has(key) ? memory.get(key) : null;
    }
  };
  const write = (key, value) => {
    memory.set(key, value);
    try {
      if (value === null) localStorage.removeItem(prefix + key);
      else localStorage.setItem(prefix + key, JSON.stringify(value));
      unsaved.delete(key);
    } catch (e) {
      unsaved.add(key);
    }
  };
  return { read, write };
}
