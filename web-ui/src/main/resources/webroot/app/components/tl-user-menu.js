import { html } from 'lit';
import { TlElement, define } from '../base.js';
import { store } from '../store.js';
import { t } from '../i18n.js';
import { icon } from '../icons.js';
import { changePasswordDialog } from '../password.js';

/** Who is logged in, the language, the shortcuts, the settings (admins), the password and logging out. */
class TlUserMenu extends TlElement {
  static watchesStore = true;

  render() {
    const me = store.state.me;
    if (!me) return '';
    const admin = me.role === 'admin';
    return html`
      <tl-language-picker></tl-language-picker>
      <button class="icon-button" @click=${() => document.querySelector('tl-shortcuts-help')?.open()}
        aria-label=${t('shortcut.title')} title=${t('shortcut.title')} data-testid="shortcuts-button">
        ${icon('keyboard')}</button>
      ${admin ? html`<a class="icon-button" href="#/settings/agents" aria-label=${t('settings.title')}
        title=${t('settings.title')} data-testid="settings-link">${icon('settings')}</a>` : ''}
      <button class="icon-button" @click=${() => changePasswordDialog()} aria-label=${t('password.title')}
        title=${t('password.title')} data-testid="change-password">${icon('key')}</button>
      <span class="me" title=${me.role === 'admin' ? t('role.admin') : t('role.agent')} data-testid="me">
        ${icon('user')}<span class="me-name">${me.name}</span></span>
      <button class="icon-button" @click=${() => store.logout()} aria-label=${t('app.logout')}
        title=${t('app.logout')} data-testid="logout">${icon('logout')}</button>`;
  }
}

define('tl-user-menu', TlUserMenu);
