// The one store: session, the inbox list, the open thread, the contact panel and the connection, fed by the API
// and by the realtime stream. Components read store.state and re-render on its "change" event; they change it
// only through the actions below. Objects in the state are replaced, never mutated, so a child component sees a
// new object exactly when its data changed.
import * as api from './api.js';
import { RealtimeStream } from './stream.js';
import { parse, navigate } from './router.js';
import { applyEvent } from './events.js';
import { cannedChanged } from './canned.js';
import { describe } from './errors.js';

/** The failure notices kept on screen at once (each stays until closed): the oldest goes for a new one. */
const MAX_ERROR_TOASTS = 3;

export const LIST_PAGE = 25;
/** The most rows the conversations API gives in one page. */
const LIST_MAX = 100;
export const THREAD_PAGE = 50;
/** At most this many messages live in the DOM; scrolling further loads pages and drops the far end. */
export const THREAD_WINDOW = 200;
const FILTER_KEY = 'tl.filter';
const READ_DELAY_MS = 400;

function emptyList() {
  return { ids: [], nextCursor: null, loading: false, loaded: false, error: null };
}

function emptySearch() {
  return { open: false, q: '', channel: '', status: '', from: '', to: '', sort: '', hits: [], nextCursor: null,
    total: null, loading: false, error: null, unavailable: false, searched: false };
}

function savedFilter() {
  try {
    const saved = JSON.parse(localStorage.getItem(FILTER_KEY) || '{}');
    return { status: saved.status || 'open', assignee: saved.assignee || 'all', channel: saved.channel || '' };
  } catch {
    return { status: 'open', assignee: 'all', channel: '' };
  }
}

/** Whether a conversation row belongs in the list under this filter. */
export function matches(row, filter, me) {
  if (!row || row.mergedIntoId) return false;
  if (filter.status && row.status !== filter.status) return false;
  if (filter.assignee === 'me' && row.assigneeId !== me?.agentId) return false;
  if (filter.assignee === 'none' && row.assigneeId != null) return false;
  if (filter.channel && !(row.channels || []).includes(filter.channel)) return false;
  return true;
}

/** Newest activity first, then the larger id: the server's order. */
export function before(a, b) {
  const ta = Date.parse(a.lastActivityAt);
  const tb = Date.parse(b.lastActivityAt);
  return ta !== tb ? ta > tb : a.id > b.id;
}

class Store extends EventTarget {
  constructor() {
    super();
    this.state = this.initialState();
    this.stream = null;
    this.pending = false;
    this.listToken = 0;
    this.searchToken = 0;
    this.threadLoads = 0; // stamps each thread load (see openThread)
    this.listLoading = null; // ids placed by events while the list's first page loads
    this.leftList = null; // where the open conversation was when it left the list: {id, index}
    this.fetching = new Map();
    this.fetchAgain = new Set(); // rows an event touched while they were read (see fetchRow)
    this.lateRows = new Map(); // id -> rows events carried while the row was read (see fetchRow)
    this.contactAnswers = 0; // stamps the contact panel's answers (see contactAnswered)
    this.replyOptionLoads = 0; // stamps the reply options' reads
    this.readTimers = new Map();
    this.mergedAway = new Map(); // conversation id -> the one a merge this page heard of took it into
    this.agentsChanged = 0; // agent events applied: a team read sent before one of them is older than it
    this.typingTimer = null;
    this.typists = new Map(); // "<conversationId>|<source>" -> who, until (see setTyping)
    this.atBottom = true;
    api.onSessionEnded((error) => {
      if (this.state.phase !== 'ready') return;
      // Another agent signed in in this browser: the page starts over as them (their cookie), drafts kept.
      if (error?.problem?.switched) location.reload();
      else this.endSession('expired');
    });
    window.addEventListener('hashchange', () => this.applyRoute(parse()));
    document.addEventListener('visibilitychange', () => this.readIfWatching());
  }

  initialState() {
    return {
      phase: 'booting', // booting | login | ready
      loginNotice: null,
      me: null,
      serverInfo: null,
      agents: [],
      connection: 'idle', // idle | connecting | live | reconnecting | ended
      filter: savedFilter(),
      list: emptyList(),
      conversations: new Map(),
      unread: new Map(),
      route: parse(),
      thread: null,
      contact: null,
      replyOptions: null,
      typing: new Map(),
      presence: new Map(),
      search: emptySearch(),
      toasts: [],
    };
  }

  /** Merges a patch into the state and schedules one "change" for everything changed in this task. */
  set(patch) {
    Object.assign(this.state, patch);
    this.changed();
  }

  changed() {
    if (this.pending) return;
    this.pending = true;
    queueMicrotask(() => {
      this.pending = false;
      this.dispatchEvent(new Event('change'));
    });
  }

  // ---- session ---------------------------------------------------------------------------------------------

  async boot() {
    try {
      const me = await api.get('/api/v1/auth/me', { quiet401: true });
      await this.startSession(me);
    } catch (e) {
      this.set({ phase: 'login', loginNotice: e.status === 401 || e.status === 403 ? null : 'unreachable' });
    }
  }

  async login(email, password) {
    const answer = await api.post('/api/v1/auth/login', { email, password }, { quiet401: true });
    api.setCsrfToken(answer.csrfToken);
    const me = await api.get('/api/v1/auth/me');
    await this.startSession(me);
  }

  /**
   * Signs out at the server first. A logout the server did not take (the network, a 5xx) keeps this screen and
   * says so: the sign-in page over a session still valid would let the next person at a shared computer reload
   * straight back in. A 401 means the session had ended already.
   */
  async logout() {
    try {
      await api.post('/api/v1/auth/logout', undefined, { quiet401: true });
    } catch (e) {
      if (e.status !== 401) {
        if (e.name !== 'AbortError') this.notify({ key: 'app.logoutFailed', params: { reason: describe(e) } }, 'error');
        return;
      }
    }
    this.endSession(null);
  }

  /** Reads the signed-in agent again (their role changed): the Settings link follows it. */
  async refreshMe() {
    try {
      const me = await api.get('/api/v1/auth/me');
      const before = this.state.me;
      if (before && (me.agentId !== before.agentId || me.workspaceId !== before.workspaceId)) {
        // Read with the cookie of a later sign-in in this browser: the page starts over as that agent.
        location.reload();
        return;
      }
      this.set({ me: { ...before, ...me } });
    } catch (e) {
      // Kept as it was: the next sign-in reads it anew.
    }
  }

