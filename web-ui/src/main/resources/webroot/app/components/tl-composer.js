import { html, nothing } from 'lit';
import { live } from 'lit/directives/live.js';
import { TlElement, define } from '../base.js';
import { store } from '../store.js';
import * as api from '../api.js';
import { t } from '../i18n.js';
import { icon } from '../icons.js';
import { bytes } from '../format.js';
import { channelName, targetText } from '../channels.js';
import { describe } from '../errors.js';
import { loadDraft, saveDraft, clearDraft, emptyDraft, nextRequest, afterConfirmed, carryOver } from '../drafts.js';
import { cannedResponses, matchCanned, fillCanned } from '../canned.js';

const CANNED_TRIGGER = /(^|\s)\/([\p{L}\p{M}\p{N}_.-]*)$/u;

/**
 * Reply or note. The reply channel defaults to the routing rule's choice and shows where the reply goes; "/"
 * opens canned responses; files attach by button, paste or drop. The draft survives reloads and switching, and
 * a reply whose answer was lost stays pending with its Idempotency-Key: the next send repeats exactly that
 * request, so it is stored once, and what was typed since stays for the next reply; "Don't send" withdraws it.
 */
class TlComposer extends TlElement {
  static properties = { conversationId: { attribute: false }, row: { attribute: false },
    options: { attribute: false }, optionsError: { attribute: false }, draft: { state: true }, uploads: { state: true },
    sendingIn: { state: true }, error: { state: true }, picker: { state: true }, withdrawingIn: { state: true } };

  constructor() {
    super();
    this.draft = emptyDraft();
    this.uploads = [];
    // The conversations with a send (or a withdrawal) in flight: one composer serves every conversation, and a
    // send still going out in one must not hold the composer of the next the agent opens.
    this.sendingIn = new Set();
    this.withdrawingIn = new Set();
    this.error = null;
    this.picker = null;
    this.saveTimer = null;
    this.pendingSave = null; // {agentId, conversationId} the draft's next save is for
    this.leftAt = -Infinity; // when the focus last left the composer
  }

  willUpdate(changed) {
    if (changed.has('conversationId')) {
      const agentId = store.state.me.agentId;
      // The last keystrokes before switching are saved now, where they were typed, not dropped with the timer.
      this.flushSave();
      this.draft = loadDraft(agentId, this.conversationId);
    }
    if (changed.has('conversationId') || changed.has('row')) {
      // Merged away under the agent's hands (or while they were elsewhere): the drafts come along to the
      // conversation that took them in. The row changes when a merge brings it messages, so one open here too
      // takes in the draft of the conversation merged into it.
      this.absorbMergedDrafts();
    }
    if (changed.has('conversationId')) {
      // The files still uploading go on: each lands in its own conversation's draft (uploadOne), and shows (and
      // holds Send) in that conversation only.
      this.error = null;
      this.picker = null;
    }
    if (changed.has('picker')) this.cannedSaid = cannedSaid(this.picker, this.cannedSaid);
  }

  /** Joins to this conversation's draft the stored drafts of conversations merged into it, which then go. */
  absorbMergedDrafts() {
    const agentId = store.state.me.agentId;
    let absorbed = false;
    for (const id of store.mergedInto(this.conversationId)) {
      const source = loadDraft(agentId, id);
      const joined = carryOver(source, this.draft);
      if (joined !== this.draft) {
        this.draft = joined;
        absorbed = true;
      }
      clearDraft(agentId, id);
    }
    if (absorbed) saveDraft(agentId, this.conversationId, this.draft);
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    // Removed with keystrokes not yet saved (the thread view went): saved now, where the next composer finds them,
    // under the agent who typed them (a sign-out has cleared the store by now).
    this.flushSave();
  }

  /** Saves now what the pending save would have saved, for the agent and conversation it was scheduled for. */
  flushSave() {
    const pending = this.cancelSave();
    if (pending) saveDraft(pending.agentId, pending.conversationId, this.draft);
  }

  /** Drops the pending save, returning what it was for. */
  cancelSave() {
    const pending = this.pendingSave;
    clearTimeout(this.saveTimer);
    this.saveTimer = null;
    this.pendingSave = null;
    return pending;
  }

  get sending() {
    return this.sendingIn.has(this.conversationId);
  }

  get withdrawing() {
    return this.withdrawingIn.has(this.conversationId);
  }

  /** A copy of {@code set} with {@code id} in it or not (a new Set, so the change renders). */
  static toggled(set, id, on) {
    const next = new Set(set);
    if (on) next.add(id); else next.delete(id);
    return next;
  }

