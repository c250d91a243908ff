// The chat frame: talks to the page's loader by postMessage, to the server by HTTP and a WebSocket, and renders
// from one store. Nothing here can reach the host page, and the host page cannot reach in.
import { Api } from './api.js';
import { composer } from './composer.js';
import { h } from './dom.js';
import { header } from './header.js';
import { pickLanguage, translator } from './i18n.js';
import { earlierButton, messageList } from './messages.js';
import { Outbox, storage } from './outbox.js';
import { offlineEmail, prechat } from './prechat.js';
import { connectionBanner, typingIndicator } from './status.js';
import { createStore, upsertMessage } from './store.js';
import { Transport } from './transport.js';

const siteKey = new URLSearchParams(location.search).get('siteKey') || '';
const saved = storage('throughline:' + siteKey + ':');
/** Answers of 500 after which a message is marked not sent rather than holding those after it for ever. */
const MAX_SERVER_ERRORS = 10;
/** Messages sent over the socket and not acknowledged yet, at most: what the server queues per socket. */
const MAX_IN_FLIGHT = 16;
/** Below the server's WebSocket frame limit (64 KB), with room for the frame's own fields. */
const MAX_SOCKET_FRAME_BYTES = 60 * 1024;
const encoder = new TextEncoder();
const api = new Api();
const store = createStore({
  phase: 'starting', messages: [], staged: [], connection: 'connecting', open: false, seenUpTo: 0, typing: null,
  settings: null, visitor: null, limits: null, composerError: '', olderBefore: null, loadingOlder: false,
  forgotten: 0
});
const inflight = new Map();
/** The message sent by HTTP while it is in flight: it holds those written after it (either transport). */
let httpSend = null;
const images = new Map();
let outbox = new Outbox(saved, 'outbox:none');
let hostOrigin = null;
let init = null;
let identity = null;
/** Whether the chat covers the host page (a phone): the loader says so. */
let modal = false;
let t = translator('en');
let ui = null;
/** How the panel's current content unsubscribes from the store (see mounting). */
let mounted = [];
let lastUnread = -1;
let typingSentAt = 0;
let typingTimer = null;
let bootAttempt = 0;
/** Counts boots: a boot overtaken by a newer one (identify or reset while it ran) drops what it gets. */
let bootGeneration = 0;
/** The timer of a failed boot's retry, while it waits. */
let bootRetry = null;
/**
 * When the chat was last refused for good (the widget switched off or removed, this origin no longer allowed), or
 * last looked at again since: null while it is not refused. A refused chat looks again when the visitor opens it,
 * and every two heartbeats while it is open in a visible tab, so a widget switched on again comes back without a
 * reload.
 */
let refusedAt = null;
/** The server's heartbeat, from the last session (its default until one answers). */
let heartbeatMs = 25000;
/** A refused chat opened again looks at most this often. */
const RECHECK_ON_OPEN_MS = 1000;
/** The next session request ends the current visitor (a reset): see restart. */
let resetting = false;

class Overtaken extends Error {}
/** How long a signed-in visitor's next page has to call identify before the chat starts without it. */
const IDENTIFY_GRACE_MS = 1500;
/** The timer of that wait, while it runs. */
let awaitingIdentity = null;
/** The newest reply the server confirmed as seen, and the last report of one (see reportSeen). */
let seenConfirmed = 0;
let seenReport = { id: 0, at: 0 };
/** Message frames received while the history is being loaded (see loadHistory); null otherwise. */
let arrivedDuringLoad = null;

const transport = new Transport({
  api,
  onFrame: receiveFrame,
  onState: (connection) => store.set({ connection }),
  onOpen: () => {
    // What went over a socket before is sent again; a send by HTTP still on its way is not.
    for (const clientId of [...inflight.keys()]) if (clientId !== httpSend) inflight.delete(clientId);
    flush();
  },
  onGone: (reason) => {
    refusedAt = Date.now();
    store.set({ phase: 'error' });
    toParent({ type: 'refused', detail: reason });
    notReady('unavailable', 'alert');
  },
  refreshSession: () => startSession(bootGeneration)
});

