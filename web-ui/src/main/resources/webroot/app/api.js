// The agent API over fetch: same-origin cookie session, the CSRF header on every write, and RFC 9457 problems
// turned into ApiError with the server's own explanation.

/** A failed call: HTTP status (0 when the network failed) and the problem document. */
export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.retryAfter = retryAfter;
  }

  /** Field errors of a 400, as {field: message}. */
  get fields() {
    const out = {};
    for (const e of this.problem.errors || []) out[e.field] = e.message;
    return out;
  }
}

let csrfToken = null;
const sessionListeners = new Set();
/** Ends every call of the session when it ends: an answer arriving after a logout must not reach the next one. */
let session = new AbortController();

/** Aborts the calls still on their way (their promises reject with an AbortError); later calls go on. */
export function abortSessionCalls() {
  session.abort();
  session = new AbortController();
}

export function setCsrfToken(token) {
  csrfToken = token;
}

/** Called when any call answers 401: the session ended (logout elsewhere, expiry, deactivation). */
export function onSessionEnded(listener) {
  sessionListeners.add(listener);
  return () => sessionListeners.delete(listener);
}

/** The agent and workspace this tab's session is for, as /auth/me answered at its start. */
let identity = null;

export function setSessionIdentity(me) {
  identity = me ? { agentId: me.agentId, workspaceId: me.workspaceId } : null;
}

/**
 * The CSRF token for a write, checked before every call. A sign-in in another tab replaces the browser's session
 * and CSRF cookies, which every tab's calls then carry: the new session's token is taken when it is the same
 * agent's (a second sign-in), while a session of someone else ends this tab's, so nobody writes as another agent
 * with this tab's screen, nor reads another agent's workspace into it. The token this tab was given serves a
 * browser whose cookie script cannot read. Cheap while nothing changed: a cookie read and a compare.
 */
async function writeToken() {
  const match = document.cookie.match(/(?:^|;\s*)tl_csrf=([^;]+)/);
  const cookie = match ? decodeURIComponent(match[1]) : null;
  if (!cookie || !csrfToken || cookie === csrfToken || !identity) return cookie || csrfToken;
  const me = await fetch('/api/v1/auth/me', { credentials: 'same-origin', headers: { Accept: 'application/json' } })
    .then((r) => (r.ok ? r.json() : null)).catch(() => null);
  if (me && me.agentId === identity.agentId && me.workspaceId === identity.workspaceId) {
    csrfToken = cookie;
    return cookie;
  }
  const error = new ApiError(401, { detail: 'another sign-in in this browser replaced this session', switched: true });
  sessionListeners.forEach((l) => l(error));
  throw error;
}

async function call(method, path, { body, headers = {}, signal, quiet401 = false } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers }, credentials: 'same-origin',
    signal: signal ? AbortSignal.any([signal, session.signal]) : session.signal };
  const token = await writeToken();
  if (token && method !== 'GET' && method !== 'HEAD') init.headers['X-CSRF-Token'] = token;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, { detail: 'network' });
  }
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    const retryAfter = Number(response.headers.get('Retry-After')) || null;
    const error = new ApiError(response.status, data, retryAfter);
    if (response.status === 401 && !quiet401) sessionListeners.forEach((l) => l(error));
    throw error;
  }
  return { data, headers: response.headers };
}

export const get = async (path, options) => (await call('GET', path, options)).data;
export const post = async (path, body, options) => (await call('POST', path, { ...options, body }))?.data ?? null;
export const patch = async (path, body, options) => (await call('PATCH', path, { ...options, body }))?.data ?? null;
export const del = async (path, options) => (await call('DELETE', path, options))?.data ?? null;

/** A POST that also returns the response headers (Idempotent-Replayed). */
export const postWithHeaders = (path, body, options) => call('POST', path, { ...options, body });

/** Builds a query string from the defined, non-empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * Uploads one file as multipart (field "file"), reporting progress; resolves to the attachment JSON. XHR, because
 * fetch reports no upload progress.
 */
export async function upload(file, onProgress, signal) {
  const token = await writeToken();
  const ended = session.signal;
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/attachments');
    xhr.withCredentials = true;
    if (token) xhr.setRequestHeader('X-CSRF-Token', token);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress?.(e.loaded / e.total);
    xhr.onload = () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(data);
        return;
      }
      const error = new ApiError(xhr.status, data);
      // As call() does: the session ended, and the sign-in form, not an upload error, says so.
      if (xhr.status === 401) sessionListeners.forEach((l) => l(error));
      reject(error);
    };
    xhr.onerror = () => reject(new ApiError(0, { detail: 'network' }));
    xhr.onabort = () => reject(new DOMException('aborted', 'AbortError'));
    const abort = () => xhr.abort();
    signal?.addEventListener('abort', abort);
    ended.addEventListener('abort', abort);
    xhr.onloadend = () => {
      signal?.removeEventListener('abort', abort);
      ended.removeEventListener('abort', abort);
    };
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}
