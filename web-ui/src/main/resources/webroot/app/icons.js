// Inline SVG icons (no icon font, nothing remote). Each is decorative: the control that holds it has a label.
import { svg } from 'lit';

const PATHS = {
  widget: svg`<path d="M4 5h16v11H9l-5 4z"/>`,
  email: svg`<rect x="3" y="5" width="18" height="14" rx="2"/><path d="m3 7 9 6 9-6"/>`,
  telegram: svg`<path d="M21 4 3 11l6 2 2 6 3-4 5 4z"/><path d="m9 13 8-6"/>`,
  api: svg`<path d="m8 7-5 5 5 5M16 7l5 5-5 5M14 4l-4 16"/>`,
  channel: svg`<circle cx="12" cy="12" r="8"/>`,
  note: svg`<path d="M5 4h10l4 4v12H5z"/><path d="M15 4v4h4M8 12h8M8 16h5"/>`,
  attach: svg`<path d="m20 11-8 8a5 5 0 0 1-7-7l9-9a3.5 3.5 0 0 1 5 5l-9 9a2 2 0 0 1-3-3l8-8"/>`,
  send: svg`<path d="M4 12 20 4l-6 16-3-7z"/><path d="m11 13 9-9"/>`,
  search: svg`<circle cx="11" cy="11" r="6"/><path d="m20 20-4.5-4.5"/>`,
  settings: svg`<circle cx="12" cy="12" r="3"/><path d="M12 2v3M12 19v3M2 12h3M19 12h3M4.9 4.9 7 7M17 17l2.1 2.1M4.9 19.1 7 17M17 7l2.1-2.1"/>`,
  logout: svg`<path d="M10 4H5v16h5M15 8l4 4-4 4M19 12H9"/>`,
  check: svg`<path d="m5 12 5 5L20 7"/>`,
  checks: svg`<path d="m2 12 5 5L17 7M12 17l10-10"/>`,
  clock: svg`<circle cx="12" cy="12" r="8"/><path d="M12 8v4l3 2"/>`,
  alert: svg`<circle cx="12" cy="12" r="9"/><path d="M12 7v6M12 16.5v.5"/>`,
  retry: svg`<path d="M4 12a8 8 0 1 0 2.3-5.7L4 8.6M4 4v4.6h4.6"/>`,
  close: svg`<path d="M6 6l12 12M18 6 6 18"/>`,
  back: svg`<path d="M15 5l-7 7 7 7"/>`,
  keyboard: svg`<rect x="2" y="6" width="20" height="12" rx="2"/><path d="M6 10h1M10 10h1M14 10h1M18 10h0M7 14h10"/>`,
  globe: svg`<circle cx="12" cy="12" r="9"/><path d="M3 12h18M12 3a14 14 0 0 1 0 18M12 3a14 14 0 0 0 0 18"/>`,
  copy: svg`<rect x="8" y="8" width="12" height="12" rx="2"/><path d="M16 8V4H4v12h4"/>`,
  snooze: svg`<path d="M20 14A8 8 0 0 1 10 4a8 8 0 1 0 10 10z"/>`,
  resolve: svg`<circle cx="12" cy="12" r="9"/><path d="m8 12 3 3 5-6"/>`,
  reopen: svg`<path d="M4 12a8 8 0 1 0 2.3-5.7L4 8.6M4 4v4.6h4.6"/>`,
  flag: svg`<path d="M5 21V4h11l-2 4 2 4H5"/>`,
  tag: svg`<path d="M3 12V3h9l9 9-9 9z"/><circle cx="7.5" cy="7.5" r="1.5"/>`,
  info: svg`<circle cx="12" cy="12" r="9"/><path d="M12 11v6M12 7.5v.5"/>`,
  key: svg`<circle cx="8" cy="15" r="4"/><path d="m11 12 9-9M17 6l3 3M15 8l2 2"/>`,
  user: svg`<circle cx="12" cy="8" r="4"/><path d="M4 21a8 8 0 0 1 16 0"/>`,
  file: svg`<path d="M6 3h8l5 5v13H6z"/><path d="M14 3v5h5"/>`,
  merge: svg`<path d="M6 3v6a6 6 0 0 0 6 6h6M18 15l-3-3M18 15l-3 3M6 21v-6"/>`,
  down: svg`<path d="M12 5v14M6 13l6 6 6-6"/>`,
  plus: svg`<path d="M12 5v14M5 12h14"/>`,
  trash: svg`<path d="M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13"/>`,
  edit: svg`<path d="M4 20h4L19 9l-4-4L4 16z"/>`,
  menu: svg`<path d="M4 6h16M4 12h16M4 18h16"/>`,
  inbox: svg`<path d="M3 13h5l2 3h4l2-3h5M5 5h14l2 8v6H3v-6z"/>`,
};

export function icon(name, className = '') {
  return svg`<svg class="icon ${className}" viewBox="0 0 24 24" aria-hidden="true" focusable="false"
    fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${
  PATHS[name] || PATHS.channel}</svg>`;
}
