/*! Throughline chat widget loader. No dependencies. The chat itself runs in an iframe from the Throughline
 * server, loaded when the visitor first opens it (or at once when a conversation is already going), so the page's
 * CSS and scripts cannot break it and it cannot touch the page.
 * API: Throughline('open'|'close'|'toggle'), Throughline('identify', {externalId, email, name, hmac}),
 *      Throughline('reset'), Throughline('on', 'open'|'close'|'message'|'unread'|'ready', callback). */
(function (w, d) {
  'use strict';
  if (w.__throughlineLoader) return;
  w.__throughlineLoader = true;
  var script = d.currentScript || d.querySelector('script[data-site-key]');
  var siteKey = script && script.getAttribute('data-site-key');
  if (!siteKey) { console.warn('Throughline: the widget script needs a data-site-key attribute'); return; }
  var base = new URL(script.src, location.href).origin;
  var activeKey = 'throughline:' + siteKey + ':active';
  var resetKey = 'throughline:' + siteKey + ':resetPending';
  var queued = (w.Throughline && w.Throughline.q) || [];
  var listeners = {};
  var pending = [];
  var identity = null;
  var resetAsked = false; // as resetPending, for a browser whose storage is blocked
  var config, host, launcher, badge, said, panel, frame, frameReady = false, opened = false;
  var words = {
    en: ['Open chat', 'Close chat', 'Chat', 'Unread', 'New messages in the chat'],
    uk: ['Відкрити чат', 'Закрити чат', 'Чат', 'Непрочитаних', 'Нові повідомлення в чаті'],
    ru: ['Открыть чат', 'Закрыть чат', 'Чат', 'Непрочитанных', 'Новые сообщения в чате'],
    pl: ['Otwórz czat', 'Zamknij czat', 'Czat', 'Nieprzeczytane', 'Nowe wiadomości na czacie']
  };
  // The first of the browser's languages the widget speaks, unless the widget's config names one (mount).
  var lang = ((navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en'])
    .map(function (tag) { return (tag + '').toLowerCase().split('-')[0]; })
    .filter(function (code) { return words[code]; })[0]) || 'en';
  var unread = 0;
  // Where the panel covers the whole page (as its CSS says): a modal dialog, the page behind it out of reach.
  var narrow = w.matchMedia ? w.matchMedia('(max-width:480px),(max-height:560px)') : null;
  var modal = false;

  function text(i) { return (words[lang] || words.en)[i]; }
  function flag(on) { try { on ? localStorage.setItem(activeKey, '1') : localStorage.removeItem(activeKey); } catch (e) { /* storage blocked */ } }
  function active() { try { return localStorage.getItem(activeKey) === '1'; } catch (e) { return false; } }
  // A reset stays pending on this page's origin until the frame says it ended the visitor: a page left before
  // that (a sign-out page the browser leaves at once) hands it to the next page, which loads the frame to do it.
  function resetPending(on) {
    try {
      if (on === undefined) return localStorage.getItem(resetKey) === '1';
      on ? localStorage.setItem(resetKey, '1') : localStorage.removeItem(resetKey);
    } catch (e) { return false; }
  }
  function emit(name, data) {
    (listeners[name] || []).forEach(function (f) { try { f(data); } catch (e) { console.error(e); } });
  }
  function post(message) {
    if (frame && frameReady) frame.contentWindow.postMessage(message, base); else pending.push(message);
  }

  function api(command, arg, callback) {
    if (command === 'open') open();
    else if (command === 'close') close();
    else if (command === 'toggle') opened ? close() : open();
    // Before the settings arrive, identify and reset wait in order with the rest: a reset dropped there would
    // leave the previous visitor's chat to whoever opens it next.
    else if ((command === 'identify' || command === 'reset') && !panel) {
      queued.push([command, arg]);
      // Kept at once, not only in the queue: a sign-out page is often left before the settings arrive.
      if (command === 'reset' && active()) resetPending(true);
    }
    else if (command === 'identify') { identity = arg || null; if (frame) post({ type: 'identify', identity: identity }); }
    else if (command === 'reset') { identity = null; if (frame || active() || resetPending()) reset(); flag(false); }
    else if (command === 'on' && typeof callback === 'function') (listeners[arg] = listeners[arg] || []).push(callback);
    else console.warn('Throughline: unknown command ' + command);
  }
  api.q = [];
  w.Throughline = api;

  function css(c) {
    var side = c.position === 'left' ? 'left' : 'right';
    return ':host{all:initial}' +
      '.launcher{position:fixed;bottom:20px;' + side + ':20px;width:58px;height:58px;border-radius:50%;border:0;' +
      'cursor:pointer;background:' + c.colors.primary + ';color:' + c.colors.onPrimary + ';display:flex;' +
      'align-items:center;justify-content:center;box-shadow:0 6px 24px rgba(0,0,0,.22);z-index:2147483000;' +
      'transition:transform .15s}.launcher:hover{transform:scale(1.06)}' +
      '.launcher:focus-visible{outline:3px solid ' + c.colors.primary + ';outline-offset:3px}' +
      '.launcher svg{width:28px;height:28px;fill:currentColor}' +
      '.badge{position:absolute;top:-2px;' + (side === 'left' ? 'left' : 'right') + ':-2px;min-width:20px;height:20px;' +
      'padding:0 5px;box-sizing:border-box;border-radius:10px;background:#dc2626;color:#fff;font:600 12px/20px ' +
      'system-ui,sans-serif;text-align:center}.badge[hidden]{display:none}' +
      '.said{position:fixed;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}' +
      '.panel{position:fixed;bottom:92px;' + side + ':20px;width:380px;height:min(640px,calc(100vh - 112px));' +
      'height:min(640px,calc(100dvh - 112px));' +
      'border-radius:16px;overflow:hidden;box-shadow:0 12px 48px rgba(0,0,0,.25);background:#fff;' +
      'z-index:2147483000;display:none}.panel.open{display:block}' +
      'iframe{border:0;width:100%;height:100%;display:block;color-scheme:light}' +
      '@media (max-width:480px),(max-height:560px){.panel{inset:0;width:100vw;height:100%;border-radius:0}' +
      '.panel.open~.launcher{display:none}}';
  }

  var ICON_CHAT = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 ' +
    '2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';
  var ICON_CLOSE = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 ' +
    '19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z"/></svg>';

  function mount(c) {
    config = c;
    if (c.locale && c.locale !== 'auto') lang = c.locale;
    // A custom element in a shadow root, its own box reset with !important: the page's CSS cannot reach in.
    host = d.createElement('throughline-widget');
    host.style.cssText = 'all:initial !important;display:block !important;position:static !important';
    var root = host.attachShadow({ mode: 'open' });
    var style = null;
    try {
      // A constructed sheet is not an inline style, so a page's strict CSP (style-src) does not block it.
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(css(c));
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      style = d.createElement('style');
      style.textContent = css(c);
    }
    panel = d.createElement('div');
    panel.className = 'panel';
    panel.id = 'throughline-panel';
    launcher = d.createElement('button');
    launcher.type = 'button';
    launcher.className = 'launcher';
    launcher.setAttribute('data-testid', 'throughline-launcher');
    launcher.setAttribute('aria-controls', 'throughline-panel');
    badge = d.createElement('span');
    badge.className = 'badge';
    badge.hidden = true;
    badge.setAttribute('data-testid', 'throughline-unread');
    launcher.onclick = function () { opened ? close() : open(); };
    // A reply while the chat is closed is said, not only drawn on the badge: the chat's own log is hidden then.
    said = d.createElement('span');
    said.className = 'said';
    said.setAttribute('role', 'status');
    said.setAttribute('data-testid', 'throughline-said');
    if (style) root.appendChild(style);
    root.appendChild(panel);
    root.appendChild(launcher);
    root.appendChild(said);
    drawLauncher();
    // addListener: Safari before 14 has no addEventListener on a media query.
    if (narrow) narrow.addEventListener ? narrow.addEventListener('change', drawPanel) : narrow.addListener(drawPanel);
    d.body.appendChild(host);
    if (active() || resetPending()) load();
    emit('ready', {});
  }

  function drawLauncher() {
    launcher.innerHTML = opened ? ICON_CLOSE : ICON_CHAT;
    launcher.appendChild(badge);
    // The badge is only seen: the label says how many replies wait too.
    launcher.setAttribute('aria-label', text(opened ? 1 : 0) + (unread ? '. ' + text(3) + ': ' + unread : ''));
    launcher.setAttribute('aria-expanded', String(opened));
  }

  /** The panel's role: a dialog while it covers the page; the frame keeps the keyboard inside then. */
  function drawPanel() {
    var now = opened && !!narrow && narrow.matches;
    if (now) {
      panel.setAttribute('role', 'dialog');
      panel.setAttribute('aria-modal', 'true');
      panel.setAttribute('aria-label', frame ? frame.title : text(2));
    } else {
      ['role', 'aria-modal', 'aria-label'].forEach(function (a) { panel.removeAttribute(a); });
    }
    if (now !== modal) post({ type: 'modal', modal: now });
    modal = now;
  }

  function load() {
    if (frame || !panel) return;
    frame = d.createElement('iframe');
    frame.title = config && config.title ? config.title : text(2);
    frame.setAttribute('data-testid', 'throughline-frame');
    frame.src = base + config.frameUrl;
    panel.appendChild(frame);
  }

  /** A frame not ready yet is told in its init; one loaded at once, in a message. */
  function reset() {
    resetAsked = true;
    resetPending(true);
    if (frame && frameReady) post({ type: 'reset' });
    else {
      // A sign-in held for the frame came before the reset: replayed after its init, it undid the sign-out.
      pending = pending.filter(function (m) { return m.type !== 'identify'; });
      load();
    }
  }

  function open() {
    if (!panel) { queued.push(['open']); return; }
    load();
    opened = true;
    panel.classList.add('open');
    drawLauncher();
    drawPanel();
    post({ type: 'visibility', open: true });
    if (frameReady) frame.focus();
    emit('open', {});
  }

  function close() {
    if (!panel || !opened) return;
    // Back to the launcher only from inside the chat: a page closing it itself (a route change) keeps its focus.
    // Read before the panel hides, which moves the focus out of it in some browsers.
    var inside = d.activeElement === host;
    opened = false;
    panel.classList.remove('open');
    drawLauncher();
    drawPanel();
    post({ type: 'visibility', open: false });
    if (inside) launcher.focus();
    emit('close', {});
  }

  w.addEventListener('message', function (event) {
    if (!frame || event.origin !== base || event.source !== frame.contentWindow) return;
    var m = event.data || {};
    if (m.type === 'ready') {
      frameReady = true;
      frame.contentWindow.postMessage({
        type: 'init', siteKey: siteKey, identity: identity, open: opened, modal: modal, locale: navigator.language,
        reset: resetAsked || resetPending(),
        page: { url: location.href, title: d.title }
      }, base);
      while (pending.length) frame.contentWindow.postMessage(pending.shift(), base);
      if (opened) frame.focus();
    } else if (m.type === 'active') {
      flag(!!m.active);
    } else if (m.type === 'resetDone') {
      resetAsked = false;
      resetPending(false);
    } else if (m.type === 'unread') {
      said.textContent = !opened && (m.count || 0) > unread ? text(4) + ': ' + m.count : '';
      unread = m.count || 0;
      badge.hidden = !m.count;
      badge.textContent = m.count > 9 ? '9+' : String(m.count || '');
      drawLauncher();
      emit('unread', { count: m.count });

    } else if (m.type === 'close') {
      close();
    } else if (m.type === 'open') {
      open();
    } else if (m.type === 'event') {
      emit(m.name, m.data);
    } else if (m.type === 'refused') {
      console.warn('Throughline: ' + m.detail);
    }
  });

  fetch(base + '/widget/v1/config?siteKey=' + encodeURIComponent(siteKey), { credentials: 'omit' })
    .then(function (r) {
      if (!r.ok) throw new Error('status ' + r.status);
      return r.json();
    })
    .then(function (c) {
      // Listeners the page queued come first: mounting announces "ready", which they wait for.
      var start = function () {
        var later = [];
        queued.forEach(function (args) { args[0] === 'on' ? api.apply(null, args) : later.push(args); });
        mount(c);
        later.forEach(function (args) { api.apply(null, args); });
      };
      d.body ? start() : d.addEventListener('DOMContentLoaded', start);
    })
    .catch(function (e) {
      console.warn('Throughline: the chat widget is not available on this page (' + location.origin +
        '): the site key is unknown, the widget is disabled, or this origin is not among its allowedOrigins. ' + e.message);
    });
})(window, document);
