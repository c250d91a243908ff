import { html } from 'lit';
import { TlElement, define } from '../base.js';
import { store } from '../store.js';
import { t } from '../i18n.js';
import { describe } from '../errors.js';
import { icon } from '../icons.js';

/** The login form: a clear message for a wrong password, and the rate limit's wait counted down. */
class TlLogin extends TlElement {
  static watchesStore = true;
  static properties = { error: { state: true }, busy: { state: true }, waitUntil: { state: true } };

  constructor() {
    super();
    this.error = null;
    this.busy = false;
    this.waitUntil = 0;
    this.timer = null;
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    clearInterval(this.timer);
  }

  /**
   * The address field takes the focus whenever the form shows: `autofocus` acts once per document, so after a
   * sign-out or an ended session (the control that had the focus gone) a keyboard or screen-reader user was left on
   * the page's body.
   */
  firstUpdated() {
    this.renderRoot.querySelector('#login-email').focus();
  }

  render() {
    const notice = store.state.loginNotice;
    const wait = Math.max(0, Math.ceil((this.waitUntil - Date.now()) / 1000));
    return html`
      <main class="login">
        <form class="login-card" @submit=${this.submit} novalidate aria-labelledby="login-title">
          <div class="login-brand">${icon('inbox')}<span>Throughline</span></div>
          <h1 id="login-title">${t('login.title')}</h1>
          ${notice ? html`<p class="notice" role="status" data-testid="login-notice">${t(`login.${notice}`)}</p>` : ''}
          <label for="login-email">${t('login.email')}</label>
          <input id="login-email" name="email" type="email" autocomplete="username" required autofocus
            data-testid="login-email">
          <label for="login-password">${t('login.password')}</label>
          <input id="login-password" name="password" type="password" autocomplete="current-password" required
            data-testid="login-password">
          ${this.error ? html`<p class="form-error" role="alert" data-testid="login-error">${wait > 0
            // The alert is said once, as the wait began; the count shown each second is not (a screen reader
            // interrupted the user every second of the wait).
            ? html`<span class="visually-hidden" data-testid="login-wait-said">${this.error}</span><span
              aria-hidden="true" data-testid="login-wait">${t('login.tooMany', { seconds: wait })}</span>`
            : this.error}</p>` : ''}
          <button class="primary" type="submit" ?disabled=${this.busy || wait > 0} data-testid="login-submit">
            ${this.busy ? t('login.busy') : t('login.submit')}</button>
          <tl-language-picker></tl-language-picker>
        </form>
      </main>`;
  }

  async submit(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const email = form.email.value.trim();
    const password = form.password.value;
    if (!email || !password) {
      this.error = t('login.missing');
      return;
    }
    this.busy = true;
    this.error = null;
    try {
      await store.login(email, password);
    } catch (e) {
      this.busy = false;
      if (e.status === 401) {
        this.error = t('login.wrong');
        form.password.select();
      } else if (e.status === 429) {
        this.waitUntil = Date.now() + (e.retryAfter || 60) * 1000;
        this.error = t('login.tooMany', { seconds: e.retryAfter || 60 });
        clearInterval(this.timer);
        this.timer = setInterval(() => {
          this.requestUpdate();
          if (Date.now() >= this.waitUntil) {
            clearInterval(this.timer);
            this.error = null;
          }
        }, 1000);
      } else {
        this.error = describe(e);
      }
    }
  }
}

define('tl-login', TlLogin);
