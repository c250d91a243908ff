import { html } from 'lit';
import { TlElement, define } from '../base.js';
import { LANGUAGES, language, setLanguage, t } from '../i18n.js';
import { icon } from '../icons.js';

/** Chooses the UI language (kept in this browser). */
class TlLanguagePicker extends TlElement {
  render() {
    return html`<label class="language-picker">${icon('globe')}
      <span class="visually-hidden">${t('app.language')}</span>
      <select data-testid="language" @change=${(e) => setLanguage(e.target.value)} aria-label=${t('app.language')}>
        ${LANGUAGES.map((l) => html`<option value=${l.code} ?selected=${l.code === language()} lang=${l.code}>
          ${l.name}</option>`)}
      </select></label>`;
  }
}

define('tl-language-picker', TlLanguagePicker);
