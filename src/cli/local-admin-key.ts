import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * The admin key of the local setup (`npm start` / `spillway up` without SPILLWAY_ADMIN_KEY): made
 * once, kept beside the default SQLite file (./spillway.db) readable by its owner only, and read by
 * `spillway spend`, `report` and `keys` when neither --admin-key nor SPILLWAY_ADMIN_KEY is given.
 */
export const localAdminKeyFile = 'spillway.admin-key';

/** The stored local admin key, or undefined when there is none (or it cannot be read). */
export function readLocalAdminKey(path = localAdminKeyFile): string | undefined {
  try {
    const key = readFileSync(path, 'utf8').trim();
    return key === '' ? undefined : key;
  } catch {
    return undefined;
  }
}

/** The stored local admin key, made (mode 0600) if there is none yet. */
export function ensureLocalAdminKey(path = localAdminKeyFile): string {
  const existing = readLocalAdminKey(path);
  if (existing !== undefined) return existing;
  const key = `sk-spillway-admin-${randomBytes(24).toString('base64url')}`;
  // `wx`: two starts at once never overwrite each other's key.
  try {
    writeFileSync(path, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch {
    return readLocalAdminKey(path) ?? key;
  }
  return key;
}

/** --admin-key, else SPILLWAY_ADMIN_KEY, else the local setup's stored key. */
export function defaultAdminKey(): string | undefined {
  return process.env['SPILLWAY_ADMIN_KEY'] ?? readLocalAdminKey();
}