function toParent(message) {
  if (hostOrigin) window.parent.postMessage(message, hostOrigin);
}

window.addEventListener('message', (event) => {
  if (window.parent === window || event.source !== window.parent) return;
  const m = event.data || {};
  if (m.type === 'init') {
    if (hostOrigin) return;
    hostOrigin = event.origin;
    init = m;
    // Until the widget's settings arrive, the page's and the browser's languages (a refusal is shown in them).
    t = translator(pickLanguage(null, [m.locale, ...(navigator.languages || [])].filter(Boolean)));
    document.documentElement.lang = t.language;
    identity = m.identity || null;
    modal = !!m.modal;
    if (m.reset) {
      // A reset the page asked for before this frame was ready (or on a page left before it was done).
      resetting = true;
      toParent({ type: 'active', active: false });
    }
    store.set({ open: !!m.open });
    // Until the session answers, the panel has its title bar: on a phone it covers the page, and its close
    // button is the only way back to it while the chat cannot start.
    notReady('starting', 'status');
    if (!identity && !m.reset && saved.read('identified')) {
      // This browser's visitor was signed in: a page that calls identify after loading its user (most single-page
      // sites) gets a moment to, rather than the chat starting over as an anonymous visitor and then again.
      awaitingIdentity = setTimeout(() => {
        awaitingIdentity = null;
        boot();
      }, IDENTIFY_GRACE_MS);
    } else {
      boot();
    }
    return;
  }
  if (event.origin !== hostOrigin) return;
  if (m.type === 'visibility') {
    store.set({ open: !!m.open, scrollToEnd: m.open ? Date.now() : 0 });
    if (m.open && ui) ui.focus();
    if (m.open) recheck(RECHECK_ON_OPEN_MS);
    markSeen();
  } else if (m.type === 'modal') {
    modal = !!m.modal;
  } else if (m.type === 'identify') {
    if (awaitingIdentity) {
      clearTimeout(awaitingIdentity);
      awaitingIdentity = null;
      identity = m.identity || null;
      boot();
      return;
    }
    // Pages call identify on every route change: the same identity changes nothing.
    if (JSON.stringify(m.identity || null) === JSON.stringify(identity)) return;
    identity = m.identity || null;
    restart(false);
  } else if (m.type === 'reset') {
    identity = null;
    if (awaitingIdentity) {
      clearTimeout(awaitingIdentity);
      awaitingIdentity = null;
    }
    restart(true);
  }
});

// Another tab of this chat ended its visitor (the site's logout): this one starts over with the new visitor.
window.addEventListener('storage', (event) => {
  if (event.key !== 'throughline:' + siteKey + ':reset' || !hostOrigin) return;
  identity = null;
  clearTimeout(awaitingIdentity);
  awaitingIdentity = null;
  restart(false, true);
});

document.addEventListener('visibilitychange', markSeen);
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') toParent({ type: 'close' });
  else if (event.key === 'Tab' && modal) keepFocusInside(event);
});

/**
 * While the chat covers the page (a phone), Tab goes round its own controls: past the last it went on to the
 * page's, hidden behind the panel, and the keyboard was lost there.
 */
function keepFocusInside(event) {
  const controls = [...document.querySelectorAll('button, [href], input, textarea, select, [tabindex]')]
    .filter((e) => !e.disabled && e.tabIndex >= 0 && e.getClientRects().length);
  if (!controls.length) return;
  const first = controls[0];
  const last = controls[controls.length - 1];
  const at = document.activeElement;
  if (event.shiftKey ? at === first || !controls.includes(at) : at === last) {
    event.preventDefault();
    (event.shiftKey ? last : first).focus();
  }
}
setInterval(() => {
  const s = store.get();
  if (s.typing && s.typing.until <= Date.now()) store.set({ typing: null });
  const now = Date.now();
  for (const [clientId, sentAt] of inflight) {
    if (now - sentAt > 15000) inflight.delete(clientId);
  }
  flush();
  reportSeen();
  if (s.open && document.visibilityState === 'visible') recheck(2 * heartbeatMs);
}, 1000);

