import type { CallTarget, Simulation } from '../simulation.ts';
import type { SimFailure } from '../sim-failure.ts';
import { headerValue, type SimHttpRequest, type SimHttpResponse } from '../sim-http.ts';
import { countInputTokens } from '../text-generator.ts';
import type { ChatProtocol, ResponseMeta } from '../wire-protocol.ts';
import {
  anthropicMessage,
  anthropicRequestSchema,
  anthropicStreamEvents,
  anthropicThinkingProblem,
  anthropicToSim,
} from './anthropic-codec.ts';

interface AnthropicError {
  readonly status: number;
  readonly type: string;
  readonly message: string;
  readonly retryAfterMs?: number;
}

const typeByStatus: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'conflict_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

const versions = new Set(['2023-06-01', '2026-10-21']);

/** A failure in Anthropic's terms (protocols.md 3.4). */
export function anthropicError(failure: SimFailure): AnthropicError {
  switch (failure.kind) {
    case 'rate':
      return {
        status: 429,
        type: 'rate_limit_error',
        message:
          failure.message ??
          `This request would exceed the rate limit for your organization of ${failure.reason === 'rpm' ? 'requests' : 'input tokens'} per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.`,
        retryAfterMs: failure.retryAfterMs,
      };
    case 'context_window':
      return {
        status: 400,
        type: 'invalid_request_error',
        message: `prompt is too long: ${failure.inputTokens} tokens > ${failure.limit} maximum`,
      };
    case 'status': {
      const type =
        failure.code ??
        typeByStatus[failure.status] ??
        (failure.status >= 500 ? 'api_error' : 'invalid_request_error');
      const message =
        failure.message ??
        (type === 'overloaded_error'
          ? 'Overloaded'
          : type === 'api_error'
            ? 'Internal server error'
            : 'Invalid request');
      return {
        status: failure.status,
        type,
        message,
        ...(failure.status === 429 || failure.status === 529 ? { retryAfterMs: 1000 } : {}),
      };
    }
  }
}

function rateHeaders(meta: ResponseMeta | undefined): Record<string, string> {
  if (meta === undefined) return {};
  const { limit, remaining } = meta.quota;
  const at = (ms: number): string => new Date(meta.now + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const headers: Record<string, string> = {
    'anthropic-ratelimit-requests-limit': String(limit.rpm),
    'anthropic-ratelimit-requests-remaining': String(remaining.requests),
    'anthropic-ratelimit-requests-reset': at(remaining.resetRequestsMs),
  };
  for (const kind of ['tokens', 'input-tokens', 'output-tokens']) {
    headers[`anthropic-ratelimit-${kind}-limit`] = String(limit.tpm);
    headers[`anthropic-ratelimit-${kind}-remaining`] = String(remaining.tokens);
    headers[`anthropic-ratelimit-${kind}-reset`] = at(remaining.resetTokensMs);
  }
  return headers;
}

function requestIdOf(requestId: string): string {
  return `req_${requestId.replaceAll('-', '').slice(0, 24)}`;
}

/** Sends `{"type":"error","error":{...},"request_id":...}` with request-id and retry-after. */
export function sendAnthropicError(
  http: SimHttpResponse,
  error: AnthropicError,
  requestId: string,
  meta?: ResponseMeta,
): void {
  const body = JSON.stringify({
    type: 'error',
    error: { type: error.type, message: error.message },
    request_id: requestIdOf(requestId),
  });
  const retry =
    error.retryAfterMs === undefined
      ? {}
      : { 'retry-after': String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))) };
  http.writeHead(error.status, {
    'request-id': requestIdOf(requestId),
    ...rateHeaders(meta),
    ...retry,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
  });
  http.end(body);
}

