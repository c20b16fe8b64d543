import { createHash, createHmac } from 'node:crypto';

/**
 * The pieces of AWS Signature Version 4, written from the spec (docs/protocols.md, "SigV4 verification
 * in the simulator") so that the simulator accepts what any correct signer sends, not one signer's
 * choices: the canonical request is built from the request as it arrived.
 */

export const sigV4Algorithm = 'AWS4-HMAC-SHA256';

/** RFC 3986 encoding of everything but the unreserved characters (A-Z a-z 0-9 - _ . ~), as SigV4 wants. */
export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * The canonical URI of a non-S3 service: the path as sent (still percent-encoded once), normalised
 * (empty and `.` segments dropped, `..` pops) and encoded again, segment by segment. So a Bedrock
 * model id `…v1:0` sent as `…v1%3A0` is signed as `…v1%253A0`, and one sent with a bare `:` as `…v1%3A0`.
 */
export function canonicalUri(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(uriEncode(segment));
  }
  const trailing = segments.length > 0 && rawPath.endsWith('/') ? '/' : '';
  return `/${segments.join('/')}${trailing}`;
}

/**
 * The canonical query string: every parameter (but `X-Amz-Signature` when presigned) name and value
 * encoded, sorted by name, then value; joined with `&`.
 */
export function canonicalQuery(query: Iterable<readonly [string, string]>, omitSignature: boolean): string {
  const pairs: [string, string][] = [];
  for (const [name, value] of query) {
    if (omitSignature && name === 'X-Amz-Signature') continue;
    pairs.push([uriEncode(name), uriEncode(value)]);
  }
  pairs.sort(([nameA, valueA], [nameB, valueB]) =>
    nameA === nameB ? compare(valueA, valueB) : compare(nameA, nameB),
  );
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

/** Byte order (code-unit order is byte order for the ASCII that encoded strings are). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A header value as signed: line breaks and runs of blanks made one space, trimmed; several values joined by `,`. */
export function canonicalHeaderValue(value: string | readonly string[]): string {
  const values = typeof value === 'string' ? [value] : value;
  return values
    .map((one) =>
      one
        .replace(/[\r\n]/g, ' ')
        .replace(/[ \t]+/g, ' ')
        .trim(),
    )
    .join(',');
}

/** The canonical request (its lines, spec order). `headers` is in SignedHeaders order, values canonical. */
export function canonicalRequest(parts: {
  readonly method: string;
  readonly uri: string;
  readonly query: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly payloadHash: string;
}): string {
  const headerLines = parts.headers.map(([name, value]) => `${name}:${value}\n`).join('');
  const signedHeaders = parts.headers.map(([name]) => name).join(';');
  return `${parts.method}\n${parts.uri}\n${parts.query}\n${headerLines}\n${signedHeaders}\n${parts.payloadHash}`;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The credential scope `yyyymmdd/region/service/aws4_request`. */
export interface CredentialScope {
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

export function scopeString(scope: CredentialScope): string {
  return `${scope.date}/${scope.region}/${scope.service}/aws4_request`;
}

/** HMAC-SHA256 chain: secret → date → region → service → `aws4_request`. */
export function signingKey(secret: string, scope: CredentialScope): Buffer {
  let key: Buffer = Buffer.from(`AWS4${secret}`, 'utf8');
  for (const part of [scope.date, scope.region, scope.service, 'aws4_request']) {
    key = createHmac('sha256', key).update(part, 'utf8').digest();
  }
  return key;
}

/** The hex signature of a canonical request made at `amzDate` (ISO 8601 basic, `yyyymmddThhmmssZ`). */
export function signatureOf(
  secret: string,
  scope: CredentialScope,
  amzDate: string,
  request: string,
): string {
  const stringToSign = `${sigV4Algorithm}\n${amzDate}\n${scopeString(scope)}\n${sha256Hex(request)}`;
  return createHmac('sha256', signingKey(secret, scope)).update(stringToSign, 'utf8').digest('hex');
}

/** Parses `yyyymmddThhmmssZ` (SigV4's timestamp) to epoch ms, or undefined. */
export function parseAmzDate(value: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const time = Date.UTC(year, month - 1, day, hour, minute, second);
  return Number.isNaN(time) ? undefined : time;
}

/** Epoch ms as SigV4's timestamp. */
export function formatAmzDate(time: number): string {
  return new Date(time)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}
