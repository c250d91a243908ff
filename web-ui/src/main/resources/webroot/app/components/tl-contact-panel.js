import { html } from 'lit';
import { TlElement, define } from '../base.js';
import { store } from '../store.js';
import { t, has } from '../i18n.js';
import { dateTime } from '../format.js';
import { icon } from '../icons.js';
import { describe } from '../errors.js';
import { initials } from './tl-conversation-item.js';
import { confirmDialog } from '../dialogs.js';

/**
 * The customer: name, identities (proven or only claimed), the custom attributes the site passed, merge
 * suggestions with their evidence, and the merges done, each of which can be undone.
 */
class TlContactPanel extends TlElement {
  static watchesStore = true;
  static properties = { busy: { state: true }, renaming: { state: true } };

  render() {
    const contact = store.state.contact;
    if (!contact) return '';
    const data = contact.data;
    if (!data) {
      return html`<div class="panel-message" role=${contact.error ? 'alert' : 'status'}>${contact.error
        ?? t('app.loading')}</div>`;
    }
    const attributes = Object.entries(data.attributes || {});
    const merges = (data.merges || []).filter((m) => !m.undone);
    return html`
      ${contact.error ? html`<p class="form-error" role="alert" data-testid="contact-error">${contact.error}
        <button class="small" @click=${() => store.loadContact(contact.id)}>${t('app.retry')}</button></p>` : ''}
      <div class="contact-panel" data-testid="contact-panel">
        <div class="contact-head">
          <span class="avatar large" aria-hidden="true">${initials(data.name || '?')}</span>
          <div>${this.renaming === contact.id ? this.renameForm(data)
            : html`<div class="contact-name-row"><h2 data-testid="contact-name">${data.name || t('contact.unnamed')}</h2>
              <button class="icon-button" ?disabled=${this.busy} data-testid="rename-button"
                aria-label=${t('contact.rename')} title=${t('contact.rename')}
                @click=${() => { this.renaming = contact.id; }}>${icon('edit')}</button></div>`}
            <p class="muted">${t('contact.since', { date: dateTime(data.createdAt) })}</p>
            ${data.blocked ? html`<p class="flag" data-testid="contact-blocked">${icon('alert')}${t('contact.blocked')}</p>`
              : ''}
            <button ?disabled=${this.busy} data-testid="block-button" @click=${() => this.block(!data.blocked)}>
              ${t(data.blocked ? 'contact.unblock' : 'contact.block')}</button></div>
        </div>
        <section aria-labelledby="identities-title">
          <h3 id="identities-title">${t('contact.identities')}</h3>
          <ul class="identities" data-testid="identities">
            ${(data.identities || []).map((i) => html`<li data-testid="identity" data-kind=${i.kind}>
              <span class="identity-kind">${has(`identity.${i.kind}`) ? t(`identity.${i.kind}`) : i.kind}</span>
              <span class="identity-value">${i.value}</span>
              <span class="badge ${i.proven ? 'proven' : 'claimed'}" data-testid="identity-badge"
                title=${i.proven ? t('identity.provenHint') : t('identity.claimedHint')}>
                ${i.proven ? t('identity.proven') : t('identity.claimed')}</span></li>`)}
          </ul>
        </section>
        ${attributes.length ? html`<section aria-labelledby="attributes-title">
          <h3 id="attributes-title">${t('contact.attributes')}</h3>
          <dl class="attributes" data-testid="attributes">${attributes.map(([key, value]) => html`
            <dt>${key}</dt><dd>${typeof value === 'object' ? JSON.stringify(value) : String(value)}</dd>`)}</dl>
        </section>` : ''}
        ${(data.mergeSuggestions || []).length ? html`<section aria-labelledby="suggestions-title">
          <h3 id="suggestions-title">${t('contact.suggestions')}</h3>
          <ul class="suggestions">${data.mergeSuggestions.map((s) => html`<li data-testid="merge-suggestion">
            <p><strong>${s.otherContactName || t('contact.unnamed')}</strong></p>
            ${evidence(s.evidence)}
            <div class="suggestion-actions">
              <button ?disabled=${this.busy} data-testid="merge-button"
                @click=${() => this.merge(s.otherContactId, s.otherContactName)}>${icon('merge')}
                ${t('contact.merge')}</button>
              <button ?disabled=${this.busy} data-testid="dismiss-suggestion"
                @click=${() => this.dismiss(s.id)}>${t('contact.dismissSuggestion')}</button></div></li>`)}</ul>
        </section>` : ''}
        ${merges.length ? html`<section aria-labelledby="merges-title">
          <h3 id="merges-title">${t('contact.merges')}</h3>
          <ul class="suggestions">${merges.map((m) => html`<li data-testid="merge-record">
            <p>${t('contact.mergedFrom', { name: m.sourceContactName || t('contact.unnamed') })}
              <small class="muted">${dateTime(m.createdAt)}</small></p>
            ${evidence(m.evidence)}
            <button ?disabled=${this.busy} data-testid="unmerge-button" @click=${() => this.unmerge(m)}>
              ${t('contact.unmerge')}</button></li>`)}</ul>
        </section>` : ''}
      </div>`;
  }

