import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import type { ActiveFault } from './fault-registry.ts';
import { FaultRegistry } from './fault-registry.ts';
import { InvocationLog, type InvocationRecord } from './invocation-log.ts';
import { createPrng, type Prng } from './prng.ts';
import { QuotaTracker, type QuotaLimit } from './quota-tracker.ts';
import type { SimChatRequest, SimChatResult, SimServiceTier } from './sim-chat.ts';
import { flexRefusal, tierLatencyFactor } from './service-tiers.ts';
import type { SimFailure } from './sim-failure.ts';
import type { SimHttpResponse } from './sim-http.ts';
import type { SimWorld } from './sim-world.ts';
import { generateWithPrefill } from './prefill.ts';
import { countInputTokens, filteredResult, generateChatResult, promptText } from './text-generator.ts';
import { PromptCache } from './prompt-cache.ts';
import type { ChatProtocol, ResponseMeta, WireProtocol } from './wire-protocol.ts';
import { WorldIndex } from './world-index.ts';
import { failureStatus, streamBreak } from './stream-faults.ts';
import { answerAtAdmission, breakStream } from './fault-effects.ts';
import { RegionPlanner } from './region-planner.ts';
import type { CallTarget } from './call-target.ts';

export type { CallTarget } from './call-target.ts';

interface Admission {
  readonly inferenceRegion: string;
  readonly fault: ActiveFault | undefined;
  readonly quotaKey: string;
  readonly limit: QuotaLimit;
  readonly reserved: number;
}

/** The simulator's state and behaviour, shared by the three APIs. */
export class Simulation {
  readonly index: WorldIndex;
  readonly log = new InvocationLog();
  readonly faults: FaultRegistry;
  readonly quotas: QuotaTracker;
  readonly clock: Clock;
  readonly seed: number;
  readonly latencyScale: number;
  readonly logger: Logger | undefined;
  /** Whether chat calls' prompt text goes to the invocation log. */
  private readonly logPrompts: boolean;
  private prng: Prng;
  private readonly planner: RegionPlanner;
  /** Prefixes the simulated models have cached (prompt caching). */
  private promptCache: PromptCache;

  constructor(options: {
    world: SimWorld;
    seed: number;
    latencyScale: number;
    clock: Clock;
    logger?: Logger | undefined;
    logPrompts?: boolean | undefined;
  }) {
    this.logPrompts = options.logPrompts ?? false;
    this.index = new WorldIndex(options.world);
    this.clock = options.clock;
    this.seed = options.seed;
    this.latencyScale = options.latencyScale;
    this.logger = options.logger;
    this.prng = createPrng(options.seed);
    this.faults = new FaultRegistry(this.clock, {
      next: () => this.prng.next(),
      int: (n) => this.prng.int(n),
      pick: (a) => this.prng.pick(a),
      uuid: () => this.prng.uuid(),
    });
    this.quotas = new QuotaTracker(this.clock);
    this.promptCache = new PromptCache(() => this.clock.now());
    this.planner = new RegionPlanner(this.index, this.quotas, () => this.prng.next());
    for (const fault of options.world.faults) this.faults.add(fault);
  }

  /** A request id from the seeded PRNG (replays with the seed). */
  requestId(): string {
    return this.prng.uuid();
  }

  /** Clears the log, the quotas and the faults, and restarts the PRNG from the seed. */
  reset(): void {
    this.log.clear();
    this.quotas.reset();
    this.promptCache = new PromptCache(() => this.clock.now());
    this.faults.clear();
    this.prng = createPrng(this.seed);
  }

  private meta(
    target: CallTarget,
    admission: Pick<Admission, 'inferenceRegion' | 'quotaKey' | 'limit'>,
    started: number,
  ): ResponseMeta {
    const now = this.clock.now();
    return {
      requestId: target.requestId,
      inferenceRegion: admission.inferenceRegion,
      latencyMs: now - started,
      quota: {
        limit: admission.limit,
        remaining: this.quotas.remaining(admission.quotaKey, admission.limit),
      },
      modelId: target.modelId,
      now,
    };
  }

