import { html } from 'lit';
import { TlElement, define } from '../base.js';
import { store } from '../store.js';
import { t, has } from '../i18n.js';
import { time, dateTime, bytes } from '../format.js';
import { channelBadge, channelName, targetText } from '../channels.js';
import { icon } from '../icons.js';
import { splitQuoted } from '../quotes.js';
import { describe } from '../errors.js';
import { confirmDialog } from '../dialogs.js';

const URL = /\b(https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]])/g;

/**
 * One message of the timeline: its author, channel badge and time; an email's subject and threading reason; the
 * text, with quoted history folded; attachments with image previews; and, for a reply, its delivery status with a
 * retry button. Customer text is only ever rendered as text: HTML goes to a sandboxed frame. Any message's content
 * can be removed for good (a card number, a password): it then says who removed it and when.
 */
class TlMessage extends TlElement {
  static properties = { message: { attribute: false }, seen: { type: Boolean }, highlight: { type: Boolean },
    expanded: { state: true }, original: { state: true }, showEdits: { state: true }, retrying: { state: true },
    redacting: { state: true } };

  constructor() {
    super();
    this.expanded = false;
    this.original = false;
    this.showEdits = false;
    this.retrying = false;
    this.redacting = false;
  }

  render() {
    const m = this.message;
    const author = m.author?.name || (m.author?.type === 'contact' ? t('contact.unnamed') : 'Throughline');
    return html`
      <article class="message message-${m.kind} ${this.highlight ? 'highlight' : ''}" data-testid="message"
        data-kind=${m.kind} data-channel=${m.channel ?? ''} data-message-id=${m.id}
        aria-label=${t(`message.aria.${m.kind}`, { name: author, time: dateTime(m.createdAt) })}>
        <header class="message-head">
          <span class="author">${author}</span>
          ${m.kind === 'note' ? html`<span class="note-badge" data-testid="note-badge">${icon('note')}
            ${t('message.note')}</span>` : channelBadge(m.channel)}
          <time datetime=${m.createdAt} title=${dateTime(m.createdAt)}>${time(m.createdAt)}</time>
          ${m.editedAt && !m.redactedAt ? html`<button class="link edited"
            aria-expanded=${this.showEdits ? 'true' : 'false'}
            @click=${() => { this.showEdits = !this.showEdits; }}>${t('message.edited')}</button>` : ''}
          ${m.redactedAt ? '' : html`<button class="icon-button message-redact" data-testid="message-redact"
            title=${t('message.redact')} aria-label=${t('message.redact')} ?disabled=${this.redacting}
            @click=${this.redact}>${icon('trash')}</button>`}
        </header>
        ${m.redactedAt ? this.redacted() : this.content()}
        ${m.kind === 'out' ? this.delivery() : ''}
        ${m.kind === 'out' ? this.fallbacks() : ''}
        ${this.seen ? html`<div class="seen" data-testid="seen">${icon('checks')}${t('message.seen')}</div>` : ''}
      </article>`;
  }

  /** What is left of a removed message: who removed it, and when. */
  redacted() {
    const m = this.message;
    return html`<div class="redacted" data-testid="message-redacted">${icon('trash')}<span>${
      t('message.redacted', { name: m.redactedBy?.name || t('contact.unnamed'), time: dateTime(m.redactedAt) })
    }</span></div>`;
  }

  content() {
    const m = this.message;
    return html`
        ${m.subject ? html`<div class="subject" data-testid="message-subject">${m.subject}</div>` : ''}
        ${this.threading()}
        ${this.flags()}
        ${this.showEdits ? this.edits() : ''}
        ${this.body()}
        ${this.attachments()}`;
  }

  threading() {
    const threading = this.message.threading;
    if (this.message.kind !== 'in' || !threading?.reason) return '';
    if (this.message.channel !== 'email' && ['new', 'sender'].includes(threading.reason)) return '';
    const reason = has(`threading.${threading.reason}`) ? t(`threading.${threading.reason}`) : threading.reason;
    return html`<div class="threading" data-testid="threading" title=${threading.evidence ?? ''}>
      ${t('threading.label')}: ${reason}</div>`;
  }

