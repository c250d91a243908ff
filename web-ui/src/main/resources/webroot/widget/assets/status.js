import { h } from './dom.js';

// What the visitor should know about the connection, and who is typing.
export function connectionBanner(store, t) {
  const root = h('div', { class: 'connection', role: 'status', 'data-testid': 'throughline-connection', hidden: true });
  store.subscribe((s) => {
    const lost = s.connection === 'reconnecting';
    root.hidden = !lost;
    root.dataset.state = s.connection;
    root.textContent = lost ? t('reconnecting') : '';
  });
  return root;
}

export function typingIndicator(store, t) {
  const root = h('div', { class: 'typing', 'aria-live': 'polite', 'data-testid': 'throughline-typing', hidden: true });
  store.subscribe((s) => {
    const typing = s.typing && s.typing.until > Date.now();
    root.hidden = !typing;
    root.textContent = typing ? (s.typing.name ? t('typing', { name: s.typing.name }) : t('someoneTyping')) : '';
  });
  return root;
}