  async startSession(me) {
    api.setCsrfToken(me.csrfToken);
    api.setSessionIdentity(me);
    this.set({ phase: 'ready', me, loginNotice: null, route: parse() });
    this.resyncOnLive = false;
    let firstLive = true;
    const ready = new Promise((resolve) => {
      this.stream = new RealtimeStream((frame) => this.apply(frame), (state, data) => {
        this.connectionChanged(state, data);
        if (state !== 'live') return;
        resolve();
        if (firstLive) {
          firstLive = false;
          // The thread of the URL was read before the stream was subscribed: what came in between is fetched.
          const thread = this.state.thread;
          if (thread && !thread.loading && !thread.hasNewer) this.refreshThreadEnd(thread.conversationId);
        }
      });
    });
    this.stream.start();
    this.applyRoute(this.state.route);
    // Subscribe first and list second, so nothing that happens in between is missed; a server that cannot offer
    // the stream (a proxy without WebSockets) still gets a working, if not live, inbox, and the list is read
    // again once the stream is there (what happened between the read and the subscription would be missing).
    await Promise.race([ready, new Promise((resolve) => setTimeout(resolve, 4000))]);
    if (this.state.connection !== 'live') this.resyncOnLive = true;
    await Promise.all([this.loadServerInfo(), this.loadAgents(), this.loadList()]);
  }

  endSession(notice) {
    this.fallbackPolling(false);
    this.stream?.stop();
    this.stream = null;
    api.setCsrfToken(null);
    api.setSessionIdentity(null);
    // The next agent to sign in here may belong to another workspace: nothing of this session's stays cached,
    // and no answer still on its way lands in theirs.
    api.abortSessionCalls();
    this.listToken++;
    this.searchToken++;
    this.threadLoads++;
    cannedChanged();
    this.typists.clear();
    this.mergedAway.clear();
    this.fetchAgain.clear();
    this.lateRows.clear();
    // A modal dialog left open (a confirmation, the password change) would make the sign-in form inert: each is
    // cancelled, as Escape would.
    for (const dialog of document.querySelectorAll('dialog[open]')) {
      dialog.dispatchEvent(new Event('cancel', { cancelable: true }));
      if (dialog.open) dialog.close();
    }
    const fresh = this.initialState();
    this.state = { ...fresh, phase: 'login', loginNotice: notice };
    this.changed();
  }

  connectionChanged(state, data) {
    if (state === 'ended') {
      this.endSession('expired');
      return;
    }
    const me = this.state.me;
    if (state === 'live' && data?.agentId != null && me
        && (data.agentId !== me.agentId || data.workspaceId !== me.workspaceId)) {
      // The stream reconnected with the cookie of a later sign-in in this browser (another agent's): the page
      // starts over as them, as a write finds it (api.js), drafts kept; their events never reach this one.
      this.stream?.stop();
      location.reload();
      return;
    }
    this.set({ connection: state });
    this.fallbackPolling(state !== 'live');
    if (state === 'live' && (this.resyncOnLive || data?.reset)) {
      // Subscribed only after the list was read, or the server's log restarted below our seq: events in between
      // will never come, so what is on screen is read again: the list, the thread (where the agent was reading
      // it), its reply options and the contact panel.
      this.resyncOnLive = false;
      this.loadList(false, true);
      // Read again even while a page of it loads: that page's answer, stamped with the old load, is dropped.
      const thread = this.state.thread;
      if (thread) {
        this.openThread(thread.conversationId, thread.focusId);
        this.loadReplyOptions(thread.conversationId);
      }
      if (this.state.contact?.id) this.loadContact(this.state.contact.id);
    }
  }

  /**
   * While the stream is down (a proxy that blocks WebSockets, a server restart), the list and the open thread are
   * refreshed every 15 s over plain HTTP; the stream's resume then fills in every event in order.
   */
  fallbackPolling(on) {
    if (!on) {
      clearInterval(this.pollTimer);
      this.pollTimer = null;
      return;
    }
    if (this.pollTimer) return;
    this.pollTimer = setInterval(() => {
      if (this.state.phase !== 'ready' || this.state.connection === 'live') return;
      if (!this.state.list.loading) this.loadList(false, true);
      const thread = this.state.thread;
      if (thread && !thread.hasNewer && !thread.loading) this.refreshThreadEnd(thread.conversationId);
    }, 15_000);
  }

  /**
   * The polling fallback's read of the open thread: what arrived after its last message, and the latest page again,
   * so a message on screen that changed (a reply that failed or was delivered, an edit, a Seen mark) shows it; the
   * version check keeps the newer copy of each.
   */
  async refreshThreadEnd(conversationId) {
    const thread = this.state.thread;
    const last = thread?.messages.at(-1);
    if (!last) return;
    try {
      const [after, latest] = await Promise.all([
        api.get(`/api/v1/conversations/${conversationId}/messages${api.query({ after: last.id, limit: THREAD_PAGE })}`),
        api.get(`/api/v1/conversations/${conversationId}/messages${api.query({ limit: THREAD_PAGE })}`)]);
      if (this.state.thread?.loadId !== thread.loadId) return;
      const shown = new Set(this.state.thread.messages.map((m) => m.id));
      latest.messages.filter((m) => shown.has(m.id)).forEach((m) => this.putMessage(m));
      // A message moved out while the page was on its way (removed) is not brought back by it.
      without(after.messages, this.state.thread.removed).forEach((m) => this.putMessage(m));
    } catch {
      // The stream's resume will bring it; the connection badge already says that the server is unreachable.
    }
  }

  // ---- reference data ----------------------------------------------------------------------------------------

  async loadServerInfo() {
    try {
      this.set({ serverInfo: await api.get('/api/v1/server-info') });
    } catch (e) {
      this.fail(e);
    }
  }

  /**
   * Reads the team. An answer overtaken by an agent event (agentsChanged moved meanwhile) may be older than what
   * the event put in: it is asked for again rather than shown (the first read of a page, overtaken, would otherwise
   * leave the team at the one agent the event named).
   */
  async loadAgents() {
    const asked = this.agentsChanged;
    try {
      const { agents } = await api.get('/api/v1/agents');
      if (asked === this.agentsChanged) this.set({ agents });
      else await this.loadAgents();
    } catch (e) {
      this.fail(e);
    }
  }

  agentName(id) {
    return this.state.agents.find((a) => a.id === id)?.name ?? null;
  }

  // ---- routing -----------------------------------------------------------------------------------------------

