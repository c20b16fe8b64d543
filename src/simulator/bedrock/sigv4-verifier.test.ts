import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import type { SimHttpRequest } from '../sim-http.ts';
import {
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  sha256Hex,
  signatureOf,
  signingKey,
} from './sigv4-canonical.ts';
import { SigV4Verifier, type SigV4Keys } from './sigv4-verifier.ts';

const accessKeyId = 'AKIDSIGV4TEST';
const secretAccessKey = 'sigv4-test-secret';
const keys: SigV4Keys = {
  accessKey: (id) =>
    id === accessKeyId ? { accountId: '123456789012', secret: secretAccessKey } : undefined,
  bedrockApiKey: () => undefined,
};
const signedAt = new Date('2026-03-01T12:00:00Z');
const body = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hi' }] }] });
const converse = '/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse';

interface Wire {
  readonly method: string;
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly headers: Record<string, string>;
  readonly body: string;
}

function asSimRequest(wire: Wire): SimHttpRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(wire.headers)) headers[name.toLowerCase()] = value;
  return {
    method: wire.method,
    rawPath: wire.path,
    query: new URLSearchParams(wire.query ?? {}),
    headers,
    body: Buffer.from(wire.body),
  };
}

function smithy(options: { applyChecksum?: boolean; secret?: string } = {}): SignatureV4 {
  return new SignatureV4({
    service: 'bedrock',
    region: 'us-west-2',
    credentials: { accessKeyId, secretAccessKey: options.secret ?? secretAccessKey },
    sha256: Sha256,
    applyChecksum: options.applyChecksum ?? true,
  });
}

function unsigned(path = converse): Wire {
  return {
    method: 'POST',
    path,
    headers: { host: 'bedrock.test:7400', 'content-type': 'application/json' },
    body,
  };
}

async function signed(
  wire: Wire = unsigned(),
  options: { applyChecksum?: boolean; secret?: string } = {},
): Promise<Wire> {
  const result = await smithy(options).sign(
    { ...wire, protocol: 'http:', hostname: 'bedrock.test', query: wire.query ?? {} },
    { signingDate: signedAt },
  );
  return { ...wire, headers: result.headers };
}

function verifierAt(offsetMs: number): SigV4Verifier {
  return new SigV4Verifier(keys, () => signedAt.getTime() + offsetMs);
}

const verifier = verifierAt(0);

