// Dates, durations and sizes in the UI's language, through Intl.
import { language } from './i18n.js';

const MINUTE = 60_000;
const formatters = new Map();

/**
 * One Intl formatter per kind, language and options: building one costs far more than using it, and list rows
 * format several dates each on every render.
 */
function formatter(Kind, options) {
  const key = `${Kind.name}|${language()}|${JSON.stringify(options)}`;
  let found = formatters.get(key);
  if (!found) {
    found = new Kind(language(), options);
    formatters.set(key, found);
  }
  return found;
}

const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A compact age, such as "5 min" or "3 d", for list rows and waiting times. */
export function age(iso, now = Date.now()) {
  if (!iso) return '';
  const ms = Math.max(0, now - Date.parse(iso));
  const [value, unit] = ms < HOUR ? [Math.max(1, Math.floor(ms / MINUTE)), 'minute']
    : ms < DAY ? [Math.floor(ms / HOUR), 'hour']
      : ms < 60 * DAY ? [Math.floor(ms / DAY), 'day']
        : [Math.floor(ms / (7 * DAY)), 'week'];
  return formatter(Intl.NumberFormat, { style: 'unit', unit, unitDisplay: 'narrow' }).format(value);
}

/** "5 minutes ago", "in 2 hours". */
export function relative(iso, now = Date.now()) {
  if (!iso) return '';
  const diff = Date.parse(iso) - now;
  const abs = Math.abs(diff);
  const rtf = formatter(Intl.RelativeTimeFormat, { numeric: 'auto' });
  if (abs < MINUTE) return rtf.format(0, 'second');
  if (abs < HOUR) return rtf.format(Math.round(diff / MINUTE), 'minute');
  if (abs < DAY) return rtf.format(Math.round(diff / HOUR), 'hour');
  return rtf.format(Math.round(diff / DAY), 'day');
}

export function time(iso) {
  return iso ? formatter(Intl.DateTimeFormat, { hour: '2-digit', minute: '2-digit' }).format(new Date(iso)) : '';
}

export function dateTime(iso) {
  return iso ? formatter(Intl.DateTimeFormat, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso))
    : '';
}

export function day(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  const today = new Date();
  // The calendar day before today: 24 hours back lands two days back in the first hour after a spring-forward.
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  const same = (a, b) => a.toDateString() === b.toDateString();
  if (same(date, today) || same(date, yesterday)) {
    const text = formatter(Intl.RelativeTimeFormat, { numeric: 'auto' }).format(same(date, today) ? 0 : -1, 'day');
    return text.charAt(0).toUpperCase() + text.slice(1);
  }
  return formatter(Intl.DateTimeFormat, { weekday: 'long', day: 'numeric', month: 'long',
    year: date.getFullYear() === today.getFullYear() ? undefined : 'numeric' }).format(date);
}

export function bytes(size) {
  if (size == null) return '';
  const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte'];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return formatter(Intl.NumberFormat, { style: 'unit', unit: units[unit], unitDisplay: 'short',
    maximumFractionDigits: unit === 0 ? 0 : 1 }).format(value);
}

/** A value for <input type="datetime-local"> in the browser's time zone. */
export function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:`
    + `${pad(date.getMinutes())}`;
}
