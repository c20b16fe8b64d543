import type { Clock } from '../core/clock.ts';
import type { AttemptFinished, EventSink, GatewayEvent, RequestFinished } from '../core/gateway-events.ts';
import { BreakerTimeline, type DeploymentTimeline } from './breaker-timeline.ts';
import {
  copyBucket,
  count,
  emptyBucket,
  errorClass,
  latencyCell,
  mergeBucket,
  observeLatency,
  tallyOf,
  type HistoryBucket,
} from './history-bucket.ts';

/** One resolution of the history: buckets of `intervalMs`, the last `buckets` of them kept. */
export interface HistoryTier {
  readonly intervalMs: number;
  readonly buckets: number;
}

export interface TrafficHistoryOptions {
  readonly clock: Clock;
  /** Whether a requested model group name is configured (others count as `unknown`; bounds the series). */
  readonly knownGroup: (name: string) => boolean;
  /** Default: 10 s buckets for the last hour. */
  readonly fine?: HistoryTier;
  /** Default: 1 min buckets for the last 6 hours (fine buckets roll up into them). */
  readonly coarse?: HistoryTier;
  /** Breaker changes and cooldowns kept per deployment (default 500; and no older than the coarse tier). */
  readonly maxTimelineEntries?: number;
}

/** The buckets covering a range, oldest first, and the breaker timeline over it. */
export interface HistoryRange {
  readonly intervalMs: number;
  /** Start of each bucket (epoch ms), oldest first; the last is the one `now` falls in. */
  readonly starts: number[];
  /** The bucket of each start (empty where nothing happened). */
  readonly buckets: HistoryBucket[];
  readonly now: number;
  timeline(deployment: string): DeploymentTimeline;
  /** Deployments with breaker changes or cooldowns recorded. */
  readonly timelineDeployments: string[];
}

export const defaultFineTier: HistoryTier = { intervalMs: 10_000, buckets: 360 };
export const defaultCoarseTier: HistoryTier = { intervalMs: 60_000, buckets: 360 };

const bucketStart = (time: number, intervalMs: number): number => Math.floor(time / intervalMs) * intervalMs;
const slot = (start: number, tier: HistoryTier): number =>
  (((start / tier.intervalMs) % tier.buckets) + tier.buckets) % tier.buckets;

/**
 * The dashboard's time series, fed by the pipeline's events (an EventSink: a few counter increments
 * per event, no timer, no I/O). Two fixed rings of buckets bound its memory whatever the traffic: a
 * fine tier (default 10 s × 360: the last hour) and a coarse one (1 min × 360: the last 6 hours);
 * a fine bucket is rolled up into its coarse bucket when time moves past it. Series are named by
 * configured groups and deployments, their regions and accounts, and a fixed set of error classes,
 * so their number is bounded by the configuration. Covers this process only.
 */
export class TrafficHistory implements EventSink {
  readonly #clock: Clock;
  readonly #knownGroup: (name: string) => boolean;
  readonly #fine: HistoryTier;
  readonly #coarse: HistoryTier;
  readonly #fineRing: (HistoryBucket | undefined)[];
  readonly #coarseRing: (HistoryBucket | undefined)[];
  readonly #timeline: BreakerTimeline;
  /** The fine bucket now being counted into (not yet in the ring nor rolled up). */
  #current: HistoryBucket | undefined;

