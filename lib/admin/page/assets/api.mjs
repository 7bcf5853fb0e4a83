// @ts-check
/**
 * The REST API of shared/API.md "Admin", beside this file: the page is at `{path}`, its files at
 * `{path}/assets/`, the API at `{path}/api/`. Actions are POST/DELETE with a JSON body, which a
 * cross-site form or image tag cannot send.
 */

const API = new URL('../api/', import.meta.url);

/** A refused or failed request, with the API's message. */
export class ApiError extends Error {
  /**
   * @param {number} status 0 when the server could not be reached
   * @param {string} message
   */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * @param {string} method
 * @param {string} path relative to `{path}/api/`, e.g. `jobs/a%2Fb/run`
 * @param {{ query?: Record<string, string | number | boolean | null | undefined>, body?: unknown, signal?: AbortSignal }} [options]
 * @returns {Promise<any>} the parsed JSON answer, or null for 202/204
 */
export async function request(method, path, options = {}) {
  const url = new URL(path, API);
  for (const [name, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(name, String(value));
  }
  /** @type {RequestInit} */
  const init = { method, headers: { Accept: 'application/json' }, signal: options.signal, credentials: 'same-origin' };
  if (method !== 'GET') {
    init.headers = { Accept: 'application/json', 'Content-Type': 'application/json' };
    init.body = JSON.stringify(options.body ?? {});
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'The server could not be reached.');
  }
  const text = await response.text();
  /** @type {any} */
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const message = data && typeof data.message === 'string' ? data.message : Array.isArray(data?.message) ? data.message.join('; ') : '';
    throw new ApiError(response.status, message || `${response.status} ${response.statusText}`);
  }
  return response.status === 202 || response.status === 204 ? null : data;
}

/**
 * `jobs/<id>` with the id escaped for a path segment.
 * @param {string} id
 * @param {string} [action]
 */
export function jobPath(id, action) {
  return `jobs/${encodeURIComponent(id)}${action ? `/${action}` : ''}`;
}

/** The event stream's URL (`{path}/api/events`). */
export function eventsUrl() {
  return new URL('events', API).href;
}
