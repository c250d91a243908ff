// The base of every component: Lit with light DOM (one stylesheet, plain selectors for tests and assistive
// technology), re-rendered when the store changes or the language switches.
import { LitElement } from 'lit';
import { store } from './store.js';
import { onLanguageChange } from './i18n.js';

export class TlElement extends LitElement {
  /** Components that show store data set this; pure ones get everything through properties. */
  static watchesStore = false;

  createRenderRoot() {
    return this;
  }

  connectedCallback() {
    super.connectedCallback();
    this.unwatchLanguage = onLanguageChange(() => this.requestUpdate());
    if (this.constructor.watchesStore) {
      this.onStoreChange = () => this.requestUpdate();
      store.addEventListener('change', this.onStoreChange);
    }
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    this.unwatchLanguage?.();
    if (this.onStoreChange) store.removeEventListener('change', this.onStoreChange);
  }

  /** Sends a bubbling event to a parent component. */
  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }
}

/** Defines a custom element once (modules may be imported from several places). */
export function define(name, constructor) {
  if (!customElements.get(name)) customElements.define(name, constructor);
}
