import { html } from 'lit';
import { live } from 'lit/directives/live.js';
import { TlElement, define } from '../base.js';
import { store } from '../store.js';
import * as api from '../api.js';
import { t, has } from '../i18n.js';
import { describe } from '../errors.js';
import { channelName } from '../channels.js';
import { confirmDialog } from '../dialogs.js';
import { uuid } from '../drafts.js';
import { INBOX_FIELDS, TESTABLE, getPath, setPath, fieldText, fieldValue } from '../inbox-kinds.js';

const MINTED_SKIP = new Set(['id', 'kind', 'name', 'enabled', 'config', 'createdAt', 'updatedAt']);

/** The secrets a save's answer carries besides the inbox: minted by the server, shown once. */
function mintedOf(saved) {
  return Object.fromEntries(Object.entries(saved).filter(([k]) => !MINTED_SKIP.has(k)));
}

/**
 * Creates or edits one inbox: the fields of its kind and the raw JSON of its config (for anything the form does
 * not cover), "test connection" where the connector can check the remote side, and what the kind needs shown:
 * the widget snippet, the API inbox's endpoint, token and webhook. Secrets come back masked; a masked value sent
 * back unchanged keeps the stored one.
 */
class TlInboxEditor extends TlElement {
  static properties = { inbox: { attribute: false }, minted: { attribute: false }, kinds: { attribute: false },
    publicUrl: { attribute: false }, kind: { state: true }, name: { state: true }, enabled: { state: true },
    config: { state: true }, json: { state: true }, jsonError: { state: true }, error: { state: true },
    fieldErrors: { state: true }, busy: { state: true }, test: { state: true }, secrets: { state: true } };

  willUpdate(changed) {
    if (changed.has('inbox') || changed.has('kinds')) {
      if (this.inbox?.id !== this.loadedId || (!this.inbox && !this.kind)) {
        this.loadedId = this.inbox?.id;
        this.kind = this.inbox?.kind ?? this.kinds[0] ?? 'api';
        this.name = this.inbox?.name ?? '';
        this.enabled = this.inbox?.enabled ?? true;
        this.config = structuredClone(this.inbox?.config ?? {});
        this.json = null;
        this.jsonError = null;
        this.error = null;
        this.fieldErrors = {};
        this.test = null;
        this.secrets = this.minted ?? null;
      }
    }
  }

  render() {
    const creating = !this.inbox;
    const fields = INBOX_FIELDS[this.kind];
    return html`
      <div class="settings-head"><h2>${creating ? t('inbox.add') : this.inbox.name}</h2>
        <button @click=${() => this.emit('inbox-close')} data-testid="inbox-back">${t('app.back')}</button></div>
      ${this.secrets ? this.secretsView() : ''}
      ${!creating ? this.kindPanel() : ''}
      <form class="card form-grid" @submit=${this.save} data-testid="inbox-form" novalidate>
        <label for="inbox-kind">${t('inbox.kind')}</label>
        ${creating ? html`<select id="inbox-kind" data-testid="inbox-kind" @change=${(e) => {
          this.kind = e.target.value;
          this.formEdited({});
        }}>${this.kinds.map((k) => html`<option value=${k} ?selected=${k === this.kind}>${channelName(k)}</option>`)}
          </select>` : html`<input id="inbox-kind" readonly .value=${channelName(this.kind)}>`}
        <label for="inbox-name">${t('inbox.name')}</label>
        <input id="inbox-name" data-testid="inbox-name" required maxlength="120" .value=${live(this.name)}
          @input=${(e) => { this.name = e.target.value; }}>
        ${!creating ? html`<label class="checkbox"><input type="checkbox" .checked=${this.enabled}
          @change=${(e) => { this.enabled = e.target.checked; }} data-testid="inbox-enabled">
          ${t('inbox.enabled')}</label>` : ''}
        ${fields ? fields.map((field) => this.field(field)) : html`<p class="muted">${t('inbox.jsonOnly')}</p>`}
        <details class="advanced" ?open=${!fields}>
          <summary>${t('inbox.advanced')}${this.jsonError ? html` <span class="form-error"
            data-testid="inbox-json-summary-error">(${this.jsonError})</span>` : ''}</summary>
          <label for="inbox-json">${t('inbox.configJson')}</label>
          <textarea id="inbox-json" rows="10" spellcheck="false" data-testid="inbox-json"
            aria-invalid=${this.jsonError ? 'true' : 'false'} aria-describedby=${this.jsonError ? 'inbox-json-error' : ''}
            .value=${live(this.json ?? JSON.stringify(this.config, null, 2))} @input=${this.editJson}></textarea>
          ${this.jsonError ? html`<p class="form-error" id="inbox-json-error" role="alert"
            data-testid="inbox-json-error">${this.jsonError}</p>` : ''}
        </details>
        ${this.error ? html`<p class="form-error" role="alert" data-testid="inbox-error">${this.error}</p>` : ''}
        <div class="form-buttons">
          ${!creating ? html`<button type="button" class="danger-text" @click=${this.deleteInbox}
            data-testid="inbox-delete">${t('app.delete')}</button>` : ''}
          ${!creating && TESTABLE.has(this.kind) ? html`<button type="button" @click=${this.testConnection}
            ?disabled=${this.busy} data-testid="inbox-test">${this.kind === 'telegram' ? t('inbox.checkToken')
              : t('inbox.test')}</button>` : ''}
          <button class="primary" type="submit" ?disabled=${this.busy || !!this.jsonError}
            data-testid="inbox-save">${creating ? t('inbox.create') : t('app.save')}</button>
        </div>
        ${this.test ? this.testView() : ''}
      </form>`;
  }

