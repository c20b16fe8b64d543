import type { ChatMessage as Message, ChatRequest } from '../../core/chat-request.ts';
import type { ChatResponse } from '../../core/chat-response.ts';
import type { EventSink } from '../../core/gateway-events.ts';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { RequestContext } from '../../pipeline/gateway.ts';
import type { RequestStage, StageDecision } from '../../pipeline/request-stage.ts';
import type { GuardrailVerdict, RemoteGuardrail } from '../../core/remote-guardrail.ts';

type Direction = 'input' | 'output';

export interface BedrockGuardrailStageOptions {
  /** The guardrail's name in the config. */
  readonly name: string;
  readonly client: RemoteGuardrail;
  readonly input: boolean;
  readonly output: boolean;
  /** When ApplyGuardrail cannot be reached or refuses the call: refuse (`block`) or pass (`allow`). */
  readonly onError: 'block' | 'allow';
  readonly events: EventSink;
}

/** Replaces the text parts of a list of messages (in order) with `texts`. */
function withTexts(messages: readonly Message[], texts: readonly string[], offset: number): Message[] {
  let next = offset;
  return messages.map((message) => {
    if (message.role !== 'user') return message;
    return {
      ...message,
      content: message.content.map((part) =>
        part.type === 'text' ? { ...part, text: texts[next++] ?? part.text } : part,
      ),
    };
  });
}

/**
 * A `type: bedrock` guardrail as a request stage (decision 0022): the prompt's text (system prompt
 * and user turns) is sent to Amazon Bedrock's ApplyGuardrail as INPUT before the plan, the answer's
 * text as OUTPUT after it. A BLOCKED finding refuses (`content_policy`, naming the guardrail, never
 * the text); ANONYMIZED findings replace the text with Bedrock's masked text. A streamed answer is
 * held until it has ended, then checked whole and released (ApplyGuardrail is a network call: a
 * window per chunk would cost one call per chunk), so its first token waits for the whole answer.
 */
export class BedrockGuardrailStage implements RequestStage {
  readonly name = 'guardrails';
  private readonly options: BedrockGuardrailStageOptions;

  constructor(options: BedrockGuardrailStageOptions) {
    this.options = options;
  }

  async beforePlan(request: ChatRequest, context: RequestContext): Promise<StageDecision | undefined> {
    if (!this.options.input) return undefined;
    const system = request.system ?? '';
    const userTexts = request.messages.flatMap((message) =>
      message.role === 'user'
        ? message.content.flatMap((part) => (part.type === 'text' ? [part.text] : []))
        : [],
    );
    const texts = system === '' ? userTexts : [system, ...userTexts];
    if (texts.length === 0) return undefined;
    try {
      const verdict = await this.verdict('input', texts, request, context);
      if (verdict === undefined || verdict.texts === texts) return undefined;
      const offset = system === '' ? 0 : 1;
      return {
        kind: 'change',
        request: {
          ...request,
          system: system === '' ? request.system : verdict.texts[0],
          messages: withTexts(request.messages, verdict.texts, offset),
        },
      };
    } catch (error) {
      if (error instanceof GatewayError) return { kind: 'refuse', error };
      throw error;
    }
  }

  async afterAnswer(
    response: ChatResponse,
    request: ChatRequest,
    context: RequestContext,
  ): Promise<ChatResponse | undefined> {
    if (!this.options.output) return undefined;
    const texts = response.content.flatMap((part) => (part.type === 'text' ? [part.text] : []));
    if (texts.length === 0) return undefined;
    const verdict = await this.verdict('output', texts, request, context);
    if (verdict === undefined || verdict.texts === texts) return undefined;
    let next = 0;
    const content = response.content.map((part) =>
      part.type === 'text' ? { ...part, text: verdict.texts[next++] ?? part.text } : part,
    );
    return { ...response, content };
  }

  transformStream(
    events: AsyncIterable<ChatStreamEvent>,
    request: ChatRequest,
    context: RequestContext,
  ): AsyncIterable<ChatStreamEvent> {
    if (!this.options.output) return events;
    return this.held(events, request, context);
  }

  private async *held(
    events: AsyncIterable<ChatStreamEvent>,
    request: ChatRequest,
    context: RequestContext,
  ): AsyncGenerator<ChatStreamEvent, void, undefined> {
    const held: ChatStreamEvent[] = [];
    const text = new Map<number, string>();
    for await (const event of events) {
      held.push(event);
      if (event.type === 'text_delta') text.set(event.index, (text.get(event.index) ?? '') + event.text);
    }
    const indexes = [...text.keys()];
    const texts = indexes.map((index) => text.get(index) ?? '');
    const verdict = texts.length === 0 ? undefined : await this.verdict('output', texts, request, context);
    const masked = new Map<number, string>();
    if (verdict !== undefined && verdict.texts !== texts)
      indexes.forEach((index, position) => masked.set(index, verdict.texts[position] ?? ''));
    for (const event of held) {
      if (event.type === 'text_delta' && masked.has(event.index)) {
        // The masked text goes out whole in the block's first delta.
        const whole = masked.get(event.index);
        if (whole === undefined) continue;
        masked.set(event.index, '');
        if (whole !== '') yield { ...event, text: whole };
        continue;
      }
      yield event;
    }
  }

  /** The verdict (undefined: pass, after an error under `on_error: allow`); throws the refusal of a block. */
  private async verdict(
    direction: Direction,
    texts: readonly string[],
    request: ChatRequest,
    context: RequestContext,
  ): Promise<GuardrailVerdict | undefined> {
    const { name, client, onError } = this.options;
    const what = direction === 'input' ? 'request' : 'answer';
    let verdict: GuardrailVerdict;
    try {
      verdict = await client.apply(direction === 'input' ? 'INPUT' : 'OUTPUT', texts, context.signal);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.report('block', direction, { unreachable: 1 }, request, context);
      if (onError === 'allow') return undefined;
      throw new GatewayError(
        `the ${what} was refused: guardrail "${name}" could not be checked (on_error: block): ${reason}`,
        { code: 'content_policy' },
      );
    }
    if (verdict.findings.length > 0) {
      const entities: Record<string, number> = {};
      for (const finding of verdict.findings) entities[finding.entity] = (entities[finding.entity] ?? 0) + 1;
      this.report(verdict.blocked ? 'block' : 'mask', direction, entities, request, context);
    }
    if (verdict.blocked) {
      throw new GatewayError(`the ${what} was refused by guardrail "${name}" (content policy)`, {
        code: 'content_policy',
      });
    }
    return verdict;
  }

  private report(
    action: 'block' | 'mask',
    direction: Direction,
    entities: Record<string, number>,
    request: ChatRequest,
    context: RequestContext,
  ): void {
    this.options.events.emit({
      type: 'guardrail-applied',
      requestId: context.requestId,
      tenant: context.principal.tenant,
      group: request.model,
      guardrail: this.options.name,
      action,
      direction,
      entities,
    });
  }
}
