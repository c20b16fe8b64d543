import type { ChatRequest } from '../../src/core/chat-request.ts';
import type { ChatResponse } from '../../src/core/chat-response.ts';
import type { ChatStreamEvent } from '../../src/core/stream-event.ts';
import { GatewayError } from '../../src/errors/gateway-error.ts';
import type { RequestStage, StageDecision } from '../../src/pipeline/request-stage.ts';

/**
 * A request stage for tests that uses every capability of the seam, chosen by the last user text:
 * `cached: ...` is answered by the stage (no deployment), `route to G: ...` changes the request's
 * model to group G, `forbidden ...` is refused; every other request passes. On the way out it
 * upper-cases text (complete answers and streams), so a test can tell that the stage saw the answer.
 */
export class TestStage implements RequestStage {
  readonly name = 'test-cache';
  /** Requests seen before the plan (after any change by an earlier stage). */
  readonly seen: ChatRequest[] = [];
  /** Stream events that went through the transform. */
  transformed = 0;

  beforePlan(request: ChatRequest): StageDecision | undefined {
    this.seen.push(request);
    const text = lastUserText(request);
    if (text.startsWith('cached:')) {
      return {
        kind: 'answer',
        response: {
          id: 'cached-1',
          model: 'cache',
          content: [{ type: 'text', text: `from the cache: ${text.slice('cached:'.length).trim()}` }],
          stopReason: 'end_turn',
          usage: { inputTokens: 0, outputTokens: 0 },
        },
        headers: { 'x-spillway-cache': 'hit' },
      };
    }
    const route = /^route to ([\w-]+):/.exec(text);
    if (route?.[1] !== undefined) return { kind: 'change', request: { ...request, model: route[1] } };
    if (text.startsWith('forbidden')) {
      return {
        kind: 'refuse',
        error: new GatewayError('the test stage refuses this request', {
          code: 'invalid_request',
          status: 400,
          param: 'messages',
        }),
      };
    }
    return undefined;
  }

  afterAnswer(response: ChatResponse): ChatResponse {
    return {
      ...response,
      content: response.content.map((part) =>
        part.type === 'text' ? { ...part, text: part.text.toUpperCase() } : part,
      ),
    };
  }

  transformStream(events: AsyncIterable<ChatStreamEvent>): AsyncIterable<ChatStreamEvent> {
    return this.upperCase(events);
  }

  private async *upperCase(events: AsyncIterable<ChatStreamEvent>): AsyncGenerator<ChatStreamEvent> {
    for await (const event of events) {
      this.transformed += 1;
      yield event.type === 'text_delta' ? { ...event, text: event.text.toUpperCase() } : event;
    }
  }
}

function lastUserText(request: ChatRequest): string {
  const last = request.messages.at(-1);
  if (last?.role !== 'user') return '';
  return last.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}
