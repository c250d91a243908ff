import { h, icon, ICONS } from './dom.js';

// The thread: the visitor's messages on one side, the team's on the other with the agent's name, images inline.
export function messageList(store, t, actions) {
  const list = h('ol', { class: 'messages', role: 'log', 'aria-live': 'polite', 'aria-label': t('messages'),
    'data-testid': 'throughline-messages', tabindex: '0' });
  const rendered = new Map();
  let lastScroll = 0;
  let lastPrepend = 0;
  let lastHistory = 0;
  let settling = 0;
  // Scrolled to the top: the page before comes (the button above does the same by keyboard).
  list.addEventListener('scroll', () => {
    if (list.scrollTop < 40 && store.get().olderBefore) actions.loadOlder();
  }, { passive: true });
  store.subscribe((s) => {
    // An earlier page is history, not news: the log is busy while it goes in, so a screen reader does not read a
    // page of old messages out as new ones. Only then: a reply arriving while the page is asked for is news. It is
    // let go a frame after the insertion, once its additions were seen while busy.
    const prepending = s.prepended && s.prepended !== lastPrepend;
    // So is the whole history read in afresh (the chat's first load, or a sign-in starting it over): up to fifty
    // messages were read out one by one.
    const reloaded = s.historyLoaded && s.historyLoaded !== lastHistory;
    const busy = prepending || reloaded;
    if (busy) list.setAttribute('aria-busy', 'true');
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    const fromBottom = list.scrollHeight - list.scrollTop;
    const keep = new Set();
    let previousAuthor = null;
    s.messages.forEach((message, index) => {
      // Keyed by the visitor's own id for what they sent, which the server's copy keeps: the acknowledgement does
      // not put a new element into the log, which a screen reader would read out as a new message.
      const key = message.clientId ? 'client:' + message.clientId : 'id:' + message.id;
      keep.add(key);
      const author = customerSide(message) ? 'you' : (message.author && message.author.name) || '';
      const content = JSON.stringify([message.body, message.redactedAt, author !== previousAuthor,
        (message.attachments || []).map((a) => a.id || a.filename)]);
      const state = JSON.stringify([message.id, message.status, message.error, message.notice]);
      let entry = rendered.get(key);
      if (!entry || entry.content !== content) {
        const element = render(message, t, actions, author !== previousAuthor);
        if (entry) entry.element.replaceWith(element);
        entry = { element, content, state };
        rendered.set(key, entry);
      } else if (entry.state !== state) {
        // Only its state changed (sent, failed, a notice): updated in place, the text not read again.
        describeState(entry.element, message);
        entry.element.querySelectorAll(':scope > .note').forEach((note) => note.remove());
        if (!message.redactedAt) entry.element.append(...notes(message, t, actions));
        entry.state = state;
      }
      // Moved only when out of place: a log re-appended on every change (a typing signal, the connection) is
      // a stream of additions to screen readers.
      if (list.children[index] !== entry.element) list.insertBefore(entry.element, list.children[index] || null);
      previousAuthor = author;
    });
    for (const [key, entry] of rendered) {
      if (!keep.has(key)) {
        entry.element.remove();
        rendered.delete(key);
      }
    }
    if (prepending) {
      // Older messages went in above: what the visitor was reading stays where it was.
      list.scrollTop = list.scrollHeight - fromBottom;
    } else if (nearBottom || (s.scrollToEnd && s.scrollToEnd !== lastScroll)) {
      list.scrollTop = list.scrollHeight;
    }
    if (busy) {
      const mine = ++settling;
      requestAnimationFrame(() => {
        if (mine === settling) list.setAttribute('aria-busy', 'false');
      });
    }
    lastScroll = s.scrollToEnd;
    lastPrepend = s.prepended;
    lastHistory = s.historyLoaded;
  });
  return list;
}

/** Above the thread while it has older messages: shows the page before (scrolling to the top does too). */
export function earlierButton(store, t, actions) {
  const button = h('button', { type: 'button', class: 'earlier', 'data-testid': 'throughline-earlier', hidden: true,
    onclick: () => actions.loadOlder() }, t('earlier'));
  store.subscribe((s) => {
    button.hidden = !s.olderBefore;
    button.disabled = !!s.loadingOlder;
  });
  return button;
}

/**
 * The customer's side: what this visitor sent, and for a signed-in customer, what they wrote from another device or
 * channel too (the thread is theirs). The team's messages are on the other side.
 */
function customerSide(message) {
  return message.own || message.kind === 'in';
}

function render(message, t, actions, showAuthor) {
  const own = customerSide(message);
  const item = h('li', { 'data-testid': 'throughline-message', 'data-client-id': message.clientId || null,
    'data-kind': message.kind });
  describeState(item, message);
  const via = message.channel && message.channel !== 'widget' ? t('via')[message.channel] : null;
  const name = (message.author && message.author.name) || t('support');
  if (showAuthor && !own) {
    item.append(h('span', { class: 'author' }, name, via ? h('span', { class: 'via' }, ' · ' + via) : null));
  } else {
    // Who said it, for a screen reader, where the screen shows it by side alone (or by the run's first name).
    item.append(h('span', { class: 'sr-only', 'data-testid': 'throughline-said-by' }, (own ? t('you') : name) + ': '));
    if (showAuthor && via) item.append(h('span', { class: 'author' }, h('span', { class: 'via' }, via)));
  }
  const bubble = h('div', { class: 'bubble' });
  if (message.redactedAt) {
    bubble.append(h('p', { class: 'body removed', 'data-testid': 'throughline-message-removed' }, t('removed')));
    item.append(bubble);
    return item;
  }
  if (message.body) bubble.append(h('p', { class: 'body' }, message.body));
  for (const file of message.attachments || []) bubble.append(attachment(file, t, actions));
  item.append(bubble, ...notes(message, t, actions));
  return item;
}

/** The attributes that follow a message's state: its side, its status, its server id once it has one. */
function describeState(item, message) {
  item.className = 'message ' + (customerSide(message) ? 'own' : 'theirs')
    + (message.status ? ' ' + message.status : '');
  if (message.id) item.setAttribute('data-message-id', message.id);
  else item.removeAttribute('data-message-id');
  item.setAttribute('data-status', message.status || 'sent');
}

/** What is said under a message: a notice, "sending", or the failure with its retry. */
function notes(message, t, actions) {
  const out = [];
  if (message.notice) out.push(h('span', { class: 'note', 'data-testid': 'throughline-notice' }, message.notice));
  if (message.status === 'sending') out.push(h('span', { class: 'note' }, t('sending')));
  if (message.status === 'failed') {
    out.push(h('button', { type: 'button', class: 'note retry', onclick: () => actions.retry(message.clientId) },
      message.error || t('failed')));
  }
  return out;
}

function attachment(file, t, actions) {
  if (file.image && file.id) {
    const img = h('img', { class: 'image', alt: file.filename, loading: 'lazy' });
    actions.image(file.url).then((url) => { img.src = url; }).catch(() => { img.alt = file.filename + ' ✕'; });
    return h('div', { class: 'attachment' }, img);
  }
  return h('button', { type: 'button', class: 'file', 'aria-label': t('download', { name: file.filename }),
    onclick: () => file.url && actions.download(file.url, file.filename) }, icon(ICONS.file), h('span', {}, file.filename));
}
