import pino from 'pino';
import type { CallContext, ChatModel } from '../../../src/core/chat-model.ts';
import type { ChatRequest } from '../../../src/core/chat-request.ts';
import type { ChatResponse, StopReason } from '../../../src/core/chat-response.ts';
import type { EmbeddingResponse } from '../../../src/core/embedding.ts';
import type { GatewayEvent } from '../../../src/core/gateway-events.ts';
import type { Principal, QuotaLimits } from '../../../src/core/principal.ts';
import type { ChatStreamEvent } from '../../../src/core/stream-event.ts';
import { configSchema } from '../../../src/config/schema.ts';
import { GatewayError } from '../../../src/errors/gateway-error.ts';
import { classifyUpstreamStatus } from '../../../src/errors/upstream-errors.ts';
import { MemoryStateStore } from '../../../src/state/memory-state-store.ts';
import { FakeClock } from '../fake-clock.ts';
import { createGateway, type SpillwayGateway } from '../../../src/pipeline/create-gateway.ts';
import type { RequestContext } from '../../../src/pipeline/gateway.ts';
import type { StageResolver } from '../../../src/pipeline/request-stage.ts';

/**
 * Test support for the pipeline: chat models scripted per call, and a gateway on a FakeClock and a
 * MemoryStateStore that records every event. Used by the pipeline's unit tests only.
 */

/** What one scripted call does. */
export type CallScript =
  | {
      readonly kind: 'ok';
      readonly text?: string;
      /** The answer's stop reason (default end_turn), e.g. content_filter for a refusal. */
      readonly stopReason?: StopReason;
      readonly inputTokens?: number;
      readonly outputTokens?: number;
      /** Runs while the call is upstream (e.g. advances the fake clock: the upstream's latency). */
      readonly during?: () => Promise<void>;
    }
  | {
      readonly kind: 'fail';
      readonly status: number;
      readonly retryAfterMs?: number;
      readonly contextWindow?: boolean;
    }
  | { readonly kind: 'error'; readonly error: GatewayError }
  /** Never answers; rejects with the signal's reason when aborted. */
  | { readonly kind: 'hang' }
  /** A stream: these events, then (optionally) a failure or a hang. */
  | {
      readonly kind: 'events';
      readonly events: readonly ChatStreamEvent[];
      readonly then?: 'fail' | 'hang';
      /** Runs after the first text (e.g. advances the fake clock: the time the rest of the answer takes). */
      readonly afterFirstText?: () => Promise<void>;
    };

/** A ChatModel double that follows a script per call (the last entry repeats). */
export class ScriptedChatModel implements ChatModel {
  readonly providerType = 'scripted';
  readonly modelId: string;
  private readonly script: readonly CallScript[];
  /** Calls received so far. */
  calls = 0;
  /** The requests of the stream calls received, in order. */
  readonly streamed: ChatRequest[] = [];
  /** Calls in progress. */
  active = 0;
  closed = false;

  constructor(modelId: string, script: readonly CallScript[]) {
    this.modelId = modelId;
    this.script = script;
  }

  private next(): CallScript {
    const step = this.script[Math.min(this.calls, this.script.length - 1)] ?? { kind: 'ok' };
    this.calls += 1;
    return step;
  }

  private static failure(step: CallScript): GatewayError {
    if (step.kind === 'error') return step.error;
    if (step.kind === 'fail') {
      return classifyUpstreamStatus({
        status: step.status,
        message: `scripted ${step.status}`,
        retryAfterMs: step.retryAfterMs,
        contextWindowExceeded: step.contextWindow,
      });
    }
    return new GatewayError('scripted: not a failure', { code: 'internal_error' });
  }

  private static hang(signal: AbortSignal): Promise<never> {
    return new Promise((_, reject) => {
      signal.addEventListener('abort', () => {
        reject(signal.reason as Error);
      });
    });
  }

  async generate(_request: ChatRequest, context: CallContext): Promise<ChatResponse> {
    const step = this.next();
    this.active += 1;
    try {
      await Promise.resolve();
      if (step.kind === 'hang') return await ScriptedChatModel.hang(context.signal);
      if (step.kind !== 'ok') throw ScriptedChatModel.failure(step);
      await step.during?.();
      return {
        id: `resp-${this.calls}`,
        model: this.modelId,
        content: [{ type: 'text', text: step.text ?? `from ${this.modelId}` }],
        stopReason: step.stopReason ?? 'end_turn',
        usage: { inputTokens: step.inputTokens ?? 10, outputTokens: step.outputTokens ?? 5 },
      };
    } finally {
      this.active -= 1;
    }
  }