  private record(
    target: CallTarget,
    started: number,
    fields: Partial<InvocationRecord> & Pick<InvocationRecord, 'status'>,
  ): void {
    const entry = this.log.add({
      time: started,
      timestamp: new Date(started).toISOString(),
      requestId: target.requestId,
      accountId: target.accountId,
      region: target.region,
      inferenceRegion: fields.inferenceRegion,
      modelId: target.modelId,
      baseModelId: target.model.id,
      api: target.api,
      operation: target.operation,
      stream: target.stream,
      status: fields.status,
      errorCode: fields.errorCode,
      inputTokens: fields.inputTokens ?? 0,
      outputTokens: fields.outputTokens ?? 0,
      latencyMs: this.clock.now() - started,
      faultId: fields.faultId,
      ...(fields.serviceTier === undefined ? {} : { serviceTier: fields.serviceTier }),
      ...(fields.inputText === undefined ? {} : { inputText: fields.inputText }),
    });
    this.logger?.debug({ invocation: entry }, 'invocation');
  }

  /**
   * Context window, region choice, faults and quota, in that order. Answers and logs the request
   * itself when it must not proceed; returns undefined then.
   */
  private async admit(
    target: CallTarget,
    protocol: WireProtocol,
    http: SimHttpResponse,
    inputTokens: number,
    reserve: number,
    started: number,
    serviceTier?: SimServiceTier,
  ): Promise<Admission | undefined> {
    const chosen = this.planner.choose(target, reserve);
    const inferenceRegion = chosen ?? target.regions[0] ?? target.region;
    const { key, limit } = this.planner.quotaFor(target, inferenceRegion);
    const base = { inferenceRegion, quotaKey: key, limit };
    const fail = (failure: SimFailure, faultId?: string): undefined => {
      protocol.sendError(http, failure, this.meta(target, base, started));
      this.record(target, started, {
        status: failureStatus(failure),
        errorCode: protocol.errorCode(failure),
        inferenceRegion,
        inputTokens,
        faultId,
        serviceTier,
      });
      return undefined;
    };
    if (inputTokens > target.model.context_window) {
      fail({ kind: 'context_window', inputTokens, limit: target.model.context_window });
      return;
    }
    const fault = this.faults.match({
      api: target.api,
      operation: target.operation,
      accountId: target.accountId,
      region: target.region,
      inferenceRegion,
      modelId: target.modelId,
      baseModelId: target.model.id,
    });
    if (fault !== undefined) {
      const meta = (): ResponseMeta => this.meta(target, base, started);
      const answered = await answerAtAdmission(fault, target.stream, protocol, http, meta);
      if (answered !== undefined) {
        if ('failure' in answered) {
          fail(answered.failure, fault.id);
          return undefined;
        }
        const { status, errorCode } = answered;
        this.record(target, started, { status, errorCode, inferenceRegion, inputTokens, faultId: fault.id });
        return undefined;
      }
    }
    if (chosen === undefined) {
      const best = this.planner.refuseAll(target, reserve);
      fail({ kind: 'rate', ...best });
      return;
    }
    // Flex is served from spare capacity: it is throttled first, once half the quota is in use.
    const refusal =
      (serviceTier === 'flex' ? flexRefusal(this.quotas.remaining(key, limit), limit) : undefined) ??
      this.quotas.acquire(key, limit, reserve);
    if (refusal !== undefined) {
      fail({ kind: 'rate', ...refusal });
      return;
    }
    return { ...base, fault, reserved: reserve };
  }

  private delays(
    target: CallTarget,
    region: string,
    fault: ActiveFault | undefined,
    serviceTier?: SimServiceTier,
  ): { firstToken: number; perToken: number } {
    const latency = this.index.latency(region, target.model.id);
    const jitter = 1 + latency.jitter * (this.prng.next() * 2 - 1);
    const slow = fault?.kind === 'slow_first_token' ? (fault.ms ?? 0) : 0;
    const scale = this.latencyScale * tierLatencyFactor(serviceTier);
    return {
      firstToken: latency.ttft_ms * jitter * scale + slow,
      perToken: (1000 / latency.tokens_per_second) * scale,
    };
  }

  private async sleepUntil(target: number, signal: AbortSignal): Promise<void> {
    const wait = target - this.clock.now();
    if (wait >= 1) await this.clock.sleep(wait, signal).catch(() => undefined);
  }

