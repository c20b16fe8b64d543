import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { openaiErrorBody } from '../../dialects/openai-chat/openai-error.ts';
import { GatewayError } from '../../errors/gateway-error.ts';

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * Whether a request may use the admin API: 'off' when no `server.admin_key` is set, 'denied'
 * without a matching `Authorization: Bearer` key, else 'allowed'. The hashes are compared in
 * constant time (hashing first makes both sides the same length, so timing says nothing).
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

/** The error for a refused verdict, as every /admin route reports it. */
export function adminDenial(verdict: 'off' | 'denied'): GatewayError {
  return verdict === 'off'
    ? new GatewayError('the admin API is off: set server.admin_key to turn it on', {
        code: 'not_found',
      })
    : new GatewayError('invalid or missing admin key', { code: 'authentication_failed' });
}

/** Writes a JSON admin response (never cached). */
export function sendAdminJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * Checks the admin key; when refused, answers with the admin API's error body
 * (`{error:{message,type,param,code}}`) and returns false.
 */
export function requireAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  adminKey: string | undefined,
): boolean {
  const verdict = authorizeAdmin(req, adminKey);
  if (verdict === 'allowed') return true;
  const error = adminDenial(verdict);
  sendAdminJson(res, error.status, openaiErrorBody(error));
  return false;
}
