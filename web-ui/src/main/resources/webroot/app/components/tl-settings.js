import { html } from 'lit';
import { TlElement, define } from '../base.js';
import { store } from '../store.js';
import { t } from '../i18n.js';
import { href } from '../router.js';

const TABS = ['agents', 'inboxes', 'canned'];

/** Admin settings: agents, inboxes and canned responses. Agents without the admin role are told so. */
class TlSettings extends TlElement {
  static watchesStore = true;

  render() {
    const { me, route } = store.state;
    if (me.role !== 'admin') {
      return html`<main class="settings" id="main"><div class="empty-state" role="alert" data-testid="settings-forbidden">
        <h1>${t('settings.title')}</h1><p>${t('settings.adminOnly')}</p>
        <a class="button" href="#/">${t('app.backToInbox')}</a></div></main>`;
    }
    return html`<main class="settings" id="main" data-testid="settings">
      <nav class="settings-nav" aria-label=${t('settings.title')}>
        <h1>${t('settings.title')}</h1>
        ${TABS.map((tab) => html`<a href=${href({ view: 'settings', tab })} data-testid="settings-tab-${tab}"
          aria-current=${route.tab === tab ? 'page' : 'false'}>${t(`settings.${tab}`)}</a>`)}
        <a href="#/" class="muted">${t('app.backToInbox')}</a>
      </nav>
      <section class="settings-body">
        ${route.tab === 'agents' ? html`<tl-settings-agents></tl-settings-agents>` : ''}
        ${route.tab === 'inboxes' ? html`<tl-settings-inboxes .inboxId=${route.id}></tl-settings-inboxes>` : ''}
        ${route.tab === 'canned' ? html`<tl-settings-canned></tl-settings-canned>` : ''}
      </section>
    </main>`;
  }
}

define('tl-settings', TlSettings);
