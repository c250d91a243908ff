import { html } from 'lit';
import { TlElement, define } from '../base.js';
import { store } from '../store.js';
import { t } from '../i18n.js';
import { icon } from '../icons.js';
import { navigate } from '../router.js';

/** The search field of the top bar ("/" focuses it); Enter searches every channel's history. */
class TlSearchBox extends TlElement {
  static watchesStore = true;

  focusInput() {
    const input = this.querySelector('input');
    input?.focus();
    input?.select();
  }

  render() {
    const search = store.state.search;
    return html`<form class="search-box" role="search" @submit=${this.submit}>
      <label for="search-input" class="visually-hidden">${t('search.label')}</label>
      ${icon('search')}
      <input id="search-input" type="search" data-testid="search-input" .value=${search.q}
        placeholder=${t('search.placeholder')} autocomplete="off" enterkeyhint="search"
        @input=${(e) => store.set({ search: { ...store.state.search, q: e.target.value } })}>
      <kbd class="search-key" aria-hidden="true">/</kbd>
    </form>`;
  }

  submit(event) {
    event.preventDefault();
    if (!store.state.search.q.trim()) {
      store.closeSearch();
      return;
    }
    // The results show in the inbox: a search run from settings showed nothing.
    if (store.state.route.view !== 'inbox') navigate({ view: 'inbox' });
    store.openSearch();
    store.runSearch();
  }
}

define('tl-search-box', TlSearchBox);
