import { html } from 'lit';
import { TlElement, define } from '../base.js';
import { t } from '../i18n.js';
import { icon } from '../icons.js';
import { copyText } from '../clipboard.js';

/** A read-only value (a snippet, a token, a URL) with a copy button. */
class TlCopyField extends TlElement {
  static properties = { value: { type: String }, label: { type: String }, multiline: { type: Boolean },
    copied: { state: true }, said: { state: true } };

  render() {
    const id = `copy-${Math.abs(hash(this.label || ''))}`;
    return html`<div class="copy-field">
      <label for=${id}>${this.label}</label>
      <div class="copy-row">
        ${this.multiline ? html`<textarea id=${id} readonly rows="3" data-testid="copy-value" .value=${this.value}></textarea>`
          : html`<input id=${id} readonly data-testid="copy-value" .value=${this.value}>`}
        <button type="button" data-testid="copy-button" @click=${this.copy}>${icon('copy')}
          ${this.copied ? t('app.copied') : t('app.copy')}</button>
      </div>
      <span class="visually-hidden" role="status" data-testid="copy-status">${this.said}</span></div>`;
  }

  // The button's new word is not read out (focus stays on it), so the outcome is said in a status region too; a
  // refused copy leaves the value selected and says how to copy it by hand.
  async copy() {
    clearTimeout(this.reset);
    this.copied = false;
    this.said = '';
    try {
      await copyText(this.value);
      this.copied = true;
      this.said = t('app.copied');
      this.reset = setTimeout(() => { this.copied = false; this.said = ''; }, 2000);
    } catch {
      const field = this.querySelector('[data-testid="copy-value"]');
      field?.focus();
      field?.select();
      this.said = t('app.copyRefused');
    }
  }
}

function hash(text) {
  let h = 0;
  for (const c of text) h = (h * 31 + c.charCodeAt(0)) | 0;
  return h;
}

define('tl-copy-field', TlCopyField);
