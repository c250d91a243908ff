import { html } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { TlElement, define } from '../base.js';
import { store } from '../store.js';
import { t } from '../i18n.js';

/** The inbox list: newest activity first, live, with the next page loaded as the agent scrolls to its end. */
class TlConversationList extends TlElement {
  static watchesStore = true;

  constructor() {
    super();
    this.clock = null;
    this.now = Date.now();
  }

  connectedCallback() {
    super.connectedCallback();
    // Waiting times and ages move on even when nothing happens. The rows get this clock, not the time of each
    // render: the list renders on every store change, and a new time each render would re-render every row.
    this.clock = setInterval(() => {
      this.now = Date.now();
      this.requestUpdate();
    }, 30_000);
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    clearInterval(this.clock);
    this.observer?.disconnect();
  }

  render() {
    const { list, conversations, unread, route, typing, presence } = store.state;
    const now = this.now;
    if (list.error && !list.ids.length) {
      return html`<div class="list-message" role="alert">${list.error}
        <button data-testid="list-retry" @click=${() => store.loadList()}>${t('app.retry')}</button></div>`;
    }
    if (list.loaded && !list.ids.length && !list.loading) {
      return html`<div class="list-message" data-testid="list-empty">${t('list.empty')}</div>`;
    }
    return html`
      <ul class="conversation-list" data-testid="conversation-list" aria-busy=${list.loading ? 'true' : 'false'}>
        ${repeat(list.ids, (id) => id, (id) => html`<li>
          <tl-conversation-item .row=${conversations.get(id)} .unread=${unread.get(id)}
            .typing=${typing.get(id)} .presence=${presence.get(id)} .now=${now}
            .selected=${route.conversationId === id}></tl-conversation-item></li>`)}
      </ul>
      ${list.moreError ? html`<p class="list-message" role="alert" data-testid="list-more-error">${list.moreError}</p>`
        : ''}
      ${list.nextCursor ? html`<button class="load-more" data-testid="list-more" ?disabled=${list.loading}
        @click=${() => store.loadList(true)}>${list.loading ? t('app.loading') : t('list.more')}</button>` : ''}
      ${list.loading && !list.ids.length ? html`<div class="list-message" role="status">${t('app.loading')}</div>` : ''}`;
  }

  updated() {
    const more = this.querySelector('.load-more');
    if (more === this.watched) return;
    this.observer?.disconnect();
    this.watched = more;
    if (!more) return;
    this.observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) store.loadList(true);
    });
    this.observer.observe(more);
  }
}

define('tl-conversation-list', TlConversationList);
