// The agent's realtime stream: GET /api/v1/stream?since={seq} over a WebSocket. Frames are {seq, type, data};
// "ready" opens a session and "heartbeat" carries the seq to resume from (past other workspaces' events too).
// After any drop it reconnects with jittered backoff and resumes from the last seq it saw, so no event is lost and
// none is applied twice.

const MAX_BACKOFF_MS = 15_000;
/** Three missed heartbeats mean a dead connection: the server names its period in "ready" (25 s by default). */
const MISSED_HEARTBEATS = 3;
const DEFAULT_HEARTBEAT_MS = 25_000;
const SESSION_ENDED = 4401;
const RECENT_SEQS = 2_000;

export class RealtimeStream {
  /**
   * @param {(frame: object) => void} onFrame every event frame (with a seq) and every ephemeral frame (without)
   * @param {(state: string, detail?: object) => void} onState connecting | live | reconnecting | ended
   */
  constructor(onFrame, onState) {
    this.onFrame = onFrame;
    this.onState = onState;
    this.lastSeq = null;
    // The seqs applied last, in order: a late event may also come in seq order (from a resume's catch-up), and
    // must apply once either way.
    this.recent = new Set();
    this.attempt = 0;
    this.socket = null;
    this.stopped = true;
    this.retryTimer = null;
    this.onOnline = () => this.reconnectSoon(0);
    this.lastFrameAt = Date.now();
    this.silenceLimitMs = MISSED_HEARTBEATS * DEFAULT_HEARTBEAT_MS;
    this.silenceCheck = null;
    // Checked by the wall clock, every few seconds and on waking: timers do not run while a laptop sleeps, so a
    // timer alone would call a connection dropped during the sleep (by a NAT or a proxy) live for three heartbeats.
    this.onWake = () => this.checkSilence();
  }

  /** Reconnects when nothing came for longer than three heartbeats by the wall clock. */
  checkSilence() {
    if (!this.stopped && this.socket && Date.now() - this.lastFrameAt > this.silenceLimitMs) this.reconnectSoon(0);
  }

  start() {
    this.stopped = false;
    window.addEventListener('online', this.onOnline);
    document.addEventListener('visibilitychange', this.onWake);
    window.addEventListener('focus', this.onWake);
    this.silenceCheck = setInterval(this.onWake, 5_000);
    this.open();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    document.removeEventListener('visibilitychange', this.onWake);
    window.removeEventListener('focus', this.onWake);
    clearInterval(this.silenceCheck);
    clearTimeout(this.retryTimer);
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close(1000, 'bye');
      this.socket = null;
    }
  }

  open() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const since = this.lastSeq === null ? '' : `?since=${this.lastSeq}`;
    this.onState(this.attempt === 0 && this.lastSeq === null ? 'connecting' : 'reconnecting');
    let socket;
    try {
      socket = new WebSocket(`${scheme}://${location.host}/api/v1/stream${since}`);
    } catch {
      this.reconnectSoon();
      return;
    }
    this.socket = socket;
    socket.onmessage = (message) => this.receive(message.data);
    socket.onclose = (event) => this.closed(event);
    socket.onerror = () => {}; // a close always follows, and it is handled there
    this.arm();
  }

  receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    this.arm();
    if (frame.type === 'ready') {
      this.attempt = 0;
      // A server with a longer heartbeat than the default is not taken for dead between two of them.
      if (frame.data?.heartbeatSeconds > 0) this.silenceLimitMs = MISSED_HEARTBEATS * frame.data.heartbeatSeconds * 1000;
      if (frame.data?.reset) {
        // The server's log no longer holds the seq we had (a restored database): start over from its own.
        this.lastSeq = null;
        this.recent.clear();
      }
      if (this.lastSeq === null && frame.data?.since != null) this.lastSeq = frame.data.since;
      this.onState('live', frame.data);
      return;
    }
    if (frame.type === 'heartbeat') {
      if (frame.data?.seq != null && (this.lastSeq === null || frame.data.seq > this.lastSeq)) {
        this.lastSeq = frame.data.seq;
      }
      return;
    }
    if (frame.seq != null) {
      // A late event committed after the server's feed had passed its seq: apply it, and keep resuming from
      // lastSeq. Any other frame at or below lastSeq is a replay after a resume.
      if (!frame.late) {
        if (this.lastSeq !== null && frame.seq <= this.lastSeq) return;
        this.lastSeq = frame.seq;
      }
      if (this.recent.has(frame.seq)) return;
      this.remember(frame.seq);
    }
    this.onFrame(frame);
  }

  remember(seq) {
    this.recent.add(seq);
    if (this.recent.size > RECENT_SEQS) this.recent.delete(this.recent.values().next().value);
  }

  closed(event) {
    this.socket = null;
    if (this.stopped) return;
    if (event.code === SESSION_ENDED) {
      this.stopped = true;
      this.onState('ended', { code: event.code, reason: event.reason });
      return;
    }
    this.reconnectSoon();
  }

  reconnectSoon(delay) {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close();
      this.socket = null;
    }
    this.onState('reconnecting');
    const backoff = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt);
    const wait = delay ?? backoff / 2 + Math.random() * backoff / 2;
    this.attempt += 1;
    this.retryTimer = setTimeout(() => this.open(), wait);
  }

  /** Notes that the connection spoke: silent past three heartbeats, checkSilence treats it as dropped. */
  arm() {
    this.lastFrameAt = Date.now();
  }
}
