import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../errors/gateway-error.ts';

const sigv4 = 'AWS4-HMAC-SHA256 ';

/**
 * The key from `Authorization: Bearer <key>` (OpenAI, Anthropic SDK ≥ 1.0, the AWS SDKs given a
 * Bedrock API key) or `x-api-key` (older Anthropic SDKs). A SigV4 signature carries no key the
 * gateway can check (decision 0013): it is refused with a 401 saying what to send instead, rather
 * than served as an anonymous request the client believes it signed.
 */
export function requestCredential(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (authorization !== undefined && authorization.length > 7 && /^bearer /i.test(authorization)) {
    const key = authorization.slice(7).trim();
    if (key !== '') return key;
  }
  if (authorization?.startsWith(sigv4) === true) {
    throw new GatewayError(
      'AWS SigV4 signatures are not accepted: send the virtual key as a Bedrock API key ' +
        '(Authorization: Bearer, e.g. AWS_BEARER_TOKEN_BEDROCK)',
      { code: 'authentication_failed' },
    );
  }
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey !== '') return apiKey;
  return undefined;
}
