import { html } from 'lit';
import { TlElement, define } from '../base.js';
import { t } from '../i18n.js';

/**
 * An email's sanitized HTML in a sandboxed frame: the server's document (GET /api/v1/messages/{id}/html) runs no
 * script (sandbox without allow-scripts, and its own CSP), loads no remote image until the agent asks, and
 * cannot style or reach this page. The frame grows to its content.
 */
class TlEmailFrame extends TlElement {
  static properties = { messageId: { attribute: false }, remoteImages: { attribute: false },
    loadRemote: { state: true } };

  constructor() {
    super();
    this.loadRemote = false;
  }

  render() {
    const src = `/api/v1/messages/${this.messageId}/html${this.loadRemote ? '?remoteImages=true' : ''}`;
    return html`
      ${this.remoteImages && !this.loadRemote ? html`<div class="remote-images">${t('email.remoteBlocked')}
        <button class="small" data-testid="load-remote-images" @click=${() => { this.loadRemote = true; }}>
          ${t('email.loadRemote')}</button></div>` : ''}
      <iframe class="email-frame" data-testid="email-frame" src=${src} title=${t('email.frameTitle')}
        sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox" referrerpolicy="no-referrer"
        @load=${this.fit}></iframe>`;
  }

  fit(event) {
    const frame = event.target;
    try {
      const height = frame.contentDocument?.documentElement?.scrollHeight ?? 0;
      frame.style.height = `${Math.min(Math.max(height + 4, 40), 1600)}px`;
    } catch {
      frame.style.height = '400px';
    }
  }
}

define('tl-email-frame', TlEmailFrame);
