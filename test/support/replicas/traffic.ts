import OpenAI from 'openai';

/** What a client saw for one request. */
export interface Outcome {
  /** HTTP status (0: no response at all, e.g. connection refused). */
  readonly status: number;
  /** x-spillway-deployment / x-spillway-model-group ('' when absent). */
  readonly deployment: string;
  readonly group: string;
  /** x-request-id ('' when absent). */
  readonly requestId: string;
  /** Retry-After on a rejection ('' when absent). */
  readonly retryAfter: string;
  /** Index of the gateway that took it. */
  readonly gateway: number;
}

/** One OpenAI SDK client per gateway URL, no SDK retries: every outcome is the gateway's own. */
export function clientsFor(urls: readonly string[], apiKey: string): OpenAI[] {
  return urls.map((url) => new OpenAI({ apiKey, baseURL: `${url}/v1`, maxRetries: 0, timeout: 30_000 }));
}

/** Sends one chat completion through `client` and records what came back. */
export async function sendChat(client: OpenAI, model: string, gateway: number): Promise<Outcome> {
  try {
    const { response } = await client.chat.completions
      .create({ model, messages: [{ role: 'user', content: 'Say hello.' }], max_completion_tokens: 16 })
      .withResponse();
    return {
      status: response.status,
      deployment: response.headers.get('x-spillway-deployment') ?? '',
      group: response.headers.get('x-spillway-model-group') ?? '',
      requestId: response.headers.get('x-request-id') ?? '',
      retryAfter: '',
      gateway,
    };
  } catch (error) {
    if (error instanceof OpenAI.APIError) {
      const headers = error.headers;
      return {
        status: error.status ?? 0,
        deployment: headers?.get('x-spillway-deployment') ?? '',
        group: headers?.get('x-spillway-model-group') ?? '',
        requestId: headers?.get('x-request-id') ?? '',
        retryAfter: headers?.get('retry-after') ?? '',
        gateway,
      };
    }
    throw error;
  }
}

/** `count` requests at once, request i to gateway i mod N (round-robin). */
export function burst(clients: readonly OpenAI[], model: string, count: number): Promise<Outcome[]> {
  return Promise.all(
    Array.from({ length: count }, (_, index) => {
      const gateway = index % clients.length;
      const client = clients[gateway];
      if (client === undefined) throw new Error('no clients');
      return sendChat(client, model, gateway);
    }),
  );
}

/**
 * `total` requests with at most `concurrency` in flight, round-robin over the clients;
 * `onSent(i)` runs before request i is sent (to cut something at a chosen point of the load).
 */
export async function load(
  clients: readonly OpenAI[],
  model: string,
  total: number,
  concurrency: number,
  onSent: (index: number) => Promise<void> | void = () => undefined,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const index = next;
      next += 1;
      await onSent(index);
      const gateway = index % clients.length;
      const client = clients[gateway];
      if (client === undefined) throw new Error('no clients');
      outcomes[index] = await sendChat(client, model, gateway);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return outcomes;
}

/** Counts outcomes by a label. */
export function countBy(
  outcomes: readonly Outcome[],
  label: (outcome: Outcome) => string,
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) {
    const key = label(outcome);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