  get textarea() {
    return this.querySelector('textarea');
  }

  /** r and n: focus the composer as a reply or as a note. */
  focusComposer(mode) {
    this.change({ note: mode === 'note' });
    requestAnimationFrame(() => this.textarea?.focus());
  }

  render() {
    const draft = this.draft;
    const target = this.target();
    const uploads = this.uploadsHere();
    const uploading = uploads.length > 0;
    const empty = !draft.body.trim() && !draft.attachments.length && !draft.pending;
    const blocked = !draft.pending && !draft.note && target.unreachable;
    const notice = this.error ?? (draft.pending && !this.sending ? t('composer.unconfirmed') : null);
    return html`
      <section class="composer ${draft.note ? 'note-mode' : ''}" aria-label=${t('composer.label')}
        data-testid="composer" @dragover=${this.dragOver} @drop=${this.drop} @focusout=${this.focusLeft}>
        <div class="composer-modes" role="group" aria-label=${t('composer.mode')}>
          <button aria-pressed=${draft.note ? 'false' : 'true'} data-testid="mode-reply"
            @click=${() => this.focusComposer('reply')}>${icon('send')}${t('composer.reply')}</button>
          <button aria-pressed=${draft.note ? 'true' : 'false'} data-testid="mode-note"
            @click=${() => this.focusComposer('note')}>${icon('note')}${t('composer.note')}</button>
        </div>
        ${draft.note ? html`<p class="composer-target note-hint">${t('composer.noteHint')}</p>` : target.view}
        <div class="composer-input">
          <label class="visually-hidden" for="composer-text">${draft.note ? t('composer.note') : t('composer.reply')}</label>
          <textarea id="composer-text" data-testid="composer-input" rows="3" .value=${live(draft.body)}
            placeholder=${draft.note ? t('composer.notePlaceholder') : t('composer.placeholder')}
            aria-describedby="composer-hint" aria-autocomplete="list"
            aria-controls=${this.picker ? 'canned-picker' : nothing}
            aria-activedescendant=${this.picker?.items.length ? `canned-${this.picker.items[this.picker.index].id}`
              : nothing}
            @input=${this.input} @keydown=${this.keydown} @paste=${this.paste}
            @blur=${this.blurred}></textarea>
          ${this.cannedStatus()}
          ${this.picker ? html`<tl-canned-picker id="canned-picker" .items=${this.picker.items}
            .index=${this.picker.index} .loading=${this.picker.loading}
            @pick=${(e) => this.insertCanned(e.detail)}></tl-canned-picker>` : ''}
        </div>
        ${draft.attachments.length || uploading ? html`<ul class="composer-files" data-testid="composer-files">
          ${draft.attachments.map((a) => html`<li class="file-chip">${icon('file')}<span>${a.filename}</span>
            <small>${bytes(a.size)}</small><button class="chip-remove" @click=${() => this.removeFile(a.id)}
              aria-label=${t('composer.removeFile', { name: a.filename })}>${icon('close')}</button></li>`)}
          ${uploads.map((u) => html`<li class="file-chip uploading">${icon('file')}<span>${u.name}</span>
            <progress max="1" .value=${u.progress} aria-label=${t('composer.uploading', { name: u.name })}></progress>
            </li>`)}</ul>` : ''}
        ${notice ? html`<div class="composer-notice"><p class="form-error" role="alert" data-testid="composer-error">
          ${notice}</p>${draft.pending && !this.sending ? html`<button class="link" data-testid="composer-discard"
            ?disabled=${this.withdrawing} @click=${() => this.discard()}>${t('composer.discard')}</button>` : ''}
          </div>` : ''}
        <div class="composer-bar">
          <label class="icon-button attach" title=${t('composer.attach')} data-testid="attach-button">
            ${icon('attach')}<span class="visually-hidden">${t('composer.attach')}</span>
            <input type="file" multiple class="visually-hidden" data-testid="attach-input"
              @change=${(e) => { this.uploadAll([...e.target.files]); e.target.value = ''; }}></label>
          <span class="hint" id="composer-hint">${t('composer.hint')}</span>
          <button class="primary send" data-testid="send-button" @click=${() => this.send()}
            ?disabled=${this.sending || this.withdrawing || uploading || empty || blocked}>
            ${icon(draft.note ? 'note' : 'send')}${this.sending ? t('composer.sending')
              : draft.note ? t('composer.addNote') : t('composer.send')}</button>
        </div>
      </section>`;
  }

