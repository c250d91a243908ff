// Translations: en, uk, ru and pl. t(key, params) looks the key up in the current language, falls back to
// English, fills {placeholders}, and picks the plural form from Intl.PluralRules when the entry has forms and
// params.count is given.
import en from './i18n/en.js';
import uk from './i18n/uk.js';
import ru from './i18n/ru.js';
import pl from './i18n/pl.js';

const DICTIONARIES = { en, uk, ru, pl };
const STORAGE_KEY = 'tl.language';

export const LANGUAGES = [
  { code: 'en', name: 'English' },
  { code: 'uk', name: 'Українська' },
  { code: 'ru', name: 'Русский' },
  { code: 'pl', name: 'Polski' },
];

let current = initial();
const listeners = new Set();

function initial() {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved && DICTIONARIES[saved]) return saved;
  for (const tag of navigator.languages || [navigator.language || 'en']) {
    const code = tag.toLowerCase().split('-')[0];
    if (DICTIONARIES[code]) return code;
  }
  return 'en';
}

export function language() {
  return current;
}

export function setLanguage(code) {
  if (!DICTIONARIES[code] || code === current) return;
  current = code;
  localStorage.setItem(STORAGE_KEY, code);
  document.documentElement.lang = code;
  listeners.forEach((listener) => listener(code));
}

export function onLanguageChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function t(key, params = {}) {
  let entry = DICTIONARIES[current][key] ?? en[key];
  if (entry === undefined) return key;
  if (typeof entry === 'object') {
    const form = new Intl.PluralRules(current).select(params.count ?? 0);
    entry = entry[form] ?? entry.other;
  }
  return entry.replace(/\{(\w+)\}/g, (match, name) => (params[name] ?? match).toString());
}

/** Whether a key exists (for labels of server values such as flags, which may be new). */
export function has(key) {
  return key in en;
}

document.documentElement.lang = current;