/** A chat refused for good looks again whether it is back, once `after` ms passed since the last look. */
function recheck(after) {
  if (refusedAt === null || Date.now() - refusedAt < after) return;
  // Until the answer, the panel keeps saying the chat is not available; a refusal again renews the wait.
  refusedAt = Date.now();
  boot();
}

if (window.parent === window) {
  document.getElementById('app').append(h('p', { class: 'unavailable' }, t('unavailable')));
} else {
  window.parent.postMessage({ type: 'ready' }, '*');
}

async function boot() {
  // A retry still waiting is overtaken by this boot (an identify or a reset while it waited): firing later, it
  // started the transport a second time under the running one.
  clearTimeout(bootRetry);
  const generation = ++bootGeneration;
  try {
    const session = await startSession(generation);
    refusedAt = null;
    heartbeatMs = Math.max(1, session.heartbeatSeconds || 25) * 1000;
    t = translator(pickLanguage(session.settings.locale, [...(navigator.languages || []), init.locale]));
    document.documentElement.lang = t.language;
    document.documentElement.style.setProperty('--primary', session.settings.colors.primary);
    document.documentElement.style.setProperty('--on-primary', session.settings.colors.onPrimary);
    if (!ui) ui = mountUi();
    await loadHistory(generation);
    if (generation !== bootGeneration) return;
    store.set({ phase: 'ready' });
    // Open while it started (Throughline('open') on load, a sign-in with the chat open): what shows is seen now.
    markSeen();
    bootAttempt = 0;
    transport.start({ socketUrl: session.socket.url, seq: store.get().historySeq,
      heartbeatSeconds: session.heartbeatSeconds });
    if (store.get().open && ui) ui.focus();
  } catch (e) {
    if (e instanceof Overtaken || generation !== bootGeneration) return;
    // Refused for good (the origin, the site key, what the page passed: a malformed identity): asking again with
    // the same answer would only hide why from the site's developer, whose console says it.
    if (e.status === 400 || e.status === 403 || e.status === 404) {
      // What the page passed (400) stays wrong until the page changes it: only the site's settings are looked at
      // again.
      const lookedAgain = refusedAt !== null && store.get().phase === 'error';
      refusedAt = e.status === 400 ? null : Date.now();
      // Still refused at a look: the panel stays as it is (redrawn, its close button would lose focus and the
      // alert be read again), and the page's console heard why the first time.
      if (lookedAgain) return;
      store.set({ phase: 'error' });
      const errors = e.problem && e.problem.errors ? ' ' + JSON.stringify(e.problem.errors) : '';
      toParent({ type: 'refused', detail: e.message + errors });
      notReady('unavailable', 'alert');
      return;
    }
    bootAttempt++;
    // A chat started over (a sign-in, a sign-out) keeps its panel while its new session answers; refused for now
    // (a rate limit, the server away), it says it connects, as at the first start: every part of the chat waits
    // for the ready phase, and the panel was blank for as long as the retries took.
    if (ui) notReady('starting', 'status');
    // A rate limit says when to ask again: sooner would only be refused again.
    bootRetry = setTimeout(boot, Math.max(Math.min(30000, 500 * 2 ** bootAttempt) * (0.5 + Math.random()),
      (e.retryAfter || 0) * 1000));
  }
}

/**
 * Starts or resumes the visitor's session; the token stays in this frame's storage, never in the page's. The
 * answer of a boot that a newer one overtook is dropped, so the frame never ends with one visitor's token and
 * another's socket.
 */
