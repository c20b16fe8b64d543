import OpenAI, { APIError } from 'openai';
import { failure, type DrillClient, type DrillRequest, type SendOutcome } from './drill-sample.ts';

type Route = Pick<SendOutcome, 'deployment' | 'group' | 'region' | 'attempts' | 'request_id'>;

function header(headers: Headers, name: string): string | undefined {
  return headers.get(name) ?? undefined;
}

function routeOf(headers: Headers): Route {
  const attempts = header(headers, 'x-spillway-attempts');
  return {
    deployment: header(headers, 'x-spillway-deployment'),
    group: header(headers, 'x-spillway-model-group'),
    region: header(headers, 'x-spillway-region'),
    attempts: attempts === undefined ? undefined : Number(attempts),
    request_id: header(headers, 'x-spillway-request-id'),
  };
}

/** An OpenAI SDK client of the drill. */
export interface OpenaiClientOptions {
  /** Base URL with /v1. */
  readonly baseURL: string;
  /** Keys used round robin. */
  readonly keys: readonly string[];
  readonly model: string;
  /** Retries and timeout; absent: the SDK's defaults (2 retries, 10 minutes). */
  readonly sdk?: { readonly maxRetries: number; readonly timeoutMs: number } | undefined;
  /** Where the answer ran when no x-spillway-* header says (the naive client's deployment). */
  readonly where?: Route | undefined;
}

/**
 * Chat completions through the official OpenAI SDK, streamed or not. A stream counts as answered
 * only once it sent a finish reason (a stream cut before it is a broken answer).
 */
export function openaiClient(options: OpenaiClientOptions): DrillClient {
  const apiKeys = options.keys.length === 0 ? ['anonymous'] : options.keys;
  const clients = apiKeys.map(
    (apiKey) =>
      new OpenAI({
        baseURL: options.baseURL,
        apiKey,
        ...(options.sdk === undefined
          ? {}
          : { maxRetries: options.sdk.maxRetries, timeout: options.sdk.timeoutMs }),
      }),
  );
  const model = options.model;
  const where = (headers: Headers): Route => ({ ...options.where, ...definedOnly(routeOf(headers)) });
  return {
    async send(request: DrillRequest): Promise<SendOutcome> {
      const client = clients[request.index % clients.length] as OpenAI;
      const started = performance.now();
      const messages = [{ role: 'user' as const, content: request.prompt }];
      let route: Route | undefined;
      try {
        if (!request.stream) {
          const { data, response } = await client.chat.completions
            .create({ model, messages, max_completion_tokens: request.maxTokens }, { signal: request.signal })
            .withResponse();
          const elapsed = performance.now() - started;
          return {
            stream: false,
            ok: true,
            status: response.status,
            ttft_ms: elapsed,
            ttlt_ms: elapsed,
            ...where(response.headers),
            input_tokens: data.usage?.prompt_tokens ?? 0,
            output_tokens: data.usage?.completion_tokens ?? 0,
          };
        }
        const { data: stream, response } = await client.chat.completions
          .create(
            {
              model,
              messages,
              max_completion_tokens: request.maxTokens,
              stream: true,
              stream_options: { include_usage: true },
            },
            { signal: request.signal },
          )
          .withResponse();
        route = where(response.headers);
        let ttft: number | undefined;
        let finished = false;
        let tokens = { input: 0, output: 0 };
        for await (const chunk of stream) {
          if (ttft === undefined && (chunk.choices[0]?.delta.content ?? '') !== '') {
            ttft = performance.now() - started;
          }
          if (chunk.choices[0]?.finish_reason) finished = true;
          if (chunk.usage)
            tokens = { input: chunk.usage.prompt_tokens, output: chunk.usage.completion_tokens };
        }
        if (!finished) throw new Error('the stream ended without a finish_reason');
        const elapsed = performance.now() - started;
        return {
          stream: true,
          ok: true,
          status: response.status,
          ttft_ms: ttft ?? elapsed,
          ttlt_ms: elapsed,
          ...route,
          input_tokens: tokens.input,
          output_tokens: tokens.output,
        };
      } catch (error) {
        const api: APIError | undefined = error instanceof APIError ? (error as APIError) : undefined;
        const outcome = failure(error, api?.status ?? 0, performance.now() - started, request.stream);
        const headers = api?.headers;
        return { ...outcome, ...(route ?? (headers ? where(headers) : options.where)) };
      }
    },
  };
}

function definedOnly(route: Route): Route {
  return Object.fromEntries(Object.entries(route).filter(([, value]) => value !== undefined));
}

/**
 * The drill's client of the gateway: the official OpenAI SDK with retries off (the gateway does the
 * retrying; a client retry would hide what it answered), keys used round robin.
 */
export function gatewayClient(
  gatewayUrl: string,
  model: string,
  keys: readonly string[],
  timeoutMs: number,
): DrillClient {
  return openaiClient({ baseURL: `${gatewayUrl}/v1`, keys, model, sdk: { maxRetries: 0, timeoutMs } });
}
