import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Whether a request may read admin data: 'off' when no `server.admin_key` is set (the admin API is
 * off), 'denied' without a matching `Authorization: Bearer` key, else 'allowed'. Constant-time compare
 * of hashes, as the admin API does.
 */
export function authorizeAdmin(
  req: IncomingMessage,
  adminKey: string | undefined,
): 'off' | 'denied' | 'allowed' {
  if (adminKey === undefined) return 'off';
  const header = req.headers.authorization ?? '';
  const presented = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() ?? '';
  if (presented === '' || !timingSafeEqual(sha256(presented), sha256(adminKey))) return 'denied';
  return 'allowed';
}
