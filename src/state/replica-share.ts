import type { RateLimit, ReserveRequest } from '../core/state-store.ts';

/**
 * The limits one replica enforces on its own while the shared store is away (decision 0004): its
 * share of each, limit ÷ live replicas, at least 1 and never above the limit.
 */
export class ReplicaShare {
  private readonly replicaCount: () => number;

  /** `replicaCount`: live replicas (ReplicaRegistry.liveCount); anything below 1 counts as 1. */
  constructor(replicaCount: () => number) {
    this.replicaCount = replicaCount;
  }

  /** Live replicas, a whole number of at least 1. */
  replicas(): number {
    const count = this.replicaCount();
    return Number.isFinite(count) && count >= 1 ? Math.floor(count) : 1;
  }

  /** This replica's share of a limit. */
  of(limit: number): number {
    const replicas = this.replicas();
    if (replicas === 1) return limit;
    return Math.min(limit, Math.max(1, Math.floor(limit / replicas)));
  }

  /**
   * The rate as enforced locally. A cost that fits the whole limit but not the share is clamped to
   * the share (admitted when the local bucket is full), so a request that would pass on Redis is
   * not refused forever during an outage.
   */
  rate(rate: RateLimit): RateLimit {
    const limit = this.of(rate.limit);
    const cost = rate.cost > limit && rate.cost <= rate.limit ? limit : rate.cost;
    return { ...rate, limit, cost };
  }

  /** The request as enforced locally: this replica's share of every limit. */
  request(request: ReserveRequest): ReserveRequest {
    return {
      ...request,
      rates: request.rates.map((rate) => this.rate(rate)),
      concurrency: request.concurrency.map((limit) => ({ ...limit, limit: this.of(limit.limit) })),
    };
  }
}
