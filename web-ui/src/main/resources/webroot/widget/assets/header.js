import { h, icon, ICONS } from './dom.js';

// The title bar: the widget's title, its greeting (or the offline message), and the close button.
export function header(store, t, actions) {
  const title = h('h1', { class: 'title', id: 'tl-title' });
  const subtitle = h('p', { class: 'subtitle' });
  const close = h('button', { type: 'button', class: 'icon-button close', 'aria-label': t('close'),
    'data-testid': 'throughline-close', onclick: actions.close }, icon(ICONS.close));
  const root = h('header', { class: 'header' }, h('div', { class: 'heading' }, title, subtitle), close);
  store.subscribe((s) => {
    title.textContent = (s.settings && s.settings.title) || t('title');
    const available = !s.settings || s.settings.available !== false;
    subtitle.textContent = available ? (s.settings && s.settings.greeting) || t('greeting')
      : (s.settings && s.settings.offlineMessage) || t('offline');
    root.classList.toggle('offline', !available);
  });
  return root;
}
