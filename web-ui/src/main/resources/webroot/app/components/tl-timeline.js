import { html } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { keyed } from 'lit/directives/keyed.js';
import { TlElement, define } from '../base.js';
import { store } from '../store.js';
import { t } from '../i18n.js';
import { day } from '../format.js';
import { icon } from '../icons.js';

const EDGE_PX = 400;
const BOTTOM_PX = 48;

/**
 * One timeline for the whole customer, every channel in it. A thread of any length opens on its latest page (or
 * around a search hit); scrolling loads the next page in either direction, and the store keeps at most
 * THREAD_WINDOW messages, so the DOM stays the same size for 50 or 50,000 messages. The scroll position is held on
 * the message the agent is reading while pages come and go above or below it.
 */
class TlTimeline extends TlElement {
  static properties = { thread: { attribute: false }, presence: { attribute: false },
    announcement: { state: true } };

  constructor() {
    super();
    this.anchor = null;
    this.stickToBottom = true;
    this.shownConversation = null;
    this.focused = null;
    this.announcement = null; // {id, text}: the newest customer message, for screen readers
  }

  get scroller() {
    return this.querySelector('.timeline');
  }

  render() {
    const thread = this.thread;
    if (thread.loading === 'initial') {
      return html`<div class="timeline timeline-loading" role="status">${t('app.loading')}</div>`;
    }
    if (thread.error) {
      return html`<div class="timeline timeline-loading" role="alert">${thread.error}
        <button @click=${() => store.openThread(thread.conversationId)}>${t('app.retry')}</button></div>`;
    }
    const seenId = this.seenOutgoingId();
    let previousDay = null;
    return html`
      <div class="timeline" data-testid="timeline" role="region" aria-label=${t('thread.timeline')}
        aria-busy=${thread.loading ? 'true' : 'false'} @scroll=${this.onScroll}>
        ${thread.hasOlder ? html`<button class="load-earlier" data-testid="load-earlier"
          ?disabled=${thread.loading === 'older'} @click=${() => store.loadOlder()}>
          ${thread.loading === 'older' ? t('app.loading') : t('thread.loadEarlier')}</button>`
          : html`<p class="thread-start">${t('thread.start')}</p>`}
        ${repeat(thread.messages, (m) => m.id, (m) => {
          const today = day(m.createdAt);
          const separator = today !== previousDay ? html`<div class="day-separator" role="separator">
            <span>${today}</span></div>` : '';
          previousDay = today;
          return html`${separator}<tl-message .message=${m} .seen=${m.id === seenId}
            .highlight=${m.id === thread.focusId} data-message-id=${m.id}></tl-message>`;
        })}
        ${thread.hasNewer ? html`<button class="load-later" data-testid="load-later"
          ?disabled=${thread.loading === 'newer'} @click=${() => store.loadNewer()}>
          ${thread.loading === 'newer' ? t('app.loading') : t('thread.loadLater')}</button>` : ''}
      </div>
      ${thread.hasNewer || thread.newBelow ? html`<button class="jump-latest" data-testid="jump-latest"
        @click=${() => this.jump()}>${icon('down')}${thread.newBelow
          ? t('thread.newBelow', { count: thread.newBelow }) : t('thread.latest')}</button>` : ''}
      <div class="visually-hidden" role="status" aria-live="polite" data-testid="timeline-status">${this.announcement
        ? keyed(this.announcement.id, html`<span>${this.announcement.text}</span>`) : ''}</div>`;
  }

  /** The last outgoing message the widget visitor has seen, for its "Seen" mark. */
  seenOutgoingId() {
    const seen = this.presence?.seenMessageId;
    if (!seen) return null;
    const out = this.thread.messages.filter((m) => m.kind === 'out' && m.id <= seen);
    return out.length ? out[out.length - 1].id : null;
  }

  willUpdate(changed) {
    const previous = changed.get('thread');
    const scroller = this.scroller;
    this.anchor = null;
    if (previous && previous.conversationId !== this.thread.conversationId) this.announcement = null;
    const failed = this.failedReply(previous);
    if (failed) this.announcement = failed;
    if (!previous || !scroller || previous.conversationId !== this.thread.conversationId) return;
    const lastBefore = previous.messages[previous.messages.length - 1]?.id;
    const lastNow = this.thread.messages[this.thread.messages.length - 1]?.id;
    if (lastNow !== lastBefore && lastNow > (lastBefore ?? 0) && !this.thread.hasNewer) {
      const added = this.thread.messages[this.thread.messages.length - 1];
      if (added?.kind === 'in') {
        // A new node per message: the same words again (the same customer) are announced again; a failure of
        // the agent's reply that came in the same update is said first, not replaced.
        const text = t('thread.newFrom', { name: added.author?.name || t('contact.unnamed') });
        this.announcement = failed ? { id: `${failed.id}:${added.id}`, text: `${failed.text} ${text}` }
          : { id: added.id, text };
      } else if (added?.author?.type === 'agent' && added.author.id === store.state.me?.agentId) {
        this.stickToBottom = true; // the agent's own message: show it
      }
    }
    // Hold the first message whose bottom is in view where it is on screen.
    const top = scroller.scrollTop;
    for (const element of scroller.querySelectorAll('tl-message')) {
      if (element.offsetTop + element.offsetHeight > top) {
        this.anchor = { id: element.dataset.messageId, offset: element.offsetTop - top };
        break;
      }
    }
  }

