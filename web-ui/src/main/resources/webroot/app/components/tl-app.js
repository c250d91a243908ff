import { html } from 'lit';
import { TlElement, define } from '../base.js';
import { store } from '../store.js';
import { t } from '../i18n.js';
import { installShortcuts } from '../keyboard.js';
import { icon } from '../icons.js';

/** The whole app: the login, or the inbox (list, thread, contact) or settings, with the shortcuts that drive it. */
class TlApp extends TlElement {
  static watchesStore = true;
  static properties = { contactOpen: { state: true } };

  constructor() {
    super();
    this.contactOpen = false;
  }

  connectedCallback() {
    this.querySelector('[data-boot]')?.remove();
    super.connectedCallback();
    installShortcuts({
      move: (delta) => this.move(delta),
      compose: (mode) => this.querySelector('tl-composer')?.focusComposer(mode),
      resolve: () => this.resolve(),
      assignMe: () => this.assignMe(),
      search: () => this.querySelector('tl-search-box')?.focusInput(),
      help: () => this.querySelector('tl-shortcuts-help')?.open(),
      escape: (event) => this.escape(event),
    });
  }

  render() {
    const { phase, route } = store.state;
    document.title = this.pageTitle();
    if (phase === 'booting') return html`<div class="boot" role="status">${t('app.loading')}</div>`;
    if (phase === 'login') return html`<tl-login></tl-login>`;
    return html`
      <a class="skip-link" href="#main" @click=${this.skipToMain}>${t(route.view === 'settings'
        ? 'app.skipToSettings' : 'app.skipToThread')}</a>
      <header class="topbar">
        <a class="brand" href="#/" aria-label=${t('app.inbox')}>${icon('inbox')}<span>Throughline</span></a>
        <tl-search-box></tl-search-box>
        <tl-connection-status></tl-connection-status>
        <tl-user-menu></tl-user-menu>
      </header>
      ${route.view === 'settings' ? html`<tl-settings></tl-settings>` : this.inbox()}
      <tl-shortcuts-help></tl-shortcuts-help>
      <tl-toasts></tl-toasts>`;
  }

  inbox() {
    const { thread, search, route } = store.state;
    const open = route.conversationId && thread;
    return html`
      <div class="workspace ${open ? 'has-thread' : ''} ${this.contactOpen ? 'show-contact' : ''}">
        <section class="list-pane" aria-label=${t('list.label')}>
          ${search.open ? html`<tl-search-results></tl-search-results>` : html`
            <tl-inbox-filters></tl-inbox-filters>
            <tl-conversation-list></tl-conversation-list>`}
        </section>
        <main class="thread-pane" id="main" tabindex="-1">
          ${open ? html`<tl-thread .contactOpen=${this.contactOpen}
              @toggle-contact=${() => this.showContact(!this.contactOpen)}></tl-thread>`
            : html`<div class="empty-state">${icon('inbox')}<p>${t('thread.none')}</p>
                <p class="muted">${t('thread.noneHint')}</p></div>`}
        </main>
        ${open ? html`<aside class="contact-pane" id="contact-pane" aria-label=${t('contact.label')} tabindex="-1">
          <button class="icon-button contact-close" @click=${() => this.showContact(false)}
            aria-label=${t('contact.close')} data-testid="contact-close">${icon('close')}</button>
          <tl-contact-panel></tl-contact-panel></aside>` : ''}
      </div>`;
  }

  pageTitle() {
    const total = [...store.state.unread.values()].filter((u) => u.unread > 0).length;
    return total ? `(${total}) Throughline` : 'Throughline';
  }

