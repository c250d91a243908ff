// Hash routes, so the server serves one document and a reload lands where the agent was:
//   #/                       the inbox
//   #/c/{id}                 a conversation
//   #/c/{id}/m/{messageId}   a conversation opened at one message (a search hit)
//   #/settings/{tab}[/{id}]  admin settings: agents, inboxes, canned

export function parse(hash = location.hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  if (parts[0] === 'settings') {
    const tab = ['agents', 'inboxes', 'canned'].includes(parts[1]) ? parts[1] : 'agents';
    return { view: 'settings', tab, id: positive(parts[2]) };
  }
  if (parts[0] === 'c' && positive(parts[1])) {
    return { view: 'inbox', conversationId: positive(parts[1]),
      messageId: parts[2] === 'm' ? positive(parts[3]) : null };
  }
  return { view: 'inbox', conversationId: null, messageId: null };
}

export function href(route) {
  if (route.view === 'settings') return `#/settings/${route.tab || 'agents'}${route.id ? `/${route.id}` : ''}`;
  if (route.conversationId) {
    return `#/c/${route.conversationId}${route.messageId ? `/m/${route.messageId}` : ''}`;
  }
  return '#/';
}

export function navigate(route, { replace = false } = {}) {
  const target = href(route);
  if (location.hash === target) return;
  if (replace) history.replaceState(null, '', target);
  else history.pushState(null, '', target);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

function positive(text) {
  const n = Number(text);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}
