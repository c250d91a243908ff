import { html, nothing } from 'lit';
import { TlElement, define } from '../base.js';
import { store } from '../store.js';
import { t } from '../i18n.js';
import { describe } from '../errors.js';
import { icon } from '../icons.js';

/**
 * Short notices: confirmations in a polite live region, failures as alerts in a region of their own (an alert inside
 * a polite region is announced unreliably), kept until the agent closes them.
 */
class TlToasts extends TlElement {
  static watchesStore = true;

  render() {
    const toasts = store.state.toasts;
    return html`<div class="toasts">
      <div class="toast-group" data-testid="error-toasts">
        ${toasts.filter((toast) => toast.kind === 'error').map((toast) => this.toast(toast, 'alert'))}</div>
      <div class="toast-group" role="status" aria-live="polite">
        ${toasts.filter((toast) => toast.kind !== 'error').map((toast) => this.toast(toast, null))}</div></div>`;
  }

  toast(toast, role) {
    return html`<div class="toast toast-${toast.kind}" data-testid="toast" role=${role ?? nothing}>
      <span>${describe(toast.text)}</span>
      <button class="icon-button" @click=${() => store.dismiss(toast.id)} aria-label=${t('app.close')}
        data-testid="toast-close">${icon('close')}</button></div>`;
  }
}

define('tl-toasts', TlToasts);
