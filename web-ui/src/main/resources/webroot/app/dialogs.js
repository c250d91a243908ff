// A confirmation in a native modal <dialog> (focus is trapped and Escape cancels), instead of window.confirm,
// which blocks the page and cannot be translated or styled.
import { html, render } from 'lit';
import { t } from './i18n.js';

let dialogs = 0;

/**
 * Asks for a yes or no. A dangerous action (one nothing undoes) starts on Cancel, so a second Enter never does it;
 * a screen reader reads the question with the dialog.
 */
export function confirmDialog(message, confirmLabel, { danger = false } = {}) {
  return new Promise((resolve) => {
    const dialog = document.createElement('dialog');
    const question = `confirm-question-${++dialogs}`;
    dialog.className = 'confirm-dialog';
    dialog.dataset.testid = 'confirm-dialog';
    // The question is the dialog's name: read out as it opens, not a bare "dialog".
    dialog.setAttribute('aria-labelledby', question);
    const returnFocus = document.activeElement;
    const close = (answer) => {
      dialog.close();
      dialog.remove();
      if (returnFocus instanceof HTMLElement) returnFocus.focus();
      resolve(answer);
    };
    render(html`<form method="dialog" @submit=${(e) => { e.preventDefault(); close(true); }}>
      <p id=${question}>${message}</p>
      <div class="dialog-buttons">
        <button type="button" @click=${() => close(false)} data-testid="confirm-cancel" ?autofocus=${danger}>
          ${t('app.cancel')}</button>
        <button type="submit" class=${danger ? 'danger' : 'primary'} data-testid="confirm-ok" ?autofocus=${!danger}>
          ${confirmLabel}</button>
      </div></form>`, dialog);
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      close(false);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
