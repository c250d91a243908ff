import { html } from 'lit';
import { TlElement, define } from '../base.js';
import { store } from '../store.js';
import { t } from '../i18n.js';
import { channelName } from '../channels.js';

const STATUSES = ['open', 'pending', 'snoozed', 'resolved'];
const ASSIGNEES = ['me', 'none', 'all'];

/** Status tabs, and the mine / unassigned / all and channel filters of the list. */
class TlInboxFilters extends TlElement {
  static watchesStore = true;

  render() {
    const { filter, serverInfo } = store.state;
    const channels = serverInfo?.channels ?? [];
    return html`
      <div class="status-tabs" role="tablist" aria-label=${t('filter.status')}>
        ${STATUSES.map((status) => html`
          <button role="tab" aria-selected=${filter.status === status ? 'true' : 'false'}
            class=${filter.status === status ? 'active' : ''} data-testid="tab-${status}"
            tabindex=${filter.status === status ? 0 : -1} @keydown=${this.arrows}
            @click=${() => store.setFilter({ status })}>${t(`status.${status}`)}</button>`)}
      </div>
      <div class="list-filters">
        <div class="segmented" role="group" aria-label=${t('filter.assignee')}>
          ${ASSIGNEES.map((assignee) => html`
            <button aria-pressed=${filter.assignee === assignee ? 'true' : 'false'} data-testid="filter-${assignee}"
              @click=${() => store.setFilter({ assignee })}>${t(`filter.${assignee}`)}</button>`)}
        </div>
        <label class="visually-hidden" for="channel-filter">${t('filter.channel')}</label>
        <select id="channel-filter" data-testid="filter-channel" @change=${(e) => store.setFilter({ channel: e.target.value })}>
          <option value="" ?selected=${!filter.channel}>${t('filter.allChannels')}</option>
          ${channels.map((c) => html`<option value=${c} ?selected=${filter.channel === c}>${channelName(c)}</option>`)}
        </select>
      </div>`;
  }

  /** Arrow keys move between the tabs, as the ARIA tabs pattern expects. */
  arrows(event) {
    if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
    const index = STATUSES.indexOf(store.state.filter.status);
    const next = STATUSES[(index + (event.key === 'ArrowRight' ? 1 : STATUSES.length - 1)) % STATUSES.length];
    store.setFilter({ status: next });
    requestAnimationFrame(() => this.querySelector(`[data-testid="tab-${next}"]`)?.focus());
  }
}

define('tl-inbox-filters', TlInboxFilters);
