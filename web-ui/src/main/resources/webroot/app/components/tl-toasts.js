import { html } from 'lit';
import { TlElement, define } from '../base.js';
import { store } from '../store.js';
import { t } from '../i18n.js';
import { describe } from '../errors.js';
import { icon } from '../icons.js';

/** Short notices in a polite live region; errors stay longer and are announced assertively. */
class TlToasts extends TlElement {
  static watchesStore = true;

  render() {
    return html`<div class="toasts" role="status" aria-live="polite">
      ${store.state.toasts.map((toast) => html`<div class="toast toast-${toast.kind}" data-testid="toast"
        role=${toast.kind === 'error' ? 'alert' : 'status'}>
        <span>${describe(toast.text)}</span>
        <button class="icon-button" @click=${() => store.dismiss(toast.id)} aria-label=${t('app.close')}>
          ${icon('close')}</button></div>`)}</div>`;
  }
}

define('tl-toasts', TlToasts);