  /** The "via" choice and where the reply will go. */
  target() {
    const options = this.options;
    if (!options && this.optionsError) {
      // Where the reply would go could not be read: said, with a way to ask again (sending waits for it).
      return { view: html`<p class="composer-target form-error" role="alert" data-testid="reply-options-error">
        ${this.optionsError} <button class="link" data-testid="reply-options-retry"
          @click=${() => store.loadReplyOptions(this.conversationId)}>${t('app.retry')}</button></p>`,
      unreachable: true };
    }
    if (!options) return { view: html`<p class="composer-target muted">${t('app.loading')}</p>`, unreachable: false };
    const available = options.options.filter((o) => o.available);
    const chosen = this.draft.channel ? available.find((o) => o.channel === this.draft.channel) : options.default;
    const unreachable = !chosen;
    const view = html`<div class="composer-target" data-testid="reply-target-box">
      <label for="reply-channel">${t('composer.via')}</label>
      <select id="reply-channel" data-testid="reply-channel" @change=${(e) => this.change({ channel: e.target.value || null })}>
        <option value="" ?selected=${!this.draft.channel}>${options.default
          ? t('composer.automatic', { channel: channelName(options.default.channel) }) : t('composer.pick')}</option>
        ${options.options.map((o) => html`<option value=${o.channel} ?disabled=${!o.available}
          ?selected=${this.draft.channel === o.channel}>${channelName(o.channel)}${o.available ? ''
            : ` — ${o.reason}`}</option>`)}
      </select>
      ${chosen ? html`<span class="reply-to" data-testid="reply-target">${t('composer.to')}
        <strong>${targetText(chosen.to)}</strong>${chosen.inboxName ? html` · ${chosen.inboxName}` : ''}</span>
        ${chosen.inboxEnabled === false ? html`<span class="muted" data-testid="reply-waits">${t('composer.inboxDisabled',
          { name: chosen.inboxName })}</span>` : ''}`
        : html`<span class="form-error" data-testid="reply-unreachable">${options.defaultProblem
          ?? t('composer.unreachable')}</span>`}
    </div>`;
    return { view, unreachable };
  }

  /** Notes when the focus leaves the composer altogether (not from its field to its Send button). */
  focusLeft(event) {
    if (!this.contains(event.relatedTarget)) this.leftAt = performance.now();
  }

  blurred() {
    store.agentTyping(this.conversationId, false);
    setTimeout(() => { this.picker = null; }, 150);
  }

  change(patch) {
    this.draft = { ...this.draft, ...patch };
    this.error = null;
    clearTimeout(this.saveTimer);
    this.pendingSave = { agentId: store.state.me.agentId, conversationId: this.conversationId };
    this.saveTimer = setTimeout(() => this.flushSave(), 250);
  }

  input(event) {
    this.change({ body: event.target.value });
    this.updatePicker();
    if (!this.draft.note) store.agentTyping(this.conversationId, event.target.value.trim() !== '');
  }

  async updatePicker() {
    const textarea = this.textarea;
    const match = textarea.value.slice(0, textarea.selectionStart).match(CANNED_TRIGGER);
    if (!match) {
      this.picker = null;
      return;
    }
    const query = match[2];
    this.picker = { query, items: this.picker?.items ?? [], index: 0, loading: true };
    try {
      const all = await cannedResponses();
      if (!this.picker || this.picker.query !== query) return;
      const items = matchCanned(all, query).slice(0, 8);
      const chosen = this.picker.choose;
      this.picker = { query, items, index: 0, loading: false };
      // Enter pressed before the list for what was typed arrived: a response whose short code starts with it is
      // taken; with none, what was typed ("see /docs", "under /account") was a message, sent as Enter sends one.
      // Matches by title or text only are never taken unseen.
      const byCode = items.find((r) => r.shortCode.startsWith(query.toLowerCase()));
      if (chosen && byCode) this.insertCanned(byCode);
      else if (chosen) this.send();
    } catch (e) {
      this.picker = null;
      store.fail(e);
    }
  }

  /**
   * The reply box is a text box, not a combobox, so nothing says that the "/" list opened: its count and keys, or
   * that nothing matches, are said in a status region that is always there (one born with its text is not read).
   * The option under the arrows follows as the box's active descendant.
   */
  cannedStatus() {
    return html`<span class="visually-hidden" role="status" data-testid="canned-status">${this.cannedSaid}</span>`;
  }

