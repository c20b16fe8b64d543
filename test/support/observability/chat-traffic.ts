import OpenAI, { APIError } from 'openai';

/** What the client saw of one chat request through the gateway. */
export interface ChatOutcome {
  /** Who sent it (a label of the test's choosing). */
  readonly label: string;
  /** Model group requested. */
  readonly model: string;
  readonly stream: boolean;
  /** HTTP status of the response. */
  readonly status: number;
  /** `x-request-id` of the response (success or error). */
  readonly requestId: string | undefined;
  /** `x-spillway-deployment` of a success. */
  readonly deployment: string | undefined;
  /** `x-spillway-model-group` of a success. */
  readonly servedGroup: string | undefined;
  /** `x-spillway-region` of a success. */
  readonly region: string | undefined;
  /** The `error.code` of an error body (OpenAI dialect). */
  readonly errorCode: string | undefined;
  /** The answer's text (a stream's deltas joined); "" for an error. */
  readonly text: string;
}

/** A gateway client: the official OpenAI SDK with its own retries off (they would hide 429s). */
export function openaiClient(gatewayUrl: string, apiKey: string): OpenAI {
  return new OpenAI({ baseURL: `${gatewayUrl}/v1`, apiKey, maxRetries: 0 });
}

function header(headers: Headers | undefined, name: string): string | undefined {
  return headers?.get(name) ?? undefined;
}

function errorCodeOf(error: APIError): string | undefined {
  return typeof error.code === 'string' ? error.code : undefined;
}

/** Sends one chat request (non-stream, or a stream read to its end) and records what came back. */
export async function sendChat(
  client: OpenAI,
  label: string,
  model: string,
  stream = false,
): Promise<ChatOutcome> {
  const messages = [{ role: 'user' as const, content: `Observability check from ${label}: say hello.` }];
  try {
    let response: Response;
    let text = '';
    if (stream) {
      const result = await client.chat.completions
        .create({ model, messages, max_completion_tokens: 24, stream: true })
        .withResponse();
      for await (const chunk of result.data) text += chunk.choices[0]?.delta.content ?? '';
      response = result.response;
    } else {
      const result = await client.chat.completions
        .create({ model, messages, max_completion_tokens: 24 })
        .withResponse();
      text = result.data.choices[0]?.message.content ?? '';
      response = result.response;
    }
    return {
      label,
      model,
      stream,
      status: response.status,
      requestId: header(response.headers, 'x-request-id'),
      deployment: header(response.headers, 'x-spillway-deployment'),
      servedGroup: header(response.headers, 'x-spillway-model-group'),
      region: header(response.headers, 'x-spillway-region'),
      errorCode: undefined,
      text,
    };
  } catch (error) {
    if (!(error instanceof APIError)) throw error;
    return {
      label,
      model,
      stream,
      status: error.status ?? 0,
      requestId: header(error.headers, 'x-request-id'),
      deployment: undefined,
      servedGroup: undefined,
      region: undefined,
      errorCode: errorCodeOf(error),
      text: '',
    };
  }
}

/** Sends `count` requests one after another (sequential: limits and faults hit in a known order). */
export async function sendSequentially(
  client: OpenAI,
  label: string,
  model: string,
  count: number,
  stream = false,
): Promise<ChatOutcome[]> {
  const outcomes: ChatOutcome[] = [];
  for (let index = 0; index < count; index++) outcomes.push(await sendChat(client, label, model, stream));
  return outcomes;
}
