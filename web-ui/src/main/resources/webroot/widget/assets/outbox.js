// Messages the visitor sent that the server has not acknowledged yet. Kept in storage, so a reload or a lost
// connection resends them; each keeps its client UUID, so the server stores it once however often it arrives.
export class Outbox {
  constructor(storage, key) {
    this.storage = storage;
    this.key = key;
    this.list = storage.read(key) || [];
  }

  items() {
    return this.list;
  }

  add(item) {
    this.list.push(item);
    this.save();
  }

  remove(clientId) {
    this.list = this.list.filter((item) => item.clientId !== clientId);
    this.save();
  }

  update(clientId, patch) {
    this.list = this.list.map((item) => (item.clientId === clientId ? { ...item, ...patch } : item));
    this.save();
  }

  clear() {
    this.list = [];
    this.save();
  }

  save() {
    this.storage.write(this.key, this.list.map(({ inflight, ...kept }) => kept));
  }
}

/** localStorage, tolerant of browsers that block it in third-party frames (then state lives for the page only). */
export function storage(prefix) {
  const memory = new Map();
  const read = (key) => {
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
    } catch (e) {
      // storage unavailable: memory only
    }
  };
  return { read, write };
}
