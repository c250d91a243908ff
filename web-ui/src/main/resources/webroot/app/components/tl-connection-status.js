import { html } from 'lit';
import { TlElement, define } from '../base.js';
import { store } from '../store.js';
import { t } from '../i18n.js';

/**
 * The stream's state, discreet when live: a quiet dot, and "Reconnecting…" only while the stream is down (the
 * list and thread keep working; missed events arrive on resume).
 */
class TlConnectionStatus extends TlElement {
  static watchesStore = true;

  render() {
    const state = store.state.connection;
    const label = { live: t('connection.live'), reconnecting: t('connection.reconnecting'),
      connecting: t('connection.connecting') }[state] ?? '';
    return html`<span class="connection connection-${state}" role="status" aria-live="polite"
      data-testid="connection-status" data-state=${state} title=${label}>
      <span class="dot" aria-hidden="true"></span><span class="connection-label">${label}</span></span>`;
  }
}

define('tl-connection-status', TlConnectionStatus);