  constructor(options: TrafficHistoryOptions) {
    this.#clock = options.clock;
    this.#knownGroup = options.knownGroup;
    this.#fine = options.fine ?? defaultFineTier;
    this.#coarse = options.coarse ?? defaultCoarseTier;
    if (this.#coarse.intervalMs % this.#fine.intervalMs !== 0) {
      throw new Error('the coarse interval must be a whole number of fine intervals');
    }
    this.#fineRing = new Array<HistoryBucket | undefined>(this.#fine.buckets).fill(undefined);
    this.#coarseRing = new Array<HistoryBucket | undefined>(this.#coarse.buckets).fill(undefined);
    this.#timeline = new BreakerTimeline({
      retentionMs: this.#coarse.intervalMs * this.#coarse.buckets,
      maxPerDeployment: options.maxTimelineEntries ?? 500,
    });
  }

  /** The tiers (for the endpoint's description of its bounds). */
  get tiers(): { readonly fine: HistoryTier; readonly coarse: HistoryTier } {
    return { fine: this.#fine, coarse: this.#coarse };
  }

  emit(event: GatewayEvent): void {
    // Only four kinds of event count here; the others (and kinds added later) pass by.
    if (event.type === 'request-finished') this.#requestFinished(event);
    else if (event.type === 'attempt-finished') this.#attemptFinished(event);
    else if (event.type === 'circuit-changed')
      this.#timeline.changed(event.deployment, event.from, event.to, this.#clock.now());
    else if (event.type === 'cooldown-started')
      this.#timeline.cooled(event.deployment, event.durationMs, event.errorCode, this.#clock.now());
  }

  #requestFinished(event: RequestFinished): void {
    // The request's own end time (the pipeline read the same clock): no second clock read.
    const bucket = this.#bucket(event.startedAt + event.latencyMs);
    const group = this.#knownGroup(event.requestedGroup) ? event.requestedGroup : 'unknown';
    count(bucket.requests, group);
    if (event.errorCode !== undefined) {
      count(bucket.groupErrors, group);
      count(bucket.errorClasses, errorClass(event.errorCode));
    }
    const target = event.target;
    if (target === undefined) return;
    const success = event.errorCode === undefined && event.firstTokenMs !== undefined;
    const priced = event.costUsd !== undefined && event.costUsd > 0;
    if (!success && !priced) return;
    const tally = tallyOf(bucket, target);
    if (success) observeLatency(tally, latencyCell(event.firstTokenMs));
    if (priced) tally.spendUsd += event.costUsd;
  }

  #attemptFinished(event: AttemptFinished): void {
    const tally = tallyOf(this.#bucket(event.endedAt ?? this.#clock.now()), event.target);
    tally.attempts += 1;
    if (event.outcome === 'error') tally.failed += 1;
  }

  /** The fine bucket of now, closing (storing and rolling up) the previous one if time moved on. */
  #bucket(now: number): HistoryBucket {
    const start = bucketStart(now, this.#fine.intervalMs);
    const current = this.#current;
    // A clock that steps back counts into the open bucket rather than rewriting a closed one.
    if (current !== undefined && start <= current.start) return current;
    if (current !== undefined) this.#close(current);
    const next = emptyBucket(start);
    this.#current = next;
    return next;
  }

  #close(bucket: HistoryBucket): void {
    this.#fineRing[slot(bucket.start, this.#fine)] = bucket;
    const coarseStart = bucketStart(bucket.start, this.#coarse.intervalMs);
    const index = slot(coarseStart, this.#coarse);
    let coarse = this.#coarseRing[index];
    if (coarse?.start !== coarseStart) {
      coarse = emptyBucket(coarseStart);
      this.#coarseRing[index] = coarse;
    }
    mergeBucket(coarse, bucket);
  }

  /**
   * The last `rangeMs` (at most what a tier keeps): fine buckets when the fine tier covers the range,
   * else coarse ones. The bucket now falls in is included (partly counted).
   */
  read(rangeMs: number): HistoryRange {
    const now = this.#clock.now();
    const current = this.#bucket(now);
    const fineSpan = this.#fine.intervalMs * this.#fine.buckets;
    const tier = rangeMs <= fineSpan ? this.#fine : this.#coarse;
    const n = Math.max(1, Math.min(tier.buckets, Math.ceil(rangeMs / tier.intervalMs)));
    const last = bucketStart(now, tier.intervalMs);
    const starts = Array.from({ length: n }, (_, i) => last - (n - 1 - i) * tier.intervalMs);
    const ring = tier === this.#fine ? this.#fineRing : this.#coarseRing;
    const buckets = starts.map((start) => {
      if (tier === this.#fine && start === current.start) return current;
      const stored = ring[slot(start, tier)];
      const bucket = stored?.start === start ? stored : undefined;
      // The coarse bucket of now has the closed fine buckets; add the open one to a copy.
      if (tier === this.#coarse && start === last) {
        const merged = bucket === undefined ? emptyBucket(start) : copyBucket(bucket);
        mergeBucket(merged, current);
        return merged;
      }
      return bucket ?? emptyBucket(start);
    });
    const rangeStart = starts[0] ?? last;
    return {
      intervalMs: tier.intervalMs,
      starts,
      buckets,
      now,
      timeline: (deployment) => this.#timeline.read(deployment, rangeStart, now),
      timelineDeployments: this.#timeline.deployments(),
    };
  }
}
