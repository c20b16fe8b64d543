import type { ChatRequest } from '../../core/chat-request.ts';
import type { ChatResponse } from '../../core/chat-response.ts';
import { startTimer, type Clock } from '../../core/clock.ts';
import type { RequestContext } from '../../pipeline/gateway.ts';

/** Asks a group for a complete answer through the gateway (its limits, cost, spend record). */
export type ClassifierCall = (
  request: ChatRequest,
  context: RequestContext,
  signal: AbortSignal,
) => Promise<ChatResponse>;

/** Rates a request's complexity 0..1, or undefined when the classifier failed, timed out or made no sense. */
export type Classify = (request: ChatRequest, context: RequestContext) => Promise<number | undefined>;

/** Characters of the last user turn the classifier is shown (a rating needs the gist, not all of it). */
const shownCharacters = 8_000;

const instructions =
  'You rate how hard a request is for a language model, from 0 (a one-line lookup or a mechanical ' +
  'edit) to 1 (a long, constrained, multi-step task needing analysis, code or proof). Answer with ' +
  'JSON {"complexity": <number from 0 to 1>} and nothing else.';

const answerSchema = {
  type: 'object',
  required: ['complexity'],
  additionalProperties: false,
  properties: { complexity: { type: 'number', minimum: 0, maximum: 1 } },
};

function lastUserText(request: ChatRequest): string {
  for (let index = request.messages.length - 1; index >= 0; index -= 1) {
    const message = request.messages[index];
    if (message?.role !== 'user') continue;
    let text = '';
    for (const part of message.content) {
      if (part.type === 'text') text += part.text;
      if (text.length >= shownCharacters) break;
    }
    return text.slice(0, shownCharacters);
  }
  return '';
}

/** The score in a classifier's answer: a JSON object's `complexity`, else a bare number; in 0..1. */
export function scoreInAnswer(response: ChatResponse): number | undefined {
  let text = '';
  for (const part of response.content) if (part.type === 'text') text += part.text;
  text = text.trim();
  let value: unknown;
  try {
    const parsed: unknown = JSON.parse(text);
    value =
      typeof parsed === 'object' && parsed !== null
        ? (parsed as Record<string, unknown>)['complexity']
        : parsed;
  } catch {
    return undefined;
  }
  return typeof value === 'number' && value >= 0 && value <= 1 ? value : undefined;
}

/**
 * A classifier over `call`: the last user turn (at most 8,000 characters) sent to the classifier
 * group with a fixed instruction and a JSON schema for the answer, at temperature 0 and 20 output
 * tokens. Gives up after `timeoutMs` (the injected clock) and aborts the call; never throws: a
 * failure, a timeout or an answer without a score in 0..1 is undefined, and the router falls back
 * to the transparent score.
 */
export function createClassifier(options: {
  readonly group: string;
  readonly timeoutMs: number;
  readonly clock: Clock;
  readonly call: ClassifierCall;
}): Classify {
  const { group, timeoutMs, clock, call } = options;
  return async (request, context) => {
    const controller = new AbortController();
    const abort = () => {
      controller.abort(new Error(`classifier ${group} gave no answer in ${timeoutMs} ms`));
    };
    if (context.signal.aborted) return undefined;
    context.signal.addEventListener('abort', abort, { once: true });
    let timer: { close(): void } | undefined;
    const timedOut = new Promise<undefined>((resolve) => {
      timer = startTimer(clock, timeoutMs, () => {
        abort();
        resolve(undefined);
      });
    });
    const asked: ChatRequest = {
      model: group,
      system: instructions,
      messages: [{ role: 'user', content: [{ type: 'text', text: lastUserText(request) }] }],
      maxTokens: 20,
      temperature: 0,
      responseFormat: { type: 'json_schema', name: 'complexity', schema: answerSchema },
      stream: false,
    };
    const answered = call(asked, context, controller.signal).then(scoreInAnswer, () => undefined);
    try {
      return await Promise.race([answered, timedOut]);
    } finally {
      timer?.close();
      context.signal.removeEventListener('abort', abort);
    }
  };
}