  flags() {
    const flags = this.message.flags || [];
    if (!flags.length) return '';
    return html`<div class="flags">${flags.map((flag) => html`<span class="flag flag-${flag}" data-testid="flag"
      data-flag=${flag}>${icon('alert')}${has(`flag.${flag}`) ? t(`flag.${flag}`) : flag}</span>`)}</div>`;
  }

  edits() {
    return html`<ol class="edits" aria-label=${t('message.previousVersions')}>${(this.message.edits || []).map((e) =>
      html`<li data-testid="previous-version"><time datetime=${e.replacedAt}>${dateTime(e.replacedAt)}</time>
        <p class="text">${e.body}</p>${(e.attachments || []).length ? html`<ul class="attachments">${e.attachments
          .map((a) => html`<li><a class="file-chip" href=${a.url} download=${a.filename}
            data-testid="previous-attachment">${icon('file')}<span>${a.filename}</span><small>${bytes(a.size)}</small>
            </a></li>`)}</ul>` : ''}</li>`)}</ol>`;
  }

  body() {
    const m = this.message;
    const hasHtml = !!m.html;
    const text = m.body || '';
    if (hasHtml && (this.original || !text.trim())) {
      return html`
        <tl-email-frame .messageId=${m.id} .remoteImages=${m.html.includes('data-remote-src')}></tl-email-frame>
        ${text.trim() ? html`<button class="link" @click=${() => { this.original = false; }}>
          ${t('message.showText')}</button>` : ''}`;
    }
    // Only mail quotes what it answers: a chat message is all the customer's, "--" lines and "X wrote:" included.
    const split = m.kind === 'in' && m.channel === 'email' ? splitQuoted(text) : { visible: text, folded: '' };
    return html`
      <div class="text" data-testid="message-body">${linkify(split.visible)}</div>
      ${split.folded ? html`
        <button class="quote-toggle" data-testid="quote-toggle" aria-expanded=${this.expanded ? 'true' : 'false'}
          @click=${() => { this.expanded = !this.expanded; }}
          title=${this.expanded ? t('message.hideQuote') : t('message.showQuote')}>
          <span aria-hidden="true">•••</span><span class="visually-hidden">${this.expanded
            ? t('message.hideQuote') : t('message.showQuote')}</span></button>
        ${this.expanded ? html`<div class="text quoted" data-testid="quoted">${linkify(split.folded)}</div>` : ''}`
        : ''}
      ${hasHtml ? html`<button class="link" data-testid="show-original" @click=${() => { this.original = true; }}>
        ${t('message.showOriginal')}</button>` : ''}`;
  }

  attachments() {
    const m = this.message;
    // Inline parts show in the mail's HTML while it is on screen; in the text view they are files of their own.
    const framed = !!m.html && (this.original || !(m.body || '').trim());
    const files = (m.attachments || []).filter((a) => !(a.inline && framed));
    if (!files.length) return '';
    return html`<ul class="attachments">${files.map((a) => {
      const type = (a.contentType || '').toLowerCase();
      if (type.startsWith('image/')) {
        return html`<li><a class="image-preview" href=${a.url} target="_blank" rel="noopener"
          data-testid="attachment-image"><img src=${a.url} alt=${a.filename} loading="lazy"></a></li>`;
      }
      if (type.startsWith('audio/')) {
        return html`<li class="media"><audio controls preload="none" src=${a.url} aria-label=${a.filename}></audio>
          <a href=${a.url} download=${a.filename}>${a.filename}</a></li>`;
      }
      if (type.startsWith('video/')) {
        return html`<li class="media"><video controls preload="none" src=${a.url} aria-label=${a.filename}></video>
          </li>`;
      }
      return html`<li><a class="file-chip" href=${a.url} download=${a.filename} data-testid="attachment-file">
        ${icon('file')}<span>${a.filename}</span><small>${bytes(a.size)}</small></a></li>`;
    })}</ul>`;
  }

