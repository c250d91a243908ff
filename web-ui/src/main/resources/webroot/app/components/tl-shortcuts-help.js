import { html } from 'lit';
import { TlElement, define } from '../base.js';
import { t } from '../i18n.js';
import { SHORTCUTS } from '../keyboard.js';

/** "?" lists the keyboard shortcuts in a modal dialog. */
class TlShortcutsHelp extends TlElement {
  open() {
    this.querySelector('dialog')?.showModal();
  }

  render() {
    return html`<dialog class="shortcuts" data-testid="shortcuts-help" aria-labelledby="shortcuts-title">
      <h2 id="shortcuts-title">${t('shortcut.title')}</h2>
      <table><tbody>${SHORTCUTS.map((s) => html`<tr>
        <td>${s.keys.map((k, i) => html`${i ? ' + ' : ''}<kbd>${k}</kbd>`)}</td>
        <td>${t(s.action)}</td></tr>`)}</tbody></table>
      <form method="dialog"><button class="primary" autofocus>${t('app.close')}</button></form>
    </dialog>`;
  }
}

define('tl-shortcuts-help', TlShortcutsHelp);
