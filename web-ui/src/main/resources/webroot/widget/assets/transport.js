// The live connection: a WebSocket with a heartbeat and jittered reconnects, resuming from the last seq; when
// WebSockets never get through (a proxy blocks them), long polling over HTTP instead, trying a socket again now and
// then: the first three can fail only because the server was restarting as the page loaded.
const MAX_BACKOFF_MS = 30000;
const SOCKET_ATTEMPTS_BEFORE_FALLBACK = 3;
/** How long an open socket may wait for the server's ready frame (at most a heartbeat) before it counts as dead. */
const READY_WAIT_MS = 10000;
const POLL_WAIT_SECONDS = 25;
/** The first try of a socket from long polling comes after this many heartbeats, each next one twice as late. */
const PROBE_HEARTBEATS = 4;
const MAX_PROBE_MS = 15 * 60 * 1000;

export class Transport {
  constructor({ api, onFrame, onState, onOpen, onGone, refreshSession }) {
    this.api = api;
    this.onFrame = onFrame;
    this.onState = onState;
    this.onOpen = onOpen;
    this.onGone = onGone;
    this.refreshSession = refreshSession;
    this.mode = typeof WebSocket === 'function' ? 'socket' : 'poll';
    this.seq = 0;
    this.attempt = 0;
    this.failedSockets = 0;
    this.silentSockets = 0; // upgraded, and then nothing came: something in between passes nothing on
    this.failedProbes = 0;
    this.fellBack = false;
    this.everOpened = false;
    this.stopped = true;
    this.socket = null;
    this.timers = [];
    // Names this tab's long polls: a late event is offered once per resume point and tab, so each tab has it.
    this.tab = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  start({ socketUrl, seq, heartbeatSeconds }) {
    this.stop();
    this.started = (this.started || 0) + 1;
    this.stopped = false;
    this.socketUrl = socketUrl;
    this.seq = Math.max(this.seq, seq || 0);
    this.heartbeatMs = Math.max(1, heartbeatSeconds || 25) * 1000;
    this.connect();
  }

  stop() {
    this.stopped = true;
    // Ends the long-poll loop running now: a start right after (a sign-in) clears `stopped` before the aborted
    // poll's loop wakes, which then went on polling beside the new one.
    this.pollRun = (this.pollRun || 0) + 1;
    this.timers.forEach(clearTimeout);
    this.timers = [];
    clearInterval(this.pinger);
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close(1000, 'bye');
      this.socket = null;
    }
    if (this.probing) {
      this.probing.onclose = null;
      this.probing.close(1000, 'bye');
      this.probing = null;
    }
    if (this.polling) this.polling.abort();
  }

