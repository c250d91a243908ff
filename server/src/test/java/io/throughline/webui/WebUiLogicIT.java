package io.throughline.webui;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.connector.InboundFlag;
import io.throughline.testing.Browser;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonArray;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The app's pure functions, run as the browser runs them: the modules are imported from the server into headless
 * chromium (no Node, as in production) and called with fixtures.
 */
class WebUiLogicIT {

    private static TestServer server;
    private static Browser browser;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        browser = new Browser();
        // A page of the app's origin without the app document's policy (which would refuse the test's scripts), and
        // not a document that may run script of its own (those are sandboxed): a stylesheet shown as text.
        browser.driver().get(server.url() + "/app/styles/app.css");
    }

    @AfterAll
    static void stop() {
        browser.close();
        server.close();
    }

    /** Imports a module of the app and returns what {@code body} computes with it (bound as {@code m}). */
    private static Object run(String module, String body) {
        return browser.driver().executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                import(arguments[0]).then((m) => (%s)(m)).then(done).catch((e) => done('ERROR ' + e));""".formatted(body),
                module);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> split(String text) {
        return (Map<String, Object>) browser.driver().executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                import('/app/quotes.js').then((m) => done(m.splitQuoted(arguments[0])));""", text);
    }

    /**
     * A socket ticket renewal that a restart overtook (a sign-in, a reset): the restart connects, and the renewal
     * does not connect a second socket that nothing would close (it kept reconnecting, holding a visitor's socket).
     */
    @Test
    void aTicketRenewalOvertakenByARestartOpensNoSecondSocket() {
        Object result = run("/widget/assets/transport.js", """
                async (m) => {
                  let answer;
                  const renewed = new Promise((resolve) => { answer = resolve; });
                  const transport = new m.Transport({ api: null, onFrame() {}, onState() {}, onOpen() {},
                    refreshSession: () => renewed });
                  let connects = 0;
                  transport.connect = () => { connects++; };
                  transport.start({ socketUrl: '/a', seq: 0, heartbeatSeconds: 25 });
                  const renewal = transport.renew();
                  transport.start({ socketUrl: '/b', seq: 0, heartbeatSeconds: 25 });
                  answer({ socket: { url: '/c' } });
                  await renewal;
                  transport.stop();
                  return connects;
                }""");
        assertThat(result).isEqualTo(2L);
    }

    /** The chat frame's outbox: a signed-in visitor takes over what the visitor before it never got acked. */
    @Test
    void aVisitorsOutboxTakesOverWhatThePreviousOneNeverGotAcked() {
        Object result = run("/widget/assets/outbox.js", """
                (m) => {
                  const memory = new Map();
                  const storage = { read: (k) => memory.has(k) ? memory.get(k) : null, write: (k, v) => memory.set(k, v) };
                  const before = new m.Outbox(storage, 'outbox:v_old');
                  before.add({ clientId: 'a', body: 'first' });
                  before.add({ clientId: 'b', body: 'second' });
                  const after = new m.Outbox(storage, 'outbox:v_new');
                  after.add({ clientId: 'c', body: 'typed after' });
                  after.add({ clientId: 'b', body: 'second' });
                  after.takeOver(before);
                  after.takeOver(before);
                  return [after.items().map((i) => i.clientId).join(','), before.items().length];
                }""");
        assertThat(result).isEqualTo(List.of("c,b,a", 0L));
    }

    /**
     * The agent scrolls up (an older page in flight) and jumps to the latest before it answers: the late older page
     * is dropped, not spliced into the fresh window in front of the newest messages with the middle missing.
     */
    @Test
    void anOlderPageAnsweringAfterTheThreadWasReadAgainIsDropped() {
        Object result = run("/app/store.js", """
                (m) => new Promise((resolve) => {
                  const message = (id) => ({ id, conversationId: 7, kind: 'in', body: 'm' + id,
                    createdAt: new Date(1700000000000 + id * 1000).toISOString() });
                  const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => message(from + i));
                  let releaseOlder;
                  const older = new Promise((r) => { releaseOlder = r; });
                  const realFetch = window.fetch;
                  const answer = (body) => new Response(JSON.stringify(body),
                    { headers: { 'Content-Type': 'application/json' } });
                  window.fetch = async (url) => {
                    const params = new URL(url, location.origin).searchParams;
                    if (params.get('before')) {
                      await older;
                      return answer({ messages: range(1, 50), nextBefore: null });
                    }
                    return answer({ messages: range(151, 200), nextBefore: 150 });
                  };
                  const store = m.store;
                  store.openThread(7).then(async () => {
                    const scrolled = store.loadOlder();
                    await store.openThread(7);
                    releaseOlder();
                    await scrolled;
                    const ids = store.state.thread.messages.map((x) => x.id);
                    window.fetch = realFetch;
                    resolve([ids.length, ids[0], ids[ids.length - 1], store.state.thread.loading]);
                  });
                })""");
        assertThat(result).isEqualTo(Arrays.asList(50L, 151L, 200L, null));
    }

    /**
     * A colleague removes a message's content while the agent's older page holding it is on its way, read before
     * the removal: the page does not bring the text back (the event, about a message above the window, came first).
     * The same in a thread opened at a search hit, with newer pages below it.
     */
    @Test
    void anOlderPageReadBeforeARemovalDoesNotBringTheTextBack() {
        Object result = run("/app/store.js", """
                (m) => {
                  const message = (id) => ({ id, conversationId: 8, kind: 'in', body: 'card 4111 ' + id,
                    createdAt: new Date(1700000000000 + id * 1000).toISOString() });
                  const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => message(from + i));
                  const answer = (body) => new Response(JSON.stringify(body),
                    { headers: { 'Content-Type': 'application/json' } });
                  const realFetch = window.fetch;
                  const scenario = async (focusId) => {
                    let releaseOlder;
                    const older = new Promise((r) => { releaseOlder = r; });
                    window.fetch = async (url) => {
                      const params = new URL(url, location.origin).searchParams;
                      if (params.get('before')) {
                        await older;
                        return answer({ messages: range(101, 150), nextBefore: 100 });
                      }
                      return answer({ messages: range(151, 200), nextBefore: 150,
                        nextAfter: focusId ? 200 : null });
                    };
                    const store = m.store;
                    await store.openThread(8, focusId);
                    const scrolled = store.loadOlder();
                    store.putMessage({ ...message(140), body: '', redactedAt: new Date().toISOString() });
                    releaseOlder();
                    await scrolled;
                    const removed = store.state.thread.messages.find((x) => x.id === 140);
                    return [store.state.thread.messages.length, removed.body, removed.redactedAt != null,
                      (store.state.thread.below ?? []).length];
                  };
                  return scenario(null).then(async (atEnd) => [atEnd, await scenario(175)])
                    .finally(() => { window.fetch = realFetch; });
                }""");
        assertThat(result).isEqualTo(List.of(List.of(100L, "", true, 0L), List.of(100L, "", true, 0L)));
    }

    /** A 503 the server explains (an index being built) shows its words; an internal error its request id. */
    @Test
    void aServiceUnavailableSaysWhyAndAnInternalErrorGivesItsRequestId() {
        Object result = run("/app/errors.js", """
                (m) => [
                  m.describe({ status: 503, problem: { type: 'urn:throughline:problem:unavailable',
                    detail: 'the search index is being built (40% done)' } }),
                  m.describe({ status: 500, problem: { type: 'urn:throughline:problem:internal-error',
                    detail: 'something went wrong on our side', requestId: 'r-1' } }),
                  m.describe({ status: 503, problem: {} })
                ]""");
        assertThat(result).isEqualTo(List.of("the search index is being built (40% done)",
                "Something went wrong on the server (request r-1).",
                "Something went wrong on the server (request ?)."));
    }

    /** A customer and a colleague typing at once: the colleague stopping does not hide the customer's typing. */
    @Test
    void aColleagueWhoStopsTypingDoesNotHideTheCustomersTyping() {
        Object result = run("/app/store.js", """
                (m) => {
                  const store = m.store;
                  store.apply({ type: 'visitor.typing', data: { conversationId: 8, typing: true } });
                  store.apply({ type: 'agent.typing', data: { conversationId: 8, typing: true,
                    agent: { id: 41, name: 'Olha' } } });
                  const both = store.state.typing.get(8);
                  store.apply({ type: 'agent.typing', data: { conversationId: 8, typing: false,
                    agent: { id: 41, name: 'Olha' } } });
                  const after = store.state.typing.get(8);
                  store.apply({ type: 'agent.typing', data: { conversationId: 9, typing: true,
                    agent: { id: 41, name: 'Olha' } } });
                  return [both.agent, after ? after.agent : 'gone', store.state.typing.get(9).name];
                }""");
        assertThat(result).isEqualTo(List.of(false, false, "Olha"));
    }

    /**
     * The list read again (a stream's resync, and without WebSockets every 15 s): as many rows as the agent has
     * loaded come back, not the first page alone (which sent an agent scrolled down back to the top each time).
     */
    @Test
    void theFallbackPollKeepsAsManyRowsAsTheAgentLoaded() {
        Object result = run("/app/store.js", """
                (m) => new Promise((resolve) => {
                  const realFetch = window.fetch;
                  const asked = [];
                  window.fetch = async (url) => {
                    const params = new URL(url, location.origin).searchParams;
                    const limit = Number(params.get('limit') || 0);
                    asked.push(limit);
                    const conversations = Array.from({ length: limit }, (_, i) => ({ id: 1000 + i, status: 'open',
                      lastActivityAt: new Date(1700000000000 - i * 1000).toISOString(), contact: { name: 'C' + i } }));
                    return new Response(JSON.stringify({ conversations, nextCursor: 'next', readState: [] }),
                      { headers: { 'Content-Type': 'application/json' } });
                  };
                  const store = m.store;
                  store.set({ thread: null, list: { ...store.state.list,
                    ids: Array.from({ length: 60 }, (_, i) => 1000 + i), nextCursor: 'next', loading: false } });
                  // The stream's resync (as after a reset), which the 15 s poll also goes through.
                  store.connectionChanged('live', { reset: true });
                  const settled = () => {
                    if (asked.length && !store.state.list.loading) {
                      window.fetch = realFetch;
                      resolve([asked[0], store.state.list.ids.length, store.state.list.nextCursor]);
                    } else {
                      setTimeout(settled, 10);
                    }
                  };
                  settled();
                })""");
        assertThat(result).isEqualTo(List.of(60L, 60L, "next"));
    }

    @Test
    void gmailAndThunderbirdRepliesFoldTheQuotedHistory() {
        Map<String, Object> gmail = split("Thanks, that works.\n\nOn Mon, 3 Mar 2026 at 10:12, Support <support@shop.example>"
                + " wrote:\n> Could you try again?\n> Regards");
        assertThat(gmail.get("visible")).isEqualTo("Thanks, that works.");
        assertThat((String) gmail.get("folded")).startsWith("On Mon, 3 Mar 2026").contains("> Could you try again?");
        Map<String, Object> wrapped = split("Yes.\nOn Tue, Mar 4, 2026 at 9:00 AM Support Team <\nsupport@shop.example>"
                + " wrote:\n> Did it arrive?");
        assertThat(wrapped.get("visible")).isEqualTo("Yes.");
        Map<String, Object> bare = split("Fine now\n> old line one\n>\n> old line two\n");
        assertThat(bare.get("visible")).isEqualTo("Fine now");
    }

    @Test
    void outlookAndLocalizedHeadersFoldToo() {
        assertThat(split("Got it.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\nSubject: Re: order")
                .get("visible")).isEqualTo("Got it.");
        assertThat(split("Дякую!\n\nПн, 3 бер. 2026 о 10:12 Support <support@shop.example> пише:\n> Чи все гаразд?")
                .get("visible")).isEqualTo("Дякую!");
        assertThat(split("Спасибо!\n\n3 марта 2026 г., в 10:12, Support написал(а):\n> Всё в порядке?")
                .get("visible")).isEqualTo("Спасибо!");
        assertThat(split("Dziękuję!\n\nW dniu 3.03.2026 o 10:12 Support <support@shop.example> napisał:\n> Czy wszystko"
                + " w porządku?").get("visible")).isEqualTo("Dziękuję!");
    }

    @Test
    void signaturesFoldButTextThatOnlyLooksQuotedStays() {
        Map<String, Object> signed = split("See you.\n-- \nAnna Kowalska\nShop Ltd.");
        assertThat(signed.get("visible")).isEqualTo("See you.");
        assertThat(signed.get("kind")).isEqualTo("signature");
        Map<String, Object> inline = split("I wrote:\n> this is my own quote\nand then my answer below it");
        assertThat(inline.get("folded")).isEqualTo("");
        Map<String, Object> onlyQuote = split("> everything is quoted\n> nothing new");
        assertThat(onlyQuote.get("folded")).isEqualTo("");
    }

    @Test
    void cannedResponsesMatchByShortCodeFirstAndFillTheNames() {
        Object order = run("/app/canned.js", """
                (m) => m.matchCanned([{shortCode: 'policy', title: 'Refund rules', body: 'x'},
                  {shortCode: 'refund', title: '', body: 'y'}, {shortCode: 'hello', title: '', body: 'z'}], 'ref')
                  .map((r) => r.shortCode)""");
        assertThat(order).isEqualTo(List.of("refund", "policy"));
        Object filled = run("/app/canned.js", """
                (m) => m.fillCanned('Hi {{contact.first_name}}, {{ agent.name }} here. {{unknown}}',
                  {contact: {name: 'Оксана Коваленко'}, agent: {name: 'Sam'}})""");
        assertThat(filled).isEqualTo("Hi Оксана, Sam here. {{unknown}}");
    }

    @Test
    void aPendingRequestIsRepeatedWithItsKeyUntilConfirmed() {
        Object result = run("/app/drafts.js", """
                (m) => {
                  const draft = {...m.emptyDraft(), body: 'Hello'};
                  const first = m.nextRequest(draft);
                  const typedMeanwhile = {...draft, body: 'Hello\\nand more', pending: first};
                  const again = m.nextRequest(typedMeanwhile);
                  const fresh = m.nextRequest(draft);
                  const left = m.afterConfirmed(typedMeanwhile, first);
                  localStorage.setItem('tl.draft.7.9', JSON.stringify({body: 'Hi', note: false, channel: null,
                    attachments: [], idempotencyKey: 'key-1', savedAt: Date.now()}));
                  const legacy = m.loadDraft(7, 9);
                  localStorage.removeItem('tl.draft.7.9');
                  const placed = m.nextRequest(draft, 42);
                  return [again === first, first.body, fresh.idempotencyKey !== first.idempotencyKey,
                    placed.conversationId,
                    left.body, left.pending, legacy.pending.idempotencyKey, legacy.pending.body,
                    /^[0-9a-f-]{36}$/.test(first.idempotencyKey)];
                }""");
        assertThat(result).isEqualTo(Arrays.asList(true, "Hello", true, 42L, "and more", null, "key-1", "Hi", true));
    }

    /** The server's log restarted below the seq we had (a restored database): the stream takes the server's. */
    @Test
    void aReadyFrameWithResetReplacesTheResumePoint() {
        Object result = run("/app/stream.js", """
                (m) => {
                  const frames = [];
                  const states = [];
                  const stream = new m.RealtimeStream((f) => frames.push(f.seq), (s, d) => states.push(s + ':' + !!d?.reset));
                  stream.receive(JSON.stringify({type: 'ready', data: {since: 900}}));
                  stream.receive(JSON.stringify({seq: 901, type: 'message.created', data: {}}));
                  stream.receive(JSON.stringify({type: 'ready', data: {since: 40, reset: true}}));
                  stream.receive(JSON.stringify({seq: 41, type: 'message.created', data: {}}));
                  stream.receive(JSON.stringify({seq: 41, type: 'message.created', data: {}}));
                  return [frames, states, stream.lastSeq];
                }""");
        assertThat(result).isEqualTo(List.of(List.of(901L, 41L), List.of("live:false", "live:true"), 41L));
    }

    /** A laptop waking from sleep: timers did not run, the wall clock did; the stream reconnects at once. */
    @Test
    void aStreamSilentByTheWallClockReconnectsThoughItsTimersSlept() {
        Object result = run("/app/stream.js", """
                (m) => {
                  const states = [];
                  const stream = new m.RealtimeStream(() => {}, (s) => states.push(s));
                  stream.stopped = false;
                  let closed = 0;
                  stream.socket = {close: () => closed++};
                  stream.checkSilence();
                  const fresh = [closed, states.length];
                  stream.lastFrameAt = Date.now() - 10 * 60 * 1000;
                  stream.checkSilence();
                  stream.stop();
                  return [fresh, closed, states];
                }""");
        assertThat(result).isEqualTo(List.of(List.of(0L, 0L), 1L, List.of("reconnecting")));
    }

    /**
     * A server whose heartbeat is longer than the default (90 s) names it in "ready": two minutes of quiet between
     * two heartbeats is not taken for a dead stream (it reconnected every 75 s), five minutes is.
     */
    @Test
    void theSilenceLimitFollowsTheServersHeartbeat() {
        Object result = run("/app/stream.js", """
                (m) => {
                  const stream = new m.RealtimeStream(() => {}, () => {});
                  stream.stopped = false;
                  let closed = 0;
                  stream.socket = {close: () => closed++};
                  stream.receive(JSON.stringify({type: 'ready', data: {since: 1, heartbeatSeconds: 90}}));
                  stream.lastFrameAt = Date.now() - 2 * 60 * 1000;
                  stream.checkSilence();
                  const between = closed;
                  stream.lastFrameAt = Date.now() - 5 * 60 * 1000;
                  stream.checkSilence();
                  stream.stop();
                  return [between, closed];
                }""");
        assertThat(result).isEqualTo(List.of(0L, 1L));
    }

    /** An agent in Kyiv picking 10 May means their 10 May, not the UTC one. */
    @Test
    void searchDatesAreTheAgentsCalendarDays() {
        browser.driver().executeCdpCommand("Emulation.setTimezoneOverride", Map.of("timezoneId", "Europe/Kyiv"));
        try {
            Object range = run("/app/store.js", "(m) => [m.dayStart('2026-05-10'), m.dayEnd('2026-05-10'),"
                    + " m.dayStart(''), m.dayEnd(null)]");
            assertThat(range).isEqualTo(Arrays.asList("2026-05-09T21:00:00.000Z", "2026-05-10T20:59:59.999Z",
                    null, null));
        } finally {
            browser.driver().executeCdpCommand("Emulation.setTimezoneOverride", Map.of("timezoneId", ""));
        }
    }

    /**
     * An action answered 401 ends the session before its own catch runs: the failure it then reports (here "log in
     * first") is not left for the sign-in form and whoever signs in next, while a live session's failure is shown.
     */
    @Test
    void anActionThatEndedTheSessionLeavesNoNoticeForTheNextSignIn() {
        Object result = run("/app/store.js", """
                (m) => import('/app/api.js').then(async (api) => {
                  const store = m.store;
                  const realFetch = window.fetch;
                  window.fetch = async () => new Response(JSON.stringify({ status: 401, detail: 'log in first' }),
                    { status: 401, headers: { 'Content-Type': 'application/problem+json' } });
                  const act = () => api.get('/api/v1/conversations/7').catch((e) => store.notify(e, 'error'));
                  try {
                    store.set({ phase: 'ready', toasts: [] });
                    store.notify('shown while signed in', 'error');
                    const live = store.state.toasts.length;
                    await act();
                    return [live, store.state.phase, store.state.toasts.length];
                  } finally {
                    window.fetch = realFetch;
                  }
                })""");
        assertThat(result).isEqualTo(List.of(1L, "login", 0L));
    }

    /**
     * Half an hour after midnight on the day after the clocks went forward (Warsaw, 31 March 2025), 24 hours back
     * is two calendar days back: the day separator called the 29th "Yesterday" and the 30th by its date.
     */
    @Test
    void yesterdayIsTheCalendarDayBeforeAcrossAClockChange() {
        browser.driver().executeCdpCommand("Emulation.setTimezoneOverride", Map.of("timezoneId", "Europe/Warsaw"));
        try {
            Object labels = run("/app/format.js", """
                    (m) => {
                      const Real = Date;
                      const now = Real.parse('2025-03-31T00:30:00+02:00');
                      globalThis.Date = class extends Real {
                        constructor(...args) { super(...(args.length ? args : [now])); }
                        static now() { return now; }
                      };
                      try {
                        return [m.day('2025-03-30T12:00:00+02:00'), m.day('2025-03-29T12:00:00+01:00'),
                          m.day('2025-03-31T00:10:00+02:00')];
                      } finally {
                        globalThis.Date = Real;
                      }
                    }""");
            assertThat(labels).asList().containsExactly("Yesterday", "Saturday, March 29", "Today");
        } finally {
            browser.driver().executeCdpCommand("Emulation.setTimezoneOverride", Map.of("timezoneId", ""));
        }
    }

    @Test
    void aMergedAwayConversationsDraftJoinsTheTargetsDraft() {
        Object result = run("/app/drafts.js", """
                (m) => {
                  const draft = (body, files = []) => ({...m.emptyDraft(), body, attachments: files});
                  return [m.carryOver(draft('Typed in A'), draft('')).body,
                    m.carryOver(draft(''), draft('Typed in B')).body,
                    m.carryOver(draft('From A', [{id: 1}]), draft('From B', [{id: 2}])).body,
                    m.carryOver(draft('From A', [{id: 1}]), draft('From B', [{id: 2}])).attachments.length];
                }""");
        assertThat(result).isEqualTo(List.of("Typed in A", "Typed in B", "From B\n\nFrom A", 2L));
    }

    /** Text typed while a reply was being sent stays in the composer; the sent text goes. */
    @Test
    void whatWasTypedDuringASendStays() {
        Object left = run("/app/drafts.js", """
                (m) => [m.leftAfterSend('Thanks!', 'Thanks!'),
                        m.leftAfterSend('Thanks!\\n\\nOne more thing', 'Thanks!'),
                        m.leftAfterSend('Rewritten', 'Thanks!'),
                        m.leftAfterSend('Typed in B\\n\\nThanks!', 'Thanks!')]""");
        assertThat(left).isEqualTo(List.of("", "One more thing", "Rewritten", "Typed in B"));
    }

    @Test
    void listRowsFollowTheFilterAndTheServersOrder() {
        Object result = run("/app/store.js", """
                (m) => {
                  const me = {agentId: 7};
                  const row = {id: 3, status: 'open', assigneeId: 7, channels: ['email', 'api'],
                    lastActivityAt: '2026-03-01T10:00:00Z'};
                  return [
                    m.matches(row, {status: 'open', assignee: 'me', channel: 'email'}, me),
                    m.matches(row, {status: 'open', assignee: 'none', channel: ''}, me),
                    m.matches(row, {status: 'resolved', assignee: 'all', channel: ''}, me),
                    m.matches({...row, mergedIntoId: 1}, {status: 'open', assignee: 'all', channel: ''}, me),
                    m.before(row, {id: 2, lastActivityAt: '2026-03-01T10:00:00Z'}),
                    m.before(row, {id: 9, lastActivityAt: '2026-03-01T10:00:01Z'})];
                }""");
        assertThat(result).isEqualTo(List.of(true, false, false, false, true, false));
    }

    /**
     * A conversation's newest state wins by its stamp, to the microsecond (two changes can share a millisecond),
     * not by the order the events came in.
     */
    @Test
    void aConversationKeepsItsNewestStateToTheMicrosecond() {
        Object result = run("/app/store.js", """
                (m) => {
                  const s = m.store;
                  s.upsert({id: 501, status: 'resolved', updatedAt: '2026-03-01T10:00:00.123456Z'});
                  s.upsert({id: 501, status: 'open', updatedAt: '2026-03-01T10:00:00.1234Z'});
                  const kept = s.state.conversations.get(501).status;
                  s.upsert({id: 501, status: 'open', updatedAt: '2026-03-01T10:00:00.123457Z'});
                  return [kept, s.state.conversations.get(501).status];
                }""");
        assertThat(result).isEqualTo(List.of("resolved", "open"));
    }

    /**
     * A message that comes live while the thread's first page loads is kept and merged into the page (which may
     * have been read before it committed); one that comes out of order takes its place in the thread.
     */
    @Test
    void liveMessagesJoinTheThreadInOrderEvenWhileItLoads() {
        Object result = run("/app/store.js", """
                (m) => {
                  const s = m.store;
                  const msg = (id, at) => ({id, conversationId: 77, kind: 'in', createdAt: at});
                  s.state.thread = {conversationId: 77, messages: [], hasOlder: false, hasNewer: false,
                    loading: 'initial', newBelow: 0};
                  s.putMessage(msg(12, '2026-03-01T10:00:03Z'));
                  const page = [msg(10, '2026-03-01T10:00:01Z'), msg(11, '2026-03-01T10:00:02Z')];
                  const loaded = m.mergeMessages(page, s.state.thread.arrived).map((x) => x.id);
                  s.state.thread = {conversationId: 77, messages: [msg(10, '2026-03-01T10:00:01Z'),
                    msg(12, '2026-03-01T10:00:03Z')], hasOlder: false, hasNewer: false, loading: null, newBelow: 0};
                  s.putMessage(msg(11, '2026-03-01T10:00:02Z'));
                  const late = s.state.thread.messages.map((x) => x.id);
                  s.state.thread = null;
                  return [...loaded, '|', ...late];
                }""");
        assertThat(result).isEqualTo(List.of(10L, 11L, 12L, "|", 10L, 11L, 12L));
    }

    /** Replays after a resume are dropped; a late event (below the last seq) is applied and resumes nothing. */
    @Test
    void theStreamAppliesLateEventsWithoutMovingItsResumePoint() {
        Object result = run("/app/stream.js", """
                (m) => {
                  const applied = [];
                  const stream = new m.RealtimeStream((f) => applied.push(f.type + '@' + f.seq), () => {});
                  stream.receive(JSON.stringify({ type: 'ready', data: { since: 10 } }));
                  stream.receive(JSON.stringify({ seq: 12, type: 'message.created', data: {} }));
                  stream.receive(JSON.stringify({ seq: 11, type: 'message.updated', data: {}, late: true }));
                  stream.receive(JSON.stringify({ seq: 12, type: 'message.created', data: {} }));
                  stream.receive(JSON.stringify({ seq: 9, type: 'message.created', data: {} }));
                  stream.stop();
                  return [...applied, 'resume@' + stream.lastSeq];
                }""");
        assertThat(result).isEqualTo(List.of("message.created@12", "message.updated@11", "resume@12"));
    }

    /**
     * A late event can also come in seq order, from a resume's catch-up, before or after its late copy: it applies
     * once (an inbound message counted unread twice otherwise).
     */
    @Test
    void aLateEventThatAlsoComesInOrderAppliesOnce() {
        Object result = run("/app/stream.js", """
                (m) => {
                  const applied = [];
                  const stream = new m.RealtimeStream((f) => applied.push(f.type + '@' + f.seq), () => {});
                  stream.receive(JSON.stringify({ type: 'ready', data: { since: 10 } }));
                  stream.receive(JSON.stringify({ seq: 13, type: 'message.created', data: {}, late: true }));
                  stream.receive(JSON.stringify({ seq: 11, type: 'message.created', data: {} }));
                  stream.receive(JSON.stringify({ seq: 13, type: 'message.created', data: {} }));
                  stream.receive(JSON.stringify({ seq: 14, type: 'message.created', data: {} }));
                  stream.receive(JSON.stringify({ seq: 14, type: 'message.created', data: {}, late: true }));
                  stream.stop();
                  return [...applied, 'resume@' + stream.lastSeq];
                }""");
        assertThat(result).isEqualTo(List.of("message.created@13", "message.created@11", "message.created@14",
                "resume@14"));
    }

    /** The chat frame keeps the newest copy of a message: a late frame of an older edit does not replace it. */
    @Test
    void theChatFrameKeepsTheNewerCopyOfAMessage() {
        Object result = run("/widget/assets/store.js", """
                (m) => {
                  let list = [];
                  list = m.upsertMessage(list, { id: 7, body: 'first', createdAt: '2026-12-04T10:00:00Z' });
                  list = m.upsertMessage(list, { id: 7, body: 'second edit', createdAt: '2026-12-04T10:00:00Z',
                    editedAt: '2026-12-04T10:05:00Z' });
                  list = m.upsertMessage(list, { id: 7, body: 'first edit (late)', createdAt: '2026-12-04T10:00:00Z',
                    editedAt: '2026-12-04T10:02:00Z' });
                  list = m.upsertMessage(list, { id: 8, body: 'next', createdAt: '2026-12-04T10:06:00Z' });
                  // Removed by the team: a copy from before, however it is stamped, never brings the words back.
                  list = m.upsertMessage(list, { id: 8, body: '', createdAt: '2026-12-04T10:06:00Z',
                    redactedAt: '2026-12-04T10:07:00Z' });
                  list = m.upsertMessage(list, { id: 8, body: 'next', createdAt: '2026-12-04T10:06:00Z',
                    editedAt: '2026-12-04T10:08:00Z' });
                  return list.map((x) => x.id + ':' + x.body);
                }""");
        assertThat(result).isEqualTo(List.of("7:second edit", "8:"));
    }

    /**
     * The server's copy of a visitor's message can come before its acknowledgement: what the frame said under the
     * pending copy (its files had to go) stays, and the copies are one message.
     */
    @Test
    void theServersCopyComingFirstKeepsThePendingCopysNotice() {
        Object result = run("/widget/assets/store.js", """
                (m) => {
                  let list = [{ clientId: 'c-1', body: 'my receipt', status: 'sending', notice: 'attach them again',
                    createdAt: '2026-12-04T10:00:00Z' }];
                  list = m.upsertMessage(list, { id: 9, clientId: 'c-1', own: true, body: 'my receipt',
                    createdAt: '2026-12-04T10:00:01Z' });
                  return list.map((x) => x.id + ':' + x.notice);
                }""");
        assertThat(result).isEqualTo(List.of("9:attach them again"));
    }

    /**
     * A message that comes while the agent reads further up is kept: the last page below, read before it committed,
     * does not have it, and the thread must not end without it.
     */
    @Test
    void aMessageArrivingBelowTheWindowJoinsTheThreadWhenItsEndIsRead() {
        Object result = run("/app/store.js", """
                (m) => new Promise((resolve) => {
                  const realFetch = window.fetch;
                  const msg = (id, sec) => ({id, conversationId: 79, kind: 'in',
                    createdAt: `2026-03-01T10:00:${String(sec).padStart(2, '0')}Z`});
                  const s = m.store;
                  s.state.thread = {conversationId: 79, loadId: 1, messages: [msg(10, 1), msg(11, 2)],
                    hasOlder: false, hasNewer: true, loading: null, newBelow: 0};
                  s.putMessage(msg(30, 30), { created: true });
                  const counted = s.state.thread.newBelow;
                  // The last page below, read before message 30 committed.
                  window.fetch = async () => new Response(JSON.stringify({ messages: [msg(12, 3)], nextAfter: null }),
                    { headers: { 'Content-Type': 'application/json' } });
                  s.loadNewer().then(() => {
                    window.fetch = realFetch;
                    const ids = s.state.thread.messages.map((x) => x.id);
                    const hasNewer = s.state.thread.hasNewer;
                    s.state.thread = null;
                    resolve([counted, ...ids, hasNewer]);
                  });
                })""");
        assertThat(result).isEqualTo(List.of(1L, 10L, 11L, 12L, 30L, false));
    }

    /** A message the server's count has already is not counted again when its event comes (a reconnect's replay). */
    @Test
    void aMessageTheReadStateCountedIsNotCountedAgainLive() {
        Object result = run("/app/store.js", """
                (m) => {
                  const s = m.store;
                  s.set({ unread: new Map([[80, { conversationId: 80, unread: 2, lastInboundMessageId: 50 }]]) });
                  s.bumpUnread(80, 49);
                  s.bumpUnread(80, 50);
                  const replayed = s.state.unread.get(80).unread;
                  s.bumpUnread(80, 51);
                  s.bumpUnread(80, 51);
                  return [replayed, s.state.unread.get(80).unread];
                }""");
        assertThat(result).isEqualTo(List.of(2L, 3L));
    }

    /**
     * What the list shows stays true when events and answers cross: a next page read before a colleague resolved
     * one of its rows leaves that row out; an assignee this tab does not know yet is read, never shown as the
     * previous one; the agent's reply answered after the customer's next message does not hide it; a merged-away
     * conversation's unread messages stop counting.
     */
    @Test
    void theListStaysTrueWhenEventsAndAnswersCross() {
        Object result = run("/app/store.js", """
                (m) => new Promise((resolve) => {
                  const realFetch = window.fetch;
                  const json = (body) => new Response(JSON.stringify(body),
                    { headers: { 'Content-Type': 'application/json' } });
                  const row = (id, status, updatedAt) => ({ id, status, updatedAt, contactId: id,
                    lastActivityAt: '2026-03-01T10:00:00Z', contact: { name: 'C' + id } });
                  const s = m.store;
                  window.fetch = async (url, init) => {
                    const path = new URL(url, location.origin).pathname;
                    if (path === '/api/v1/conversations') {
                      // A colleague resolves row 3 while this page is on its way.
                      s.upsert(row(3, 'resolved', '2026-03-01T10:00:09Z'));
                      return json({ conversations: [row(2, 'open', '2026-03-01T10:00:01Z'),
                        row(3, 'open', '2026-03-01T10:00:01Z')], nextCursor: null });
                    }
                    if (path === '/api/v1/conversations/5') {
                      return json({ ...row(5, 'open', '2026-03-01T10:00:05Z'), assigneeId: 7,
                        assignee: { id: 7, name: 'Dana' } });
                    }
                    if (path === '/api/v1/agents') return json({ agents: [{ id: 1, name: 'Ann' }, { id: 7, name: 'Dana' }] });
                    if (path === '/api/v1/conversations/6/messages') {
                      return json({ id: 40, conversationId: 6, kind: 'out', body: 'Sure',
                        createdAt: '2026-03-01T10:00:20Z' });
                    }
                    return json({ readState: [] });
                  };
                  s.set({ agents: [{ id: 1, name: 'Ann' }], unread: new Map([[91, { conversationId: 91, unread: 2 }]]),
                    filter: { status: 'open', assignee: 'all', channel: null },
                    list: { ...s.state.list, ids: [1], nextCursor: 'next', loading: false } });
                  s.upsert({ ...row(5, 'open', '2026-03-01T10:00:00Z'), assigneeId: 2, assignee: { id: 2, name: 'Bob' } });
                  s.upsert({ ...row(6, 'open', '2026-03-01T10:00:00Z'), lastMessage: { id: 41, kind: 'in',
                    preview: 'One more thing', createdAt: '2026-03-01T10:00:21Z' } });
                  const out = [];
                  s.loadList(true).then(async () => {
                    out.push(s.state.list.ids.join(','));
                    s.upsert({ id: 5, assigneeId: 7, updatedAt: '2026-03-01T10:00:04Z' });
                    out.push(s.state.conversations.get(5).assignee.name);
                    await s.send(6, { body: 'Sure', note: false, attachments: [], idempotencyKey: 'k-1' });
                    out.push(s.state.conversations.get(6).lastMessage.id);
                    const events = await import('/app/events.js');
                    events.applyEvent(s, { type: 'contact.merged', data: { conversationId: 90,
                      sourceConversationId: 91 } });
                    out.push(s.state.unread.has(91));
                    const settled = () => {
                      if (s.state.conversations.get(5).assignee.name === 'Dana' && s.state.agents.length === 2) {
                        window.fetch = realFetch;
                        resolve([...out, 'Dana']);
                      } else {
                        setTimeout(settled, 10);
                      }
                    };
                    settled();
                  });
                })""");
        assertThat(result).isEqualTo(List.of("1,2", "", 41L, false, "Dana"));
    }

    /** Without the stream, the 15 s poll shows a reply on screen that failed since, not "Sending..." for ever. */
    @Test
    void thePollShowsWhatChangedOnMessagesAlreadyOnScreen() {
        Object result = run("/app/store.js", """
                (m) => new Promise((resolve) => {
                  const realFetch = window.fetch;
                  const reply = (status, at) => ({ id: 20, conversationId: 81, kind: 'out', body: 'On its way',
                    createdAt: '2026-03-01T10:00:00Z', delivery: { status, updatedAt: at } });
                  window.fetch = async (url) => {
                    const after = new URL(url, location.origin).searchParams.get('after');
                    const messages = after ? [] : [reply('failed', '2026-03-01T10:01:00Z')];
                    return new Response(JSON.stringify({ messages }), { headers: { 'Content-Type': 'application/json' } });
                  };
                  const s = m.store;
                  s.state.thread = { conversationId: 81, loadId: 5, messages: [reply('pending', '2026-03-01T10:00:00Z')],
                    hasOlder: false, hasNewer: false, loading: null, newBelow: 0 };
                  s.refreshThreadEnd(81).then(() => {
                    window.fetch = realFetch;
                    const status = s.state.thread.messages.map((x) => x.delivery.status);
                    s.state.thread = null;
                    resolve(status);
                  });
                })""");
        assertThat(result).isEqualTo(List.of("failed"));
    }

    /** The inbox keeps a removed message removed: a copy from before it never shows the words again. */
    @Test
    void theInboxKeepsARemovedMessageRemoved() {
        Object result = run("/app/store.js", """
                (m) => {
                  const s = m.store;
                  const at = '2026-03-01T10:00:00Z';
                  s.state.thread = {conversationId: 78, messages: [{id: 20, conversationId: 78, kind: 'out',
                    body: 'code 1234', createdAt: at}], hasOlder: false, hasNewer: false, loading: null, newBelow: 0};
                  s.putMessage({id: 20, conversationId: 78, kind: 'out', body: '', createdAt: at,
                    redactedAt: '2026-03-01T10:01:00Z', delivery: {updatedAt: '2026-03-01T10:01:00Z'}});
                  s.putMessage({id: 20, conversationId: 78, kind: 'out', body: 'code 1234', createdAt: at,
                    delivery: {updatedAt: '2026-03-01T10:02:00Z'}});
                  const body = s.state.thread.messages[0].body;
                  s.state.thread = null;
                  return body;
                }""");
        assertThat(result).isEqualTo("");
    }

    @Test
    void everyLanguageHasEveryKey() {
        Object missing = run("/app/i18n/en.js", """
                async (m) => {
                  const en = Object.keys(m.default);
                  const out = [];
                  for (const lang of ['uk', 'ru', 'pl']) {
                    const dict = (await import('/app/i18n/' + lang + '.js')).default;
                    en.filter((k) => !(k in dict)).forEach((k) => out.push(lang + ':' + k));
                  }
                  return out;
                }""");
        assertThat(missing).isEqualTo(List.of());
    }

    /** Every threading reason and flag the server puts on a message is said in words, never shown as its code. */
    @Test
    void everyThreadingReasonAndFlagTheServerSetsHasWords() {
        List<String> keys = new ArrayList<>();
        for (String reason : List.of("reply_token", "in_reply_to", "references", "deep_link", "sender", "new",
                "moved")) {
            keys.add("threading." + reason);
        }
        for (InboundFlag flag : InboundFlag.values()) {
            keys.add("flag." + flag.name().toLowerCase(Locale.ROOT));
        }
        for (String flag : List.of("truncated", "unverified_sender", "deep_link_rejected", "deep_link_conflict")) {
            keys.add("flag." + flag);
        }
        Object missing = run("/app/i18n/en.js", "(m) => " + new JsonArray(keys).encode()
                + ".filter((k) => !(k in m.default))");
        assertThat(missing).isEqualTo(List.of());
    }
}
