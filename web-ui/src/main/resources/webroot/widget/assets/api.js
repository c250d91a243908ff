// The visitor API over HTTP. Every call but the session carries the visitor token as a bearer token; no cookies.
export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super((problem && problem.detail) || 'HTTP ' + status);
    this.status = status;
    this.problem = problem || {};
    this.retryAfter = retryAfter;
  }
}

export class Api {
  constructor() {
    this.token = null;
  }

  session(body) {
    return this.call('POST', '/widget/v1/sessions', body, false);
  }

  history(before) {
    return this.call('GET', '/widget/v1/messages' + (before ? '?before=' + before : ''));
  }

  poll(since, waitSeconds, signal, tab) {
    return this.call('GET', '/widget/v1/messages?since=' + since + '&wait=' + waitSeconds + '&tab=' + tab, undefined,
      true, signal);
  }

  send(message) {
    return this.call('POST', '/widget/v1/messages', message);
  }

  typing(typing) {
    return this.call('POST', '/widget/v1/typing', { typing });
  }

  seen(messageId) {
    return this.call('POST', '/widget/v1/seen', { messageId });
  }

  profile(fields) {
    return this.call('POST', '/widget/v1/profile', fields);
  }

  async upload(file) {
    const form = new FormData();
    form.append('file', file, file.name);
    const response = await fetch('/widget/v1/uploads', {
      method: 'POST', body: form, headers: { Authorization: 'Bearer ' + this.token }, credentials: 'omit'
    });
    return this.read(response);
  }

  /** An attachment as a blob: URL (an img cannot send the bearer token itself). */
  async blobUrl(path) {
    const response = await fetch(path, { headers: { Authorization: 'Bearer ' + this.token }, credentials: 'omit' });
    if (!response.ok) throw new ApiError(response.status, null);
    return URL.createObjectURL(await response.blob());
  }

  async call(method, path, body, authenticated = true, signal) {
    const headers = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (authenticated && this.token) headers.Authorization = 'Bearer ' + this.token;
    const response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', signal
    });
    return this.read(response);
  }

  async read(response) {
    if (response.status === 204) return null;
    const json = await response.json().catch(() => null);
    if (!response.ok) {
      const retry = Number(response.headers.get('Retry-After')) || (json && json.retryAfterSeconds) || 0;
      throw new ApiError(response.status, json, retry);
    }
    return json;
  }
}
