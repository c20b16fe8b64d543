import type { ChatRequest } from '../../core/chat-request.ts';
import type { ChatResponse, StopReason } from '../../core/chat-response.ts';
import type { Clock } from '../../core/clock.ts';
import type { EventSink } from '../../core/gateway-events.ts';
import type { ChatStreamEvent } from '../../core/stream-event.ts';
import type { RequestContext } from '../../pipeline/gateway.ts';
import type { RequestStage, ServedBy, StageDecision } from '../../pipeline/request-stage.ts';
import { AnswerCollector } from './answer-collector.ts';
import type { AnswerLocator } from './answer-locator.ts';
import { serializeAnswer, type AnswerStore } from './answer-store.ts';

/** The settings of one group's cache (plain values; the config's `cache` block satisfies them). */
export interface CacheSettings {
  readonly ttl_s: number;
  readonly max_entry_bytes: number;
  readonly scope: 'tenant' | 'global';
  readonly include_sampled: boolean;
}

/** Answers worth replaying: finished ones. A refusal, a cut or a context overflow is not kept. */
const keptStopReasons: ReadonlySet<StopReason> = new Set<StopReason>([
  'end_turn',
  'max_tokens',
  'stop_sequence',
  'tool_use',
]);

const hitHeaders = Object.freeze({ 'x-spillway-cache': 'hit' });
const missHeaders = Object.freeze({ 'x-spillway-cache': 'miss' });
const missDecision: StageDecision = Object.freeze({ kind: 'annotate', headers: missHeaders });

/**
 * The response cache as a request stage: before the plan it answers an identical (exact mode) or
 * near-duplicate (semantic mode, the locator decides) request from the
 * store (`x-spillway-cache: hit`, no deployment called, the saving on the spend record); after a
 * deployment's complete answer or finished stream it keeps the answer for `ttl_s`. Per tenant unless
 * the group shares its cache. A request that samples (temperature > 0) is neither answered nor kept
 * unless the group says so; `cache-control: no-cache` skips the lookup, `no-store` the keeping too.
 */
export class ResponseCacheStage implements RequestStage {
  readonly name = 'cache';
  private readonly settings: CacheSettings;
  private readonly store: AnswerStore;
  private readonly events: EventSink;
  private readonly clock: Clock;
  private readonly locator: AnswerLocator;

  constructor(options: {
    settings: CacheSettings;
    store: AnswerStore;
    locator: AnswerLocator;
    events: EventSink;
    clock: Clock;
  }) {
    this.settings = options.settings;
    this.store = options.store;
    this.events = options.events;
    this.clock = options.clock;
    this.locator = options.locator;
  }

  private cacheable(request: ChatRequest): boolean {
    return this.settings.include_sampled || request.temperature === undefined || request.temperature <= 0;
  }

  private scopeOf(context: RequestContext): string {
    return this.settings.scope === 'global' ? '*' : `t:${context.principal.tenant}`;
  }

  private lookup(
    request: ChatRequest,
    context: RequestContext,
    result: 'hit' | 'miss' | 'bypass',
    savedUsd?: number,
  ): void {
    this.events.emit({
      type: 'cache-lookup',
      requestId: context.requestId,
      tenant: context.principal.tenant,
      group: request.model,
      result,
      savedUsd,
    });
  }

  async beforePlan(request: ChatRequest, context: RequestContext): Promise<StageDecision | undefined> {
    if (!this.cacheable(request) || context.cacheControl?.noCache === true) {
      this.lookup(request, context, 'bypass');
      return missDecision;
    }
    const located = await this.locator.find(request, context, this.scopeOf(context));
    const cached = located === undefined ? undefined : await this.store.get(located.key);
    if (cached === undefined) {
      this.lookup(request, context, 'miss');
      return missDecision;
    }
    this.lookup(request, context, 'hit', cached.costUsd);
    const headers = located?.headers === undefined ? hitHeaders : { ...hitHeaders, ...located.headers };
    return { kind: 'answer', response: cached.response, headers, savedUsd: cached.costUsd };
  }

  private keeps(request: ChatRequest, context: RequestContext, served: ServedBy): boolean {
    return served.target !== undefined && this.cacheable(request) && context.cacheControl?.noStore !== true;
  }

  private keep(
    request: ChatRequest,
    context: RequestContext,
    response: ChatResponse,
    costUsd: number | undefined,
  ): void {
    if (!keptStopReasons.has(response.stopReason) || response.usage.estimated === true) return;
    const text = serializeAnswer({ response, costUsd, storedAt: this.clock.now() });
    if (text.length * 2 > this.settings.max_entry_bytes) return;
    const ttlMs = this.settings.ttl_s * 1000;
    void this.locator.place(request, context, this.scopeOf(context), ttlMs).then((key) => {
      if (key !== undefined) return this.store.set(key, text, ttlMs);
      return undefined;
    });
  }

  afterAnswer(
    response: ChatResponse,
    request: ChatRequest,
    context: RequestContext,
    served: ServedBy,
  ): undefined {
    if (this.keeps(request, context, served)) this.keep(request, context, response, served.costUsd);
    return undefined;
  }

  transformStream(
    events: AsyncIterable<ChatStreamEvent>,
    request: ChatRequest,
    context: RequestContext,
    served: ServedBy,
  ): AsyncIterable<ChatStreamEvent> {
    if (!this.keeps(request, context, served)) return events;
    return this.keepStream(events, request, context, served);
  }

  private async *keepStream(
    events: AsyncIterable<ChatStreamEvent>,
    request: ChatRequest,
    context: RequestContext,
    served: ServedBy,
  ): AsyncGenerator<ChatStreamEvent, void, undefined> {
    const collector = new AnswerCollector(this.settings.max_entry_bytes);
    for await (const event of events) {
      collector.add(event);
      yield event;
    }
    // The upstream stream has ended (its cost is known now) and every event reached the client.
    const answer = collector.answer();
    if (answer !== undefined) this.keep(request, context, answer, served.costUsd);
  }
}