  /** The name as a field: Enter or Save keeps it, Escape or Cancel leaves it as it was. */
  renameForm(data) {
    return html`<form class="rename-form" data-testid="rename-form" @submit=${this.rename}
        @keydown=${(e) => { if (e.key === 'Escape') { e.stopPropagation(); this.endRename(); } }}>
      <label class="visually-hidden" for="contact-name-input">${t('contact.nameLabel')}</label>
      <input id="contact-name-input" data-testid="contact-name-input" maxlength="200" required
        .value=${data.name || ''} ?disabled=${this.busy} autocomplete="off">
      <button type="submit" class="primary" ?disabled=${this.busy} data-testid="rename-save">${t('app.save')}</button>
      <button type="button" ?disabled=${this.busy} @click=${() => this.endRename()}>${t('app.cancel')}</button>
    </form>`;
  }

  updated(changed) {
    super.updated?.(changed);
    if (changed.has('renaming') && this.renaming) {
      const input = this.querySelector('[data-testid="contact-name-input"]');
      input?.focus();
      input?.select();
    }
  }

  async rename(event) {
    event.preventDefault();
    const contact = store.state.contact;
    const name = event.target.querySelector('input').value.trim();
    if (!name) return;
    if (name === contact.data?.name) {
      this.endRename();
      return;
    }
    if (await this.act(() => store.updateContact(contact.id, { name }), 'contact.renamed')) this.endRename();
  }

  /** Back to the name, the keyboard on the button that edits it. */
  async endRename() {
    this.renaming = null;
    await this.updateComplete;
    this.querySelector('[data-testid="rename-button"]')?.focus();
  }

  // Merges and unmerges act on the contact the agent confirmed for, even if another one opened meanwhile (the
  // back button, a merge elsewhere moving the view): else another customer would be merged.
  async merge(otherId, otherName) {
    const contactId = store.state.contact.id;
    if (!await confirmDialog(t('contact.mergeConfirm', { name: otherName || t('contact.unnamed') }),
        t('contact.merge'))) return;
    await this.act(() => store.merge(contactId, otherId), 'contact.merged');
  }

  async dismiss(suggestionId) {
    await this.act(() => store.dismissSuggestion(store.state.contact.id, suggestionId),
      'contact.suggestionDismissed');
  }

  async block(blocked) {
    const contact = store.state.contact;
    const name = contact.data?.name || t('contact.unnamed');
    if (!await confirmDialog(t(blocked ? 'contact.blockConfirm' : 'contact.unblockConfirm', { name }),
        t(blocked ? 'contact.block' : 'contact.unblock'))) return;
    await this.act(() => store.updateContact(contact.id, { blocked }),
      blocked ? 'contact.blockedDone' : 'contact.unblockedDone');
  }

  async unmerge(merge) {
    const contactId = store.state.contact.id;
    if (!await confirmDialog(t('contact.unmergeConfirm', { name: merge.sourceContactName || t('contact.unnamed') }),
        t('contact.unmerge'))) return;
    await this.act(() => store.unmerge(contactId, merge.id), 'contact.unmerged');
  }

  /**
   * Runs one of the panel's changes with its buttons held meanwhile: the notice when it is done, the server's
   * reason when it is refused. True when it was done.
   */
  async act(work, notice) {
    this.busy = true;
    try {
      await work();
      store.notify(notice);
      return true;
    } catch (e) {
      store.notify(describe(e), 'error');
      // Refused because the contacts changed meanwhile (merged, unmerged, gone): the panel shows them as they are.
      if ((e.status === 404 || e.status === 409) && store.state.contact?.id) store.loadContact(store.state.contact.id);
      return false;
    } finally {
      this.busy = false;
    }
  }
}

/** Evidence is the server's JSON: shown as its fields, as text. */
function evidence(value) {
  if (!value || typeof value !== 'object') return '';
  const entries = Object.entries(value).filter(([, v]) => v !== null && v !== '');
  return html`<dl class="evidence" data-testid="evidence">${entries.map(([key, v]) => html`
    <dt>${has(`evidence.${key}`) ? t(`evidence.${key}`) : key}</dt>
    <dd>${typeof v === 'object' ? JSON.stringify(v) : evidenceValue(key, String(v))}</dd>`)}</dl>`;
}

/** The server's fixed words in evidence (why, by whom, which kind), in the page's language. */
const EVIDENCE_WORDS = {
  reason: {
    'proven by the other contact': 'evidence.reasonProven',
    'proven by another contact': 'evidence.reasonProven',
    'claimed by both contacts': 'evidence.reasonClaimedBoth',
    'merged by an agent': 'evidence.reasonAgent'
  },
  source: { suggestion: 'evidence.sourceSuggestion', agent: 'evidence.sourceAgent' }
};

function evidenceValue(key, value) {
  if (key === 'kind' && has(`identity.${value}`)) return t(`identity.${value}`);
  const word = EVIDENCE_WORDS[key]?.[value];
  return word ? t(word) : value;
}

define('tl-contact-panel', TlContactPanel);