async function startSession(generation) {
  const ending = resetting;
  const session = await api.session({
    siteKey, visitorToken: saved.read('token') || undefined, identity: identity || undefined, hostOrigin,
    pageUrl: init.page && init.page.url, pageTitle: init.page && init.page.title, locale: init.locale,
    reset: ending || undefined
  });
  if (ending) {
    // The server retired the old token: the page need not ask again, even if a newer boot overtook this one.
    resetting = false;
    toParent({ type: 'resetDone' });
  }
  if (generation !== bootGeneration) throw new Overtaken();
  api.token = session.visitorToken;
  saved.write('token', session.visitorToken);
  saved.write('identified', session.visitor.identified ? true : null);
  if (ending) saved.write('reset', Date.now());
  if (store.get().visitor && store.get().visitor.id !== session.visitor.id) {
    store.set({ messages: [], seenUpTo: 0 });
    seenConfirmed = 0;
  }
  outbox = new Outbox(saved, 'outbox:' + session.visitor.id);
  // The anonymous visitor a sign-in replaced (in this page or an earlier one, as the server says): what it queued
  // and never got acknowledged is sent as this one's. Any other change of visitor (a sign-out, another user
  // signing in on a shared computer) leaves it where it is.
  const previous = session.visitor.previousId;
  if (previous && previous !== session.visitor.id) outbox.takeOver(new Outbox(saved, 'outbox:' + previous));
  store.set({ visitor: session.visitor, settings: session.settings, limits: session.limits });
  holdsSomeone(session.visitor);
  return session;
}

/**
 * Starts the chat over: for a new identity, or with `reset` for a sign-out that ends the visitor here. With
 * `forget` (a sign-out here or in another tab), what the visitor typed and not sent goes too: on a shared
 * computer the next person found the draft, and an error naming the last one's file.
 */
async function restart(reset, forget = reset) {
  transport.stop();
  inflight.clear();
  if (reset) {
    outbox.clear();
    // The old token goes with the request that ends it (the server retires it), and the browser's other tabs
    // of this chat follow (a storage event), so none keeps showing the signed-out customer's thread.
    resetting = true;
    toParent({ type: 'active', active: false });
  }
  store.set({ messages: [], staged: [], seenUpTo: 0, phase: 'starting', typing: null, olderBefore: null,
    composerError: '', ...(forget ? { forgotten: Date.now() } : {}) });
  seenConfirmed = 0;
  forgetImages();
  await boot();
}

/** Lets go of the files the frame held for previews and downloads: the next visitor must not reach them. */
function forgetImages() {
  letGoOfDownload();
  for (const loading of images.values()) loading.then((url) => URL.revokeObjectURL(url), () => {});
  images.clear();
}

async function loadHistory(generation = bootGeneration) {
  const arrived = [];
  arrivedDuringLoad = arrived;
  let page;
  try {
    page = await api.history();
  } finally {
    if (arrivedDuringLoad === arrived) arrivedDuringLoad = null;
  }
  if (generation !== bootGeneration) return;
  let messages = [];
  for (const message of page.messages) messages = upsertMessage(messages, message);
  // A reply that came over the socket while the page was on its way is newer than the page: it stays (the
  // socket's resume point has passed it, so it would not come again). Older frames are in the page already.
  for (const frame of arrived) {
    if (frame.late || typeof frame.seq !== 'number' || frame.seq > page.seq) {
      messages = upsertMessage(messages, frame.message);
    }
  }
  for (const item of outbox.items()) {
    if (!messages.some((m) => m.clientId === item.clientId)) messages = upsertMessage(messages, pending(item));
    else outbox.remove(item.clientId);
  }
  seenConfirmed = Math.max(seenConfirmed, page.seenUpTo || 0);
  store.set((s) => ({ messages, historySeq: page.seq, seenUpTo: Math.max(s.seenUpTo, page.seenUpTo || 0),
    scrollToEnd: Date.now(), olderBefore: page.nextBefore || null, loadingOlder: false, historyLoaded: Date.now() }));
  if (transport.seq < page.seq) transport.seq = page.seq;
  if (messages.length) toParent({ type: 'active', active: true });
  markSeen();
}

