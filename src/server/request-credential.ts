import type { IncomingHttpHeaders } from 'node:http';

/** The key from `Authorization: Bearer <key>` (OpenAI, Anthropic SDK ≥ 1.0) or `x-api-key` (older Anthropic SDKs). */
export function requestCredential(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (authorization !== undefined && authorization.length > 7 && /^bearer /i.test(authorization)) {
    const key = authorization.slice(7).trim();
    if (key !== '') return key;
  }
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey !== '') return apiKey;
  return undefined;
}