  /**
   * A reply of this agent's that could not be delivered is said (its mark in the thread changes silently): the
   * agent who cannot see it would not learn that the customer never got it. Returns the announcement, or null.
   */
  failedReply(previous) {
    const me = store.state.me?.agentId;
    const failedNow = this.thread.messages.filter((m) => m.author?.type === 'agent' && m.author.id === me
      && m.delivery?.status === 'failed');
    const key = (m) => `${m.id}:${m.delivery.attempts}`;
    if (!previous || previous.conversationId !== this.thread.conversationId || previous.loading === 'initial'
        || !this.failuresKnown) {
      // A thread opened with failures in it: those are on screen, not news.
      this.failuresKnown = new Set(failedNow.map(key));
      return null;
    }
    // Each failure (of each attempt an agent retried) once, whether its reply came in the same update or before;
    // not those of an earlier page scrolled to.
    const shown = new Set(previous.messages.map((m) => m.id));
    const lastShown = previous.messages[previous.messages.length - 1]?.id ?? 0;
    const fresh = failedNow.filter((m) => !this.failuresKnown.has(key(m)) && (shown.has(m.id) || m.id > lastShown));
    failedNow.forEach((m) => this.failuresKnown.add(key(m)));
    if (!fresh.length) return null;
    return { id: `failed:${key(fresh[fresh.length - 1])}`, text: t('thread.replyFailed') };
  }

  updated() {
    const scroller = this.scroller;
    if (!scroller || this.thread.loading === 'initial') return;
    if (this.observed !== scroller) this.observeSize();
    const anchor = this.anchor;
    this.anchor = null;
    // Each message is a component that renders in its own update, after this one: measure once they have.
    const children = [...scroller.querySelectorAll('tl-message')].map((m) => m.updateComplete);
    Promise.all(children).then(() => this.position(scroller, anchor));
  }

  position(scroller, anchor) {
    if (scroller !== this.scroller) return;
    const key = `${this.thread.conversationId}:${this.thread.focusId ?? ''}:${this.thread.messages[0]?.id ?? ''}`;
    if (this.shownConversation !== this.thread.conversationId || (this.thread.focusId && this.focused !== key
        && !anchor)) {
      this.shownConversation = this.thread.conversationId;
      this.focused = key;
      const focus = this.thread.focusId && scroller.querySelector(`tl-message[data-message-id="${this.thread.focusId}"]`);
      if (focus) {
        focus.scrollIntoView({ block: 'center' });
        this.stickToBottom = false;
      } else {
        scroller.scrollTop = scroller.scrollHeight;
        this.stickToBottom = true;
      }
    } else if (this.stickToBottom && !this.thread.hasNewer) {
      scroller.scrollTop = scroller.scrollHeight;
    } else if (anchor) {
      const element = scroller.querySelector(`tl-message[data-message-id="${anchor.id}"]`);
      if (element) scroller.scrollTop = element.offsetTop - anchor.offset;
    }
    this.lastScrollTop = scroller.scrollTop;
    this.report();
  }

  /** Images and frames that load later grow the content; a reader at the bottom stays at the bottom. */
  observeSize() {
    this.observed = this.scroller;
    this.resizeObserver?.disconnect();
    this.resizeObserver = new ResizeObserver(() => {
      const scroller = this.scroller;
      if (scroller && this.stickToBottom && !this.thread.hasNewer) {
        scroller.scrollTop = scroller.scrollHeight;
        this.lastScrollTop = scroller.scrollTop;
      }
    });
    this.resizeObserver.observe(this.scroller); // the composer growing shrinks the view
    for (const child of this.scroller.children) this.resizeObserver.observe(child);
    this.mutationObserver?.disconnect();
    this.mutationObserver = new MutationObserver(() => {
      for (const child of this.scroller?.children ?? []) this.resizeObserver.observe(child);
    });
    this.mutationObserver.observe(this.scroller, { childList: true });
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
    this.mutationObserver?.disconnect();
  }

  onScroll() {
    const scroller = this.scroller;
    if (!scroller) return;
    // Only the reader scrolling up lets go of the bottom. Content growing under a view held at the bottom (an
    // image loading) also makes it "not near the bottom" for a moment, until the resize observer follows it.
    const top = scroller.scrollTop;
    if (top < (this.lastScrollTop ?? 0) - 1) this.stickToBottom = this.nearBottom(scroller) && !this.thread.hasNewer;
    else if (this.nearBottom(scroller) && !this.thread.hasNewer) this.stickToBottom = true;
    this.lastScrollTop = top;
    if (scroller.scrollTop < EDGE_PX && this.thread.hasOlder) store.loadOlder();
    if (scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < EDGE_PX && this.thread.hasNewer) {
      store.loadNewer();
    }
    this.report();
  }

  report() {
    const scroller = this.scroller;
    const atBottom = !!scroller && this.nearBottom(scroller) && !this.thread.hasNewer;
    if (atBottom && this.thread.newBelow) store.jumpToLatest();
    store.setAtBottom(atBottom);
  }

  nearBottom(scroller) {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < BOTTOM_PX;
  }

  jump() {
    this.stickToBottom = true;
    const scroller = this.scroller;
    if (!this.thread.hasNewer && scroller) scroller.scrollTop = scroller.scrollHeight;
    store.jumpToLatest();
  }
}

define('tl-timeline', TlTimeline);
