// fetch wrapper: JSON in and out, CSRF header on changes, API errors as ApiError.
let csrf = null;
let onUnauthorized = () => {};

export const setCsrf = (token) => { csrf = token || null; };
export const setUnauthorizedHandler = (fn) => { onUnauthorized = fn; };

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

const FALLBACK = {
  0: 'Le service est injoignable. Vérifiez votre connexion puis réessayez.',
  400: 'La demande est incorrecte.',
  401: 'Votre session a expiré. Reconnectez-vous.',
  403: 'Cette action n’est pas autorisée.',
  404: 'Élément introuvable.',
  413: 'Le message est trop volumineux.',
  422: 'Le document n’est pas valide.',
  429: 'Trop de tentatives. Patientez avant de réessayer.',
};

/**
 * api('GET', '/api/messages') → parsed JSON (null for 204).
 * options.auth === false: a 401 is the caller's business (login form, session probe).
 */
export async function api(method, path, body, options = {}, retried = false) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
  let res;
  try {
    res = await fetch(path, {
      method, headers, credentials: 'same-origin', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', FALLBACK[0]);
  }
  if (res.status === 204) return null;
  let data = null;
  if ((res.headers.get('content-type') || '').includes('json')) data = await res.json().catch(() => null);
  if (res.ok) return data;
  const err = data && data.error ? data.error : {};
  const code = err.code || `HTTP_${res.status}`;
  // token lost or rotated: fetch the session's token once and try again
  if (res.status === 403 && code === 'CSRF' && !retried) {
    const s = await api('GET', '/api/session', undefined, { auth: false }).catch(() => null);
    if (s && s.csrf) { setCsrf(s.csrf); return api(method, path, body, options, true); }
  }
  const error = new ApiError(res.status, code,
    err.message || FALLBACK[res.status] || 'Une erreur est survenue. Réessayez plus tard.',
    res.headers.get('retry-after'));
  if (res.status === 401 && options.auth !== false) onUnauthorized(error);
  throw error;
}

export const get = (path, options) => api('GET', path, undefined, options);
export const post = (path, body, options) => api('POST', path, body ?? {}, options);
export const put = (path, body, options) => api('PUT', path, body ?? {}, options);
export const del = (path, options) => api('DELETE', path, undefined, options);

/** '/api/x' + {a: 1, b: null} → '/api/x?a=1' */
export function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v != null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

const cache = new Map();
/** GET once per page load (lists that do not change: categories). */
export function getOnce(path) {
  if (!cache.has(path)) cache.set(path, get(path).catch((e) => { cache.delete(path); throw e; }));
  return cache.get(path);
}