  async *stream(request: ChatRequest, context: CallContext): AsyncIterable<ChatStreamEvent> {
    this.streamed.push(request);
    const step = this.next();
    await Promise.resolve();
    if (step.kind === 'hang') await ScriptedChatModel.hang(context.signal);
    if (step.kind === 'fail' || step.kind === 'error') throw ScriptedChatModel.failure(step);
    if (step.kind === 'ok') {
      yield* streamOf(this.modelId, step.text ?? `from ${this.modelId}`);
      return;
    }
    if (step.kind !== 'events') return;
    let texts = 0;
    for (const event of step.events) {
      await Promise.resolve();
      yield event;
      if (event.type === 'text_delta' && (texts += 1) === 1) await step.afterFirstText?.();
    }
    if (step.then === 'hang') await ScriptedChatModel.hang(context.signal);
    if (step.then === 'fail')
      throw classifyUpstreamStatus({ status: 503, message: 'scripted stream failure' });
  }

  embed(): Promise<EmbeddingResponse> {
    const step = this.next();
    if (step.kind !== 'ok') return Promise.reject(ScriptedChatModel.failure(step));
    return Promise.resolve({
      model: this.modelId,
      embeddings: [[0.1, 0.2]],
      inputTokens: step.inputTokens ?? 3,
    });
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/** The events of a complete little stream. */
export function streamOf(model: string, text: string): ChatStreamEvent[] {
  return [
    { type: 'message_start', id: 'msg-1', model },
    { type: 'text_delta', index: 0, text },
    { type: 'content_block_stop', index: 0 },
    { type: 'message_stop', stopReason: 'end_turn' },
    { type: 'usage', usage: { inputTokens: 10, outputTokens: 5 } },
  ];
}

/** A principal with the given limits. */
export function principalOf(
  tenant: string,
  limits: QuotaLimits = {},
  extra: Partial<Omit<Principal, 'tenant'>> = {},
): Principal {
  return { tenant, keyId: `key-${tenant}`, tenantLimits: limits, keyLimits: {}, logBodies: false, ...extra };
}

/** A small chat request for `model`. */
export function chatRequest(model: string, extra: Partial<ChatRequest> = {}): ChatRequest {
  return {
    model,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
    stream: false,
    maxTokens: 16,
    ...extra,
  };
}

export interface Harness {
  readonly gateway: SpillwayGateway;
  readonly clock: FakeClock;
  readonly state: MemoryStateStore;
  readonly events: GatewayEvent[];
  /** A request context for the principal (default: an unlimited "anonymous" one). */
  context(principal?: Principal, extra?: Partial<RequestContext>): RequestContext;
  /** Events of one type. */
  eventsOf<T extends GatewayEvent['type']>(type: T): Extract<GatewayEvent, { type: T }>[];
}

let requestCounter = 0;

/** A gateway over `config` (parsed with the schema, so defaults apply) and scripted models by deployment id. */
export function createHarness(
  config: unknown,
  models: Record<string, ScriptedChatModel>,
  options: {
    random?: () => number;
    budget?: (principal: Principal) => void;
    stages?: StageResolver;
  } = {},
): Harness {
  const clock = new FakeClock();
  const state = new MemoryStateStore(clock);
  const events: GatewayEvent[] = [];
  const gateway = createGateway({
    config: configSchema.parse(config),
    createChatModel: ({ deployment }) => {
      const model = models[deployment.id];
      if (model === undefined) throw new Error(`no scripted model for ${deployment.id}`);
      return model;
    },
    state,
    clock,
    events: { emit: (event) => events.push(event) },
    authenticator: {
      authenticate: (credential) => {
        if (credential === undefined) {
          throw new GatewayError('missing key', { code: 'authentication_failed' });
        }
        return principalOf(credential);
      },
    },
    budget: { check: (principal) => options.budget?.(principal) },
    logger: pino({ level: 'silent' }),
    random: options.random,
    stages: options.stages,
  });
  return {
    gateway,
    clock,
    state,
    events,
    context: (principal = principalOf('anonymous'), extra = {}) => ({
      requestId: `req-${String(++requestCounter)}`,
      dialect: 'openai',
      principal,
      signal: new AbortController().signal,
      receivedAt: clock.now(),
      ...extra,
    }),
    eventsOf: <T extends GatewayEvent['type']>(type: T) =>
      events.filter((event): event is Extract<GatewayEvent, { type: T }> => event.type === type),
  };
}

/** A config with one bedrock provider and the given model groups. */
export function configWith(models: Record<string, unknown>, router: Record<string, unknown> = {}): unknown {
  return {
    providers: {
      east: { type: 'bedrock', region: 'us-east-1' },
      west: { type: 'bedrock', region: 'us-west-2' },
    },
    models,
    router: { backoff: { base_ms: 100, max_ms: 1000 }, ...router },
  };
}

/** Lets pending promise chains and immediates run. */
export async function flush(rounds = 5): Promise<void> {
  for (let round = 0; round < rounds; round += 1) await new Promise((resolve) => setImmediate(resolve));
}

/** Waits (by flushing, never by time) until `condition` holds; fails after a bounded number of rounds. */
export async function until(condition: () => boolean, rounds = 200): Promise<void> {
  for (let round = 0; round < rounds; round += 1) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('condition not reached');
}