function sse(type: string, data: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

const messageId = (meta: ResponseMeta): string => `msg_01${meta.requestId.replaceAll('-', '').slice(0, 22)}`;

const protocol: ChatProtocol = {
  errorCode: (failure) => anthropicError(failure).type,
  sendError: (http, failure, meta) => {
    sendAnthropicError(http, anthropicError(failure), meta.requestId, meta);
  },
  sendMalformed: (http, meta) => {
    const body = '{"id":"msg_malformed","type":"message","content":[{"type":"text","text":';
    http.writeHead(200, {
      'request-id': requestIdOf(meta.requestId),
      ...rateHeaders(meta),
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
    });
    http.end(body);
  },
  sendResult: (http, result, meta) => {
    const body = JSON.stringify(anthropicMessage(result, messageId(meta), meta.modelId));
    http.writeHead(200, {
      'request-id': requestIdOf(meta.requestId),
      ...rateHeaders(meta),
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
    });
    http.end(body);
  },
  startStream: (http, meta) => {
    http.writeHead(200, {
      'request-id': requestIdOf(meta.requestId),
      ...rateHeaders(meta),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
    });
  },
  streamFrames: (result, meta) =>
    anthropicStreamEvents(result, messageId(meta), meta.modelId).map((event) => ({
      data: sse(event.type, event.data),
      tokens: event.tokens,
    })),
  streamError: (failure) => {
    const error = anthropicError(failure);
    return sse('error', { type: 'error', error: { type: error.type, message: error.message } });
  },
  malformedFrame: () =>
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{\n\n',
};

/** The Anthropic Messages API: POST /v1/messages and /v1/messages/count_tokens. */
export class AnthropicApi {
  private readonly sim: Simulation;

  constructor(sim: Simulation) {
    this.sim = sim;
  }

  /** Serves one request whose path starts with /v1/messages. */
  async handle(request: SimHttpRequest, http: SimHttpResponse): Promise<void> {
    const requestId = this.sim.requestId();
    const endpoint = this.sim.index.world.anthropic;
    const fail = (status: number, message: string): void => {
      sendAnthropicError(
        http,
        { status, type: typeByStatus[status] ?? 'invalid_request_error', message },
        requestId,
      );
    };
    const authorization = headerValue(request, 'authorization');
    const key =
      headerValue(request, 'x-api-key') ??
      (authorization?.startsWith('Bearer ') === true ? authorization.slice(7).trim() : undefined);
    if (key === undefined) {
      fail(401, 'x-api-key header is required');
      return;
    }
    if (!endpoint.api_keys.includes(key)) {
      fail(401, 'invalid x-api-key');
      return;
    }
    const version = headerValue(request, 'anthropic-version');
    if (version === undefined) {
      fail(400, 'anthropic-version: header is required');
      return;
    }
    if (!versions.has(version)) {
      fail(400, `anthropic-version: invalid version "${version}"`);
      return;
    }
    const path = request.rawPath.replace(/\/+$/, '');
    const operation =
      path === '/v1/messages' ? 'Messages' : path === '/v1/messages/count_tokens' ? 'CountTokens' : undefined;
    if (request.method !== 'POST' || operation === undefined) {
      fail(404, `Not found: ${request.method} ${path}`);
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(request.body.toString('utf8'));
    } catch {
      fail(400, 'The request body is not valid JSON.');
      return;
    }
    const parsed = anthropicRequestSchema.safeParse(
      operation === 'CountTokens' && typeof body === 'object' ? { max_tokens: 1, ...body } : body,
    );
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      fail(400, `${issue?.path.join('.') ?? 'body'}: ${issue?.message ?? 'invalid'}`);
      return;
    }
    if (version === '2026-10-21') {
      for (const field of ['temperature', 'top_p', 'top_k'] as const) {
        if (parsed.data[field] !== undefined) {
          fail(400, `${field}: Extra inputs are not permitted`);
          return;
        }
      }
    }
    const thinkingProblem = operation === 'Messages' ? anthropicThinkingProblem(parsed.data) : undefined;
    if (thinkingProblem !== undefined) {
      fail(400, thinkingProblem);
      return;
    }
    const modelId = parsed.data.model ?? '';
    const model = this.sim.index.endpointModel('anthropic', modelId);
    if (model === undefined) {
      fail(404, `model: ${modelId}`);
      return;
    }
    const simRequest = anthropicToSim(parsed.data);
    if (operation === 'CountTokens') {
      const text = JSON.stringify({ input_tokens: countInputTokens(simRequest) });
      http.writeHead(200, {
        'request-id': requestIdOf(requestId),
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(text)),
      });
      http.end(text);
      return;
    }
    const target: CallTarget = {
      api: 'anthropic',
      operation,
      accountId: endpoint.account,
      region: endpoint.region,
      modelId,
      model,
      regions: [endpoint.region],
      stream: parsed.data.stream === true,
      requestId,
    };
    await this.sim.runChat(target, simRequest, protocol, http);
  }
}
