import { html } from 'lit';
import { TlElement, define } from '../base.js';
import { t } from '../i18n.js';
import { age, dateTime } from '../format.js';
import { channelIcons } from '../channels.js';
import { icon } from '../icons.js';
import { href } from '../router.js';
import { store } from '../store.js';

/** One row of the list: who, through which channels, the last message, how long they wait, and unread. */
class TlConversationItem extends TlElement {
  static properties = { row: { attribute: false }, unread: { attribute: false }, selected: { type: Boolean },
    typing: { attribute: false }, presence: { attribute: false }, now: { attribute: false } };

  render() {
    const row = this.row;
    if (!row) return html`<div class="conversation-item placeholder" aria-hidden="true"></div>`;
    const last = row.lastMessage;
    const count = this.unread?.unread ?? 0;
    const waiting = last?.kind === 'in' && row.status !== 'resolved' && row.lastInboundAt;
    const name = row.contact?.name || t('contact.unnamed');
    return html`
      <a class="conversation-item ${this.selected ? 'selected' : ''} ${count ? 'unread' : ''}"
        href=${href({ view: 'inbox', conversationId: row.id })} data-testid="conversation-item"
        data-conversation-id=${row.id} aria-current=${this.selected ? 'true' : 'false'}>
        <span class="avatar" aria-hidden="true">${initials(name)}${this.presence?.online
          ? html`<span class="online-dot"></span>` : ''}</span>
        <span class="item-main">
          <span class="item-top">
            <span class="item-name">${name}</span>
            ${channelIcons(row.channels)}
            <time class="item-time" datetime=${row.lastActivityAt} title=${dateTime(row.lastActivityAt)}>
              ${age(row.lastActivityAt, this.now)}</time>
          </span>
          <span class="item-preview" data-testid="conversation-preview">${this.typing
            ? html`<em class="typing-text">${this.typing.agent ? t('thread.agentTyping', { name: this.typing.name ?? '' })
              : t('thread.typing')}</em>` : previewText(last)}</span>
          <span class="item-meta">
            ${waiting ? html`<span class="waiting" data-testid="waiting" title=${dateTime(row.lastInboundAt)}>
              ${icon('clock')}${t('list.waiting', { time: age(row.lastInboundAt, this.now) })}</span>` : ''}
            ${row.priority && row.priority !== 'none' ? html`<span class="priority priority-${row.priority}">
              ${icon('flag')}${t(`priority.${row.priority}`)}</span>` : ''}
            ${(row.labels || []).slice(0, 3).map((l) => html`<span class="label-chip">${l}</span>`)}
            ${row.assignee ? html`<span class="assignee">${icon('user')}${row.assignee.name}</span>` : ''}
            ${count ? html`<span class="unread-badge" data-testid="unread-badge" role="img"
              aria-label=${t('list.unread', { count })}>${this.unread.unreadCapped ? '99+' : count}</span>` : ''}
          </span>
        </span>
      </a>`;
  }
}

function previewText(last) {
  if (!last) return html`<span class="muted">${t('list.noMessages')}</span>`;
  const prefix = last.kind === 'out' ? `${replier(last.author)}: ` : '';
  if (last.redacted) return html`${prefix}<em class="muted">${t('list.redacted')}</em>`;
  const subject = last.subject ? html`<strong>${last.subject}</strong> · ` : '';
  return html`${prefix}${subject}${last.preview || t('list.attachmentOnly')}`;
}

/** Who sent a reply, for the preview: "You" for the signed-in agent's own, else a colleague's name or the system's. */
function replier(author) {
  if (!author || (author.type === 'agent' && author.id === store.state.me?.agentId)) return t('list.you');
  return author.name || t('contact.unnamed');
}

export function initials(name) {
  const parts = (name || '?').trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '?') + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase();
}

define('tl-conversation-item', TlConversationItem);
