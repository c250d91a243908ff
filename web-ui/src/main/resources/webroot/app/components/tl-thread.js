import { html } from 'lit';
import { TlElement, define } from '../base.js';
import { store } from '../store.js';
import { t } from '../i18n.js';

/** The open conversation: its header and actions, the timeline across every channel, and the composer. */
class TlThread extends TlElement {
  static watchesStore = true;
  static properties = { contactOpen: { type: Boolean } };

  render() {
    const { thread, conversations, typing, presence, replyOptions: options } = store.state;
    const row = conversations.get(thread.conversationId);
    const who = typing.get(thread.conversationId);
    return html`
      <tl-thread-header .row=${row} .presence=${presence.get(thread.conversationId)}
        .contactOpen=${this.contactOpen}></tl-thread-header>
      <tl-timeline .thread=${thread} .presence=${presence.get(thread.conversationId)}></tl-timeline>
      <div class="typing-indicator" role="status" aria-live="polite" data-testid="typing-indicator">
        ${who ? html`<span class="typing-dots" aria-hidden="true"><i></i><i></i><i></i></span>
          ${who.agent ? t('thread.agentTyping', { name: who.name ?? '' })
            : who.name ? t('thread.typingNamed', { name: who.name }) : t('thread.typing')}` : ''}</div>
      ${row ? html`<tl-composer .conversationId=${thread.conversationId} .row=${row}
        .options=${options?.conversationId === thread.conversationId ? options.data : null}
        .optionsError=${options?.conversationId === thread.conversationId ? options.error : null}></tl-composer>`
        : ''}`;
  }
}

define('tl-thread', TlThread);
