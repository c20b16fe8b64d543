import type { ChatRequest, UserPart } from '../../../src/core/chat-request.ts';
import type { Readiness, ReadinessCheck } from '../../../src/core/readiness.ts';
import type { ChatResponse } from '../../../src/core/chat-response.ts';
import type { EmbeddingRequest } from '../../../src/core/embedding.ts';
import type { Principal } from '../../../src/core/principal.ts';
import type { ChatStreamEvent } from '../../../src/core/stream-event.ts';
import { GatewayError } from '../../../src/errors/gateway-error.ts';
import type {
  ChatResult,
  EmbedResult,
  Gateway,
  ModelInfo,
  RequestContext,
  RouteInfo,
  StreamResult,
} from '../../../src/pipeline/gateway.ts';

/**
 * A Gateway for testing the HTTP edge in isolation: it builds answers from the canonical request,
 * so a client's round trip shows what the edge parsed and how it rendered.
 *
 * Models: `echo` answers "echo: <last user text>", calls the first tool when the text contains
 * "use tool", and answers "tool said: <content>" to a tool result. `fail-mid` streams a little then
 * fails with upstream_overloaded. `held` streams one delta then waits for `release()`. `hang` never
 * answers until the request is aborted. Anything else is unknown_model.
 */
export class EchoGateway implements Gateway {
  /** The key `authenticate` accepts. */
  static readonly key = 'sk-test-key';
  ready = true;
  /** The checks readiness() reports. */
  checks: Record<string, ReadinessCheck> = {};
  /** The last context the gateway was called with. */
  lastContext: RequestContext | undefined;
  lastRequest: ChatRequest | undefined;
  /** Contexts whose signal was aborted while the gateway was working on them. */
  readonly aborted: RequestContext[] = [];
  private releaseHeld: (() => void) | undefined;
  private released = false;
  private readonly heldStarted: Promise<void>;
  private markHeldStarted: () => void = () => undefined;
  private readonly abortedOnce: Promise<void>;
  private markAborted: () => void = () => undefined;

  constructor() {
    this.heldStarted = new Promise((resolve) => (this.markHeldStarted = resolve));
    this.abortedOnce = new Promise((resolve) => (this.markAborted = resolve));
  }

  /** Resolves once a `held` stream has sent its first delta. */
  whenHeld(): Promise<void> {
    return this.heldStarted;
  }

  /** Lets a `held` stream finish. */
  release(): void {
    this.released = true;
    this.releaseHeld?.();
  }

  /** Resolves once some request's signal was aborted. */
  whenAborted(): Promise<void> {
    return this.abortedOnce;
  }

  authenticate(credential: string | undefined): Principal {
    if (credential !== EchoGateway.key) {
      throw new GatewayError(credential === undefined ? 'missing API key' : 'invalid API key', {
        code: 'authentication_failed',
      });
    }
    return { tenant: 'test', keyId: 'key-1', tenantLimits: {}, keyLimits: {}, logBodies: false };
  }

  listModels(): readonly ModelInfo[] {
    return [{ id: 'echo', description: 'echoes' }, { id: 'fail-mid' }];
  }

  readiness(): Readiness {
    return { ready: this.ready, checks: this.checks };
  }

  private route(group: string): RouteInfo {
    return {
      attempts: 1,
      target: {
        group,
        deployment: `${group}-east`,
        provider: 'sim',
        providerType: 'openai',
        region: 'us-east-1',
        account: 'test',
        model: `${group}-upstream`,
      },
    };
  }

  private answer(request: ChatRequest): ChatResponse {
    const last = request.messages[request.messages.length - 1];
    const parts: readonly UserPart[] = last?.role === 'user' ? last.content : [];
    const toolResult = parts.find((part) => part.type === 'tool_result');
    const text = parts
      .filter((part) => part.type === 'text')
      .map((part) => part.text)
      .join(' ');
    const usage = { inputTokens: 10, outputTokens: 5, cacheReadInputTokens: 2 };
    const tool = request.tools?.[0];
    if (toolResult === undefined && tool !== undefined && text.includes('use tool')) {
      const call = {
        type: 'tool_call' as const,
        id: 'call_1',
        name: tool.name,
        arguments: JSON.stringify({ echo: text }),
      };
      return {
        id: 'resp_1',
        model: 'upstream',
        content: [{ type: 'text', text: 'calling' }, call],
        stopReason: 'tool_use',
        usage,
      };
    }
    const reply = toolResult === undefined ? `echo: ${text}` : `tool said: ${toolResult.content}`;
    return {
      id: 'resp_1',
      model: 'upstream',
      content: [{ type: 'text', text: reply }],
      stopReason: 'end_turn',
      usage,
    };
  }

  private check(request: ChatRequest | EmbeddingRequest, context: RequestContext): void {
    this.lastContext = context;
    context.signal.addEventListener('abort', () => {
      this.aborted.push(context);
      this.markAborted();
    });
    if (!['echo', 'fail-mid', 'held', 'hang'].includes(request.model)) {
      throw new GatewayError(`model "${request.model}" does not exist`, {
        code: 'unknown_model',
        param: 'model',
      });
    }
  }

  chat(request: ChatRequest, context: RequestContext): Promise<ChatResult> {
    this.check(request, context);
    this.lastRequest = request;
    return Promise.resolve({
      response: this.answer(request),
      route: this.route(request.model),
      costUsd: 0.00012,
      headers: { 'x-test': 'chat' },
    });
  }

  async streamChat(request: ChatRequest, context: RequestContext): Promise<StreamResult> {
    this.check(request, context);
    this.lastRequest = request;
    if (request.model === 'hang') {
      await new Promise<never>((_, reject) => {
        context.signal.addEventListener('abort', () => {
          reject(context.signal.reason as Error);
        });
      });
    }
    return {
      route: this.route(request.model),
      headers: { 'x-test': 'stream' },
      events: this.events(request),
    };
  }

  private async *events(request: ChatRequest): AsyncGenerator<ChatStreamEvent> {
    const response = this.answer(request);
    yield { type: 'message_start', id: 'stream_1', model: 'upstream', usage: response.usage };
    for (const [index, part] of response.content.entries()) {
      if (part.type === 'text') {
        for (const word of part.text.split(/(?<= )/)) {
          yield { type: 'text_delta', index, text: word };
          if (request.model === 'held' && !this.released) {
            this.markHeldStarted();
            await new Promise<void>((resolve) => (this.releaseHeld = resolve));
          }
          if (request.model === 'fail-mid') {
            throw new GatewayError('upstream overloaded mid-stream', {
              code: 'upstream_overloaded',
            });
          }
        }
      } else if (part.type === 'tool_call') {
        yield { type: 'tool_call_start', index, id: part.id, name: part.name };
        const half = Math.floor(part.arguments.length / 2);
        yield { type: 'tool_call_delta', index, argumentsDelta: part.arguments.slice(0, half) };
        yield { type: 'tool_call_delta', index, argumentsDelta: part.arguments.slice(half) };
      }
      yield { type: 'content_block_stop', index };
    }
    yield { type: 'message_stop', stopReason: response.stopReason };
    yield { type: 'usage', usage: response.usage };
  }

  embed(request: EmbeddingRequest, context: RequestContext): Promise<EmbedResult> {
    this.check(request, context);
    const embeddings = request.input.map((text, index) => [text.length, 0.5, -0.25, index]);
    return Promise.resolve({
      response: { model: 'embed-upstream', embeddings, inputTokens: request.input.length * 3 },
      route: this.route(request.model),
      costUsd: undefined,
      headers: {},
    });
  }
}
