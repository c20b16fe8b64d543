import type { CallTarget } from './call-target.ts';
import type { QuotaLimit, QuotaRefusal, QuotaTracker } from './quota-tracker.ts';
import type { WorldIndex } from './world-index.ts';

/**
 * Where a call is served and whose quota it spends. A cross-region profile is served by one of its
 * regions with spare capacity, drawn at random with weights that follow the spare share (how the
 * service describes it: by availability and capacity, not round robin).
 */
export class RegionPlanner {
  private readonly index: WorldIndex;
  private readonly quotas: QuotaTracker;
  private readonly random: () => number;

  constructor(index: WorldIndex, quotas: QuotaTracker, random: () => number) {
    this.index = index;
    this.quotas = quotas;
    this.random = random;
  }

  /** The quota key and limit a call spends in `region`. */
  quotaFor(target: CallTarget, region: string): { key: string; limit: QuotaLimit } {
    if (target.api === 'bedrock') {
      return {
        key: `bedrock|${target.accountId}|${region}|${target.model.id}`,
        limit: this.index.bedrockQuota(target.accountId, region, target.model.id),
      };
    }
    return {
      key: `${target.api}|${target.accountId}|${target.model.id}`,
      limit: this.index.world[target.api].limits,
    };
  }

  /** A serving region with room for `reserve` tokens, or undefined if every region is out of quota. */
  choose(target: CallTarget, reserve: number): string | undefined {
    if (target.regions.length === 1) return target.regions[0];
    const weights: { region: string; weight: number }[] = [];
    for (const region of target.regions) {
      const { key, limit } = this.quotaFor(target, region);
      if (!this.quotas.wouldAdmit(key, limit, reserve)) continue;
      const spare = this.quotas.remaining(key, limit);
      weights.push({ region, weight: Math.min(spare.requests / limit.rpm, spare.tokens / limit.tpm) + 0.05 });
    }
    const total = weights.reduce((sum, entry) => sum + entry.weight, 0);
    let draw = this.random() * total;
    for (const entry of weights) {
      draw -= entry.weight;
      if (draw < 0) return entry.region;
    }
    return weights.at(-1)?.region;
  }

  /** When every region refuses: the refusal that clears soonest. */
  refuseAll(target: CallTarget, reserve: number): QuotaRefusal {
    let best: QuotaRefusal = { reason: 'rpm', retryAfterMs: 60_000 };
    for (const region of target.regions) {
      const quota = this.quotaFor(target, region);
      const refusal = this.quotas.acquire(quota.key, quota.limit, reserve);
      if (refusal !== undefined && refusal.retryAfterMs < best.retryAfterMs) best = refusal;
    }
    return best;
  }
}
