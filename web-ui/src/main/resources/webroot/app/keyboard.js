// The inbox's keyboard shortcuts. They act only when focus is not in a text field, so typing never triggers them.
import { store } from './store.js';

export const SHORTCUTS = [
  { keys: ['j'], action: 'shortcut.next' },
  { keys: ['k'], action: 'shortcut.previous' },
  { keys: ['r'], action: 'shortcut.reply' },
  { keys: ['n'], action: 'shortcut.note' },
  { keys: ['e'], action: 'shortcut.resolve' },
  { keys: ['a'], action: 'shortcut.assignMe' },
  { keys: ['/'], action: 'shortcut.search' },
  { keys: ['?'], action: 'shortcut.help' },
  { keys: ['Esc'], action: 'shortcut.escape' },
  { keys: ['Enter'], action: 'shortcut.send' },
  { keys: ['Shift', 'Enter'], action: 'shortcut.newline' },
  { keys: ['/'], action: 'shortcut.canned', inComposer: true },
];

function typing(target) {
  const element = target instanceof Element ? target : null;
  return !!element?.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"]');
}

/**
 * The letter a key types on a Latin layout, for a layout that types no Latin letter there: on a Ukrainian or Russian
 * layout, j types "о" but is still KeyJ. A Latin layout's own letter always wins (Dvorak's h is KeyJ).
 */
function latinKey(event) {
  // With Shift, a Latin layout's J does nothing either.
  if (event.shiftKey || /^[\x20-\x7e]$/.test(event.key)) return null;
  return /^Key[A-Z]$/.test(event.code) ? event.code.slice(3).toLowerCase() : null;
}

/** Installs the handler; the app passes what each key does in the current view. */
export function installShortcuts(actions) {
  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === 'Escape') {
      // An open dialog takes Escape as its cancel, and only that: the page behind it stays as it is.
      if (!document.querySelector('dialog[open]')) actions.escape(event);
      return;
    }
    if (typing(event.target) || store.state.phase !== 'ready' || document.querySelector('dialog[open]')) return;
    // The list's and the thread's keys act in the inbox only: in settings, j would leave an unsaved form.
    const inbox = store.state.route.view === 'inbox';
    const handlers = {
      j: inbox && (() => actions.move(1)),
      k: inbox && (() => actions.move(-1)),
      r: inbox && (() => actions.compose('reply')),
      n: inbox && (() => actions.compose('note')),
      e: inbox && (() => actions.resolve()),
      a: inbox && (() => actions.assignMe()),
      '/': () => actions.search(),
      '?': () => actions.help(),
    };
    const handler = handlers[event.key] || handlers[latinKey(event)];
    if (handler) {
      event.preventDefault();
      handler();
    }
  });
}
