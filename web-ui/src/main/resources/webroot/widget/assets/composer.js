import { h, icon, ICONS } from './dom.js';

// Where the visitor writes: a growing text area (Enter sends, Shift+Enter breaks the line), files staged before
// sending, and the send button.
export function composer(store, t, actions) {
  const input = h('textarea', { id: 'tl-input', class: 'input', rows: '1', placeholder: t('placeholder'),
    'data-testid': 'throughline-composer-input', 'aria-describedby': 'tl-composer-error' });
  const label = h('label', { for: 'tl-input', class: 'sr-only' }, t('composerLabel'));
  const files = h('input', { type: 'file', class: 'sr-only', tabindex: '-1', 'aria-hidden': 'true',
    'data-testid': 'throughline-file-input' });
  const attach = h('button', { type: 'button', class: 'icon-button attach', 'aria-label': t('attach'),
    'data-testid': 'throughline-attach-button', onclick: () => files.click() }, icon(ICONS.attach));
  const send = h('button', { type: 'submit', class: 'icon-button send', 'aria-label': t('send'),
    'data-testid': 'throughline-send-button' }, icon(ICONS.send));
  const staged = h('ul', { class: 'staged', 'aria-label': t('attach') });
  const error = h('p', { id: 'tl-composer-error', class: 'composer-error', role: 'alert' });
  const form = h('form', { class: 'composer', 'data-testid': 'throughline-composer' },
    staged, error, h('div', { class: 'row' }, label, attach, input, send), files);

  const submit = () => {
    if (actions.send(input.value)) {
      input.value = '';
      grow();
    }
    input.focus();
  };
  const grow = () => {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight, 140) + 'px';
    input.style.overflowY = input.scrollHeight > 140 ? 'auto' : 'hidden';
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit();
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  input.addEventListener('input', () => {
    grow();
    actions.typing(input.value.length > 0);
  });
  input.addEventListener('blur', () => actions.typing(false));
  files.addEventListener('change', () => {
    [...files.files].forEach((file) => actions.upload(file));
    files.value = '';
  });

  // What was last drawn: the store changes with every typing signal and poll answer, and redrawing each time moved
  // the focus off a chip's remove button and had screen readers announce the same error again.
  let drawnStaged = null;
  let forgotten = 0;
  store.subscribe((s) => {
    form.hidden = !!(s.visitor && s.visitor.showPreChatForm) || s.phase !== 'ready';
    attach.hidden = !(s.settings && s.settings.attachments);
    // No maxlength on the text: a browser cuts a longer paste to it silently, and the visitor sent half a log
    // without knowing. Send says when a message is too long.
    if (s.limits && s.limits.uploadTypes) files.accept = s.limits.uploadTypes.join(',');
    if (s.forgotten !== forgotten) {
      // The visitor was ended (the site's sign-out): the next person must not find their draft.
      forgotten = s.forgotten;
      input.value = '';
      grow();
    }
    const text = s.composerError || '';
    if (error.textContent !== text) error.textContent = text;
    if (s.staged === drawnStaged) return;
    drawnStaged = s.staged;
    // A file still on its way says so in words too, not only by fading.
    staged.replaceChildren(...s.staged.map((file) => h('li', { class: 'chip' + (file.uploading ? ' uploading' : ''),
      'aria-busy': file.uploading ? 'true' : 'false' },
      h('span', {}, file.filename),
      ...(file.uploading ? [h('span', { class: 'sr-only', 'data-testid': 'throughline-uploading' },
        ' ' + t('uploading'))] : []),
      h('button', { type: 'button', class: 'chip-remove', 'aria-label': t('removeFile', { name: file.filename }),
        onclick: () => actions.unstage(file.key) }, '×'))));
  });
  return { element: form, focus: () => input.focus() };
}
