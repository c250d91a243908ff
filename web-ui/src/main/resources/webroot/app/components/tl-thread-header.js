import { html } from 'lit';
import { TlElement, define } from '../base.js';
import { store } from '../store.js';
import { t } from '../i18n.js';
import { channelIcons } from '../channels.js';
import { icon } from '../icons.js';
import { relative, dateTime, localInputValue } from '../format.js';
import { navigate } from '../router.js';

const PRIORITIES = ['none', 'low', 'medium', 'high', 'urgent'];

/** Who the customer is and what can be done: assign, resolve or reopen, snooze, priority and labels. */
class TlThreadHeader extends TlElement {
  static watchesStore = true;
  static properties = { row: { attribute: false }, presence: { attribute: false }, busyIn: { state: true },
    contactOpen: { type: Boolean } };

  constructor() {
    super();
    // The conversations with a change being saved: the header is reused across conversations, and a change still
    // saving in one must not hold (or show its pick in) the next the agent opens.
    this.busyIn = new Set();
  }

  get busy() {
    return this.row != null && this.busyIn.has(this.row.id);
  }

  render() {
    const row = this.row;
    if (!row) return html`<header class="thread-header" aria-busy="true"></header>`;
    const { me, agents } = store.state;
    const resolved = row.status === 'resolved';
    return html`
      <header class="thread-header" data-testid="thread-header" data-status=${row.status}>
        <div class="thread-title">
          <button class="icon-button back-button" @click=${() => navigate({ view: 'inbox' })}
            aria-label=${t('thread.back')}>${icon('back')}</button>
          <h2 data-testid="thread-contact-name">${row.contact?.name || t('contact.unnamed')}</h2>
          ${channelIcons(row.channels)}
          ${this.presenceText()}
          <span class="status-pill status-${row.status}" data-testid="thread-status">${t(`status.${row.status}`)}
            ${row.status === 'snoozed' && row.snoozedUntil ? html`· ${t('thread.until', {
              time: dateTime(row.snoozedUntil) })}` : ''}</span>
          <button class="icon-button contact-toggle" @click=${() => this.emit('toggle-contact')}
            aria-label=${t('contact.label')} aria-controls="contact-pane"
            aria-expanded=${this.contactOpen ? 'true' : 'false'} data-testid="contact-toggle">${icon('info')}</button>
        </div>
        <div class="thread-actions">
          <label class="field-inline">${icon('user')}<span class="visually-hidden">${t('thread.assignee')}</span>
            <select data-testid="assignee-select" aria-label=${t('thread.assignee')} ?disabled=${this.busy}
              @change=${(e) => this.change({ assigneeId: e.target.value ? Number(e.target.value) : null })}>
              <option value="" ?selected=${row.assigneeId == null}>${t('thread.unassigned')}</option>
              <option value=${me.agentId} ?selected=${row.assigneeId === me.agentId}>${t('thread.me', { name: me.name })}</option>
              ${agents.filter((a) => a.active && a.id !== me.agentId || a.id === row.assigneeId && a.id !== me.agentId)
                .map((a) => html`<option value=${a.id} ?selected=${row.assigneeId === a.id}>${a.name}</option>`)}
            </select></label>
          <label class="field-inline">${icon('flag')}<span class="visually-hidden">${t('thread.priority')}</span>
            <select data-testid="priority-select" aria-label=${t('thread.priority')} ?disabled=${this.busy}
              @change=${(e) => this.change({ priority: e.target.value })}>
              ${PRIORITIES.map((p) => html`<option value=${p} ?selected=${row.priority === p}>${t(`priority.${p}`)}</option>`)}
            </select></label>
          <details class="menu" data-testid="snooze-menu" @keydown=${this.menuKey}>
            <summary class="button" aria-label=${t('thread.snooze')}>${icon('snooze')}<span>${t('thread.snooze')}</span></summary>
            <div class="menu-body" role="group" aria-label=${t('thread.snooze')}>
              ${this.snoozeChoices().map(([label, until]) => html`<button data-testid="snooze-option"
                @click=${(e) => this.snooze(e, until(new Date()))}>${label}</button>`)}
              <form class="snooze-custom" @submit=${this.snoozeCustom}>
                <label for="snooze-at">${t('thread.snoozeUntil')}</label>
                <input id="snooze-at" name="at" type="datetime-local" required data-testid="snooze-at"
                  min=${localInputValue(new Date())}>
                <button type="submit">${t('thread.snoozeSet')}</button>
              </form>
              ${row.status !== 'pending' ? html`<button @click=${(e) => this.pending(e)} data-testid="mark-pending">
                ${t('thread.markPending')}</button>` : ''}
            </div>
          </details>
          ${resolved || row.status === 'snoozed' || row.status === 'pending'
            ? html`<button data-testid="reopen" title=${t('thread.reopen')} ?disabled=${this.busy} @click=${() => this.change({ status: 'open' }, 'thread.reopened')}>
                ${icon('reopen')}<span>${t('thread.reopen')}</span></button>` : ''}
          ${!resolved ? html`<button class="primary" data-testid="resolve" title=${t('thread.resolve')}
                ?disabled=${this.busy}
                @click=${() => this.change({ status: 'resolved' }, 'thread.resolved')}>
                ${icon('resolve')}<span>${t('thread.resolve')}</span></button>` : ''}
        </div>
        <tl-labels-editor .labels=${row.labels || []} ?disabled=${this.busy}
          @labels-change=${(e) => this.change(e.detail.patch).then((done) => done && e.detail.saved?.())}>
        </tl-labels-editor>
      </header>`;
  }