/** The page of the thread before the oldest message shown; a reload of the history (a reset) starts over. */
async function loadOlder() {
  const { olderBefore, loadingOlder } = store.get();
  if (!olderBefore || loadingOlder) return;
  const generation = bootGeneration;
  store.set({ loadingOlder: true });
  try {
    const page = await api.history(olderBefore);
    if (generation !== bootGeneration || store.get().olderBefore !== olderBefore) return;
    store.set((s) => {
      let messages = s.messages;
      for (const message of page.messages) messages = upsertMessage(messages, message);
      return { messages, olderBefore: page.nextBefore || null, loadingOlder: false, prepended: Date.now() };
    });
  } catch (e) {
    // Asked again on the next scroll or click; the connection banner says when the server is away.
    if (generation === bootGeneration) store.set({ loadingOlder: false });
  }
}

function receiveFrame(frame) {
  if (frame.type === 'message' || frame.type === 'message.updated') {
    if (arrivedDuringLoad) arrivedDuringLoad.push(frame);
    receive(frame.message);
  } else if (frame.type === 'ack') {
    acked(frame);
  } else if (frame.type === 'nack') {
    nacked(frame.clientId, frame.error);
  } else if (frame.type === 'seen') {
    seenConfirmed = Math.max(seenConfirmed, frame.messageId);
    store.set((s) => ({ seenUpTo: Math.max(s.seenUpTo, frame.messageId) }));
    unread();
  } else if (frame.type === 'typing') {
    store.set({ typing: frame.typing ? { name: frame.agent && frame.agent.name, until: Date.now() + 8000 } : null });
  } else if (frame.type === 'reset') {
    loadHistory().catch(() => transport.stop() || boot());
  } else if (frame.type === 'error') {
    console.warn('Throughline:', frame.error && frame.error.detail);
  }
}

function receive(message) {
  // A message the team removed stays in place and says so; it is no news (the page hears nothing, typing goes on).
  // Nor is one the frame has already (a late message offered again on a resume).
  const known = message.id && store.get().messages.some((m) => m.id === message.id);
  const news = message.kind === 'out' && !message.redactedAt && !known;
  store.set((s) => ({ messages: upsertMessage(s.messages, message), typing: news ? null : s.typing }));
  if (message.own && message.clientId) {
    inflight.delete(message.clientId);
    outbox.remove(message.clientId);
  }
  if (news) {
    toParent({ type: 'active', active: true });
    toParent({ type: 'event', name: 'message', data: { id: message.id, body: message.body,
      author: message.author && message.author.name } });
  }
  markSeen();
}

function acked(ack) {
  inflight.delete(ack.clientId);
  outbox.remove(ack.clientId);
  store.set((s) => ({ messages: s.messages.map((m) => (m.clientId === ack.clientId && !m.id
    ? { ...m, id: ack.messageId, status: undefined } : m)) }));
  flush();
}

function nacked(clientId, error) {
  inflight.delete(clientId);
  const status = error && error.status;
  const item = outbox.items().find((i) => i.clientId === clientId);
  if (status === 401) {
    // The token lapsed or another tab retired it: the long poll renews the session (it gets the same 401), and
    // the message goes again under the new token, waiting longer each time while no renewal succeeds.
    const tries = ((item && item.renewals) || 0) + 1;
    outbox.update(clientId, { retryAt: Date.now() + Math.min(60, 2 ** tries) * 1000, renewals: tries });
    return;
  }
  // A message the server keeps failing on (500 each time) stops holding the ones after it: it is marked not sent
  // (the visitor can try it again) after a few tries. Unreachable (no answer), a rate limit, or waiting behind
  // another (503) it keeps trying.
  const serverErrors = ((item && item.serverErrors) || 0) + (status >= 500 && status !== 503 ? 1 : 0);
  if ((!status || status >= 500 || status === 429) && serverErrors < MAX_SERVER_ERRORS) {
    const wait = ((error && error.retryAfterSeconds) || 3) * 1000;
    outbox.update(clientId, { retryAt: Date.now() + wait, serverErrors });
    return;
  }
  // The server's detail is English: the visitor reads their language, the console keeps the detail.
  if (error && error.detail) console.warn('Throughline: message not sent:', error.detail);
  const filesGone = status === 400 && error.errors && error.errors.some((e) => e.field === 'attachmentIds');
  if (filesGone && item && item.body) {
    // Its files were uploaded too long ago (a message queued offline for days): the text goes alone, and the
    // message says the files must be attached again, rather than failing for ever with the text in it.
    outbox.update(clientId, { attachmentIds: [], attachments: [], retryAt: 0 });
    store.set((s) => ({ messages: s.messages.map((m) => (m.clientId === clientId && !m.id
      ? { ...m, attachments: [], status: 'sending', notice: t('filesExpired') } : m)) }));
    flush();
    return;
  }
  const limits = store.get().limits;
  const detail = status === 413 && limits ? t('tooLong', { limit: limits.maxMessageChars })
    : filesGone ? t('filesExpired') : t('failed');
  outbox.update(clientId, { failed: true, error: detail });
  store.set((s) => ({ messages: s.messages.map((m) => (m.clientId === clientId && !m.id
    ? { ...m, status: 'failed', error: detail } : m)) }));
}