  applyRoute(route) {
    const previous = this.state.route;
    this.set({ route });
    if (this.state.phase !== 'ready' || route.view !== 'inbox') return;
    if (route.conversationId && (route.conversationId !== this.state.thread?.conversationId
        || (route.messageId && route.messageId !== previous.messageId))) {
      this.select(route.conversationId, route.messageId);
    } else if (route.conversationId && previous?.view !== 'inbox') {
      // Back from settings to the thread kept open behind them: what came meanwhile was not watched.
      this.loadReplyOptions(route.conversationId);
      this.readIfWatching();
    }
    if (!route.conversationId && this.state.thread) {
      this.set({ thread: null, contact: null, replyOptions: null });
    }
  }

  open(conversationId, messageId = null) {
    navigate({ view: 'inbox', conversationId, messageId });
  }

  // ---- the inbox list ----------------------------------------------------------------------------------------

  setFilter(patch) {
    const filter = { ...this.state.filter, ...patch };
    localStorage.setItem(FILTER_KEY, JSON.stringify(filter));
    // The rows and the next page belong to the old filter: neither may stay under the new one, even when the new
    // page fails to load (the list then shows the error).
    this.set({ filter, list: { ...this.state.list, ids: [], nextCursor: null, loaded: false } });
    this.loadList();
  }

  /**
   * The list's first page, or with {@code more} the next one. A {@code refresh} (the fallback poll, a resync) reads
   * as many rows as are shown (up to the API's 100) in one page, so an agent scrolled down is not sent back to the
   * top every 15 s; the poll waits for a list load in flight. A refresh that fails leaves the rows shown as they
   * are (the connection badge says the server is away); a failed "Load more" says so under them.
   */
  async loadList(more = false, refresh = false) {
    const { filter, list } = this.state;
    if (more && (!list.nextCursor || list.loading)) return;
    const token = ++this.listToken;
    // Rows events place while the first page is in flight: the answer may have been read before them.
    if (!more) this.listLoading = new Set();
    this.set({ list: { ...list, ids: more ? list.ids : list.ids, loading: true, error: null } });
    try {
      const answer = await api.get(`/api/v1/conversations${api.query({
        status: filter.status, assignee: filter.assignee === 'all' ? null : filter.assignee,
        channel: filter.channel, limit: refresh ? Math.min(LIST_MAX, Math.max(LIST_PAGE, list.ids.length)) : LIST_PAGE,
        cursor: more ? list.nextCursor : null })}`);
      if (token !== this.listToken) return;
      const rows = answer.conversations.map((row) => this.upsert(row));
      const ids = more ? [...this.state.list.ids] : [];
      // A next page was read before the events since: a row they took out of the filter (resolved by a colleague
      // meanwhile) stays out. The first page's rows placed meanwhile are checked below.
      for (const row of rows) {
        if (!ids.includes(row.id) && (!more || matches(row, filter, this.state.me))) ids.push(row.id);
      }
      const placedMeanwhile = more ? [] : [...(this.listLoading ?? [])];
      if (!more) this.listLoading = null;
      this.set({ list: { ids, nextCursor: answer.nextCursor, loading: false, loaded: true, error: null,
        moreError: null } });
      for (const id of placedMeanwhile) {
        const row = this.state.conversations.get(id);
        if (row) this.place(row);
      }
      this.loadReadState(rows.map((r) => r.id));
    } catch (e) {
      if (token !== this.listToken) return;
      if (!more) this.listLoading = null;
      const shown = this.state.list.ids.length > 0;
      this.set({ list: { ...this.state.list, loading: false, error: shown ? null : describe(e),
        moreError: more ? describe(e) : null } });
    }
  }

  /**
   * Stores a conversation row, unless it is older than the one held (an event replayed after a fresher list).
   * Event payloads lack the contact, the assignee's name and the last message; those are kept from before.
   */
  upsert(row) {
    const conversations = this.state.conversations;
    const previous = conversations.get(row.id);
    if (previous && row.updatedAt && previous.updatedAt
        && instantMicros(row.updatedAt) < instantMicros(previous.updatedAt)) {
      return previous;
    }
    const next = { ...previous, ...row };
    if ('assigneeId' in row && !('assignee' in row)) {
      // An event names the assignee by id; an agent added since this tab read the team is not known here: the row
      // (which carries the name) and the team are read again, and the previous assignee's name is never shown.
      const known = this.agentName(row.assigneeId)
        ?? (previous?.assignee?.id === row.assigneeId ? previous.assignee.name : null);
      next.assignee = row.assigneeId == null ? null : { id: row.assigneeId, name: known ?? '' };
      if (row.assigneeId != null && known == null) {
        this.fetchRow(row.id);
        this.loadAgents();
      }
    }
    const map = new Map(conversations);
    map.set(row.id, next);
    this.state.conversations = map;
    this.changed();
    return next;
  }

  /** Puts a row where the list's order and filter say, or takes it out. */
  place(row) {
    const { list, filter, me, conversations } = this.state;
    if (this.listLoading) this.listLoading.add(row.id);
    const ids = list.ids.filter((id) => id !== row.id);
    if (matches(row, filter, me)) {
      const index = ids.findIndex((id) => conversations.has(id) && before(row, conversations.get(id)));
      if (index >= 0) ids.splice(index, 0, row.id);
      else if (!list.nextCursor) ids.push(row.id); // otherwise it belongs to a page not loaded yet
    }
    if (row.id === this.state.route.conversationId && !ids.includes(row.id) && list.ids.includes(row.id)) {
      // The open conversation left the list (resolved, reassigned): j and k go on from where it was.
      this.leftList = { id: row.id, index: list.ids.indexOf(row.id) };
    }
    if (ids.length !== list.ids.length || ids.some((id, i) => id !== list.ids[i])) {
      this.set({ list: { ...list, ids } });
    }
  }

  /**
   * Fetches a full row (a new conversation, or one only known from an event), once at a time per id. An event
   * while it is read may be newer than the answer (an assignment just after the first message): the row it
   * carries is laid over the answer (the newer of the two stays), and one that carries none reads it once more.
   */
  fetchRow(id, eventRow = null) {
    if (this.fetching.has(id)) {
      if (eventRow) this.lateRows.set(id, [...(this.lateRows.get(id) ?? []), eventRow]);
      else this.fetchAgain.add(id);
      return this.fetching.get(id);
    }
    const promise = api.get(`/api/v1/conversations/${id}`)
      .then((row) => {
        let stored = this.upsert(row);
        for (const late of this.lateRows.get(id) ?? []) stored = this.upsert(late);
        this.place(stored);
        this.loadReadState([id]);
        return stored;
      })
      .catch((e) => {
        if (e.status !== 404) this.fail(e);
        return null;
      })
      .finally(() => {
        this.fetching.delete(id);
        this.lateRows.delete(id);
        if (this.fetchAgain.delete(id)) this.fetchRow(id);
      });
    this.fetching.set(id, promise);
    return promise;
  }