  delivery() {
    const d = this.message.delivery;
    if (!d) return '';
    const via = d.to ? t('delivery.via', { channel: channelName(d.channel), target: targetText(d.to) })
      : channelName(d.channel);
    let state;
    if (d.status === 'pending' && d.attempts > 0) {
      state = html`${icon('clock')}<span>${t('delivery.retrying', { attempt: d.attempts })}</span>
        ${d.lastError ? html`<span class="delivery-error">${d.lastError}</span>` : ''}`;
    } else if (d.status === 'pending' && d.lastError) {
      // Waiting without spending attempts (no webhook URL yet, a refused login, the inbox disabled): the agent
      // may have to act, so the reason shows.
      state = html`${icon('clock')}<span>${t('delivery.waiting')}</span>
        <span class="delivery-error" data-testid="delivery-error">${d.lastError}</span>`;
    } else if (d.status === 'pending') {
      state = html`${icon('clock')}<span>${t('delivery.sending')}</span>`;
    } else if (d.status === 'failed') {
      state = html`${icon('alert')}<span>${t('delivery.failed')}</span>
        <span class="delivery-error" data-testid="delivery-error">${d.lastError}</span>
        <button class="small" data-testid="retry" ?disabled=${this.retrying} @click=${this.retry}>
          ${icon('retry')}${t('delivery.retry')}</button>`;
    } else if (d.status === 'delivered') {
      state = html`${icon('checks')}<span>${t('delivery.delivered')}</span>`;
    } else {
      state = html`${icon('check')}<span>${t('delivery.sent')}</span>`;
    }
    return html`<div class="delivery delivery-${d.status}" data-testid="delivery" data-status=${d.status}
      title=${via}>${state}<span class="delivery-via">${via}</span></div>`;
  }

  /**
   * The email fallbacks of a chat reply: waiting for the visitor, sent, or not needed and why. A failed one has a
   * retry button once the reply itself no longer waits or failed (the server retries the reply first): the newest
   * failed copy, which is the one a retry puts back.
   */
  fallbacks() {
    const all = (this.message.deliveries ?? []).filter(d => d.conditional);
    const primary = this.message.delivery;
    const replyDone = !primary || (primary.status !== 'pending' && primary.status !== 'failed');
    const retriable = replyDone ? all.filter(d => d.status === 'failed').at(-1) : undefined;
    return all.map(d => {
      const params = { channel: channelName(d.channel), target: d.to ? targetText(d.to) : '' };
      let text;
      if (d.status === 'pending') {
        text = t('fallback.pending', { ...params, time: d.nextAttemptAt ? dateTime(d.nextAttemptAt) : '' });
      } else if (d.status === 'skipped') {
        // The server's reasons, in the agent's language where one is known.
        const reason = d.lastError ?? '';
        text = reason.startsWith('seen on ') ? t('fallback.seen', params)
          : reason.startsWith('included in a later') ? t('fallback.replaced', params)
            : t('fallback.skipped', { ...params, reason });
      } else if (d.status === 'failed') {
        text = t('fallback.failed', { ...params, reason: d.lastError ?? '' });
      } else {
        text = t('fallback.sent', params);
      }
      return html`<div class="delivery delivery-fallback delivery-${d.status}" data-testid="fallback"
        data-status=${d.status}>${icon(d.status === 'failed' ? 'alert' : d.status === 'pending' ? 'clock' : 'check')}
        <span>${text}</span>${d === retriable ? html`<button class="small" data-testid="retry-fallback"
          ?disabled=${this.retrying} @click=${this.retry}>${icon('retry')}${t('delivery.retry')}</button>` : ''}</div>`;
    });
  }

  async redact() {
    if (!await confirmDialog(t('message.redactConfirm'), t('message.redactAction'), { danger: true })) return;
    this.redacting = true;
    try {
      await store.redact(this.message.id);
    } catch (e) {
      store.actionFailed(e);
    } finally {
      this.redacting = false;
    }
  }

  async retry() {
    this.retrying = true;
    try {
      await store.retry(this.message.id);
    } catch (e) {
      store.notify(describe(e) ? { key: 'delivery.retryFailed', params: { reason: describe(e) } } : e, 'error');
    } finally {
      this.retrying = false;
    }
  }
}

/** Text with its web links clickable; everything else stays text (Lit escapes it). */
export function linkify(text) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(URL)) {
    parts.push(text.slice(last, match.index));
    parts.push(html`<a href=${match[0]} target="_blank" rel="noopener noreferrer nofollow">${match[0]}</a>`);
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}

define('tl-message', TlMessage);
