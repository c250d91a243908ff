// An agent changes their own password, in a modal <dialog> like the confirmations: the current one, the new one
// twice. Their other sessions end; this one goes on.
import { html, render } from 'lit';
import { post } from './api.js';
import { describe } from './errors.js';
import { t } from './i18n.js';
import { store } from './store.js';

/** What the server asks of a password (Passwords.MIN_LENGTH). */
const MIN_LENGTH = 8;

export function changePasswordDialog() {
  const dialog = document.createElement('dialog');
  dialog.className = 'password-dialog';
  dialog.dataset.testid = 'password-dialog';
  dialog.setAttribute('aria-labelledby', 'password-title');
  const returnFocus = document.activeElement;
  let errors = {};
  let failure = '';
  let busy = false;
  const close = () => {
    dialog.close();
    dialog.remove();
    if (returnFocus instanceof HTMLElement) returnFocus.focus();
  };
  const submit = async (event) => {
    event.preventDefault();
    const form = event.target;
    const next = form.elements.next.value;
    errors = {};
    failure = '';
    if (next.length < MIN_LENGTH) errors.next = t('password.tooShort', { min: MIN_LENGTH });
    else if (next !== form.elements.again.value) errors.again = t('password.mismatch');
    if (Object.keys(errors).length) {
      draw();
      form.elements[Object.keys(errors)[0]].focus();
      return;
    }
    busy = true;
    draw();
    try {
      await post('/api/v1/auth/password', { currentPassword: form.elements.current.value, newPassword: next });
      close();
      store.notify('password.changed', 'info');
    } catch (e) {
      busy = false;
      if (e.fields?.currentPassword) errors.current = t('password.wrongCurrent');
      else if (e.fields?.newPassword) errors.next = e.fields.newPassword;
      else failure = describe(e);
      draw();
      if (errors.current) form.elements.current.select();
    }
  };
  const field = (name, label, autocomplete) => html`
    <label for="password-${name}">${t(label)}</label>
    <input id="password-${name}" name=${name} type="password" autocomplete=${autocomplete} required
      data-testid="password-${name}" aria-invalid=${errors[name] ? 'true' : 'false'}
      aria-describedby=${errors[name] ? `password-${name}-error` : ''}>
    ${errors[name] ? html`<p class="form-error" id="password-${name}-error">${errors[name]}</p>` : ''}`;
  const draw = () => render(html`<form class="form-grid" @submit=${submit} novalidate>
      <h2 id="password-title">${t('password.title')}</h2>
      ${field('current', 'password.current', 'current-password')}
      ${field('next', 'password.new', 'new-password')}
      ${field('again', 'password.again', 'new-password')}
      <p class="muted">${t('password.othersSignedOut')}</p>
      ${failure ? html`<p class="form-error" role="alert" data-testid="password-error">${failure}</p>` : ''}
      <div class="dialog-buttons">
        <button type="button" @click=${close} data-testid="password-cancel">${t('app.cancel')}</button>
        <button type="submit" class="primary" ?disabled=${busy} data-testid="password-save">
          ${t('password.save')}</button>
      </div></form>`, dialog);
  draw();
  dialog.addEventListener('cancel', (e) => {
    e.preventDefault();
    close();
  });
  document.body.append(dialog);
  dialog.showModal();
}