  keydown(event) {
    if (this.picker?.loading && (event.key === 'Enter' || event.key === 'Tab') && !event.shiftKey) {
      // The items shown are still those of what was typed before: wait for this query's, then pick.
      event.preventDefault();
      this.picker = { ...this.picker, choose: true };
      return;
    }
    if (this.picker?.items.length) {
      const count = this.picker.items.length;
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        const step = event.key === 'ArrowDown' ? 1 : count - 1;
        this.picker = { ...this.picker, index: (this.picker.index + step) % count };
        return;
      }
      if (event.key === 'Enter' || event.key === 'Tab') {
        event.preventDefault();
        this.insertCanned(this.picker.items[this.picker.index]);
        return;
      }
    }
    if (event.key === 'Escape' && this.picker) {
      event.preventDefault();
      this.picker = null;
      return;
    }
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.send();
    }
  }

  insertCanned(response) {
    const textarea = this.textarea;
    const caret = textarea.selectionStart;
    const before = textarea.value.slice(0, caret).replace(/\/[\p{L}\p{M}\p{N}_.-]*$/u, '');
    const text = fillCanned(response.body, { contact: this.row.contact, agent: store.state.me });
    const body = before + text + textarea.value.slice(caret);
    this.picker = null;
    this.change({ body });
    requestAnimationFrame(() => {
      textarea.value = body;
      textarea.focus();
      textarea.selectionStart = textarea.selectionEnd = (before + text).length;
    });
  }

  paste(event) {
    const files = [...(event.clipboardData?.files || [])];
    if (files.length) {
      event.preventDefault();
      this.uploadAll(files);
    }
  }

  dragOver(event) {
    if (event.dataTransfer?.types?.includes('Files')) event.preventDefault();
  }

  drop(event) {
    const files = [...(event.dataTransfer?.files || [])];
    if (!files.length) return;
    event.preventDefault();
    this.uploadAll(files);
  }

  uploadAll(files) {
    const limit = store.state.serverInfo?.maxUploadBytes;
    for (const file of files) {
      if (limit && file.size > limit) {
        store.notify({ key: 'composer.tooLarge', params: { name: file.name, limit: bytes(limit) } }, 'error');
        continue;
      }
      this.uploadOne(file);
    }
  }

  async uploadOne(file) {
    const conversationId = this.conversationId;
    const agentId = store.state.me.agentId;
    const entry = { id: Math.random().toString(36).slice(2), name: file.name, progress: 0, conversationId };
    this.uploads = [...this.uploads, entry];
    try {
      const attachment = await api.upload(file, (progress) => {
        entry.progress = progress;
        this.requestUpdate();
      });
      // A conversation merged meanwhile takes its files to the one it went into.
      const into = store.mergedIntoOf(conversationId) ?? conversationId;
      if (this.isConnected && this.conversationId === into) {
        this.change({ attachments: [...this.draft.attachments, attachment] });
      } else {
        // The agent moved on meanwhile: the file joins that conversation's stored draft, there when they come
        // back (it was dropped without a word, and the reply saying "attached" went without it).
        const stored = loadDraft(agentId, into);
        saveDraft(agentId, into, { ...stored, attachments: [...stored.attachments, attachment] });
      }
    } catch (e) {
      if (e.name !== 'AbortError') { // a sign-out ends the session's uploads
        store.notify({ key: 'composer.uploadFailed', params: { name: file.name, reason: describe(e) } }, 'error');
      }
    } finally {
      this.uploads = this.uploads.filter((u) => u !== entry);
    }
  }

  /** The uploads under way for the open conversation (others go on for theirs). */
  uploadsHere() {
    return this.uploads.filter((u) => u.conversationId === this.conversationId);
  }

  removeFile(id) {
    this.change({ attachments: this.draft.attachments.filter((a) => a.id !== id) });
  }

  async send() {
    const draft = this.draft;
    if (this.sending || this.withdrawing || this.uploadsHere().length) return;
    if (!draft.pending) {
      if (!draft.body.trim() && !draft.attachments.length) return;
      if (!draft.note && this.target().unreachable) return;
    }
    const agentId = store.state.me.agentId;
    const conversationId = this.conversationId;
    // The request is kept with the draft until the server confirms it: a lost answer, a reload or a crash
    // meanwhile leaves it pending, and the next send repeats it with its key instead of writing it again.
    const request = nextRequest(draft, conversationId);
    this.draft = { ...draft, pending: request };
    this.pendingSave = { agentId, conversationId };
    this.flushSave();
    this.sendingIn = TlComposer.toggled(this.sendingIn, conversationId, true);
    this.error = null;
    store.agentTyping(conversationId, false);
    // Here: this composer still on screen for that conversation (Back, Settings or a merge may have removed it).
    const here = () => this.isConnected && this.conversationId === conversationId;
    // The draft as it is now, in this composer or (when the agent moved on) in storage.
    const current = () => (here() ? this.draft : loadDraft(agentId, conversationId));
    const sentAt = performance.now();
    try {
      await store.send(request.conversationId ?? conversationId, request);
      // What was typed while it went out, and files attached meanwhile, stay as the next draft.
      this.adopt(agentId, conversationId, afterConfirmed(current(), request), sentAt);
    } catch (e) {
      const reason = e.status === 0 ? t('composer.notSentNetwork') : describe(e);
      // A lost answer (the network, a server error mid-way, or a sign-out cutting the request) may hide a stored
      // reply: it stays pending. A refusal stored nothing: the text stays to be fixed, and the next send is a new
      // request.
      const aborted = e.name === 'AbortError';
      const lost = aborted || e.status === 0 || e.status >= 500;
      const next = { ...current(), pending: lost ? request : null };
      saveDraft(agentId, conversationId, next);
      // A sign-out ended it: the reply waits in its draft, pending, for the next sign-in; nothing to say now.
      if (aborted) return;
      if (here()) {
        this.draft = next;
        this.error = reason;
      } else {
        // The agent has moved on: say so, or they would believe it went out. It waits in its conversation.
        store.notify({ key: 'composer.notSentElsewhere', params: { reason } }, 'error');
      }
    } finally {
      this.sendingIn = TlComposer.toggled(this.sendingIn, conversationId, false);
    }
  }

  /** Makes {@code next} the conversation's draft: saved, and in the composer when the agent is still there. */
  adopt(agentId, conversationId, next, sentAt = -Infinity) {
    saveDraft(agentId, conversationId, next);
    if (!this.isConnected || this.conversationId !== conversationId) return;
    this.cancelSave();
    this.draft = next;
    // Back to the composer only from where the send left it: an agent who went on (Esc, which leaves the focus on
    // the page, then a shortcut; or another field) keeps their focus, and their next key does not land in the reply.
    const active = document.activeElement;
    const stayed = !(this.leftAt > sentAt);
    if (this.contains(active) || ((!active || active === document.body) && stayed)) this.textarea?.focus();
  }

  /**
   * "Don't send" for a reply whose answer was lost: the server withdraws its request by the Idempotency-Key, so it
   * is never stored should it still arrive, or answers that it was stored already (then it is in the thread, and
   * the composer goes on as after a confirmed send). The text stays to edit, and a later send is a new request.
   */
  async discard() {
    const request = this.draft.pending;
    if (!request || this.sending || this.withdrawing) return;
    const agentId = store.state.me.agentId;
    const conversationId = this.conversationId;
    const here = () => this.isConnected && this.conversationId === conversationId;
    const current = () => (here() ? this.draft : loadDraft(agentId, conversationId));
    this.withdrawingIn = TlComposer.toggled(this.withdrawingIn, conversationId, true);
    this.error = null;
    try {
      const key = encodeURIComponent(request.idempotencyKey);
      const answer = await api.post(`/api/v1/idempotency-keys/${key}/withdraw`);
      let next;
      if (answer.withdrawn) {
        next = { ...current(), pending: null };
        store.notify({ key: 'composer.withdrawn' });
      } else {
        store.putMessage(answer.message);
        next = afterConfirmed(current(), request);
        store.notify({ key: 'composer.alreadySent' });
      }
      this.adopt(agentId, conversationId, next);
    } catch (e) {
      const reason = e.status === 0 ? t('composer.notSentNetwork') : describe(e);
      // Nothing changed: the reply stays unconfirmed, to send again or withdraw later.
      if (here()) this.error = reason;
      else store.notify({ key: 'composer.withdrawFailed', params: { reason } }, 'error');
    } finally {
      this.withdrawingIn = TlComposer.toggled(this.withdrawingIn, conversationId, false);
    }
  }
}

define('tl-composer', TlComposer);

/** What the "/" list's status region says: nothing while it is closed, what was said while it loads. */
function cannedSaid(picker, before) {
  if (!picker) return '';
  if (picker.loading) return before || '';
  return picker.items.length ? t('canned.count', { count: picker.items.length }) : t('canned.none');
}
