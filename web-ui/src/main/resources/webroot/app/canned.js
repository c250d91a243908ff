// Canned responses for the composer's "/" picker: fetched once a minute at most, matched by short code first,
// then by title or text, and filled with the conversation's names.
import * as api from './api.js';

const TTL_MS = 60_000;
let cache = null;
/** Bumped whenever the cache is forgotten: an answer to a request sent before is not kept. */
let generation = 0;

/** The request on its way, shared by every keystroke of one session that needs the list meanwhile. */
let loading = null;

export async function cannedResponses() {
  if (cache && Date.now() - cache.at < TTL_MS) return cache.items;
  if (loading?.generation !== generation) {
    const asked = generation;
    const request = api.get('/api/v1/canned-responses').then((answer) => {
      if (asked === generation) cache = { at: Date.now(), items: answer.cannedResponses };
      return answer.cannedResponses;
    }).finally(() => {
      if (loading?.request === request) loading = null;
    });
    loading = { generation: asked, request };
  }
  return loading.request;
}

/** Forgets the cache after an admin changed them, or the session ended. */
export function cannedChanged() {
  cache = null;
  generation++;
}

export function matchCanned(items, query) {
  const q = query.toLowerCase();
  if (!q) return items;
  const starts = items.filter((r) => r.shortCode.startsWith(q));
  const contains = items.filter((r) => !r.shortCode.startsWith(q)
    && ((r.title || '').toLowerCase().includes(q) || r.body.toLowerCase().includes(q)));
  return [...starts, ...contains];
}

/** Fills {{contact.name}}, {{contact.first_name}} and {{agent.name}}; unknown placeholders stay as written. */
export function fillCanned(body, { contact, agent }) {
  const name = contact?.name || '';
  const values = {
    'contact.name': name,
    'contact.first_name': name.split(/\s+/)[0] || '',
    'agent.name': agent?.name || '',
  };
  return body.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (match, key) => (key in values ? values[key] : match));
}
