import { h } from './dom.js';

/**
 * Why a form was refused, in the visitor's language (the server's detail is English): the field it names, or that
 * it should be sent again.
 */
function refusal(e, t) {
  const field = e.status === 400 && e.problem.errors && e.problem.errors[0] && e.problem.errors[0].field;
  return ['name', 'email', 'phone'].includes(field) ? t('checkField', { field: t(field) }) : t('formFailed');
}

// The pre-chat form. What the visitor types is only claimed: it helps the team reach them, and never opens a
// thread that belongs to that address.
export function prechat(store, t, actions) {
  const form = h('form', { class: 'prechat', 'data-testid': 'throughline-prechat', 'aria-labelledby': 'tl-prechat-title' });
  const error = h('p', { class: 'composer-error', role: 'alert' });
  let drawnFor = null;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values = {};
    for (const input of form.querySelectorAll('input')) values[input.name] = input.value.trim() || undefined;
    try {
      await actions.profile(values);
      error.textContent = '';
      // The form and its button go: the visitor goes on in the composer, not on the page's body.
      actions.focus();
    } catch (e) {
      error.textContent = refusal(e, t);
    }
  });
  store.subscribe((s) => {
    const show = !!(s.visitor && s.visitor.showPreChatForm) && s.phase === 'ready';
    form.hidden = !show;
    // Drawn again only for another visitor (a reset: nothing of the one before stays) or other fields: a renewed
    // session brings equal settings, and what the visitor typed stays.
    const fieldsKey = show ? s.visitor.id + '|' + JSON.stringify(s.settings.preChatForm.fields) : null;
    if (!show || drawnFor === fieldsKey) return;
    drawnFor = fieldsKey;
    error.textContent = '';
    const fields = s.settings.preChatForm.fields.map((field) => {
      const id = 'tl-prechat-' + field.name;
      return h('div', { class: 'field' },
        h('label', { for: id }, t(field.name), field.required ? h('span', { class: 'required' }, ' (' + t('required') + ')') : null),
        h('input', { id, name: field.name, required: field.required, autocomplete: field.name === 'phone' ? 'tel' : field.name,
          type: field.name === 'email' ? 'email' : field.name === 'phone' ? 'tel' : 'text',
          'data-testid': 'throughline-prechat-' + field.name }));
    });
    form.replaceChildren(h('h2', { id: 'tl-prechat-title' }, t('prechatTitle')), h('p', {}, t('prechatIntro')),
      ...fields, error, h('button', { type: 'submit', class: 'primary', 'data-testid': 'throughline-prechat-submit' }, t('start')));
  });
  return form;
}

// Outside business hours, a visitor the team cannot reach otherwise may leave an email for the answer.
export function offlineEmail(store, t, actions) {
  const input = h('input', { id: 'tl-offline-email', name: 'email', type: 'email', autocomplete: 'email', required: true,
    'data-testid': 'throughline-offline-email-input' });
  const error = h('p', { class: 'composer-error', role: 'alert' });
  const form = h('form', { class: 'offline-email', 'data-testid': 'throughline-offline-email' },
    h('label', { for: 'tl-offline-email' }, t('email')), input,
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'throughline-offline-email-submit' }, t('save')), error);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await actions.profile({ email: input.value.trim() });
      error.textContent = '';
    } catch (e) {
      // Said beside the field, which stays sendable: a validity message set on it would block every next try.
      error.textContent = refusal(e, t);
    }
  });
  let forgotten = 0;
  store.subscribe((s) => {
    if (s.forgotten !== forgotten) {
      forgotten = s.forgotten;
      input.value = '';
      error.textContent = '';
    }
    const offline = s.settings && s.settings.available === false;
    form.hidden = !(offline && s.phase === 'ready' && s.visitor && !s.visitor.email && !s.visitor.showPreChatForm);
  });
  return form;
}
