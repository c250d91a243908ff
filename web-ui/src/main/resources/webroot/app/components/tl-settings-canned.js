import { html } from 'lit';
import { TlElement, define } from '../base.js';
import { store } from '../store.js';
import * as api from '../api.js';
import { t } from '../i18n.js';
import { describe } from '../errors.js';
import { confirmDialog } from '../dialogs.js';
import { cannedChanged } from '../canned.js';

/** Canned responses: the workspace's list, and a form to add or change one. */
class TlSettingsCanned extends TlElement {
  static properties = { items: { state: true }, editing: { state: true }, error: { state: true },
    loadError: { state: true }, busy: { state: true } };

  constructor() {
    super();
    this.items = null;
    this.editing = null;
  }

  connectedCallback() {
    super.connectedCallback();
    this.load();
  }

  /** The list; a list that could not be read says why where it would be, with a retry (not "Loading…"). */
  async load() {
    this.loadError = null;
    try {
      this.items = (await api.get('/api/v1/canned-responses')).cannedResponses;
    } catch (e) {
      if (e.name !== 'AbortError') this.loadError = describe(e);
    }
  }

  /**
   * The form shows the response being edited (or an empty one) whenever that changes, and takes the focus for an
   * edit: values bound in the template are written only when they differ from the last ones written, so text typed
   * for a new response stayed in a field whose value stayed the same (two empty titles), and was saved into the
   * response being edited.
   */
  updated(changed) {
    if (!changed.has('editing')) return;
    if (this.keepTyped) {
      // The response being edited was deleted meanwhile: what was typed stays, to be saved as a new one.
      this.keepTyped = false;
      return;
    }
    const field = (id) => this.renderRoot.querySelector(`#${id}`);
    field('canned-code').value = this.editing?.shortCode ?? '';
    field('canned-title').value = this.editing?.title ?? '';
    field('canned-body').value = this.editing?.body ?? '';
    if (this.editing) {
      field('canned-code').focus();
      field('canned-code').scrollIntoView({ block: 'nearest' });
    }
  }

  render() {
    const editing = this.editing;
    // A reload failing after a save says so above the list it could not renew (with a retry), not only when there
    // is no list at all.
    const loadError = this.loadError ? html`<p role="alert" data-testid="canned-load-error">${this.loadError}
        <button class="small" @click=${() => this.load()} data-testid="canned-retry">${t('app.retry')}</button></p>`
      : '';
    return html`
      <h2>${t('settings.canned')}</h2>
      <p class="muted">${t('canned.help')}</p>
      ${loadError}
      ${this.items === null ? (this.loadError ? '' : html`<p role="status">${t('app.loading')}</p>`) : html`
        <table class="table" data-testid="canned-table">
          <thead><tr><th scope="col">${t('canned.shortCode')}</th><th scope="col">${t('canned.titleField')}</th>
            <th scope="col">${t('canned.body')}</th><th scope="col"><span class="visually-hidden">${t('agent.actions')}</span></th></tr></thead>
          <tbody>${this.items.map((item) => html`<tr data-testid="canned-row">
            <td><code>/${item.shortCode}</code></td><td>${item.title || ''}</td>
            <td class="clip">${item.body}</td>
            <td class="row-actions"><button class="small" @click=${() => { this.editing = item; this.error = null; }}
              data-testid="canned-edit">${t('app.edit')}</button>
              <button class="small danger-text" @click=${() => this.deleteResponse(item)} data-testid="canned-delete">
                ${t('app.delete')}</button></td></tr>`)}</tbody>
        </table>`}
      <form class="card form-grid" @submit=${this.save} data-testid="canned-form">
        <h3>${editing ? t('canned.editTitle', { code: editing.shortCode }) : t('canned.add')}</h3>
        <label for="canned-code">${t('canned.shortCode')}</label>
        <input id="canned-code" name="shortCode" required maxlength="65" data-testid="canned-code">
        <label for="canned-title">${t('canned.titleField')}</label>
        <input id="canned-title" name="title" maxlength="120" data-testid="canned-title">
        <label for="canned-body">${t('canned.body')}</label>
        <textarea id="canned-body" name="body" rows="5" required maxlength="10000" data-testid="canned-body"></textarea>
        <p class="muted field-note">${t('canned.variables')}</p>
        ${this.error ? html`<p class="form-error" role="alert" data-testid="canned-error">${this.error}</p>` : ''}
        <div class="form-buttons">
          ${editing ? html`<button type="button" @click=${() => { this.editing = null; }}>${t('app.cancel')}</button>` : ''}
          <button class="primary" type="submit" ?disabled=${this.busy} data-testid="canned-save">${t('app.save')}</button>
        </div>
      </form>`;
  }

  async save(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const body = { shortCode: form.shortCode.value.trim(), title: form.title.value.trim(), body: form.body.value };
    this.busy = true;
    this.error = null;
    try {
      if (this.editing) await api.patch(`/api/v1/canned-responses/${this.editing.id}`, body);
      else await api.post('/api/v1/canned-responses', body);
      this.editing = null;
      form.reset();
      cannedChanged();
      store.notify('settings.saved');
      await this.load();
    } catch (e) {
      if (e.status === 404 && this.editing) {
        this.keepTyped = true;
        this.editing = null;
        this.error = t('canned.goneKeptAsNew');
        await this.load();
      } else {
        this.error = describe(e);
      }
    } finally {
      this.busy = false;
    }
  }

  async deleteResponse(item) {
    if (!await confirmDialog(t('canned.deleteConfirm', { code: item.shortCode }), t('app.delete'),
      { danger: true })) return;
    try {
      await api.del(`/api/v1/canned-responses/${item.id}`);
      if (this.editing?.id === item.id) this.editing = null;
      cannedChanged();
      await this.load();
    } catch (e) {
      store.notify(describe(e), 'error');
    }
  }
}

define('tl-settings-canned', TlSettingsCanned);