  // ---- unread markers ----------------------------------------------------------------------------------------

  /** @param again true for an answer asked again: taken as it is (the message counted may have moved away) */
  async loadReadState(ids, again = false) {
    if (!ids.length) return;
    try {
      const answer = await api.get(`/api/v1/read-state?conversations=${ids.join(',')}`);
      const unread = new Map(this.state.unread);
      const behind = [];
      for (const entry of answer.readState) {
        // A read reported meanwhile (the agent opened it) is newer than this answer: keep it.
        const held = unread.get(entry.conversationId);
        if (held?.lastReadMessageId != null && held.lastReadMessageId > (entry.lastReadMessageId ?? 0)) continue;
        // A customer message counted live meanwhile is newer too: kept, and the count asked again (it has
        // committed, so the next answer holds it).
        if (!again && this.countedSince(held, entry)) {
          behind.push(entry.conversationId);
          continue;
        }
        unread.set(entry.conversationId, entry);
      }
      this.set({ unread });
      if (behind.length) this.loadReadState(behind, true);
      this.readIfWatching();
    } catch (e) {
      this.fail(e);
    }
  }

  /** Whether the count held counts a customer message the server's answer had not seen. */
  countedSince(held, answer) {
    return held?.lastInboundMessageId != null && held.lastInboundMessageId > (answer.lastInboundMessageId ?? 0);
  }

  /**
   * A customer message came live: one more unread, unless the server's count has it already (a read state loaded
   * after it committed, as after a reconnect whose poll read the list before the stream replayed the event).
   */
  bumpUnread(conversationId, messageId) {
    const unread = new Map(this.state.unread);
    const entry = unread.get(conversationId) || { conversationId, unread: 0 };
    if (messageId != null && entry.lastInboundMessageId != null && messageId <= entry.lastInboundMessageId) return;
    unread.set(conversationId, { ...entry, unread: entry.unread + 1,
      lastInboundMessageId: Math.max(entry.lastInboundMessageId ?? 0, messageId ?? 0) || null });
    this.set({ unread });
  }

  /** The timeline reports whether the agent sees its end; reading happens only then. */
  setAtBottom(atBottom) {
    this.atBottom = atBottom;
    if (atBottom) this.readIfWatching();
  }

  /** Whether the agent has this conversation's thread in view (not merely kept while they are in settings). */
  /** The conversation a merge took this one into, as its row says or a merge event this page heard said. */
  mergedIntoOf(conversationId) {
    return this.state.conversations.get(conversationId)?.mergedIntoId ?? this.mergedAway.get(conversationId);
  }

  /** The conversations known to have been merged into this one (their drafts belong to it now). */
  mergedInto(conversationId) {
    const ids = new Set([...this.mergedAway].filter(([, into]) => into === conversationId).map(([id]) => id));
    for (const [id, row] of this.state.conversations) {
      if (row.mergedIntoId === conversationId) ids.add(id);
    }
    ids.delete(conversationId);
    return [...ids];
  }

  watching(conversationId) {
    return this.state.route?.view === 'inbox' && this.state.thread?.conversationId === conversationId;
  }

  readIfWatching() {
    const thread = this.state.thread;
    if (!thread || !this.watching(thread.conversationId) || thread.hasNewer || !this.atBottom
      || document.visibilityState !== 'visible') return;
    const last = thread.messages[thread.messages.length - 1];
    const entry = this.state.unread.get(thread.conversationId);
    if (!last || (entry && entry.unread === 0 && entry.lastReadMessageId >= last.id)) return;
    const id = thread.conversationId;
    clearTimeout(this.readTimers.get(id));
    this.readTimers.set(id, setTimeout(async () => {
      this.readTimers.delete(id);
      // Only what stayed on screen for the delay is read: paging through with j passes conversations unread.
      // A customer message that came while it was on screen was not counted (it was being read): the server's
      // count says it now. Only then: paging through with j asks nothing.
      if (!this.watching(id) || document.visibilityState !== 'visible') {
        const held = this.state.unread.get(id);
        if (last.kind === 'in' && last.id > (held?.lastInboundMessageId ?? 0)) this.loadReadState([id]);
        return;
      }
      try {
        const state = await api.post(`/api/v1/conversations/${id}/read`, { messageId: last.id });
        if (this.countedSince(this.state.unread.get(id), state)) {
          this.loadReadState([id], true);
          return;
        }
        const unread = new Map(this.state.unread);
        unread.set(id, state);
        this.set({ unread });
      } catch (e) {
        if (e.status !== 404) this.fail(e);
      }
    }, READ_DELAY_MS));
  }

  // ---- the open conversation ---------------------------------------------------------------------------------

  async select(conversationId, messageId) {
    this.atBottom = !messageId;
    if (this.state.thread?.conversationId !== conversationId) {
      // The previous conversation's customer and reply channels must not stay on screen (their Merge buttons
      // acting on that customer) while this one's thread loads.
      const known = this.state.conversations.get(conversationId);
      this.set({ contact: known ? { id: known.contactId, data: null, loading: true, error: null } : null,
        replyOptions: null });
    }
    if (!this.state.conversations.has(conversationId)) this.fetchRow(conversationId);
    await this.openThread(conversationId, messageId);
    const row = this.state.conversations.get(conversationId) || await this.fetching.get(conversationId);
    if (this.state.thread?.conversationId !== conversationId) return;
    if (row?.mergedIntoId) {
      // An old link, or Back after the merge took the agent on: its messages (and any reply) are in the target.
      this.notify('contact.mergedAway', 'info');
      navigate({ view: 'inbox', conversationId: row.mergedIntoId }, { replace: true });
      return;
    }
    this.loadReplyOptions(conversationId);
    this.loadVisitors(conversationId);
    if (row) this.loadContact(row.contactId);
  }

