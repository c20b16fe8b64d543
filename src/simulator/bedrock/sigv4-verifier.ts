import { timingSafeEqual } from 'node:crypto';
import { headerValue, type SimHttpRequest } from '../sim-http.ts';
import type { WorldIndex } from '../world-index.ts';
import type { BedrockException } from './bedrock-errors.ts';
import {
  canonicalHeaderValue,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  formatAmzDate,
  parseAmzDate,
  sha256Hex,
  signatureOf,
  sigV4Algorithm,
  type CredentialScope,
} from './sigv4-canonical.ts';

/** Who called, and from which region. */
export interface BedrockCaller {
  readonly accountId: string;
  readonly region: string;
}

/** The credentials the verifier looks keys up in (the world's). */
export type SigV4Keys = Pick<WorldIndex, 'accessKey' | 'bedrockApiKey'>;

/** What a SigV4 signature claims, from the Authorization header or the query string (presigned). */
interface SignedClaim {
  readonly accessKeyId: string;
  readonly scope: CredentialScope;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
  /** The signing time as sent (`yyyymmddThhmmssZ`, or a `Date` header converted). */
  readonly amzDate: string;
  /** Presigned: seconds the signature stays valid (X-Amz-Expires). */
  readonly expiresS: number | undefined;
}

/** The host under its other name, HTTP/1.1 ↔ HTTP/2. */
const hostAliases: Readonly<Record<string, string>> = { host: ':authority', ':authority': 'host' };

/** AWS allows this much clock skew either way for a signed request. */
const maxSkewMs = 5 * 60 * 1000;
/** Longest X-Amz-Expires AWS takes: a week. */
const maxExpiresS = 604_800;

const mismatchMessage =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

function denied(code: string, message: string, status = 403): BedrockException {
  return { code, status, message };
}
const incomplete = (message: string): BedrockException =>
  denied('IncompleteSignatureException', message, 400);
const invalid = (message: string): BedrockException => denied('InvalidSignatureException', message);

/** `AKID/yyyymmdd/region/service/aws4_request` → its parts. */
function parseCredential(credential: string): { accessKeyId: string; scope: CredentialScope } | undefined {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') return undefined;
  const [accessKeyId = '', date = '', region = '', service = ''] = parts;
  if (accessKeyId === '' || !/^\d{8}$/.test(date) || region === '' || service === '') return undefined;
  return { accessKeyId, scope: { date, region, service } };
}

/** The request's signing time: `x-amz-date`, else a `Date` header (as SigV4 allows). */
function headerDate(request: SimHttpRequest): string | undefined {
  const amzDate = headerValue(request, 'x-amz-date');
  if (amzDate !== undefined) return amzDate;
  const date = headerValue(request, 'date');
  const time = date === undefined ? Number.NaN : Date.parse(date);
  return Number.isNaN(time) ? undefined : formatAmzDate(time);
}

/** Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` (components in any order). */
function claimFromHeader(authorization: string, request: SimHttpRequest): SignedClaim | BedrockException {
  const fields = new Map<string, string>();
  for (const part of authorization.slice(sigV4Algorithm.length).split(',')) {
    const at = part.indexOf('=');
    if (at > 0) fields.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  const amzDate = headerDate(request);
  const missing = [
    ...['Credential', 'Signature', 'SignedHeaders']
      .filter((name) => !fields.has(name))
      .map((name) => `Authorization header requires '${name}' parameter.`),
    ...(amzDate === undefined
      ? ["Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."]
      : []),
  ];
  if (missing.length > 0) return incomplete(`${missing.join(' ')} Authorization=${sigV4Algorithm}`);
  const credential = parseCredential(fields.get('Credential') ?? '');
  if (credential === undefined)
    return incomplete(
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term`,
    );
  return {
    ...credential,
    signedHeaders: (fields.get('SignedHeaders') ?? '').split(';'),
    signature: fields.get('Signature') ?? '',
    amzDate: amzDate ?? '',
    expiresS: undefined,
  };
}

/** Parses a presigned request's `X-Amz-*` query parameters. */
function claimFromQuery(query: URLSearchParams): SignedClaim | BedrockException {
  const required = [
    'X-Amz-Algorithm',
    'X-Amz-Credential',
    'X-Amz-Signature',
    'X-Amz-SignedHeaders',
    'X-Amz-Date',
  ];
  const missing = required.filter((name) => !query.has(name));
  if (missing.length > 0)
    return incomplete(missing.map((name) => `AWS query-string parameters must include '${name}'.`).join(' '));
  if (query.get('X-Amz-Algorithm') !== sigV4Algorithm)
    return incomplete(`X-Amz-Algorithm only supports "${sigV4Algorithm}"`);
  const credential = parseCredential(query.get('X-Amz-Credential') ?? '');
  if (credential === undefined)
    return incomplete(
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term`,
    );
  const expires = query.get('X-Amz-Expires');
  const expiresS = expires === null ? maxExpiresS : Number(expires);
  if (!Number.isInteger(expiresS) || expiresS < 1 || expiresS > maxExpiresS)
    return incomplete(`X-Amz-Expires must be a positive number of seconds, at most a week (${maxExpiresS}).`);
  return {
    ...credential,
    signedHeaders: (query.get('X-Amz-SignedHeaders') ?? '').split(';'),
    signature: query.get('X-Amz-Signature') ?? '',
    amzDate: query.get('X-Amz-Date') ?? '',
    expiresS,
  };
}

/** Refuses a signing time too far from now (header auth) or a presigned URL outside its window. */
function timeProblem(claim: SignedClaim, signedAt: number, now: number): BedrockException | undefined {
  const nowText = formatAmzDate(now);
  if (signedAt > now + maxSkewMs) {
    return invalid(
      `Signature not yet current: ${claim.amzDate} is still later than ${formatAmzDate(now + maxSkewMs)} (${nowText} + 5 min.)`,
    );
  }
  if (claim.expiresS !== undefined) {
    if (now > signedAt + claim.expiresS * 1000)
      return invalid(
        `Signature expired: ${claim.amzDate} is now earlier than ${formatAmzDate(now - claim.expiresS * 1000)} (${nowText} - ${claim.expiresS} sec.)`,
      );
    return undefined;
  }
  if (signedAt < now - maxSkewMs) {
    return invalid(
      `Signature expired: ${claim.amzDate} is now earlier than ${formatAmzDate(now - maxSkewMs)} (${nowText} - 5 min.)`,
    );
  }
  return undefined;
}

/**
 * Authenticates a Bedrock call as AWS does: SigV4 in the Authorization header or the query string
 * (presigned), verified by rebuilding the canonical request from the request as it arrived and the
 * headers the client chose to sign (the region is the credential scope's); or a Bedrock API key as
 * bearer (the region is the key's home region).
 */
export class SigV4Verifier {
  private readonly index: SigV4Keys;
  /** Wall-clock ms: clients sign with the real clock, not the simulated one. Injectable for tests. */
  private readonly now: () => number;

  constructor(index: SigV4Keys, now: () => number = Date.now) {
    this.index = index;
    this.now = now;
  }

  /** The caller, or the exception to answer with. */
  authenticate(request: SimHttpRequest): BedrockCaller | BedrockException {
    const authorization = headerValue(request, 'authorization');
    if (authorization?.startsWith('Bearer ') === true) {
      const key = this.index.bedrockApiKey(authorization.slice(7).trim());
      if (key === undefined)
        return denied(
          'UnrecognizedClientException',
          'The security token included in the request is invalid.',
        );
      return { accountId: key.accountId, region: key.region };
    }
    let claim: SignedClaim | BedrockException;
    if (authorization !== undefined) {
      if (!authorization.startsWith(`${sigV4Algorithm} `))
        return incomplete(
          `Authorization header requires 'Credential' parameter. Authorization=${authorization.split(' ')[0] ?? ''}`,
        );
      claim = claimFromHeader(authorization, request);
    } else if (request.query.has('X-Amz-Algorithm') || request.query.has('X-Amz-Signature')) {
      claim = claimFromQuery(request.query);
    } else {
      return denied('MissingAuthenticationTokenException', 'Missing Authentication Token');
    }
    if ('code' in claim) return claim;
    return this.verify(request, claim);
  }

  private verify(request: SimHttpRequest, claim: SignedClaim): BedrockCaller | BedrockException {
    const account = this.index.accessKey(claim.accessKeyId);
    if (account === undefined)
      return denied('UnrecognizedClientException', 'The security token included in the request is invalid.');
    if (claim.scope.service !== 'bedrock')
      return invalid(`Credential should be scoped to correct service: 'bedrock'. `);
    const signedAt = parseAmzDate(claim.amzDate);
    if (signedAt === undefined)
      return incomplete(
        `Date must be in ISO-8601 'basic format'. Got '${claim.amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`,
      );
    if (claim.amzDate.slice(0, 8) !== claim.scope.date) {
      return invalid(
        `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${claim.scope.date}' != '${claim.amzDate.slice(0, 8)}', from '${claim.amzDate}'.`,
      );
    }
    const late = timeProblem(claim, signedAt, this.now());
    if (late !== undefined) return late;
    if (!claim.signedHeaders.includes('host') && !claim.signedHeaders.includes(':authority'))
      return invalid(`'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.`);
    const headers: [string, string][] = [];
    for (const name of claim.signedHeaders) {
      // HTTP/2 carries the host as :authority (the AWS SDK signs it under that name over h2).
      const value = request.headers[name] ?? request.headers[hostAliases[name] ?? ''];
      if (value === undefined) return invalid(mismatchMessage);
      headers.push([name, canonicalHeaderValue(value)]);
    }
    // A declared body hash stands in the canonical request (any signer may send one, signed or not),
    // but must be the body's: a tampered body fails as a wrong signature does.
    const bodyHash = sha256Hex(request.body);
    const declared = headerValue(request, 'x-amz-content-sha256');
    if (declared !== undefined && declared !== 'UNSIGNED-PAYLOAD' && declared !== bodyHash)
      return invalid(mismatchMessage);
    const canonical = canonicalRequest({
      method: request.method,
      uri: canonicalUri(request.rawPath),
      query: canonicalQuery(request.query, claim.expiresS !== undefined),
      headers,
      payloadHash: declared ?? bodyHash,
    });
    const expected = signatureOf(account.secret, claim.scope, claim.amzDate, canonical);
    if (
      expected.length !== claim.signature.length ||
      !timingSafeEqual(Buffer.from(expected), Buffer.from(claim.signature))
    ) {
      return invalid(mismatchMessage);
    }
    return { accountId: account.accountId, region: claim.scope.region };
  }
}