  /** j and k: the next or previous conversation of the list, or the next or previous search hit. */
  move(delta) {
    const { list, search, route } = store.state;
    if (search.open) {
      const hits = search.hits;
      if (!hits.length) return;
      const index = hits.findIndex((h) => h.conversationId === route.conversationId && h.messageId === route.messageId);
      const next = hits[index < 0 ? (delta > 0 ? 0 : hits.length - 1)
        : Math.min(hits.length - 1, Math.max(0, index + delta))];
      store.open(next.conversationId, next.messageId);
      requestAnimationFrame(() => this.querySelector(`[data-testid="search-hit"][data-message-id="${next.messageId}"]`)
        ?.scrollIntoView({ block: 'nearest' }));
      return;
    }
    const ids = list.ids;
    if (!ids.length) return;
    const index = ids.indexOf(route.conversationId);
    const gone = store.leftList?.id === route.conversationId ? store.leftList.index : -1;
    let next;
    if (index >= 0) next = Math.min(ids.length - 1, Math.max(0, index + delta));
    // Just resolved (or otherwise out of this view): the next row took its place, the previous is above it.
    else if (gone >= 0) next = Math.min(ids.length - 1, Math.max(0, delta > 0 ? gone : gone - 1));
    else next = delta > 0 ? 0 : ids.length - 1;
    if (ids[next] !== route.conversationId) store.open(ids[next]);
    if (delta > 0 && next >= ids.length - 3) store.loadList(true);
    requestAnimationFrame(() => this.querySelector(`[data-conversation-id="${ids[next]}"]`)
      ?.scrollIntoView({ block: 'nearest' }));
  }

  /**
   * On a phone the list and the thread take turns: the control that had focus (the row tapped, the back button) is
   * hidden with its pane, and focus would fall to the page's start. It goes to the thread that opened, or back to
   * the conversation's row. Where both panes show, focus stays where it was.
   */
  updated() {
    const { route } = store.state;
    const previous = this.shownConversation;
    this.shownConversation = route.view === 'inbox' ? route.conversationId ?? null : undefined;
    if (previous === this.shownConversation) return;
    const active = document.activeElement;
    const lost = !active || active === document.body || active.getClientRects().length === 0;
    if (!lost) return;
    if (this.shownConversation) {
      document.getElementById('main')?.focus();
    } else if (previous) {
      requestAnimationFrame(() => {
        const row = this.querySelector(`[data-conversation-id="${previous}"]`);
        if (row && row.getClientRects().length > 0) row.focus();
      });
    }
  }

  /** Moves focus to the conversation; the hash stays the route's (#main would open the inbox instead). */
  skipToMain(e) {
    e.preventDefault();
    const main = document.getElementById('main');
    if (!main) return;
    if (!main.hasAttribute('tabindex')) main.setAttribute('tabindex', '-1');
    main.focus();
  }

  async resolve() {
    const id = store.state.route.conversationId;
    const row = store.state.conversations.get(id);
    if (!row) return;
    try {
      const reopen = row.status === 'resolved';
      await (reopen ? store.update(id, { status: 'open' }) : store.close(id, { status: 'resolved' }));
      store.notify(reopen ? 'thread.reopened' : 'thread.resolved');
    } catch (e) {
      store.actionFailed(e);
    }
  }

  async assignMe() {
    const id = store.state.route.conversationId;
    if (!id) return;
    try {
      await store.assignToMe(id);
      store.notify('thread.assignedToYou');
    } catch (e) {
      store.actionFailed(e);
    }
  }

  /**
   * Opens or closes the contact drawer (narrow screens): focus goes into it when it opens, and back to its toggle
   * when it closes, for the control that had it is hidden with the drawer.
   */
  async showContact(open) {
    this.contactOpen = open;
    await this.updateComplete;
    const target = open ? this.querySelector('#contact-pane') : this.querySelector('.contact-toggle');
    // Not where the drawer is no drawer (a wide screen shows the panel beside the thread, without the toggle).
    if (target && target.getClientRects().length > 0) target.focus();
  }

  escape(event) {
    if (this.contactOpen) {
      this.showContact(false);
      return;
    }
    if (store.state.search.open) {
      store.closeSearch();
      return;
    }
    // Escape leaves a field, never a page: in settings it took the admin back to the inbox from a button or a
    // select, and the form's unsaved edits (an IMAP password typed, a canned response half written) went with it.
    if (event.target instanceof HTMLElement && event.target.matches('input, textarea, select')) {
      event.target.blur();
    }
  }
}

define('tl-app', TlApp);