/** Sends what the server has not acknowledged: over the socket, or one by one over HTTP in the fallback. */
function flush() {
  if (store.get().phase !== 'ready') return;
  if (httpSend && inflight.has(httpSend)) return;
  for (const item of outbox.items()) {
    if (item.failed || inflight.has(item.clientId)) continue;
    // One waiting to be sent again holds those written after it: the visitor's messages are stored in order.
    if (item.retryAt && item.retryAt > Date.now()) return;
    const message = { clientId: item.clientId, body: item.body, attachmentIds: item.attachmentIds };
    // Past the server's socket frame limit (a site that allows long messages, in a script of several bytes a
    // letter) the socket is closed as too big, and the message went out again at each reconnect, for ever: such
    // a message goes by HTTP, in its turn (once those before it are acknowledged).
    const fits = encoder.encode(JSON.stringify({ type: 'message', ...message })).length <= MAX_SOCKET_FRAME_BYTES;
    if (transport.mode === 'socket' && fits) {
      // As many in flight as the server queues per socket: the rest wait their turn, so they keep their order.
      if (inflight.size >= MAX_IN_FLIGHT) return;
      // Not sent (the socket is down): it holds those after it, so a long one cannot go ahead by HTTP.
      if (!transport.send({ type: 'message', ...message })) return;
      inflight.set(item.clientId, Date.now());
    } else {
      if (inflight.size > 0) return;
      httpSend = item.clientId;
      inflight.set(item.clientId, Date.now());
      api.send(message).then(acked).catch((e) => nacked(item.clientId, e.problem
        ? { ...e.problem, status: e.status, retryAfterSeconds: e.retryAfter } : null));
      return;
    }
  }
}

function send(text) {
  const body = text.trim();
  const s = store.get();
  if (s.staged.some((f) => f.uploading)) {
    store.set({ composerError: t('waitUpload') });
    return false;
  }
  const files = s.staged.filter((f) => f.id);
  if (!body && !files.length) return false;
  if (s.limits && body.length > s.limits.maxMessageChars) {
    store.set({ composerError: t('tooLong', { limit: s.limits.maxMessageChars }) });
    return false;
  }
  const item = { clientId: uuid(), body, attachmentIds: files.map((f) => f.id),
    attachments: files.map((f) => ({ filename: f.filename })), createdAt: new Date().toISOString() };
  outbox.add(item);
  store.set((st) => ({ messages: upsertMessage(st.messages, pending(item)), staged: [], composerError: '', scrollToEnd: Date.now() }));
  typing(false);
  toParent({ type: 'active', active: true });
  flush();
  return true;
}

function pending(item) {
  return { clientId: item.clientId, kind: 'in', own: true, body: item.body, attachments: item.attachments || [],
    createdAt: item.createdAt, status: item.failed ? 'failed' : 'sending', error: item.error };
}

function retry(clientId) {
  outbox.update(clientId, { failed: false, error: undefined, retryAt: 0, serverErrors: 0 });
  store.set((s) => ({ messages: s.messages.map((m) => (m.clientId === clientId && !m.id
    ? { ...m, status: 'sending', error: undefined } : m)) }));
  flush();
}

