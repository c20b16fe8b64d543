import { hash, randomBytes } from 'node:crypto';

/** Every key Spillway issues starts with this, so secret scanners and people recognise it. */
export const virtualKeyPrefix = 'sk-spw-';

/** Characters of a key shown for identification (prefix + 5 of its 43 random characters). */
const displayLength = 12;

/** A new virtual key: `sk-spw-` + 32 random bytes in base64url (256 bits). Shown once, never stored. */
export function generateVirtualKey(): string {
  return `${virtualKeyPrefix}${randomBytes(32).toString('base64url')}`;
}

/** Lowercase hex SHA-256 of a key: what is stored and looked up. */
export function hashKey(key: string): string {
  // One-shot hash(): a third of createHash()'s cost for a short input (once per request).
  return hash('sha256', key, 'hex');
}

/** The non-secret start of a key, for lists and logs. */
export function displayPrefix(key: string): string {
  return key.slice(0, displayLength);
}

/** A new stable, non-secret key id. */
export function createKeyId(): string {
  return `key_${randomBytes(9).toString('base64url')}`;
}

/**
 * Id of a key from the config file: stable across restarts and reorderings. Derived from a
 * domain-separated hash, truncated to 32 bits so it says next to nothing about a short key.
 */
export function configKeyId(tenant: string, key: string): string {
  const digest = hash('sha256', `spillway-config-key-id\0${key}`, 'hex');
  return `cfg_${tenant}_${digest.slice(0, 8)}`;
}
