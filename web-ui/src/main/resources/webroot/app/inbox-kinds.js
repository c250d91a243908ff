// The settings form of each inbox kind, from the config shapes the channels document (ARCHITECTURE.md and the
// channel issues). A kind not listed here (a connector this UI does not know yet) is edited as JSON.

export const INBOX_FIELDS = {
  api: [
    { path: 'webhookUrl', type: 'url', label: 'inbox.webhookUrl', hint: 'inbox.webhookUrlHint' },
  ],
  widget: [
    { path: 'allowedOrigins', type: 'lines', label: 'inbox.allowedOrigins', hint: 'inbox.allowedOriginsHint',
      required: true, placeholder: 'https://shop.example.com' },
    // Left empty, the widget says its own in the visitor's language: the placeholder tells so in the admin's.
    { path: 'title', type: 'text', label: 'inbox.widgetTitle', placeholderKey: 'inbox.widgetTitlePlaceholder' },
    { path: 'greeting', type: 'textarea', label: 'inbox.greeting', placeholderKey: 'inbox.greetingPlaceholder' },
    { path: 'offlineMessage', type: 'textarea', label: 'inbox.offlineMessage', hint: 'inbox.offlineMessageHint' },
    { path: 'locale', type: 'select', label: 'inbox.locale', options: ['auto', 'en', 'uk', 'ru', 'pl'] },
    { path: 'colors.primary', type: 'color', label: 'inbox.colorPrimary' },
    { path: 'colors.onPrimary', type: 'color', label: 'inbox.colorOnPrimary' },
    { path: 'position', type: 'select', label: 'inbox.position', options: ['right', 'left'] },
    { path: 'attachments', type: 'checkbox', label: 'inbox.widgetAttachments' },
    { path: 'hmacRequired', type: 'checkbox', label: 'inbox.hmacRequired', hint: 'inbox.hmacRequiredHint' },
  ],
  email: [
    { group: 'inbox.mailbox' },
    { path: 'address', type: 'email', label: 'inbox.address', required: true, placeholder: 'support@example.com' },
    { path: 'displayName', type: 'text', label: 'inbox.displayName', placeholder: 'Example Support' },
    { path: 'replyDomain', type: 'text', label: 'inbox.replyDomain', hint: 'inbox.replyDomainHint' },
    { path: 'offlineEmailAfter', type: 'text', label: 'inbox.offlineEmailAfter', hint: 'inbox.offlineEmailAfterHint',
      placeholder: '2m' },
    { group: 'inbox.imap' },
    { path: 'imap.host', type: 'text', label: 'inbox.host', required: true, placeholder: 'imap.example.com' },
    { path: 'imap.port', type: 'number', label: 'inbox.port', placeholder: '993' },
    { path: 'imap.security', type: 'select', label: 'inbox.security', options: ['tls', 'starttls', 'none'] },
    { path: 'imap.username', type: 'text', label: 'inbox.username' },
    { path: 'imap.password', type: 'secret', label: 'inbox.password' },
    { path: 'imap.oauth2Token', type: 'secret', label: 'inbox.oauth2Token', hint: 'inbox.oauth2TokenHint' },
    { path: 'imap.folders', type: 'list', label: 'inbox.folders', placeholder: 'INBOX' },
    { path: 'imap.pollInterval', type: 'text', label: 'inbox.pollInterval', hint: 'inbox.pollIntervalHint',
      placeholder: '1m' },
    { path: 'imap.moveTo', type: 'text', label: 'inbox.moveTo', hint: 'inbox.moveToHint' },
    { group: 'inbox.smtp' },
    { path: 'smtp.host', type: 'text', label: 'inbox.host', required: true, placeholder: 'smtp.example.com' },
    { path: 'smtp.port', type: 'number', label: 'inbox.port', placeholder: '587' },
    { path: 'smtp.security', type: 'select', label: 'inbox.security', options: ['tls', 'starttls', 'none'] },
    { path: 'smtp.username', type: 'text', label: 'inbox.username' },
    { path: 'smtp.password', type: 'secret', label: 'inbox.password' },
    { path: 'smtp.oauth2Token', type: 'secret', label: 'inbox.oauth2Token', hint: 'inbox.oauth2TokenHint' },
    { group: 'inbox.oauth2' },
    { path: 'oauth2.tokenUrl', type: 'url', label: 'inbox.tokenUrl', hint: 'inbox.tokenUrlHint',
      placeholder: 'https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token' },
    { path: 'oauth2.clientId', type: 'text', label: 'inbox.clientId' },
    { path: 'oauth2.clientSecret', type: 'secret', label: 'inbox.clientSecret' },
    { path: 'oauth2.refreshToken', type: 'secret', label: 'inbox.refreshToken', hint: 'inbox.refreshTokenHint' },
    { path: 'oauth2.scope', type: 'text', label: 'inbox.scope', placeholder: 'https://mail.google.com/' },
  ],
  telegram: [
    { path: 'botToken', type: 'secret', label: 'inbox.botToken', hint: 'inbox.botTokenHint', required: true },
    { path: 'mode', type: 'select', label: 'inbox.mode', options: ['long_polling', 'webhook'],
      hint: 'inbox.modeHint' },
    { path: 'greeting', type: 'textarea', label: 'inbox.greeting', hint: 'inbox.telegramGreetingHint' },
    { path: 'acceptGroups', type: 'checkbox', label: 'inbox.acceptGroups', hint: 'inbox.acceptGroupsHint' },
    { path: 'maxFileSize', type: 'text', label: 'inbox.maxFileSize', placeholder: '20MB' },
    { path: 'apiUrl', type: 'url', label: 'inbox.apiUrl', hint: 'inbox.apiUrlHint' },
  ],
};