  /** Sends a frame over the open socket; false when there is none (the caller falls back to HTTP). */
  send(frame) {
    if (this.mode !== 'socket' || !this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  connected() {
    return this.mode === 'poll' ? !this.stopped : !!this.socket && this.socket.readyState === WebSocket.OPEN;
  }

  connect() {
    if (this.stopped) return;
    if (this.mode === 'poll') {
      this.poll();
      return;
    }
    this.onState(this.everOpened ? 'reconnecting' : 'connecting');
    const socket = this.openSocket();
    let opened = false;
    this.socket = socket;
    let silence = null;
    socket.onopen = () => {
      this.lastFrame = Date.now();
      clearInterval(this.pinger);
      this.pinger = setInterval(() => this.beat(), this.heartbeatMs);
      // Online, and the outbox sent, once the server's ready frame comes (below); one that never comes closes it.
      silence = setTimeout(() => {
        if (opened || this.socket !== socket) return;
        this.silentSockets++;
        socket.close(4000, 'no ready frame');
      }, Math.min(READY_WAIT_MS, this.heartbeatMs));
    };
    socket.onmessage = (event) => {
      this.lastFrame = Date.now();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (frame.type === 'ready' && !opened) {
        // Through only once the server accepts the socket: one that upgrades and then closes at once (database
        // down, chat disabled, ticket refused), or something in between that upgrades and passes nothing on (a
        // proxy, an antivirus), counts as a failed attempt, towards the fallback to polling and the backoff.
        opened = true;
        clearTimeout(silence);
        this.everOpened = true;
        this.failedSockets = 0;
        this.silentSockets = 0;
        this.onState('online');
        this.take(frame);
        this.onOpen();
        return;
      }
      this.take(frame);
    };
    socket.onclose = (event) => {
      clearInterval(this.pinger);
      clearTimeout(silence);
      if (this.socket === socket) this.socket = null;
      if (this.stopped) return;
      if (event.code === 4403) {
        this.gone(event.reason);
        return;
      }
      if (!opened) this.failedSockets++;
      // A socket that never got through falls back to polling; so does one that had once and fails again (a tab
      // that came back from polling), while a tab whose sockets always worked waits out a server restart instead.
      // Sockets that upgrade and then pass nothing on fall back too, even in a tab whose sockets once worked (it
      // moved onto a network with such a proxy): a restarting server refuses the upgrade instead.
      if ((!this.everOpened || this.fellBack) && this.failedSockets >= SOCKET_ATTEMPTS_BEFORE_FALLBACK
          || this.silentSockets >= SOCKET_ATTEMPTS_BEFORE_FALLBACK) {
        this.mode = 'poll';
        this.fellBack = true;
        this.connect();
        return;
      }
      if (event.code === 4401) {
        this.later(() => this.renew(), this.backoff());
        return;
      }
      if (event.code === 4429) {
        // Too many sockets for this visitor (tabs), or connects: this tab polls instead, and tries a socket later.
        this.mode = 'poll';
        this.fellBack = true;
        this.connect();
        return;
      }
      this.later(() => this.connect(), this.backoff());
    };
  }

  /** A socket to the server on this page's scheme, resuming after the last seq. */
  openSocket() {
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    return new WebSocket(scheme + location.host + this.socketUrl + '&since=' + this.seq);
  }

  /** A ping each heartbeat; a server silent for two and a half heartbeats is gone: drop and reconnect. */
  beat() {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return;
    if (Date.now() - this.lastFrame > this.heartbeatMs * 2.5) {
      this.socket.close(4000, 'server silent');
      return;
    }
    this.socket.send('{"type":"ping"}');
  }

  take(frame) {
    if (frame.type === 'ready') this.attempt = 0;
    // A late frame's seq lies below events this connection may not have had yet: it moves no resume point. A
    // reset names the resume point itself, lower too (a client ahead of a database restored from a backup).
    if (frame.type === 'reset' && typeof frame.seq === 'number') this.seq = frame.seq;
    else if (!frame.late && typeof frame.seq === 'number' && frame.seq > this.seq) this.seq = frame.seq;
    this.onFrame(frame);
  }

  async renew() {
    const started = this.started;
    try {
      const session = await this.refreshSession();
      this.socketUrl = session.socket.url;
    } catch (e) {
      // keep the old URL; the next attempt tries again
    }
    // Restarted or stopped meanwhile (a sign-in, a reset): that start connects; a second socket here would be
    // left open, reconnecting for ever and holding one of the visitor's sockets.
    if (this.stopped || started !== this.started) return;
    this.connect();
  }

  async poll() {
    this.onState(this.everOpened ? 'reconnecting' : 'connecting');
    // On every start in poll mode too (a sign-in restarts the transport, and stop() clears the timers).
    if (this.fellBack) this.laterProbe();
    const run = this.pollRun;
    const current = () => !this.stopped && this.mode === 'poll' && run === this.pollRun;
    while (current()) {
      this.polling = new AbortController();
      try {
        const answer = await this.api.poll(this.seq, POLL_WAIT_SECONDS, this.polling.signal, this.tab);
        if (!current()) return; // answered as it was stopped: a restart reads the thread anew
        if (!this.everOpened) this.onOpen();
        this.everOpened = true;
        this.attempt = 0;
        this.onState('polling');
        for (const frame of answer.events) this.take(frame);
        if (answer.seq > this.seq) this.seq = answer.seq;
      } catch (e) {
        if (!current()) return;
        // Only the server's own word: a 403 or 404 on a poll comes from something in between (a WAF's
        // challenge, a proxy with no route during a deploy), which passes.
        if (e.status === 409) {
          this.gone(e.message);
          return;
        }
        if (e.status === 401) {
          try {
            await this.refreshSession();
          } catch (ignored) {
            // retried below
          }
          if (!current()) return;
        }
        this.onState('reconnecting');
        await new Promise((resolve) => this.later(resolve, this.backoff()));
      }
    }
  }

  /**
   * The chat is refused for good (a socket closed with 4403: the widget was disabled or removed, or this page's
   * origin is no longer allowed; a poll answered 409: the widget was disabled or removed). Reconnecting would be
   * refused the same way, from every open tab for as long as it stays open, so the transport stops and the frame
   * says the chat is not available (it looks again when opened, and now and then while open: see recheck).
   */
  gone(reason) {
    this.stop();
    this.onGone(reason || 'refused');
  }

  /** Schedules the next try of a socket while polling (only when the fallback was chosen, not forced). */
  laterProbe() {
    const delay = Math.min(MAX_PROBE_MS, this.heartbeatMs * PROBE_HEARTBEATS * 2 ** Math.min(this.failedProbes, 16));
    this.later(() => this.probe(), delay * (0.75 + Math.random() / 2));
  }

  /**
   * Tries a socket beside the long poll. Once the server says it is ready, the poll is dropped and the transport
   * connects a socket of its own, resuming from the last seq: nothing the probe or the aborted poll carried is
   * lost or taken twice, as both are left unread.
   */
  probe(renewed = false) {
    if (this.stopped || this.mode !== 'poll') return;
    const socket = this.openSocket();
    this.probing = socket;
    const timeout = setTimeout(() => socket.close(4000, 'no answer'), this.heartbeatMs * 2);
    socket.onmessage = (event) => {
      let frame = null;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        // not ready: closed below
      }
      clearTimeout(timeout);
      socket.onclose = null;
      socket.close(1000, 'probe');
      this.probing = null;
      if (this.stopped || this.mode !== 'poll') return;
      if (!frame || frame.type !== 'ready') {
        this.failedProbe();
        return;
      }
      this.failedProbes = 0;
      this.failedSockets = 0;
      this.attempt = 0;
      this.mode = 'socket';
      if (this.polling) this.polling.abort();
      this.connect();
    };
    socket.onclose = (event) => {
      clearTimeout(timeout);
      this.probing = null;
      if (this.stopped || this.mode !== 'poll') return;
      if (event.code === 4401 && !renewed) {
        // The socket ticket expired while polling (polls do not need it): a fresh one, and the same try again.
        this.refreshSession().then((session) => {
          this.socketUrl = session.socket.url;
          this.probe(true);
        }, () => this.failedProbe());
        return;
      }
      this.failedProbe();
    };
  }

  failedProbe() {
    this.failedProbes++;
    this.laterProbe();
  }

  /** Exponential backoff with full jitter, so a restarted server is not hit by every widget at once. */
  backoff() {
    const ceiling = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 16);
    return 250 + Math.random() * ceiling;
  }

  later(fn, ms) {
    this.timers.push(setTimeout(fn, ms));
  }
}
