// The apps' way to the server's JSON API: same-origin cookies, JSON both ways, and an error whose
// message is Korean a person can act on (the server's problem detail when it gave one).
import { text } from './strings.js';

export class ApiError extends Error {
  constructor(status, message, problem) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

export async function api(path, { method = 'GET', body, signal } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, text.offline);
  }
  if (response.status === 204) return null;
  const isJson = (response.headers.get('Content-Type') ?? '').includes('json');
  const data = isJson ? await response.json() : await response.text();
  if (response.ok) return data;
  const detail = isJson && data && typeof data.detail === 'string' ? data.detail : null;
  const fallback = response.status === 401 ? text.signInNeeded
    : response.status === 403 ? text.forbidden
    : response.status === 429 ? text.tooMany(Number(response.headers.get('Retry-After') ?? 60))
    : text.httpError(response.status);
  throw new ApiError(response.status, detail ?? fallback, isJson ? data : null);
}