  /** Serves one chat call end to end: admission, generation, latency, answer or stream, log. */
  async runChat(
    target: CallTarget,
    request: SimChatRequest,
    protocol: ChatProtocol,
    http: SimHttpResponse,
    screen?: (result: SimChatResult) => SimChatResult,
  ): Promise<void> {
    const started = this.clock.now();
    const inputTokens = countInputTokens(request);
    const reserve = inputTokens + (request.maxTokens ?? 1024);
    const tier = request.serviceTier;
    const admission = await this.admit(target, protocol, http, inputTokens, reserve, started, tier);
    if (admission === undefined) return;
    const { inferenceRegion, fault } = admission;
    // Anthropic and Bedrock continue an assistant prefill; OpenAI-style servers ignore it.
    const generated: SimChatResult =
      target.api === 'openai'
        ? generateChatResult(request, this.seed, target.model.id)
        : generateWithPrefill(request, this.seed, target.model.id);
    const cached = this.promptCache.apply(
      request,
      target.model.id,
      fault?.kind === 'content_filter' ? filteredResult(generated) : generated,
    );
    const result = screen === undefined ? cached : screen(cached);
    this.quotas.adjust(
      admission.quotaKey,
      admission.limit,
      admission.reserved - (result.inputTokens + result.outputTokens),
    );
    const { firstToken, perToken } = this.delays(target, inferenceRegion, fault, tier);
    const usage = {
      serviceTier: tier,
      inferenceRegion,
      inputText: this.logPrompts ? promptText(request) : undefined,
      inputTokens: result.inputTokens,
      outputTokens: result.outputTokens,
      faultId: fault?.id,
      ...(fault?.kind === 'content_filter' ? { errorCode: 'ContentFiltered' } : {}),
    };
    if (!target.stream) {
      await this.sleepUntil(started + firstToken + result.outputTokens * perToken, http.signal);
      if (http.signal.aborted) {
        this.record(target, started, { ...usage, status: 0, errorCode: 'ClientClosed' });
        return;
      }
      protocol.sendResult(http, result, this.meta(target, admission, started));
      this.record(target, started, { ...usage, status: 200 });
      return;
    }
    protocol.startStream(http, this.meta(target, admission, started));
    const frames = protocol.streamFrames(result, this.meta(target, admission, started));
    const breakAt = streamBreak(fault, frames);
    let tokensSent = 0;
    for (const [position, frame] of frames.entries()) {
      if (http.signal.aborted) {
        this.record(target, started, { ...usage, status: 200, errorCode: 'ClientClosed' });
        return;
      }
      if (position === breakAt && fault !== undefined) {
        const errorCode = breakStream(fault, protocol, http);
        this.record(target, started, { ...usage, status: 200, errorCode });
        return;
      }
      if (frame.tokens > 0) {
        await this.sleepUntil(started + firstToken + tokensSent * perToken, http.signal);
        tokensSent += frame.tokens;
      }
      await http.write(frame.data);
    }
    http.end();
    this.record(target, started, { ...usage, status: 200 });
  }

  /** Serves one unary call (embeddings): admission, latency, `respond`, log. */
  async runUnary(
    target: CallTarget,
    inputTokens: number,
    protocol: WireProtocol,
    http: SimHttpResponse,
    respond: (meta: ResponseMeta) => void,
  ): Promise<void> {
    const started = this.clock.now();
    const admission = await this.admit(target, protocol, http, inputTokens, inputTokens, started);
    if (admission === undefined) return;
    const { firstToken } = this.delays(target, admission.inferenceRegion, admission.fault);
    await this.sleepUntil(started + firstToken, http.signal);
    const usage = { inferenceRegion: admission.inferenceRegion, inputTokens, faultId: admission.fault?.id };
    if (http.signal.aborted) {
      this.record(target, started, { ...usage, status: 0, errorCode: 'ClientClosed' });
      return;
    }
    respond(this.meta(target, admission, started));
    this.record(target, started, { ...usage, status: 200 });
  }

  /**
   * Logs a request answered at once: refused before it reached a model (auth, validation, unknown
   * model), or a guardrail check (ApplyGuardrail).
   */
  recordRejected(fields: Omit<InvocationRecord, 'seq' | 'time' | 'timestamp' | 'latencyMs'>): void {
    const now = this.clock.now();
    this.log.add({ ...fields, time: now, timestamp: new Date(now).toISOString(), latencyMs: 0 });
  }
}