  field(field) {
    if (field.group) return html`<h3 class="form-group">${t(field.group)}</h3>`;
    const id = `inbox-${field.path.replace(/\./g, '-')}`;
    const value = getPath(this.config, field.path);
    const error = this.fieldErrors?.[`config.${field.path}`];
    const update = (text) => {
      // A stored secret (shown masked) the admin clears is removed: left out, the server would keep it.
      const removed = field.type === 'secret' && !text.trim() && getPath(this.inbox?.config, field.path) != null;
      this.formEdited(removed ? setPath(this.config, field.path, null, { remove: true })
        : setPath(this.config, field.path, field.type === 'select' ? text : fieldValue(field, text)));
    };
    const hint = field.hint ? html`<p class="muted field-note" id="${id}-hint">${t(field.hint)}</p>` : '';
    // A control's hint and its error are read with it; a refused one says so, and so does a required one.
    const described = [field.hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ');
    const invalid = error ? 'true' : 'false';
    const required = field.required ? 'true' : 'false';
    const placeholder = field.placeholderKey ? t(field.placeholderKey) : field.placeholder ?? '';
    let input;
    if (field.type === 'select') {
      input = html`<select id=${id} data-testid=${id} aria-describedby=${described} aria-invalid=${invalid}
        aria-required=${required} @change=${(e) => update(e.target.value)}>
        <option value="" ?selected=${value == null}>${t('inbox.default')}</option>
        ${field.options.map((o) => html`<option value=${o} ?selected=${value === o}>${has(`inbox.option.${o}`)
          ? t(`inbox.option.${o}`) : o}</option>`)}</select>`;
    } else if (field.type === 'checkbox') {
      return html`<label class="checkbox" for=${id}><input id=${id} data-testid=${id} type="checkbox"
        .checked=${value === true} aria-describedby=${described} aria-invalid=${invalid}
        @change=${(e) => this.formEdited(setPath(this.config, field.path, e.target.checked))}>
        ${t(field.label)}</label>${hint}${error ? html`<p class="form-error" id="${id}-error">${error}</p>` : ''}`;
    } else if (field.type === 'lines' || field.type === 'textarea') {
      input = html`<textarea id=${id} data-testid=${id} rows="3" placeholder=${placeholder}
        aria-describedby=${described} aria-invalid=${invalid} aria-required=${required}
        .value=${live(fieldText(field, value))} @change=${(e) => update(e.target.value)}></textarea>`;
    } else {
      const type = { secret: 'password', number: 'number', url: 'url', email: 'email', color: 'color' }[field.type]
        ?? 'text';
      input = html`<input id=${id} data-testid=${id} type=${type} placeholder=${placeholder}
        autocomplete=${field.type === 'secret' ? 'new-password' : 'off'} aria-describedby=${described}
        aria-invalid=${invalid} aria-required=${required} .value=${live(fieldText(field, value))}
        @change=${(e) => update(e.target.value)}>`;
    }
    return html`<label for=${id}>${t(field.label)}${field.required ? html` <span aria-hidden="true">*</span>` : ''}</label>
      ${input}${hint}${error ? html`<p class="form-error" id="${id}-error">${error}</p>` : ''}`;
  }

  /**
   * A form control changed the config: the JSON view shows it again. JSON being typed that did not parse is
   * dropped with its error, which otherwise kept Save disabled with nothing left to correct.
   */
  formEdited(config) {
    this.config = config;
    this.json = null;
    this.jsonError = null;
  }

  editJson(event) {
    this.json = event.target.value;
    try {
      const parsed = JSON.parse(this.json);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('object');
      this.config = parsed;
      this.jsonError = null;
    } catch {
      this.jsonError = t('inbox.jsonInvalid');
    }
  }

  async save(event) {
    event.preventDefault();
    this.busy = true;
    this.error = null;
    this.fieldErrors = {};
    try {
      let saved;
      if (!this.inbox) {
        saved = await api.post('/api/v1/inboxes', { kind: this.kind, name: this.name.trim(), config: this.config });
        this.emit('inbox-saved', { inbox: saved, minted: mintedOf(saved) });
      } else {
        saved = await api.patch(`/api/v1/inboxes/${this.inbox.id}`, { name: this.name.trim(), config: this.config,
          enabled: this.enabled });
        this.config = structuredClone(saved.config);
        this.json = null;
        store.notify('settings.saved');
        // A secret removed in the JSON (sent as null) that the server makes anew comes back this once.
        const minted = mintedOf(saved);
        if (Object.keys(minted).length) this.secrets = minted;
        this.emit('inbox-saved', { inbox: saved, minted });
      }
    } catch (e) {
      this.error = describe(e);
      this.fieldErrors = e.fields ?? {};
    } finally {
      this.busy = false;
    }
  }

  async testConnection() {
    this.busy = true;
    this.test = null;
    this.fieldErrors = {};
    try {
      this.test = await api.post(`/api/v1/inboxes/${this.inbox.id}/test`, { config: this.config });
    } catch (e) {
      this.test = { ok: false, checks: [{ step: t('inbox.config'), ok: false, detail: describe(e) }] };
      // A refused field (a secret to give again for a new host) is marked where it is, as a save does.
      if (e.fields) this.fieldErrors = e.fields;
    } finally {
      this.busy = false;
    }
  }

  testView() {
    const checks = this.test.checks ?? [];
    return html`<div class="test-result ${this.test.ok ? 'ok' : 'failed'}" role="status" data-testid="inbox-test-result"
      data-ok=${this.test.ok ? 'true' : 'false'}>
      <p><strong>${this.test.ok ? t('inbox.testOk') : t('inbox.testFailed')}</strong></p>
      ${checks.length ? html`<ul>${checks.map((c) => html`<li class=${c.ok ? 'ok' : 'failed'}>
        <strong>${c.step}</strong>: ${c.ok ? t('inbox.stepOk') : t('inbox.stepFailed')}${c.detail ? html` — ${c.detail}` : ''}
        </li>`)}</ul>` : html`<p class="muted">${t('inbox.nothingToTest')}</p>`}</div>`;
  }

  async deleteInbox() {
    if (!await confirmDialog(t('inbox.deleteConfirm', { name: this.inbox.name }), t('app.delete'),
      { danger: true })) return;
    try {
      await api.del(`/api/v1/inboxes/${this.inbox.id}`);
      this.emit('inbox-deleted', { inbox: this.inbox });
    } catch (e) {
      this.error = describe(e);
    }
  }

  /** Secrets the server minted for this inbox: shown this once, with a copy button each. */
  secretsView() {
    return html`<div class="card secret" role="status" data-testid="inbox-secrets">
      <h3>${t('inbox.secretsTitle')}</h3><p class="muted">${t('inbox.secretsOnce')}</p>
      ${Object.entries(this.secrets).map(([key, value]) => html`<tl-copy-field data-secret=${key}
        label=${has(`inbox.secret.${key}`) ? t(`inbox.secret.${key}`) : key} .value=${String(value)}></tl-copy-field>`)}
    </div>`;
  }

  /** What this kind needs shown: how to install it, or how to call it. */
  kindPanel() {
    const base = this.publicUrl.replace(/\/$/, '');
    const id = this.inbox.id;
    if (this.kind === 'widget') {
      const siteKey = this.secrets?.siteKey ?? this.inbox.config?.siteKey;
      return html`<div class="card" data-testid="widget-snippet">
        <h3>${t('inbox.snippetTitle')}</h3><p class="muted">${t('inbox.snippetHelp')}</p>
        ${siteKey ? html`<tl-copy-field multiline label=${t('inbox.snippet')}
          .value=${`<script src="${base}/widget.js" data-site-key="${siteKey}" async></script>`}></tl-copy-field>`
          : html`<p>${t('inbox.siteKeyMissing')}</p>`}</div>`;
    }
    if (this.kind === 'api') {
      const url = `${base}/api/v1/inboxes/${id}/inbound`;
      const curl = `curl -X POST ${url} \\\n  -H "Authorization: Bearer $INBOX_TOKEN" -H "Content-Type: application/json" \\\n`
        + '  -d \'{"externalId":"msg-1","contact":{"name":"Ann","identities":[{"kind":"email","value":"ann@example.com"}]},"body":"Hello"}\'';
      return html`<div class="card" data-testid="api-inbox-panel">
        <h3>${t('inbox.apiTitle')}</h3><p class="muted">${t('inbox.apiHelp')}</p>
        <tl-copy-field label=${t('inbox.inboundUrl')} .value=${url}></tl-copy-field>
        <tl-copy-field multiline label=${t('inbox.example')} .value=${curl}></tl-copy-field>
        <p class="muted">${this.inbox.config?.webhookUrl ? t('inbox.webhookSigned') : t('inbox.noWebhook')}</p>
        <button type="button" @click=${this.regenerateToken} data-testid="inbox-regenerate-token">
          ${t('inbox.regenerateToken')}</button></div>`;
    }
    if (this.kind === 'telegram') {
      const username = this.inbox.config?.botUsername;
      return html`<div class="card" data-testid="telegram-panel"><h3>${t('channel.telegram')}</h3>
        ${username ? html`<p>${t('inbox.bot')}: <a href="https://t.me/${username}" target="_blank" rel="noopener">
          @${username}</a></p>` : ''}
        <p class="muted">${(this.inbox.config?.mode ?? 'long_polling') === 'webhook'
          ? t('inbox.webhookAt', { url: `${base}/hooks/telegram/${id}` }) : t('inbox.longPolling')}</p></div>`;
    }
    return '';
  }

  /**
   * A new inbox token, chosen here and sent once; the server keeps only its hash. It goes with the stored config,
   * not the form's: edits not saved stay the admin's to save or drop. The page keeps it as this inbox's minted
   * secret, so reopening the inbox shows it, not the one the inbox was created with.
   */
  async regenerateToken() {
    if (!await confirmDialog(t('inbox.regenerateConfirm'), t('inbox.regenerateToken'), { danger: true })) return;
    const token = `tlapi_${uuid().replace(/-/g, '')}${uuid().replace(/-/g, '').slice(0, 8)}`;
    try {
      const saved = await api.patch(`/api/v1/inboxes/${this.inbox.id}`, { config: { ...this.inbox.config, token } });
      // The other secrets shown once (a webhook secret minted with the inbox) stay shown beside it.
      const minted = { ...(this.minted ?? {}), ...(this.secrets ?? {}), token };
      this.secrets = minted;
      this.emit('inbox-saved', { inbox: saved, minted });
    } catch (e) {
      this.error = describe(e);
    }
  }
}

define('tl-inbox-editor', TlInboxEditor);
