import { randomUUID } from 'node:crypto';
import type { ChatRequest } from '../../core/chat-request.ts';
import type { Clock } from '../../core/clock.ts';
import type { RequestContext } from '../../pipeline/gateway.ts';
import type { AnswerLocator, Located } from './answer-locator.ts';
import { semanticKey, type SemanticKey } from './semantic-key.ts';
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

/**
 * Semantic mode: a kept answer is found by the nearest prompt of the same exact shape (semantic-key.ts)
 * whose cosine similarity is at least `threshold` (hit headers carry it); an identical prompt text is
 * found by its hash without an embedding call. An embedding that fails or takes longer than
 * `timeoutMs` (on the injected clock) is a miss, and the answer is then not kept.
 */
export class SemanticLocator implements AnswerLocator {
  private readonly index: VectorIndex;
  private readonly embed: EmbedText;
  private readonly threshold: number;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly announcer: VectorAnnouncer | undefined;
  /** Per request, computed once: its key, and its prompt's vector (undefined: the embedding failed). */
  private readonly keys = new WeakMap<ChatRequest, SemanticKey>();
  private readonly vectors = new WeakMap<ChatRequest, Promise<Float32Array | undefined>>();

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

  private keyOf(request: ChatRequest, scope: string): SemanticKey {
    let key = this.keys.get(request);
    if (key === undefined) {
      key = semanticKey(request, scope);
      this.keys.set(request, key);
    }
    return key;
  }

  private vectorOf(
    request: ChatRequest,
    context: RequestContext,
    text: string,
  ): Promise<Float32Array | undefined> {
    let vector = this.vectors.get(request);
    if (vector === undefined) {
      vector = this.embedWithin(text, context);
      this.vectors.set(request, vector);
    }
    return vector;
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
    const { shape, text, textHash } = this.keyOf(request, scope);
    if (text === undefined || textHash === undefined) {
      const nearest = this.index.nearest(shape, undefined);
      return nearest === undefined ? undefined : { key: nearest.key };
    }
    const identical = this.index.identical(shape, textHash);
    if (identical !== undefined)
      return { key: identical, headers: { 'x-spillway-cache-similarity': '1.0000' } };
    const vector = await this.vectorOf(request, context, text);
    if (vector === undefined) return undefined;
    const nearest = this.index.nearest(shape, vector);
    if (nearest === undefined || nearest.similarity < this.threshold) return undefined;
    return { key: nearest.key, headers: { 'x-spillway-cache-similarity': nearest.similarity.toFixed(4) } };
  }

  async place(
    request: ChatRequest,
    context: RequestContext,
    scope: string,
    ttlMs: number,
  ): Promise<string | undefined> {
    const { shape, text, textHash } = this.keyOf(request, scope);
    const vector = text === undefined ? undefined : await this.vectorOf(request, context, text);
    if (text !== undefined && vector === undefined) return undefined;
    const entry: IndexEntry = {
      key: `sem:${randomUUID()}`,
      vector,
      textHash,
      expiresAt: this.clock.now() + ttlMs,
    };
    this.index.add(shape, entry);
    this.announcer?.announce(shape, entry);
    return entry.key;
  }
}