  /**
   * Loads a thread afresh. Each load is stamped (loadId): a page asked for before it (an older page the agent
   * scrolled to, a jump to the latest) is dropped when it answers late, instead of being spliced into the new
   * window with a gap or twice.
   */
  async openThread(conversationId, focusId = null) {
    const loadId = ++this.threadLoads;
    this.set({ thread: { conversationId, loadId, messages: [], hasOlder: false, hasNewer: false,
      loading: 'initial', focusId, error: null, newBelow: 0 } });
    try {
      const answer = await api.get(`/api/v1/conversations/${conversationId}/messages${api.query(
        focusId ? { around: focusId, limit: THREAD_PAGE } : { limit: THREAD_PAGE })}`);
      if (this.state.thread?.loadId !== loadId) return;
      const hasNewer = focusId ? answer.nextAfter != null : false;
      // Messages that came live while the page was fetched: it may have been read before they committed. Opened in
      // the middle, the new ones wait for the pages below; a change to one of the page's own is taken at once.
      const held = this.state.thread.arrived ?? [];
      const page = fresher(answer.messages, held);
      this.set({ thread: { ...this.state.thread, messages: without(hasNewer ? page : mergeMessages(page, held),
        this.state.thread.removed), hasOlder: answer.nextBefore != null, hasNewer, loading: null, arrived: null,
        updates: hasNewer ? held : null } });
    } catch (e) {
      if (this.state.thread?.loadId !== loadId) return;
      if (focusId && e.status === 404 && this.state.route.view !== 'inbox') {
        // Read again while the agent is in the settings (a resync): no navigating away from a form there.
        this.set({ thread: null });
        return;
      }
      if (focusId && e.status === 404) {
        // The link's message is in another thread now (a merge, a move): this one is shown from its end. The
        // route loses the message without selecting again, so the load is made here.
        this.notify('search.messageMoved', 'info');
        navigate({ view: 'inbox', conversationId }, { replace: true });
        await this.openThread(conversationId);
        return;
      }
      this.set({ thread: { ...this.state.thread, loading: null, error: describe(e) } });
    }
  }

  /** An older or newer page of {@code thread} failed: only that thread's load ends (another may be open now). */
  pageFailed(thread, error) {
    const current = this.state.thread;
    if (current?.loadId === thread.loadId) this.set({ thread: { ...current, loading: null } });
    this.fail(error);
  }

  async loadOlder() {
    const thread = this.state.thread;
    if (!thread || thread.loading || !thread.hasOlder || !thread.messages.length) return;
    this.set({ thread: { ...thread, loading: 'older' } });
    try {
      const answer = await api.get(`/api/v1/conversations/${thread.conversationId}/messages${api.query({
        before: thread.messages[0].id, limit: THREAD_PAGE })}`);
      const current = this.state.thread;
      if (current?.loadId !== thread.loadId) return;
      // An event about one of its messages may have come while it was on its way (a removal): the newer copy wins.
      let messages = [...without(fresher(answer.messages, current.updates), current.removed), ...current.messages];
      let hasNewer = current.hasNewer;
      if (messages.length > THREAD_WINDOW) {
        messages = messages.slice(0, THREAD_WINDOW);
        hasNewer = true;
      }
      this.set({ thread: { ...current, messages, hasOlder: answer.nextBefore != null, hasNewer, loading: null } });
    } catch (e) {
      this.pageFailed(thread, e);
    }
  }

  async loadNewer() {
    const thread = this.state.thread;
    if (!thread || thread.loading || !thread.hasNewer || !thread.messages.length) return;
    this.set({ thread: { ...thread, loading: 'newer' } });
    try {
      const answer = await api.get(`/api/v1/conversations/${thread.conversationId}/messages${api.query({
        after: thread.messages[thread.messages.length - 1].id, limit: THREAD_PAGE })}`);
      const current = this.state.thread;
      if (current?.loadId !== thread.loadId) return;
      const hasNewer = answer.nextAfter != null;
      let messages = [...current.messages, ...without(fresher(answer.messages, [...(current.updates ?? []),
        ...(current.below ?? [])]), current.removed)];
      // At the end: what came live below the window joins it (a copy the page has too counts once, the newer).
      if (!hasNewer && current.below?.length) messages = mergeMessages(messages, current.below);
      let hasOlder = current.hasOlder;
      if (messages.length > THREAD_WINDOW) {
        messages = messages.slice(messages.length - THREAD_WINDOW);
        hasOlder = true;
      }
      this.set({ thread: { ...current, messages, hasOlder, hasNewer, loading: null,
        newBelow: hasNewer ? current.newBelow : 0, unseen: hasNewer ? current.unseen : null,
        below: hasNewer ? current.below : null } });
    } catch (e) {
      this.pageFailed(thread, e);
    }
  }

  jumpToLatest() {
    const thread = this.state.thread;
    if (!thread) return;
    this.atBottom = true;
    if (thread.hasNewer) this.openThread(thread.conversationId);
    else this.set({ thread: { ...thread, newBelow: 0, unseen: null, focusId: null } });
  }

  /** A message of the open thread, new (appended) or changed (replaced in place). */
  /**
   * Puts a message into the open thread. {@code created}: it is new (not an edit or a delivery of one), and counts
   * towards "N new messages" while the agent reads further up, once.
   */
  putMessage(message, { created = false } = {}) {
    let thread = this.state.thread;
    if (!thread || thread.conversationId !== message.conversationId) return;
    if (thread.removed?.has(message.id)) {
      // Moved back in (an undone move): shown again.
      const removed = new Set(thread.removed);
      removed.delete(message.id);
      thread = { ...thread, removed };
      this.set({ thread });
    }
    const index = thread.messages.findIndex((m) => m.id === message.id);
    if (index >= 0) {
      // An answer can arrive after a newer event about the same message (the webhook was faster): keep the newer.
      if (version(message) < version(thread.messages[index])) return;
      const messages = [...thread.messages];
      messages[index] = message;
      this.set({ thread: { ...thread, messages } });
      return;
    }
    if (thread.loading === 'initial') {
      this.set({ thread: { ...thread, arrived: [...(thread.arrived ?? []), message] } });
      return;
    }
    // In thread order (a late event, or two messages committed in the other order than they were written).
    const at = thread.messages.findIndex((m) => threadOrder(message, m) < 0);
    if (at === 0 && thread.hasOlder) {
      // It belongs to an older page, loaded when scrolled to: kept in case that page was read before this change
      // (a removal whose text the page would bring back).
      const updates = [...(thread.updates ?? []).filter((m) => m.id !== message.id), message];
      this.set({ thread: { ...thread, updates } });
      return;
    }
    if (thread.hasNewer) {
      // Below the window: kept until the pages below are read (the last of them may have been read before it
      // committed), and counted towards "N new" once.
      const pending = [...(thread.below ?? []).filter((m) => m.id !== message.id), message];
      const unseen = created && !thread.unseen?.has(message.id) ? new Set(thread.unseen ?? []).add(message.id)
        : thread.unseen;
      this.set({ thread: { ...thread, below: pending, unseen, newBelow: unseen?.size ?? thread.newBelow } });
      return;
    }
    let messages = [...thread.messages];
    messages.splice(at < 0 ? messages.length : at, 0, message);
    let hasOlder = thread.hasOlder;
    if (messages.length > THREAD_WINDOW) {
      messages = messages.slice(messages.length - THREAD_WINDOW);
      hasOlder = true;
    }
    this.set({ thread: { ...thread, messages, hasOlder, newBelow: this.atBottom ? 0 : thread.newBelow + 1 } });
  }

