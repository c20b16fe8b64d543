import OpenAI, { APIError } from 'openai';
import type { DemoContext } from './demo-context.ts';

/** How one request of a scenario ended, as the client saw it. */
export interface RequestOutcome {
  /** 1-based position in the batch. */
  readonly index: number;
  /** Who sent it (a tenant label, or the batch's label). */
  readonly sender: string;
  /** HTTP status (0 when no response arrived). */
  readonly status: number;
  /** `x-spillway-deployment` of a success. */
  readonly deployment: string | undefined;
  /** `x-spillway-model-group` of a success (differs from `model` after a fallback). */
  readonly group: string | undefined;
  /** `x-spillway-region` of a success. */
  readonly region: string | undefined;
  /** `x-spillway-attempts` (upstream attempts, failed ones included). */
  readonly attempts: number | undefined;
  /** `Retry-After` of a 429 or 503, as sent. */
  readonly retryAfter: string | undefined;
  /** Error message of a failure. */
  readonly error: string | undefined;
  /** Client-side time from send to the full response. */
  readonly ms: number;
}

/** A batch of identical chat requests sent concurrently through the official OpenAI SDK. */
export interface RequestBatch {
  /** Gateway base URL. */
  readonly gatewayUrl: string;
  /** Virtual key sent as the bearer token. */
  readonly apiKey: string;
  /** Model group requested. */
  readonly model: string;
  /** How many requests. */
  readonly count: number;
  /** Label of the sender in progress lines and outcomes. */
  readonly sender: string;
  /** Most requests in flight at once (default: all of them). */
  readonly concurrency?: number;
  /** Print a progress line per completed request (default: the context's setting). */
  readonly progress?: boolean;
}

function header(headers: Headers | undefined, name: string): string | undefined {
  return headers?.get(name) ?? undefined;
}

function numberOrUndefined(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

/** One progress line: sender, status, deployment, group, region, attempts, ms. */
export function formatOutcome(outcome: RequestOutcome): string {
  const position = `#${String(outcome.index).padStart(2, '0')}`;
  const ms = `${String(Math.round(outcome.ms)).padStart(5)} ms`;
  if (outcome.status === 200) {
    return (
      `  ${outcome.sender} ${position}  200  ${outcome.deployment ?? '?'}  group ${outcome.group ?? '?'}` +
      `  region ${outcome.region ?? '?'}  attempts ${outcome.attempts ?? '?'}  ${ms}\n`
    );
  }
  const retry = outcome.retryAfter === undefined ? '' : `  Retry-After ${outcome.retryAfter}s`;
  return `  ${outcome.sender} ${position}  ${outcome.status}  ${outcome.error ?? 'failed'}${retry}  ${ms}\n`;
}

async function sendOne(
  client: OpenAI,
  model: string,
  index: number,
  sender: string,
): Promise<RequestOutcome> {
  const started = performance.now();
  try {
    const { response } = await client.chat.completions
      .create({
        model,
        messages: [{ role: 'user', content: `Demo request ${index}: say hello in one short sentence.` }],
        max_completion_tokens: 32,
      })
      .withResponse();
    return {
      index,
      sender,
      status: response.status,
      deployment: header(response.headers, 'x-spillway-deployment'),
      group: header(response.headers, 'x-spillway-model-group'),
      region: header(response.headers, 'x-spillway-region'),
      attempts: numberOrUndefined(header(response.headers, 'x-spillway-attempts')),
      retryAfter: undefined,
      error: undefined,
      ms: performance.now() - started,
    };
  } catch (error) {
    const api: APIError | undefined = error instanceof APIError ? (error as APIError) : undefined;
    return {
      index,
      sender,
      status: api?.status ?? 0,
      deployment: undefined,
      group: undefined,
      region: undefined,
      attempts: numberOrUndefined(header(api?.headers, 'x-spillway-attempts')),
      retryAfter: header(api?.headers, 'retry-after'),
      error: error instanceof Error ? error.message.replace(/^\d{3} /, '') : String(error),
      ms: performance.now() - started,
    };
  }
}

/** Sends the batch; prints a line as each request completes; resolves with outcomes in send order. */
export async function sendRequests(context: DemoContext, batch: RequestBatch): Promise<RequestOutcome[]> {
  // maxRetries 0: the SDK would otherwise retry 429s itself and hide what the gateway answered.
  const client = new OpenAI({ baseURL: `${batch.gatewayUrl}/v1`, apiKey: batch.apiKey, maxRetries: 0 });
  const progress = batch.progress ?? context.progress;
  const outcomes: RequestOutcome[] = new Array<RequestOutcome>(batch.count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < batch.count) {
      const position = next;
      next += 1;
      const outcome = await sendOne(client, batch.model, position + 1, batch.sender);
      outcomes[position] = outcome;
      if (progress) context.out.write(formatOutcome(outcome));
    }
  };
  const workers = Math.max(1, Math.min(batch.concurrency ?? batch.count, batch.count));
  await Promise.all(Array.from({ length: workers }, worker));
  return outcomes;
}

/** Counts of `values` by key, in first-seen order. */
export function countBy<T>(values: readonly T[], key: (value: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(key(value), (counts.get(key(value)) ?? 0) + 1);
  return counts;
}
