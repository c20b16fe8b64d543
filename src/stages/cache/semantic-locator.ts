import { randomUUID } from 'node:crypto';
import type { ChatRequest } from '../../core/chat-request.ts';
import type { Clock } from '../../core/clock.ts';
import type { RequestContext } from '../../pipeline/gateway.ts';
import type { AnswerLocator, Located } from './answer-locator.ts';
import { semanticKey } from './semantic-key.ts';
import { unitVector, type IndexEntry, type VectorIndex } from './vector-index.ts';

/**
 * Embeds one prompt text through the gateway's own pipeline (the embedding group's limits, cost,
 * breakers and spend record apply). Composition supplies it; `signal` ends the call early.
 */
export type EmbedText = (
  text: string,
  context: RequestContext,
  signal: AbortSignal,
) => Promise<ArrayLike<number>>;

/** Where a kept entry is announced to other replicas (shared-vectors.ts), besides this one's index. */
export interface VectorAnnouncer {
  announce(shape: string, entry: IndexEntry): void;
}

/** A request's shape and prompt vector, computed once per request (undefined: the embedding failed). */
interface Probe {
  readonly shape: string;
  readonly vector: Float32Array | undefined;
}

/**
 * Semantic mode: a kept answer is found by the nearest prompt of the same exact shape (semantic-key.ts)
 * whose cosine similarity is at least `threshold` (hit headers carry it). An embedding that fails or
 * takes longer than `timeoutMs` (on the injected clock) is a miss, and the answer is then not kept.
 */
export class SemanticLocator implements AnswerLocator {
  private readonly index: VectorIndex;
  private readonly embed: EmbedText;
  private readonly threshold: number;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly announcer: VectorAnnouncer | undefined;
  private readonly probes = new WeakMap<ChatRequest, Promise<Probe | undefined>>();

  constructor(options: {
    index: VectorIndex;
    embed: EmbedText;
    threshold: number;
    timeoutMs: number;
    clock: Clock;
    announcer?: VectorAnnouncer | undefined;
  }) {
    this.index = options.index;
    this.embed = options.embed;
    this.threshold = options.threshold;
    this.timeoutMs = options.timeoutMs;
    this.clock = options.clock;
    this.announcer = options.announcer;
  }

  private probe(request: ChatRequest, context: RequestContext, scope: string): Promise<Probe | undefined> {
    let probe = this.probes.get(request);
    if (probe === undefined) {
      probe = this.computeProbe(request, context, scope);
      this.probes.set(request, probe);
    }
    return probe;
  }

  private async computeProbe(
    request: ChatRequest,
    context: RequestContext,
    scope: string,
  ): Promise<Probe | undefined> {
    const { shape, text } = semanticKey(request, scope);
    if (text === undefined) return { shape, vector: undefined };
    const vector = await this.embedWithin(text, context);
    return vector === undefined ? undefined : { shape, vector };
  }

  /** The unit vector of `text`, or undefined when the call fails, returns nothing usable or times out. */
  private async embedWithin(text: string, context: RequestContext): Promise<Float32Array | undefined> {
    const stop = new AbortController();
    const timedOut = this.clock.sleep(this.timeoutMs, stop.signal).then(
      () => undefined,
      () => undefined,
    );
    try {
      const call = this.embed(text, context, AbortSignal.any([context.signal, stop.signal]));
      const values = await Promise.race([call, timedOut]);
      return values === undefined ? undefined : unitVector(values);
    } catch {
      return undefined;
    } finally {
      stop.abort(); // ends the timer, or the embedding call that lost the race
    }
  }

  async find(request: ChatRequest, context: RequestContext, scope: string): Promise<Located | undefined> {
    const probe = await this.probe(request, context, scope);
    if (probe === undefined) return undefined;
    const nearest = this.index.nearest(probe.shape, probe.vector);
    if (nearest === undefined || nearest.similarity < this.threshold) return undefined;
    if (probe.vector === undefined) return { key: nearest.key };
    return { key: nearest.key, headers: { 'x-spillway-cache-similarity': nearest.similarity.toFixed(4) } };
  }

  async place(
    request: ChatRequest,
    context: RequestContext,
    scope: string,
    ttlMs: number,
  ): Promise<string | undefined> {
    const probe = await this.probe(request, context, scope);
    if (probe === undefined) return undefined;
    const entry: IndexEntry = {
      key: `sem:${randomUUID()}`,
      vector: probe.vector,
      expiresAt: this.clock.now() + ttlMs,
    };
    this.index.add(probe.shape, entry);
    this.announcer?.announce(probe.shape, entry);
    return entry.key;
  }
}