  /**
   * A message moved out of a conversation (to another contact's thread). Remembered for the thread's life: a page
   * being read may have been read before the move, and would bring it back.
   */
  removeMessage(conversationId, messageId) {
    const thread = this.state.thread;
    if (!thread || thread.conversationId !== conversationId) return;
    const removed = new Set(thread.removed ?? []).add(messageId);
    this.set({ thread: { ...thread, removed, messages: without(thread.messages, removed),
      arrived: thread.arrived && without(thread.arrived, removed),
      below: thread.below && without(thread.below, removed) } });
  }

  /** Reloads messages of the open thread whose state changed without an event of their own. */
  async refreshMessages(conversationId, ids) {
    const thread = this.state.thread;
    if (!thread || thread.conversationId !== conversationId) return;
    for (const id of ids.filter((i) => thread.messages.some((m) => m.id === i))) {
      try {
        const answer = await api.get(`/api/v1/conversations/${conversationId}/messages${api.query({
          around: id, limit: 1 })}`);
        const message = answer.messages.find((m) => m.id === id);
        if (message) this.putMessage(message);
      } catch (e) {
        if (e.status !== 404) this.fail(e);
      }
    }
  }

  // ---- contact panel and reply options -----------------------------------------------------------------------

  /**
   * The panel takes an answer about a contact only while it still shows that contact: the agent may have moved to
   * another conversation while it was on its way.
   */
  /**
   * The contact as an answer showed it. Each answer is stamped: a read asked before a later read or an action's
   * answer (a merge) and answered after it is older than what the panel shows, and is dropped.
   */
  contactAnswered(contactId, data, stamp = ++this.contactAnswers) {
    if (stamp !== this.contactAnswers || this.state.contact?.id !== contactId) return;
    this.set({ contact: { id: contactId, data, loading: false } });
  }

  async loadContact(contactId) {
    if (!contactId) return;
    const stamp = ++this.contactAnswers;
    const keep = this.state.contact?.id === contactId ? this.state.contact.data : null;
    this.set({ contact: { id: contactId, data: keep, loading: true, error: null } });
    try {
      const data = await api.get(`/api/v1/contacts/${contactId}`);
      this.contactAnswered(contactId, data, stamp);
    } catch (e) {
      if (stamp === this.contactAnswers && this.state.contact?.id === contactId) {
        this.set({ contact: { id: contactId, data: keep, loading: false, error: describe(e) } });
      }
    }
  }

  /** The composer's channels and default target; a read overtaken by a later one is dropped when it answers. */
  async loadReplyOptions(conversationId) {
    const stamp = ++this.replyOptionLoads;
    const current = () => stamp === this.replyOptionLoads && this.state.thread?.conversationId === conversationId;
    try {
      const data = await api.get(`/api/v1/conversations/${conversationId}/reply-options`);
      if (current()) this.set({ replyOptions: { conversationId, data, error: null } });
    } catch (e) {
      // Shown in the composer with a retry (a 404: the conversation went, which its view says already).
      if (e.status !== 404 && current()) this.set({ replyOptions: { conversationId, data: null, error: describe(e) } });
    }
  }

  async merge(contactId, otherContactId) {
    const data = await api.post(`/api/v1/contacts/${contactId}/merge`, { otherContactId });
    this.contactAnswered(contactId, data);
    return data;
  }

  /** The agent says the suggested contact is someone else: the suggestion leaves the panel for good. */
  async dismissSuggestion(contactId, suggestionId) {
    const data = await api.post(`/api/v1/contacts/${contactId}/suggestions/${suggestionId}/dismiss`);
    this.contactAnswered(contactId, data);
    return data;
  }

  async updateContact(contactId, patch) {
    const data = await api.patch(`/api/v1/contacts/${contactId}`, patch);
    this.contactAnswered(contactId, data);
    if (patch.name) this.renameContact(contactId, data.name);
    return data;
  }

  /** The rows of a contact's conversations show their new name at once (lists, headers, canned-response fields). */
  renameContact(contactId, name) {
    for (const row of this.state.conversations.values()) {
      if (row.contact?.id === contactId && row.contact.name !== name) {
        this.upsert({ ...row, contact: { ...row.contact, name } });
      }
    }
  }

  async unmerge(contactId, mergeId) {
    const data = await api.post(`/api/v1/contacts/${contactId}/unmerge`, { mergeId });
    this.contactAnswered(contactId, data);
    return data;
  }

  // ---- agent actions -----------------------------------------------------------------------------------------

  async update(conversationId, patch, { version } = {}) {
    const options = version ? { headers: { 'If-Match': `"${version}"` } } : undefined;
    const row = await api.patch(`/api/v1/conversations/${conversationId}`, patch, options);
    this.place(this.upsert(row));
    return row;
  }

  /**
   * Resolves, snoozes or sets pending the conversation as the agent saw it: the server refuses it (412) once the
   * conversation moved on. A move that brought nothing from the customer (the agent's own reply landing, a
   * colleague's label) is taken as seen, and the change made on the fresh row; a customer message stops it, so the
   * agent reads it first. Other changes (reopen, assignee, labels) go through as they are.
   */
  async close(conversationId, patch) {
    const seen = this.state.conversations.get(conversationId);
    try {
      return await this.update(conversationId, patch, { version: seen?.updatedAt });
    } catch (e) {
      if (e.status !== 412 || !seen) throw e;
      const fresh = await api.get(`/api/v1/conversations/${conversationId}`);
      this.place(this.upsert(fresh));
      if (fresh.lastInboundAt !== seen.lastInboundAt) {
        // The row now carries the new version: the message it counts is put on screen before the agent is told,
        // so a second Resolve is made over what they can read.
        const thread = this.state.thread;
        if (thread?.conversationId === conversationId && !thread.hasNewer) await this.refreshThreadEnd(conversationId);
        throw Object.assign(new api.ApiError(412, e.problem), { key: 'thread.customerWroteMeanwhile' });
      }
      return this.update(conversationId, patch, { version: fresh.updatedAt });
    }
  }

