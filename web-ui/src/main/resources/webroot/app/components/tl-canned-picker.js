import { html } from 'lit';
import { TlElement, define } from '../base.js';
import { t } from '../i18n.js';

/** The "/" list of canned responses under the composer: arrows move, Enter or a click inserts. */
class TlCannedPicker extends TlElement {
  static properties = { items: { attribute: false }, index: { type: Number }, loading: { type: Boolean } };

  render() {
    if (!this.items.length) {
      // Said by the composer's status region, which is there before the list opens.
      return html`<div class="canned-picker" data-testid="canned-picker">
        ${this.loading ? t('app.loading') : t('canned.none')}</div>`;
    }
    return html`<ul class="canned-picker" role="listbox" data-testid="canned-picker" aria-label=${t('canned.title')}>
      ${this.items.map((item, i) => html`<li id="canned-${item.id}" role="option"
        aria-selected=${i === this.index ? 'true' : 'false'} data-testid="canned-option"
        @mousedown=${(e) => { e.preventDefault(); this.emit('pick', item); }}>
        <span class="canned-code">/${item.shortCode}</span>
        <span class="canned-title">${item.title || ''}</span>
        <span class="canned-body">${item.body.slice(0, 90)}</span></li>`)}</ul>`;
  }

  updated() {
    this.querySelector('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' });
  }
}

define('tl-canned-picker', TlCannedPicker);
