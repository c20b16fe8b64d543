import OpenAI, { APIError } from 'openai';
import { failure, type DrillClient, type DrillRequest, type SendOutcome } from './drill-sample.ts';

function header(headers: Headers, name: string): string | undefined {
  return headers.get(name) ?? undefined;
}

function routeOf(headers: Headers): Pick<SendOutcome, 'deployment' | 'group' | 'region' | 'attempts'> {
  const attempts = header(headers, 'x-spillway-attempts');
  return {
    deployment: header(headers, 'x-spillway-deployment'),
    group: header(headers, 'x-spillway-model-group'),
    region: header(headers, 'x-spillway-region'),
    attempts: attempts === undefined ? undefined : Number(attempts),
  };
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
  const apiKeys = keys.length === 0 ? ['anonymous'] : keys;
  const clients = apiKeys.map(
    (apiKey) => new OpenAI({ baseURL: `${gatewayUrl}/v1`, apiKey, maxRetries: 0, timeout: timeoutMs }),
  );
  return {
    async send(request: DrillRequest): Promise<SendOutcome> {
      const client = clients[request.index % clients.length] as OpenAI;
      const started = performance.now();
      const messages = [{ role: 'user' as const, content: request.prompt }];
      let route: ReturnType<typeof routeOf> | undefined;
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
            ...routeOf(response.headers),
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
        route = routeOf(response.headers);
        let ttft: number | undefined;
        let input = 0;
        let output = 0;
        for await (const chunk of stream) {
          if (ttft === undefined && (chunk.choices[0]?.delta.content ?? '') !== '') {
            ttft = performance.now() - started;
          }
          if (chunk.usage) {
            input = chunk.usage.prompt_tokens;
            output = chunk.usage.completion_tokens;
          }
        }
        const elapsed = performance.now() - started;
        return {
          stream: true,
          ok: true,
          status: response.status,
          ttft_ms: ttft ?? elapsed,
          ttlt_ms: elapsed,
          ...route,
          input_tokens: input,
          output_tokens: output,
        };
      } catch (error) {
        const api: APIError | undefined = error instanceof APIError ? (error as APIError) : undefined;
        const outcome = failure(error, api?.status ?? 0, performance.now() - started, request.stream);
        const headers = api?.headers;
        return { ...outcome, ...(route ?? (headers ? routeOf(headers) : {})) };
      }
    },
  };
}