/** Tells the team the visitor is typing: at most every few seconds, and once when they stop. */
function typing(active) {
  clearTimeout(typingTimer);
  if (active) {
    if (Date.now() - typingSentAt > 2500) {
      typingSentAt = Date.now();
      signalTyping(true);
    }
    typingTimer = setTimeout(() => typing(false), 4000);
  } else if (typingSentAt) {
    typingSentAt = 0;
    signalTyping(false);
  }
}

function signalTyping(value) {
  if (!transport.send({ type: 'typing', typing: value })) api.typing(value).catch(() => {});
}

/** When the chat is open and visible, the newest reply counts as seen (the team sees the receipt). */
function markSeen() {
  const s = store.get();
  if (s.open && document.visibilityState === 'visible' && s.phase === 'ready') {
    const newest = s.messages.reduce((max, m) => (m.kind === 'out' && m.id > max ? m.id : max), 0);
    if (newest > s.seenUpTo) store.set({ seenUpTo: newest });
  }
  reportSeen();
  unread();
}

/**
 * Tells the server what the visitor has seen, and again (every few seconds, from the frame's timer) until the
 * server confirms it: its "seen" frame, or the answer to the HTTP call. A frame dropped over the signal limit, a
 * socket that died or a failed call would otherwise leave the reply unseen for the agent, and the email fallback
 * would mail it.
 */
function reportSeen() {
  const s = store.get();
  const id = s.seenUpTo;
  if (s.phase !== 'ready' || id <= seenConfirmed || (id === seenReport.id && Date.now() - seenReport.at < 3000)) {
    return;
  }
  seenReport = { id, at: Date.now() };
  if (!transport.send({ type: 'seen', messageId: id })) {
    api.seen(id).then(() => { seenConfirmed = Math.max(seenConfirmed, id); }, () => {});
  }
}

function unread() {
  const s = store.get();
  const count = s.open && document.visibilityState === 'visible' ? 0
    : s.messages.filter((m) => m.kind === 'out' && m.id > s.seenUpTo).length;
  if (count !== lastUnread) {
    lastUnread = count;
    toParent({ type: 'unread', count });
  }
}

/** A size in the widget's language ("10 MB", "10 МБ"). */
function megabytes(bytes) {
  return t('megabytes', { n: Math.round(bytes / 1048576) });
}

async function upload(file) {
  const limits = store.get().limits;
  if (limits && file.size > limits.maxUploadSize) {
    store.set({ composerError: t('tooLarge', { name: file.name, limit: megabytes(limits.maxUploadSize) }) });
    return;
  }
  const key = uuid();
  store.set((s) => ({ staged: [...s.staged, { key, filename: file.name, uploading: true }], composerError: '' }));
  try {
    const stored = await api.upload(file);
    // "Wait until the file is attached" has done its work once nothing uploads any more.
    store.set((s) => {
      const staged = s.staged.map((f) => (f.key === key ? { ...f, ...stored, uploading: false } : f));
      const waited = s.composerError === t('waitUpload') && !staged.some((f) => f.uploading);
      return { staged, ...(waited ? { composerError: '' } : {}) };
    });
  } catch (e) {
    if (e.message) console.warn('Throughline: upload refused:', e.message);
    const limit = limits ? megabytes(limits.maxUploadSize) : '';
    // Each refusal says why: the day's budget is not the file's size, and a chat taking no files (or a closed
    // conversation) is no "try again".
    const daily = e.status === 413 && e.problem && e.problem.limit === 'daily';
    const reason = daily ? 'dailyLimit' : e.status === 403 ? 'notAccepted' : e.status === 415 ? 'fileType'
      : e.status === 429 ? 'tooFast' : 'tryAgain';
    const error = e.status === 413 && !daily ? t('tooLarge', { name: file.name, limit })
      : t('rejected', { name: file.name, reason: t(reason) });
    store.set((s) => ({ staged: s.staged.filter((f) => f.key !== key), composerError: error }));
  }
}

