// What the UI knows about each channel. A channel it does not know (a new connector) still shows, by its name.
import { html } from 'lit';
import { icon } from './icons.js';
import { t, has } from './i18n.js';

const KNOWN = ['widget', 'email', 'telegram', 'api'];

export function channelName(channel) {
  if (!channel) return '';
  return has(`channel.${channel}`) ? t(`channel.${channel}`) : channel;
}

export function channelIcon(channel) {
  return icon(KNOWN.includes(channel) ? channel : 'channel');
}

/** A small labelled badge: icon and name. */
export function channelBadge(channel) {
  if (!channel) return '';
  return html`<span class="channel-badge channel-${KNOWN.includes(channel) ? channel : 'other'}"
    data-testid="channel-badge" data-channel=${channel}>${channelIcon(channel)}<span>${channelName(channel)}</span></span>`;
}

/** Icons only, with the names for assistive technology and as a tooltip. */
export function channelIcons(channels = []) {
  return html`<span class="channel-icons" data-testid="channel-icons">${channels.map((c) => html`
    <span class="channel-icon channel-${KNOWN.includes(c) ? c : 'other'}" title=${channelName(c)}
      data-channel=${c}>${channelIcon(c)}<span class="visually-hidden">${channelName(c)}</span></span>`)}</span>`;
}

/** How a reply target reads: an email address, a Telegram chat, a visitor, an external id. */
export function targetText(to) {
  if (!to) return '';
  const name = to.name ? `${to.name} · ` : '';
  switch (to.kind) {
    case 'email': return `${name}${to.value}`;
    case 'telegram': return `${name}${t('target.telegramChat', { value: to.value })}`;
    case 'widget_visitor': return `${name}${t('target.visitor')}`;
    default: return `${name}${to.value}`;
  }
}
