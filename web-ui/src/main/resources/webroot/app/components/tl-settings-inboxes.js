import { html } from 'lit';
import { TlElement, define } from '../base.js';
import { store } from '../store.js';
import * as api from '../api.js';
import { t } from '../i18n.js';
import { describe } from '../errors.js';
import { channelBadge } from '../channels.js';
import { navigate } from '../router.js';
import { icon } from '../icons.js';

/** Inboxes: the list, and one inbox's editor (or a new one's). Secrets minted on creation are shown here once. */
class TlSettingsInboxes extends TlElement {
  static watchesStore = true;
  static properties = { inboxId: { attribute: false }, inboxes: { state: true }, creating: { state: true },
    error: { state: true } };

  constructor() {
    super();
    this.inboxes = null;
    this.creating = false;
    this.minted = new Map();
  }

  connectedCallback() {
    super.connectedCallback();
    this.load();
  }

  async load() {
    try {
      this.inboxes = (await api.get('/api/v1/inboxes')).inboxes;
      this.error = null;
    } catch (e) {
      this.error = describe(e);
    }
  }

  render() {
    // Shown above what the page has: a reload failing after a save must not hide the secrets shown only once.
    const failed = this.error ? html`<p class="form-error" role="alert" data-testid="inboxes-error">${this.error}
      <button type="button" @click=${() => this.load()} data-testid="inboxes-retry">${t('app.retry')}</button></p>`
      : '';
    if (!this.inboxes) return failed || html`<p role="status">${t('app.loading')}</p>`;
    const selected = this.inboxId ? this.inboxes.find((i) => i.id === this.inboxId) : null;
    if (this.creating || selected) {
      return html`${failed}<tl-inbox-editor .inbox=${selected} .minted=${selected ? this.minted.get(selected.id) : null}
        .kinds=${store.state.serverInfo?.inboxKinds ?? []} .publicUrl=${store.state.serverInfo?.publicUrl ?? location.origin}
        @inbox-saved=${this.saved} @inbox-deleted=${this.deleted}
        @inbox-close=${() => { this.creating = false; navigate({ view: 'settings', tab: 'inboxes' }); }}></tl-inbox-editor>`;
    }
    return html`${failed}
      <div class="settings-head"><h2>${t('settings.inboxes')}</h2>
        <button class="primary" data-testid="inbox-add" @click=${() => { this.creating = true; }}>${icon('plus')}
          ${t('inbox.add')}</button></div>
      ${this.inboxes.length ? html`<table class="table" data-testid="inboxes-table">
        <thead><tr><th scope="col">${t('inbox.name')}</th><th scope="col">${t('inbox.kind')}</th>
          <th scope="col">${t('agent.status')}</th></tr></thead>
        <tbody>${this.inboxes.map((inbox) => html`<tr data-testid="inbox-row">
          <td><a href="#/settings/inboxes/${inbox.id}" data-testid="inbox-link">${inbox.name}</a></td>
          <td>${channelBadge(inbox.kind)}</td>
          <td>${inbox.enabled ? t('inbox.enabled') : html`<span class="muted">${t('inbox.disabled')}</span>`}</td>
        </tr>`)}</tbody></table>` : html`<p class="muted">${t('inbox.none')}</p>`}`;
  }

  async saved(event) {
    const { inbox, minted } = event.detail;
    if (minted && Object.keys(minted).length) this.minted.set(inbox.id, minted);
    // The saved inbox as the server answered, so its editor (and what was minted for it) shows even when the
    // list's reload fails.
    this.inboxes = [...(this.inboxes ?? []).filter((i) => i.id !== inbox.id), inbox];
    this.creating = false;
    await this.load();
    store.loadServerInfo();
    navigate({ view: 'settings', tab: 'inboxes', id: inbox.id });
  }

  async deleted() {
    await this.load();
    store.loadServerInfo();
    navigate({ view: 'settings', tab: 'inboxes' });
  }
}

define('tl-settings-inboxes', TlSettingsInboxes);
