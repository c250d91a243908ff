import { html } from 'lit';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import DOMPurify from 'dompurify';
import { TlElement, define } from '../base.js';
import { store } from '../store.js';
import { t } from '../i18n.js';
import { dateTime } from '../format.js';
import { channelBadge, channelName } from '../channels.js';
import { icon } from '../icons.js';
import { href } from '../router.js';

/**
 * Search results in place of the list: highlighted snippets, channel, contact and date, with filters. A hit opens
 * its thread scrolled to that message. The snippet is the server's HTML-escaped text with <mark> around the hits;
 * DOMPurify keeps exactly that and nothing else.
 */
class TlSearchResults extends TlElement {
  static watchesStore = true;

  render() {
    const { search, serverInfo, conversations } = store.state;
    return html`
      <div class="search-results" data-testid="search-results">
        <div class="search-head">
          <h2>${t('search.results')}</h2>
          <button class="icon-button" data-testid="search-close" @click=${() => store.closeSearch()}
            aria-label=${t('search.close')}>${icon('close')}</button>
        </div>
        <form class="search-filters" @change=${this.filter} @submit=${(e) => e.preventDefault()}>
          <label>${t('filter.channel')}<select name="channel">
            <option value="">${t('filter.allChannels')}</option>
            ${(serverInfo?.channels ?? []).map((c) => html`<option value=${c} ?selected=${search.channel === c}>
              ${channelName(c)}</option>`)}</select></label>
          <label>${t('filter.status')}<select name="status">
            <option value="">${t('search.anyStatus')}</option>
            ${['open', 'pending', 'snoozed', 'resolved'].map((s) => html`<option value=${s}
              ?selected=${search.status === s}>${t(`status.${s}`)}</option>`)}</select></label>
          <label>${t('search.from')}<input type="date" name="from" .value=${search.from}></label>
          <label>${t('search.to')}<input type="date" name="to" .value=${search.to}></label>
          <label>${t('search.sort')}<select name="sort">
            <option value="" ?selected=${!search.sort}>${t('search.relevance')}</option>
            <option value="date" ?selected=${search.sort === 'date'}>${t('search.newest')}</option></select></label>
        </form>
        ${search.total != null && !search.loading ? html`<p class="search-total muted" data-testid="search-total">
          ${totalText(search)}</p>`
          : ''}
        <div class="visually-hidden" role="status" data-testid="search-status">${this.status(search)}</div>
        ${this.body(search, conversations)}
      </div>`;
  }

  /**
   * What a search found, said once in a region that outlives each search (a region drawn with its text is not
   * read out), rather than the list read out hit by hit, again at each "load more".
   */
  status(search) {
    // A new search: what the last one found is no longer so. A further page keeps it (said once).
    if (search.loading && !search.hits.length) return '';
    if (search.unavailable) return t('search.unavailable');
    if (search.error) return ''; // its alert says it
    if (search.searched && !search.hits.length) return noneText(search);
    return search.total != null ? totalText(search) : '';
  }

  body(search, conversations) {
    if (search.unavailable) {
      return html`<p class="list-message" data-testid="search-unavailable">${t('search.unavailable')}</p>`;
    }
    if (search.error) return html`<p class="form-error" role="alert" data-testid="search-error">${search.error}</p>`;
    if (search.loading && !search.hits.length) return html`<p class="list-message" role="status">${t('app.loading')}</p>`;
    if (search.searched && !search.hits.length) {
      return html`<p class="list-message" data-testid="search-empty">${noneText(search)}</p>`;
    }
    return html`<ul class="hits">${search.hits.map((hit) => {
      const row = conversations.get(hit.conversationId);
      const name = hit.contact?.name ?? hit.contactName ?? row?.contact?.name ?? t('contact.unnamed');
      const channel = hit.channel ?? null;
      const when = hit.createdAt ?? hit.date ?? null;
      const current = store.state.route.messageId === hit.messageId;
      return html`<li><a class="hit ${current ? 'selected' : ''}" data-testid="search-hit"
        data-message-id=${hit.messageId} aria-current=${current ? 'true' : 'false'}
        href=${href({ view: 'inbox', conversationId: hit.conversationId, messageId: hit.messageId })}>
        <span class="item-top"><span class="item-name">${name}</span>${channelBadge(channel)}
          ${when ? html`<time datetime=${when}>${dateTime(when)}</time>` : ''}</span>
        ${hit.subject ? html`<span class="hit-subject">${hit.subject}</span>` : ''}
        ${hit.redacted ? html`<span class="snippet redacted" data-testid="hit-redacted">${t('list.redacted')}</span>`
          : html`<span class="snippet">${unsafeHTML(DOMPurify.sanitize(hit.snippet ?? '', { ALLOWED_TAGS: ['mark'],
            ALLOWED_ATTR: [] }))}</span>`}</a></li>`;
    })}</ul>
    ${search.nextCursor ? html`<button class="load-more" ?disabled=${search.loading}
      @click=${() => store.runSearch(true)}>${t('list.more')}</button>` : ''}`;
  }

  filter(event) {
    const form = event.currentTarget;
    store.set({ search: { ...store.state.search, channel: form.channel.value, status: form.status.value,
      from: form.from.value, to: form.to.value, sort: form.sort.value } });
    store.runSearch();
  }
}

define('tl-search-results', TlSearchResults);

/** "20 results", "1,000+ results": what the page shows above the hits and the status region says. */
function totalText(search) {
  return t('search.total', { count: search.total.value, more: search.total.relation === 'gte' ? '+' : '' });
}

/** "Nothing found for …", for the query as it was asked. */
function noneText(search) {
  return t('search.none', { q: search.asked?.q ?? search.q });
}
