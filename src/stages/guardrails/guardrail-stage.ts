import type { AssistantPart, ChatMessage, ChatRequest, UserPart } from '../../core/chat-request.ts';
import type { ChatResponse } from '../../core/chat-response.ts';
import type { EventSink } from '../../core/gateway-events.ts';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { RequestContext } from '../../pipeline/gateway.ts';
import type { RequestStage, StageDecision } from '../../pipeline/request-stage.ts';
import { guardStream } from './stream-window.ts';
import { TextCheck, type Guardrail } from './text-check.ts';

/** Text a check may change: a changed part is a new object, an unchanged one the same object. */
function checkedUserPart(part: UserPart, check: TextCheck): UserPart {
  if (part.type === 'text') {
    const text = check.apply(part.text);
    return text === part.text ? part : { ...part, text };
  }
  if (part.type === 'tool_result') {
    const content = check.apply(part.content);
    return content === part.content ? part : { ...part, content };
  }
  return part; // images are not scanned
}

function checkedAssistantPart(part: AssistantPart, check: TextCheck): AssistantPart {
  if (part.type === 'text') {
    const text = check.apply(part.text);
    return text === part.text ? part : { ...part, text };
  }
  if (part.type === 'tool_call') {
    const args = check.apply(part.arguments);
    return args === part.arguments ? part : { ...part, arguments: args };
  }
  return part; // reasoning is signed by the upstream: sent back unchanged, not scanned
}

function changedList<T>(list: readonly T[], map: (item: T) => T): readonly T[] {
  let out: T[] | undefined;
  for (let index = 0; index < list.length; index += 1) {
    const item = list[index] as T;
    const next = map(item);
    if (next !== item) (out ??= list.slice())[index] = next;
  }
  return out ?? list;
}

function checkedMessage(message: ChatMessage, check: TextCheck): ChatMessage {
  if (message.role === 'user') {
    const content = changedList(message.content, (part) => checkedUserPart(part, check));
    return content === message.content ? message : { role: 'user', content };
  }
  const content = changedList(message.content, (part) => checkedAssistantPart(part, check));
  return content === message.content ? message : { role: 'assistant', content };
}

/**
 * The guardrails of a tenant and a model group as one request stage (decision 0021), so that a
 * request is scanned once per direction and a stream has one window. Input: the system prompt,
 * every turn's text, tool-call arguments and tool results are scanned before the plan; a block
 * refuses the request (`content_policy`, naming the guardrail), a mask changes it. Output: the
 * answer's text and tool-call arguments, complete or streamed (stream-window.ts).
 */
export class GuardrailStage implements RequestStage {
  readonly name = 'guardrails';
  private readonly input: readonly Guardrail[];
  private readonly output: readonly Guardrail[];
  private readonly events: EventSink;

  constructor(options: { input: readonly Guardrail[]; output: readonly Guardrail[]; events: EventSink }) {
    this.input = options.input;
    this.output = options.output;
    this.events = options.events;
  }

  beforePlan(request: ChatRequest, context: RequestContext): StageDecision | undefined {
    if (this.input.length === 0) return undefined;
    const check = new TextCheck(this.input, 'input');
    try {
      const system = request.system === undefined ? undefined : check.apply(request.system);
      const messages = changedList(request.messages, (message) => checkedMessage(message, check));
      if (system === request.system && messages === request.messages) return undefined;
      return { kind: 'change', request: { ...request, system, messages } };
    } catch (error) {
      if (error instanceof GatewayError) return { kind: 'refuse', error };
      throw error;
    } finally {
      check.report(this.events, this.about(request, context));
    }
  }

  afterAnswer(
    response: ChatResponse,
    request: ChatRequest,
    context: RequestContext,
  ): ChatResponse | undefined {
    if (this.output.length === 0) return undefined;
    const check = new TextCheck(this.output, 'output');
    try {
      const content = changedList(response.content, (part) => checkedAssistantPart(part, check));
      return content === response.content ? undefined : { ...response, content };
    } finally {
      check.report(this.events, this.about(request, context));
    }
  }

  transformStream(
    events: AsyncIterable<ChatStreamEvent>,
    request: ChatRequest,
    context: RequestContext,
  ): AsyncIterable<ChatStreamEvent> {
    if (this.output.length === 0) return events;
    return this.guarded(events, request, context);
  }

  private async *guarded(
    events: AsyncIterable<ChatStreamEvent>,
    request: ChatRequest,
    context: RequestContext,
  ): AsyncGenerator<ChatStreamEvent, void, undefined> {
    const check = new TextCheck(this.output, 'output');
    try {
      yield* guardStream(events, check);
    } finally {
      check.report(this.events, this.about(request, context));
    }
  }

  private about(request: ChatRequest, context: RequestContext) {
    return { requestId: context.requestId, tenant: context.principal.tenant, group: request.model };
  }
}