  assignToMe(conversationId) {
    return this.update(conversationId, { assigneeId: this.state.me.agentId });
  }

  async send(conversationId, { body, note, channel, attachments, idempotencyKey }) {
    const payload = {};
    if (body.trim()) payload.body = body;
    if (note) payload.note = true;
    else if (channel) payload.channel = channel;
    if (attachments.length) payload.attachments = attachments.map((a) => a.id);
    const { data } = await api.postWithHeaders(`/api/v1/conversations/${conversationId}/messages`, payload,
      { headers: { 'Idempotency-Key': idempotencyKey } });
    this.putMessage(data, { created: true });
    const row = this.state.conversations.get(conversationId);
    // Not over a newer message the stream brought before this answer (the customer wrote right after).
    if (row && !note && !(row.lastMessage && threadOrder(row.lastMessage, data) > 0)) {
      this.place(this.upsert({ ...row, lastMessage: preview(data), lastActivityAt: data.createdAt,
        updatedAt: row.updatedAt }));
    }
    return data;
  }

  /** Removes a message's content for good; the thread shows it removed (the stream's event says the same). */
  async redact(messageId) {
    this.messageChanged(await api.post(`/api/v1/messages/${messageId}/redact`));
  }

  /** A message changed (an edit, a removal): in the open thread, in its row's preview, in the search hits. */
  messageChanged(message, conversationId = message.conversationId) {
    this.putMessage(message);
    const row = this.state.conversations.get(conversationId);
    if (row?.lastMessage?.id === message.id) this.upsert({ id: row.id, lastMessage: preview(message) });
    this.redactedInSearch(message);
  }

  /** A removed message's search hit no longer shows its words (its snippet and subject came with the hit). */
  redactedInSearch(message) {
    const search = this.state.search;
    if (!message.redactedAt || !search.hits.some((hit) => hit.messageId === message.id && !hit.redacted)) return;
    const hits = search.hits.map((hit) => (hit.messageId === message.id
      ? { ...hit, snippet: '', subject: null, redacted: true } : hit));
    this.set({ search: { ...search, hits } });
  }

  async retry(messageId) {
    const message = await api.post(`/api/v1/messages/${messageId}/retry`);
    this.putMessage(message);
  }

  // ---- search ------------------------------------------------------------------------------------------------

  openSearch(patch = {}) {
    this.set({ search: { ...this.state.search, ...patch, open: true } });
  }

  closeSearch() {
    this.set({ search: { ...this.state.search, open: false } });
  }

  async runSearch(more = false) {
    const search = this.state.search;
    // More of the same search: the query and filters it was made with, whatever was typed since.
    const asked = more ? search.asked : { q: search.q.trim(), channel: search.channel, status: search.status,
      from: search.from, to: search.to, sort: search.sort };
    if (!asked?.q || (more && !search.nextCursor)) return;
    // Only the newest request's answer counts (typing a date fires a change per digit).
    const token = ++this.searchToken;
    this.set({ search: { ...search, asked, loading: true, error: null, hits: more ? search.hits : [],
      nextCursor: more ? search.nextCursor : null } });
    try {
      const answer = await api.get(`/api/v1/search${api.query({ q: asked.q, channel: asked.channel,
        status: asked.status, from: dayStart(asked.from), to: dayEnd(asked.to), sort: asked.sort,
        cursor: more ? search.nextCursor : null })}`);
      if (token !== this.searchToken) return;
      const hits = answer.hits ?? [];
      this.set({ search: { ...this.state.search, hits: more ? [...this.state.search.hits, ...hits] : hits,
        nextCursor: answer.nextCursor ?? null, total: answer.total ?? null, loading: false, searched: true,
        unavailable: false } });
      for (const hit of hits) {
        if (hit.conversationId && !this.state.conversations.has(hit.conversationId)) this.fetchRow(hit.conversationId);
      }
    } catch (e) {
      if (token !== this.searchToken) return;
      // A 404 from the API's catch-all means this server has no search endpoint (yet), not "no results".
      const unavailable = e.status === 404 || e.status === 405;
      this.set({ search: { ...this.state.search, loading: false, searched: true, unavailable,
        error: unavailable ? null : describe(e) } });
    }
  }

  // ---- realtime ----------------------------------------------------------------------------------------------

  apply(frame) {
    applyEvent(this, frame);
  }

  /**
   * Who types in a conversation, kept per source ('visitor', 'agent:<id>'): a customer and a colleague typing at
   * once each keep their own signal (one stopping does not hide the other), and the list and thread show the
   * customer first. A signal lapses after 6 s unless repeated.
   */
  setTyping(conversationId, source, who) {
    const key = `${conversationId}|${source}`;
    if (who) this.typists.set(key, { conversationId, ...who, until: Date.now() + 6000 });
    else this.typists.delete(key);
    this.publishTyping();
  }

  publishTyping() {
    const now = Date.now();
    const typing = new Map();
    for (const [key, who] of this.typists) {
      if (who.until <= now) {
        this.typists.delete(key);
        continue;
      }
      const shown = typing.get(who.conversationId);
      if (!shown || (shown.agent && !who.agent)) typing.set(who.conversationId, who);
    }
    this.set({ typing });
    clearTimeout(this.typingTimer);
    if (this.typists.size) {
      const next = Math.min(...[...this.typists.values()].map((who) => who.until));
      this.typingTimer = setTimeout(() => this.publishTyping(), Math.max(50, next - now + 50));
    }
  }

  /** The widget visitors' presence of a conversation, taken together (several browsers may be open). */
  async loadVisitors(conversationId) {
    const row = this.state.conversations.get(conversationId);
    if (this.noVisitorsApi || !(row?.channels || []).includes('widget')) return;
    try {
      const data = await api.get(`/api/v1/conversations/${conversationId}/visitors`);
      this.setPresence(conversationId, { online: !!data.online, lastSeenAt: data.lastSeenAt ?? null,
        seenMessageId: data.lastSeenMessageId ?? null });
    } catch (e) {
      if (e.status === 404 && e.problem?.detail === 'there is no such resource') this.noVisitorsApi = true;
      else if (e.status !== 404) this.fail(e);
    }
  }