function image(url) {
  if (!images.has(url)) {
    const loading = api.blobUrl(url);
    images.set(url, loading);
    // A failed fetch is not kept: the image (or the download) is tried again the next time it is wanted.
    loading.catch(() => images.delete(url));
  }
  return images.get(url);
}

async function download(url, filename) {
  // A file shown inline is kept for its preview; one only downloaded is let go once the browser has it (kept, five
  // 10 MB PDFs held 50 MB for the life of the page).
  const shown = images.get(url);
  let href;
  try {
    href = await (shown || api.blobUrl(url));
  } catch (e) {
    store.set({ composerError: t('downloadFailed', { name: filename }) });
    return;
  }
  const link = h('a', { href, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  if (!shown) {
    // Let go when the next download starts, or after a minute: a browser reads the file as the download starts,
    // but one that is slow to (WebKit, a large file) would lose it if let go at once.
    letGoOfDownload();
    downloaded = { href, timer: setTimeout(letGoOfDownload, 60000) };
  }
}

/** The last file only downloaded, until it is let go. */
let downloaded = null;

function letGoOfDownload() {
  if (!downloaded) return;
  clearTimeout(downloaded.timer);
  URL.revokeObjectURL(downloaded.href);
  downloaded = null;
}

async function profile(values) {
  const answer = await api.profile(values);
  store.set({ visitor: answer.visitor });
  holdsSomeone(answer.visitor);
}

/**
 * A visitor who gave a name or an address (the pre-chat form, an unsigned identify) is someone to forget at a
 * sign-out even before a message: the page's loader hears the chat is active, so a reset on a page without the
 * frame loads it to end the visitor, and the next person on this browser is not filed under that name.
 */
function holdsSomeone(visitor) {
  if (visitor && !visitor.identified && (visitor.name || visitor.email)) toParent({ type: 'active', active: true });
}

/**
 * The panel while there is no chat to show (starting, or refused): its title bar, with the close button, and why.
 * A later boot that succeeds (an identify or a reset fixing what was refused) mounts the chat again.
 */
function notReady(text, role) {
  ui = null;
  const bar = header(mounting(), t, { close: () => toParent({ type: 'close' }) });
  // No greeting over a chat that is not there.
  bar.querySelector('.subtitle').hidden = true;
  document.getElementById('app').replaceChildren(bar,
    h('p', { class: 'unavailable', role, 'data-testid': 'throughline-not-ready' }, t(text)));
}

/**
 * The store for what is about to replace the panel's content: the subscriptions of what was there before end, so a
 * panel redrawn (a refusal, then a sign-in that fixes it) leaves no detached elements following the store.
 */
function mounting() {
  mounted.forEach((unsubscribe) => unsubscribe());
  mounted = [];
  return { ...store, subscribe: (listener) => {
    const unsubscribe = store.subscribe(listener);
    mounted.push(unsubscribe);
    return unsubscribe;
  } };
}

function mountUi() {
  const actions = {
    close: () => toParent({ type: 'close' }), send, retry, typing, upload, image, download, profile, loadOlder,
    focus: () => ui && ui.focus(),
    unstage: (key) => store.set((s) => ({ staged: s.staged.filter((f) => f.key !== key) }))
  };
  const scoped = mounting();
  const box = composer(scoped, t, actions);
  const form = prechat(scoped, t, actions);
  document.getElementById('app').replaceChildren(header(scoped, t, actions), connectionBanner(scoped, t),
    earlierButton(scoped, t, actions), messageList(scoped, t, actions), typingIndicator(scoped, t),
    form, offlineEmail(scoped, t, actions), box.element);
  // With the pre-chat form showing, the composer is hidden: focus goes to the form's first field.
  const focus = () => {
    const first = form.hidden ? null : form.querySelector('input');
    if (first) first.focus();
    else box.focus();
  };
  return { focus };
}

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, '0')).join('');
  return x.slice(0, 8) + '-' + x.slice(8, 12) + '-' + x.slice(12, 16) + '-' + x.slice(16, 20) + '-' + x.slice(20);
}
