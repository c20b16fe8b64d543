import { createHash } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Dispatcher } from 'undici';
import type { Clock } from '../../core/clock.ts';
import type { GatewayError } from '../../errors/gateway-error.ts';
import { parseRetryAfter } from '../../errors/upstream-errors.ts';
import { readErrorBody } from '../shared/send-upstream-request.ts';
import { abortedError, classifyTransportError } from '../shared/transport-errors.ts';
import { sharedPools, type ConnectionTuning, type PoolLease } from '../shared/upstream-pool.ts';
import type { BedrockAuth } from './bedrock-credentials.ts';
import { classifyBedrockError } from './classify-bedrock-error.ts';

/**
 * Signed HTTP calls to one Bedrock Runtime endpoint: builds the path, signs (SigV4, service
 * `bedrock`) or sets the bearer API key, dispatches on the shared pool, and turns every non-2xx
 * response and transport failure into a classified GatewayError.
 */

export interface BedrockTransportOptions {
  /** Region for the default endpoint and the SigV4 scope. */
  readonly region: string;
  /** Endpoint override (e.g. a VPC endpoint or a simulator); default `https://bedrock-runtime.{region}.amazonaws.com`. */
  readonly endpoint?: string | undefined;
  readonly auth: BedrockAuth;
  readonly clock: Clock;
  /** The provider's connection settings (max_connections, http2). */
  readonly connections?: ConnectionTuning | undefined;
}

/** A 2xx response whose body the caller must consume or destroy. */
export interface BedrockResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Dispatcher.ResponseData['body'];
  /** `x-amzn-requestid`, when sent. */
  readonly requestId: string | undefined;
}

export class BedrockTransport {
  private readonly url: URL;
  private readonly basePath: string;
  private readonly lease: PoolLease;
  private readonly signer: SignatureV4 | undefined;
  private readonly bearer: string | undefined;
  private readonly clock: Clock;

  constructor(options: BedrockTransportOptions) {
    this.url = new URL(options.endpoint ?? `https://bedrock-runtime.${options.region}.amazonaws.com`);
    this.basePath = this.url.pathname.replace(/\/+$/, '');
    this.lease = sharedPools.acquire(this.url.origin, options.connections);
    this.clock = options.clock;
    if (options.auth.kind === 'bearer') {
      this.bearer = `Bearer ${options.auth.token}`;
    } else {
      // One signer per model: it caches the derived signing key per day and credentials.
      this.signer = new SignatureV4({
        service: 'bedrock',
        region: options.region,
        credentials: options.auth.credentials,
        sha256: Sha256,
      });
    }
  }

  /**
   * POSTs `body` to `/model/{modelId}/{operation}` (the id percent-encoded, so profile ids and ARNs
   * pass through unchanged). Resolves with a 2xx response; rejects with a GatewayError.
   */
  async post(
    modelId: string,
    operation: string,
    body: string,
    signal: AbortSignal,
    accept: string,
  ): Promise<BedrockResponse> {
    return this.postPath(`/model/${encodeURIComponent(modelId)}/${operation}`, body, signal, accept);
  }

  /** POSTs `body` to `path` (below the endpoint's base path), e.g. ApplyGuardrail's `/guardrail/…/apply`. */
  async postPath(
    relativePath: string,
    body: string,
    signal: AbortSignal,
    accept: string,
  ): Promise<BedrockResponse> {
    const path = `${this.basePath}${relativePath}`;
    const headers = await this.headersFor(path, body, accept);
    let response: Dispatcher.ResponseData;
    try {
      response = await this.lease.pool.request({ method: 'POST', path, headers, body, signal });
    } catch (error) {
      throw classifyTransportError(error, signal, 'request', 'bedrock');
    }
    const requestId = firstHeader(response.headers['x-amzn-requestid']);
    if (response.statusCode >= 200 && response.statusCode < 300) {
      return { status: response.statusCode, headers: response.headers, body: response.body, requestId };
    }
    throw await this.errorFrom(response, signal);
  }

  /** Releases this model's lease on the pool. */
  close(): Promise<void> {
    return this.lease.release();
  }

  private async headersFor(path: string, body: string, accept: string): Promise<Record<string, string>> {
    const base: Record<string, string> = {
      host: this.url.host,
      'content-type': 'application/json',
      accept,
    };
    if (this.signer === undefined) {
      base['authorization'] = this.bearer ?? '';
      return base;
    }
    // The payload hash, computed natively: the signer takes it from this header instead of hashing
    // the (possibly large) body again in JavaScript. Only the small HMACs use sha256-js.
    base['x-amz-content-sha256'] = createHash('sha256').update(body).digest('hex');
    const signed = await this.signer.sign(
      {
        method: 'POST',
        protocol: this.url.protocol,
        hostname: this.url.hostname,
        ...(this.url.port === '' ? {} : { port: Number(this.url.port) }),
        path,
        query: {},
        headers: base,
        body,
      },
      { signingDate: new Date(this.clock.now()) },
    );
    return signed.headers;
  }

  private async errorFrom(response: Dispatcher.ResponseData, signal: AbortSignal): Promise<GatewayError> {
    // At most 64 KiB: an error page of many megabytes (or one that never ends) must not be
    // buffered whole; the status and the start of the body classify it.
    const text = await readErrorBody(response.body);
    if (signal.aborted) return abortedError(signal);
    const parsed = parseErrorBody(text);
    const headerType = firstHeader(response.headers['x-amzn-errortype']);
    return classifyBedrockError({
      status: response.statusCode,
      errorType: headerType ?? parsed.code,
      message: parsed.message ?? (text.slice(0, 500) || `HTTP ${response.statusCode}`),
      retryAfterMs: parseRetryAfter(response.headers, this.clock.now()),
    });
  }
}

function parseErrorBody(text: string): { message?: string; code?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof value !== 'object' || value === null) return {};
  const record = value as Record<string, unknown>;
  const pick = (...keys: string[]): string | undefined => {
    for (const key of keys) {
      const field = record[key];
      if (typeof field === 'string') return field;
    }
    return undefined;
  };
  const message = pick('message', 'Message');
  const code = pick('code', '__type');
  return { ...(message === undefined ? {} : { message }), ...(code === undefined ? {} : { code }) };
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