/** Kinds whose connector can check the remote side (IMAP and SMTP logins, the bot token). */
export const TESTABLE = new Set(['email', 'telegram']);

export function getPath(object, path) {
  return path.split('.').reduce((value, key) => (value == null ? undefined : value[key]), object);
}

/**
 * A copy with the value set (or removed when empty); parent objects left empty are removed too. With {@code
 * remove}, a null is kept as null: a stored secret the admin cleared, which the server removes (left out, it would
 * be kept). A parent holding nothing but such nulls is removed whole, and the server drops its secrets with it.
 */
export function setPath(object, path, value, { remove = false } = {}) {
  const copy = structuredClone(object ?? {});
  const keys = path.split('.');
  let parent = copy;
  for (const key of keys.slice(0, -1)) {
    if (typeof parent[key] !== 'object' || parent[key] === null) parent[key] = {};
    parent = parent[key];
  }
  const leaf = keys[keys.length - 1];
  const empty = value === undefined || value === null || value === '' || (Array.isArray(value) && !value.length);
  if (remove && value === null) parent[leaf] = null;
  else if (empty) delete parent[leaf];
  else parent[leaf] = value;
  if (keys.length > 1 && !Object.values(parent).some((v) => v !== null)) {
    return setPath(copy, keys.slice(0, -1).join('.'), undefined);
  }
  return copy;
}

/** What a form field shows for a config value, and the value its text stands for. */
export function fieldText(field, value) {
  if (value == null) return '';
  if (field.type === 'lines') return Array.isArray(value) ? value.join('\n') : String(value);
  if (field.type === 'list') return Array.isArray(value) ? value.join(', ') : String(value);
  return String(value);
}

export function fieldValue(field, text) {
  const trimmed = text.trim();
  if (field.type === 'lines') return trimmed.split(/\n+/).map((s) => s.trim()).filter(Boolean);
  if (field.type === 'list') return trimmed.split(',').map((s) => s.trim()).filter(Boolean);
  if (field.type === 'number') return trimmed === '' ? undefined : Number(trimmed);
  if (field.type === 'checkbox') return text;
  return trimmed;
}
