import { createHash, timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { headerValue, type SimHttpRequest } from '../sim-http.ts';
import type { WorldIndex } from '../world-index.ts';
import type { BedrockException } from './bedrock-errors.ts';

/** Who called, and from which region. */
export interface BedrockCaller {
  readonly accountId: string;
  readonly region: string;
}

const authorizationPattern =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;
const maxSkewMs = 15 * 60 * 1000;

function denied(code: string, message: string, status = 403): BedrockException {
  return { code, status, message };
}

function parseAmzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  return new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 1, hour ?? 0, minute ?? 0, second ?? 0));
}

/**
 * Authenticates a Bedrock call: SigV4 (re-signed with the account's secret and compared; the region
 * is the credential scope's) or a Bedrock API key as bearer (the region is the key's home region).
 */
export class SigV4Verifier {
  private readonly index: WorldIndex;
  private readonly signers = new Map<string, SignatureV4>();

  constructor(index: WorldIndex) {
    this.index = index;
  }

  /** The caller, or the exception to answer with. */
  async authenticate(request: SimHttpRequest): Promise<BedrockCaller | BedrockException> {
    const authorization = headerValue(request, 'authorization');
    if (authorization === undefined)
      return denied('MissingAuthenticationTokenException', 'Missing Authentication Token');
    if (authorization.startsWith('Bearer ')) {
      const key = this.index.bedrockApiKey(authorization.slice(7).trim());
      if (key === undefined)
        return denied(
          'UnrecognizedClientException',
          'The security token included in the request is invalid.',
        );
      return { accountId: key.accountId, region: key.region };
    }
    const match = authorizationPattern.exec(authorization);
    if (match === null)
      return denied(
        'IncompleteSignatureException',
        'Authorization header requires Credential, SignedHeaders and Signature.',
        400,
      );
    const [, accessKeyId = '', , region = '', service = '', signedHeaderList = '', signature = ''] = match;
    const account = this.index.accessKey(accessKeyId);
    if (account === undefined)
      return denied('UnrecognizedClientException', 'The security token included in the request is invalid.');
    if (service !== 'bedrock')
      return denied(
        'InvalidSignatureException',
        `Credential should be scoped to correct service: 'bedrock'.`,
      );
    const amzDate = headerValue(request, 'x-amz-date');
    const signingDate = amzDate === undefined ? undefined : parseAmzDate(amzDate);
    if (signingDate === undefined)
      return denied(
        'IncompleteSignatureException',
        'Authorization header requires existence of either a X-Amz-Date or a Date header.',
        400,
      );
    // Signatures are made with the wall clock, not the simulated one.
    if (Math.abs(Date.now() - signingDate.getTime()) > maxSkewMs) {
      return denied(
        'InvalidSignatureException',
        `Signature expired: ${amzDate ?? ''} is now earlier or later than the allowed 15 minutes.`,
      );
    }
    const bodyHash = createHash('sha256').update(request.body).digest('hex');
    const declaredHash = headerValue(request, 'x-amz-content-sha256');
    if (declaredHash !== undefined && declaredHash !== bodyHash && declaredHash !== 'UNSIGNED-PAYLOAD') {
      return denied(
        'InvalidSignatureException',
        'The provided x-amz-content-sha256 header does not match what was computed.',
        400,
      );
    }
    const signedHeaders = signedHeaderList.split(';');
    const headers: Record<string, string> = {};
    for (const name of signedHeaders) {
      const value = request.headers[name];
      if (value === undefined)
        return denied('InvalidSignatureException', `Signed header ${name} is missing.`);
      headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
    const query: Record<string, string> = {};
    for (const [name, value] of request.query) query[name] = value;
    const signer = this.signerFor(accessKeyId, account.secret, headerValue(request, 'x-amz-security-token'));
    const signed = await signer.sign(
      {
        method: request.method,
        protocol: 'http:',
        hostname: 'localhost',
        path: request.rawPath,
        query,
        headers,
        body: request.body,
      },
      {
        signingDate,
        signingRegion: region,
        signingService: service,
        signableHeaders: new Set(signedHeaders),
      },
    );
    const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))?.[1] ?? '';
    if (
      expected.length !== signature.length ||
      !timingSafeEqual(Buffer.from(expected), Buffer.from(signature))
    ) {
      return denied(
        'InvalidSignatureException',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      );
    }
    return { accountId: account.accountId, region };
  }

  private signerFor(
    accessKeyId: string,
    secretAccessKey: string,
    sessionToken: string | undefined,
  ): SignatureV4 {
    const cacheKey = `${accessKeyId}\u0000${sessionToken ?? ''}`;
    let signer = this.signers.get(cacheKey);
    if (signer === undefined) {
      const credentials =
        sessionToken === undefined
          ? { accessKeyId, secretAccessKey }
          : { accessKeyId, secretAccessKey, sessionToken };
      // Session tokens vary per client; keep the cache bounded.
      if (this.signers.size >= 1000) this.signers.clear();
      signer = new SignatureV4({ service: 'bedrock', region: 'us-east-1', credentials, sha256: Sha256 });
      this.signers.set(cacheKey, signer);
    }
    return signer;
  }
}