  /**
   * Tells colleagues, and a widget visitor, that the agent is writing a reply: at most one signal every few seconds
   * while typing, and a stop when the agent sends, leaves the field or pauses. On every channel: two agents
   * answering one email is the collision the signal is there to prevent (the server tells a visitor only where
   * the reply goes to the widget).
   */
  agentTyping(conversationId, typing) {
    if (this.noTypingApi) return;
    const now = Date.now();
    const last = this.typingSent;
    clearTimeout(this.typingIdle);
    if (typing) {
      this.typingIdle = setTimeout(() => this.agentTyping(conversationId, false), 4000);
      if (last?.conversationId === conversationId && last.typing && now - last.at < 2500) return;
    } else if (!last?.typing || last.conversationId !== conversationId) {
      return;
    }
    this.typingSent = { conversationId, typing, at: now };
    api.post(`/api/v1/conversations/${conversationId}/typing`, { typing }).catch((e) => {
      if (e.status === 404 && e.problem?.detail === 'there is no such resource') this.noTypingApi = true;
    });
  }

  setPresence(conversationId, presence) {
    const map = new Map(this.state.presence);
    map.set(conversationId, { ...map.get(conversationId), ...presence });
    this.set({ presence: map });
  }

  // ---- notices -----------------------------------------------------------------------------------------------

  /**
   * A short notice; text is a translation key, or {key, params}, or an Error with the server's explanation. A
   * confirmation goes after 4 s; a failure stays until the agent closes it (someone reading with a screen reader or
   * the keyboard needs the time), the newest three at most.
   */
  notify(text, kind = 'info') {
    // A session that ended under an action (a 401 ends it before the action's catch runs) has nothing to say to
    // the sign-in form, nor to whoever signs in next: "log in first" or an aborted call would greet them.
    if (this.state.phase !== 'ready') return;
    const toast = { id: Math.random().toString(36).slice(2), text, kind };
    const errors = this.state.toasts.filter((t) => t.kind === 'error');
    const dropped = kind === 'error' && errors.length >= MAX_ERROR_TOASTS ? errors[0].id : null;
    this.set({ toasts: [...this.state.toasts.filter((t) => t.id !== dropped), toast] });
    if (kind !== 'error') setTimeout(() => this.dismiss(toast.id), 4000);
  }

  dismiss(id) {
    this.set({ toasts: this.state.toasts.filter((t) => t.id !== id) });
  }

  /** A background read failed: said once by the connection badge when the server is unreachable. */
  fail(error) {
    if (error?.status === 401) return; // the session handler shows the login
    if (error?.name === 'AbortError') return; // the session ended, or the caller no longer waits for it
    if (error?.status === 0 && this.state.connection !== 'live') return; // the connection badge says it already
    this.notify(error, 'error');
  }

  /**
   * Something the agent did was not done (resolve, assign, a label): always said, the network's fault too. The
   * connection badge alone would let them believe the conversation was resolved.
   */
  actionFailed(error) {
    if (error?.status === 401 || error?.name === 'AbortError') return;
    this.notify(error, 'error');
  }
}

/**
 * How recent a message's state is: its delivery's last change, its last edit, or its removal. A removed message is
 * newer than any copy from before (its delivery may change later; its content never comes back).
 */
function version(message) {
  const redacted = message.redactedAt ? 2 ** 52 : 0;
  return redacted + Math.max(instantMicros(message.delivery?.updatedAt), instantMicros(message.editedAt),
    instantMicros(message.createdAt), instantMicros(message.redactedAt));
}

/**
 * An ISO instant in microseconds since the epoch (0 when absent). The server's stamps have microseconds, and two
 * changes can fall in one millisecond; Date.parse keeps milliseconds only.
 */
export function instantMicros(text) {
  const ms = Date.parse(text ?? '');
  if (Number.isNaN(ms)) return 0;
  const micros = /\.\d{3}(\d{1,3})/.exec(text);
  return ms * 1000 + (micros ? Number(micros[1].padEnd(3, '0')) : 0);
}

/** The thread's order, as the server pages it: by creation time, then id. */
export function threadOrder(a, b) {
  return (instantMicros(a.createdAt) - instantMicros(b.createdAt)) || (a.id - b.id);
}

/** The messages, but for those moved out of the thread. */
function without(messages, removed) {
  return removed?.size ? messages.filter((m) => !removed.has(m.id)) : messages;
}

/** A fetched page, each of its messages replaced by a newer copy an event brought, if any. */
export function fresher(page, copies) {
  if (!copies?.length) return page;
  const newest = new Map();
  for (const m of copies) {
    if (!newest.has(m.id) || version(m) >= version(newest.get(m.id))) newest.set(m.id, m);
  }
  return page.map((m) => (newest.has(m.id) && version(newest.get(m.id)) >= version(m) ? newest.get(m.id) : m));
}

/** A fetched page with the messages that came live meanwhile: one copy of each (the newer), in thread order. */
export function mergeMessages(page, arrived) {
  if (!arrived.length) return page;
  const byId = new Map(page.map((m) => [m.id, m]));
  for (const m of arrived) {
    const held = byId.get(m.id);
    if (!held || version(m) >= version(held)) byId.set(m.id, m);
  }
  const oldest = page[0];
  return [...byId.values()].filter((m) => !oldest || threadOrder(m, oldest) >= 0).sort(threadOrder);
}

/** The list row's idea of a message. */
export function preview(message) {
  return { id: message.id, kind: message.kind, channel: message.channel, subject: message.subject,
    preview: (message.body || '').slice(0, 160), redacted: !!message.redactedAt, createdAt: message.createdAt,
    author: message.author };
}

export const store = new Store();

/** Local midnight of a day picked in the agent's calendar (YYYY-MM-DD), moved by {@code days}. */
function localMidnight(value, days) {
  const [y, m, d] = value.split('-').map(Number);
  return new Date(y, m - 1, d + days);
}

/** The first instant of a day picked in the agent's calendar, not of that day in UTC. */
export function dayStart(value) {
  return value ? localMidnight(value, 0).toISOString() : null;
}

/** The last millisecond of a day picked in the agent's calendar: the "to" date is included whole. */
export function dayEnd(value) {
  return value ? new Date(localMidnight(value, 1).getTime() - 1).toISOString() : null;
}