describe('SigV4 canonical pieces', () => {
  it('reproduces the AWS documentation example (IAM ListUsers)', () => {
    const scope = { date: '20150830', region: 'us-east-1', service: 'iam' };
    const secret = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
    expect(signingKey(secret, scope).toString('hex')).toBe(
      'c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9',
    );
    const request = canonicalRequest({
      method: 'GET',
      uri: canonicalUri('/'),
      query: canonicalQuery(new URLSearchParams('Version=2010-05-08&Action=ListUsers'), false),
      headers: [
        ['content-type', 'application/x-www-form-urlencoded; charset=utf-8'],
        ['host', 'iam.amazonaws.com'],
        ['x-amz-date', '20150830T123600Z'],
      ],
      payloadHash: sha256Hex(''),
    });
    expect(sha256Hex(request)).toBe('f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59');
    expect(signatureOf(secret, scope, '20150830T123600Z', request)).toBe(
      '5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    );
  });

  it('double-encodes path segments and normalises the path, as for every non-S3 service', () => {
    expect(canonicalUri('/model/a.b-v1%3A0/converse')).toBe('/model/a.b-v1%253A0/converse');
    expect(canonicalUri('/model/a.b-v1:0/converse')).toBe('/model/a.b-v1%3A0/converse');
    expect(canonicalUri('//model/./x/../y/')).toBe('/model/y/');
    expect(canonicalUri('')).toBe('/');
  });

  it('sorts query parameters by encoded name, then value, and leaves out X-Amz-Signature when presigned', () => {
    const query = new URLSearchParams('b=2&a=z&a=y&X-Amz-Signature=abc&c=a b');
    expect(canonicalQuery(query, true)).toBe('a=y&a=z&b=2&c=a%20b');
    expect(canonicalQuery(query, false)).toContain('X-Amz-Signature=abc');
  });
});

describe('SigV4Verifier', () => {
  it('accepts a request signed with x-amz-content-sha256 (the AWS SDK)', async () => {
    const wire = await signed();
    expect(wire.headers['x-amz-content-sha256']).toBe(sha256Hex(body));
    expect(verifier.authenticate(asSimRequest(wire))).toEqual({
      accountId: '123456789012',
      region: 'us-west-2',
    });
  });

  it('accepts a request signed without x-amz-content-sha256 (hashing the body itself)', async () => {
    const wire = await signed(unsigned(), { applyChecksum: false });
    expect(wire.headers['x-amz-content-sha256']).toBeUndefined();
    expect(verifier.authenticate(asSimRequest(wire))).toMatchObject({ region: 'us-west-2' });
  });

  it('verifies only the headers the client signed, whatever else arrives', async () => {
    const wire = await signed();
    const extra = {
      ...wire,
      headers: { ...wire.headers, 'user-agent': 'added later', 'x-forwarded-for': '1.2.3.4' },
    };
    expect(verifier.authenticate(asSimRequest(extra))).toMatchObject({ region: 'us-west-2' });
    const changed = { ...wire, headers: { ...wire.headers, 'content-type': 'text/plain' } };
    expect(verifier.authenticate(asSimRequest(changed))).toMatchObject({ code: 'InvalidSignatureException' });
  });

  it('accepts a model id sent with a bare colon as well as percent-encoded', async () => {
    const wire = await signed(unsigned('/model/us.anthropic.claude-sonnet-4-5-20250929-v1:0/converse'));
    expect(verifier.authenticate(asSimRequest(wire))).toMatchObject({ region: 'us-west-2' });
    // Signed encoded but sent bare is a different canonical URI.
    const encoded = await signed();
    const moved = { ...encoded, path: encoded.path.replace('%3A', ':') };
    expect(verifier.authenticate(asSimRequest(moved))).toMatchObject({ code: 'InvalidSignatureException' });
  });

  it('accepts HTTP/2 requests whose host was signed as :authority', async () => {
    const wire = unsigned();
    const { host, ...rest } = wire.headers;
    const h2 = await signed({ ...wire, headers: { ...rest, ':authority': host ?? '' } });
    expect(verifier.authenticate(asSimRequest(h2))).toMatchObject({ region: 'us-west-2' });
  });

  it('accepts a presigned request (query-string signature)', async () => {
    const wire = unsigned();
    const presigned = await smithy().presign(
      { ...wire, protocol: 'http:', hostname: 'bedrock.test', query: {} },
      { signingDate: signedAt, expiresIn: 600 },
    );
    const query = presigned.query as Record<string, string>;
    expect(query['X-Amz-Signature']).toMatch(/^[0-9a-f]{64}$/);
    const arrived = { ...wire, query, headers: presigned.headers as Record<string, string> };
    expect(verifierAt(599_000).authenticate(asSimRequest(arrived))).toMatchObject({ region: 'us-west-2' });
    expect(verifierAt(601_000).authenticate(asSimRequest(arrived))).toMatchObject({
      code: 'InvalidSignatureException',
      message: expect.stringMatching(/^Signature expired: 20260301T120000Z is now earlier than/) as string,
    });
    const tampered = { ...arrived, query: { ...query, extra: '1' } };
    expect(verifier.authenticate(asSimRequest(tampered))).toMatchObject({
      code: 'InvalidSignatureException',
    });
  });

  it('refuses a wrong secret with InvalidSignatureException and an unknown key with UnrecognizedClientException', async () => {
    const wrong = await signed(unsigned(), { secret: 'not-the-secret' });
    expect(verifier.authenticate(asSimRequest(wrong))).toEqual({
      code: 'InvalidSignatureException',
      status: 403,
      message: expect.stringContaining('does not match the signature you provided') as string,
    });
    const wire = await signed();
    const unknown = {
      ...wire,
      headers: {
        ...wire.headers,
        authorization: (wire.headers['authorization'] ?? '').replace(accessKeyId, 'AKIDNOBODY'),
      },
    };
    expect(verifier.authenticate(asSimRequest(unknown))).toMatchObject({
      code: 'UnrecognizedClientException',
      status: 403,
    });
  });

  it('refuses a tampered body, with or without a declared hash', async () => {
    for (const applyChecksum of [true, false]) {
      const wire = await signed(unsigned(), { applyChecksum });
      const tampered = { ...wire, body: body.replace('hi', 'ho') };
      expect(verifier.authenticate(asSimRequest(tampered))).toMatchObject({
        code: 'InvalidSignatureException',
        status: 403,
      });
    }
  });

  it('refuses a signature more than 5 minutes old or ahead, in AWS words', async () => {
    const wire = asSimRequest(await signed());
    expect(verifierAt(299_000).authenticate(wire)).toMatchObject({ region: 'us-west-2' });
    expect(verifierAt(301_000).authenticate(wire)).toEqual({
      code: 'InvalidSignatureException',
      status: 403,
      message:
        'Signature expired: 20260301T120000Z is now earlier than 20260301T120001Z (20260301T120501Z - 5 min.)',
    });
    expect(verifierAt(-301_000).authenticate(wire)).toMatchObject({
      code: 'InvalidSignatureException',
      message: expect.stringMatching(
        /^Signature not yet current: 20260301T120000Z is still later than/,
      ) as string,
    });
  });

  it('answers malformed or missing authorization with the AWS exceptions', async () => {
    const wire = await signed();
    const { authorization, ...rest } = wire.headers;
    expect(verifier.authenticate(asSimRequest({ ...wire, headers: rest }))).toMatchObject({
      code: 'MissingAuthenticationTokenException',
      status: 403,
    });
    const noSignature = (authorization ?? '').replace(/, Signature=.*$/, '');
    expect(
      verifier.authenticate(asSimRequest({ ...wire, headers: { ...rest, authorization: noSignature } })),
    ).toMatchObject({
      code: 'IncompleteSignatureException',
      status: 400,
      message: expect.stringContaining("requires 'Signature' parameter") as string,
    });
    const otherService = (authorization ?? '').replace('/bedrock/', '/s3/');
    expect(
      verifier.authenticate(asSimRequest({ ...wire, headers: { ...rest, authorization: otherService } })),
    ).toMatchObject({
      code: 'InvalidSignatureException',
      message: expect.stringContaining("scoped to correct service: 'bedrock'") as string,
    });
    const otherDay = (authorization ?? '').replace('/20260301/', '/20260302/');
    expect(
      verifier.authenticate(asSimRequest({ ...wire, headers: { ...rest, authorization: otherDay } })),
    ).toMatchObject({
      code: 'InvalidSignatureException',
      message: expect.stringContaining('Date in Credential scope does not match') as string,
    });
  });

  it('accepts a signature made over the Date header when there is no x-amz-date', () => {
    const scope = { date: '20260301', region: 'eu-west-1', service: 'bedrock' };
    const date = signedAt.toUTCString();
    const headers: [string, string][] = [
      ['date', date],
      ['host', 'bedrock.test:7400'],
    ];
    const canonical = canonicalRequest({
      method: 'POST',
      uri: canonicalUri(converse),
      query: '',
      headers,
      payloadHash: sha256Hex(body),
    });
    const signature = signatureOf(secretAccessKey, scope, '20260301T120000Z', canonical);
    const request = asSimRequest({
      ...unsigned(),
      headers: {
        host: 'bedrock.test:7400',
        date,
        authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20260301/eu-west-1/bedrock/aws4_request,SignedHeaders=date;host,Signature=${signature}`,
      },
    });
    expect(verifier.authenticate(request)).toMatchObject({ region: 'eu-west-1' });
  });

  it('requires the host to be signed', () => {
    const scope = { date: '20260301', region: 'us-east-1', service: 'bedrock' };
    const canonical = canonicalRequest({
      method: 'POST',
      uri: canonicalUri(converse),
      query: '',
      headers: [['x-amz-date', '20260301T120000Z']],
      payloadHash: sha256Hex(body),
    });
    const signature = signatureOf(secretAccessKey, scope, '20260301T120000Z', canonical);
    const request = asSimRequest({
      ...unsigned(),
      headers: {
        host: 'bedrock.test:7400',
        'x-amz-date': '20260301T120000Z',
        authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20260301/us-east-1/bedrock/aws4_request, SignedHeaders=x-amz-date, Signature=${signature}`,
      },
    });
    expect(verifier.authenticate(request)).toMatchObject({
      code: 'InvalidSignatureException',
      message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    });
  });
});
