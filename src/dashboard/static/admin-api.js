/* global fetch, sessionStorage */
// The admin API, with the admin key from sessionStorage as the bearer token.

const storageKey = 'spillway.adminKey';

/** An admin API answer other than 2xx. */
export class AdminError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export const session = {
  key: () => sessionStorage.getItem(storageKey),
  signIn: (key) => sessionStorage.setItem(storageKey, key),
  signOut: () => sessionStorage.removeItem(storageKey),
};

/** Calls `path` (under /admin) and answers its JSON; throws AdminError on a non-2xx answer. */
export async function admin(path, { method = 'GET', body, key = session.key() } = {}) {
  const headers = { authorization: `Bearer ${key ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`/admin${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  const text = await response.text();
  let parsed;
  try {
    parsed = text === '' ? {} : JSON.parse(text);
  } catch {
    parsed = {};
  }
  if (!response.ok) {
    throw new AdminError(
      response.status,
      parsed?.error?.message ?? `${response.status} ${response.statusText}`,
    );
  }
  return parsed;
}
