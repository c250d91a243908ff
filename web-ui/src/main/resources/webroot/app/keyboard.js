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
    const handler = {
      j: () => actions.move(1),
      k: () => actions.move(-1),
      r: () => actions.compose('reply'),
      n: () => actions.compose('note'),
      e: () => actions.resolve(),
      a: () => actions.assignMe(),
      '/': () => actions.search(),
      '?': () => actions.help(),
    }[event.key];
    if (handler) {
      event.preventDefault();
      handler();
    }
  });
}
