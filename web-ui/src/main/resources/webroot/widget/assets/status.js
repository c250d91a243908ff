import { h } from './dom.js';

// What the visitor should know about the connection, and who is typing.
export function connectionBanner(store, t) {
  const root = h('div', { class: 'connection', role: 'status', 'data-testid': 'throughline-connection', hidden: true });
  store.subscribe((s) => {
    const lost = s.connection === 'reconnecting';
    root.hidden = !lost;
    root.dataset.state = s.connection;
    const text = lost ? t('reconnecting') : '';
    if (root.textContent !== text) root.textContent = text;
  });
  return root;
}

export function typingIndicator(store, t) {
  const root = h('div', { class: 'typing', 'aria-live': 'polite', 'data-testid': 'throughline-typing', hidden: true });
  store.subscribe((s) => {
    const typing = s.typing && s.typing.until > Date.now();
    root.hidden = !typing;
    const text = typing ? (s.typing.name ? t('typing', { name: s.typing.name }) : t('someoneTyping')) : '';
    // Written only when it changes: a live region rewritten with the same words may be read out again.
    if (root.textContent !== text) root.textContent = text;
  });
  return root;
}