  /** Escape closes the snooze menu, focus back on its button (a details element has no such key of its own). */
  menuKey(event) {
    const menu = event.currentTarget;
    if (event.key !== 'Escape' || !menu.open) return;
    event.preventDefault();
    event.stopPropagation();
    menu.open = false;
    menu.querySelector('summary').focus();
  }

  presenceText() {
    const p = this.presence;
    if (!p || (p.online == null && !p.lastSeenAt)) return '';
    return html`<span class="presence ${p.online ? 'online' : ''}" data-testid="visitor-presence">
      <span class="dot" aria-hidden="true"></span>${p.online ? t('presence.online')
        : t('presence.lastSeen', { time: relative(p.lastSeenAt) })}</span>`;
  }

  /** Each preset's label, and its time from a given now: the click's (the menu may be drawn long before). */
  snoozeChoices() {
    const at = (now, days, hour) => {
      const d = new Date(now);
      d.setDate(d.getDate() + days);
      d.setHours(hour, 0, 0, 0);
      return d;
    };
    return [
      [t('snooze.hour'), (now) => new Date(now.getTime() + 3600_000)],
      [t('snooze.fourHours'), (now) => new Date(now.getTime() + 4 * 3600_000)],
      [t('snooze.tomorrow'), (now) => at(now, 1, 9)],
      [t('snooze.nextWeek'), (now) => at(now, (8 - now.getDay()) % 7 || 7, 9)],
    ];
  }

  async snooze(event, until) {
    event.currentTarget.closest('details').open = false;
    await this.change({ status: 'snoozed', snoozedUntil: until.toISOString() }, 'thread.snoozed');
  }

  async snoozeCustom(event) {
    event.preventDefault();
    const value = event.currentTarget.at.value;
    if (!value) return;
    event.currentTarget.closest('details').open = false;
    await this.change({ status: 'snoozed', snoozedUntil: new Date(value).toISOString() }, 'thread.snoozed');
  }

  async pending(event) {
    event.currentTarget.closest('details').open = false;
    await this.change({ status: 'pending' });
  }

  /**
   * The selects show the row's assignee and priority. Their options' selected attributes cannot: once an agent has
   * picked an option, the browser no longer follows that attribute, and the header is reused across conversations.
   */
  updated(changed) {
    const row = this.row;
    // While a change is saved the select shows the agent's pick; the row catches up when the save lands. Coming
    // back from another conversation to one still saving, its own values are shown (not the other's).
    const switched = changed.has('row') && changed.get('row')?.id !== row?.id;
    if (switched) {
      // What was half typed or opened for one conversation must not act on the next: a label pressed Enter on there,
      // a snooze picked there.
      const input = this.renderRoot.querySelector('[data-testid="label-input"]');
      if (input) input.value = '';
      this.renderRoot.querySelector('[data-testid="snooze-menu"]')?.removeAttribute('open');
    }
    if (!row || (this.busy && !switched)) return;
    const assignee = this.renderRoot.querySelector('[data-testid="assignee-select"]');
    if (assignee) assignee.value = row.assigneeId == null ? '' : String(row.assigneeId);
    const priority = this.renderRoot.querySelector('[data-testid="priority-select"]');
    if (priority) priority.value = row.priority;
  }

  /** Saves a change of the open conversation; whether it was saved. */
  async change(patch, notice) {
    const focused = this.contains(document.activeElement) ? document.activeElement : null;
    // Where focus goes should the control be gone: the label field for a label's chip, else the status button.
    const fallback = focused?.closest('tl-labels-editor') ? '[data-testid="label-input"]'
      : '[data-testid="reopen"], [data-testid="resolve"]';
    const id = this.row.id;
    this.busyIn = new Set(this.busyIn).add(id);
    let done = false;
    try {
      const closing = ['resolved', 'snoozed', 'pending'].includes(patch.status);
      await (closing ? store.close(id, patch) : store.update(id, patch));
      done = true;
      if (notice) store.notify(notice);
    } catch (e) {
      store.actionFailed(e);
      this.requestUpdate();
    } finally {
      const left = new Set(this.busyIn);
      left.delete(id);
      this.busyIn = left;
      await this.updateComplete;
      await this.querySelector('tl-labels-editor')?.updateComplete;
      if (this.row?.id === id) this.keepFocus(focused, fallback);
    }
    return done;
  }

  /**
   * A keyboard user stays where they were: the control they used, when it is still there and usable (it was
   * disabled while the change was saved); the snooze menu's button when the menu closed; the control that replaced
   * it (Reopen for Resolve, and back) otherwise. Never taken from where the agent went meanwhile.
   */
  keepFocus(focused, fallback) {
    const now = document.activeElement;
    if (!focused || (now && now !== document.body && now !== focused)) return;
    const menu = focused.closest('details');
    let target = focused;
    if (menu && !menu.open) target = menu.querySelector('summary');
    else if (!focused.isConnected || focused.disabled) {
      target = this.querySelector(fallback);
    }
    target?.focus();
  }
}

define('tl-thread-header', TlThreadHeader);
