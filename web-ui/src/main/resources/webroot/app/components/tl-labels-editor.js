import { html } from 'lit';
import { TlElement, define } from '../base.js';
import { t } from '../i18n.js';
import { icon } from '../icons.js';

/**
 * Labels as removable chips, and a field to add one (Enter or comma). It says which label to add or remove, never
 * the whole list it shows, so a label another agent added meanwhile is not written over.
 */
class TlLabelsEditor extends TlElement {
  static properties = { labels: { attribute: false }, disabled: { type: Boolean } };

  render() {
    return html`<div class="labels" data-testid="labels">
      ${icon('tag')}<span class="visually-hidden">${t('labels.title')}</span>
      ${this.labels.map((label) => html`<span class="label-chip" data-testid="label">${label}
        <button class="chip-remove" ?disabled=${this.disabled} @click=${() => this.removeLabel(label)}
          aria-label=${t('labels.remove', { label })}>${icon('close')}</button></span>`)}
      <input class="label-input" data-testid="label-input" ?disabled=${this.disabled}
        placeholder=${t('labels.add')} aria-label=${t('labels.add')} maxlength="64" @keydown=${this.key}>
    </div>`;
  }

  /** The typed label stays in the field until it is saved: a refused or lost save leaves it there to try again. */
  key(event) {
    if (event.key !== 'Enter' && event.key !== ',') return;
    event.preventDefault();
    const input = event.target;
    const value = input.value.trim().toLowerCase();
    if (!value) return;
    const saved = () => {
      if (input.value.trim().toLowerCase() === value) input.value = '';
    };
    if (this.labels.includes(value)) saved();
    else this.emit('labels-change', { patch: { addLabels: [value] }, saved });
  }

  removeLabel(label) {
    this.emit('labels-change', { patch: { removeLabels: [label] } });
  }
}

define('tl-labels-editor', TlLabelsEditor);
