import type { QuotaLimits } from '../core/principal.ts';
import type { ConcurrencyLimit, RateLimit } from '../core/state-store.ts';
import type { LimitPolicy } from './rate-limit-headers.ts';

const minuteMs = 60_000;

/** Which limit a state-store key stands for. */
export type LimitKind = 'rpm' | 'tpm' | 'concurrency';

/** The limits of one holder (tenant, key or deployment), computed once and reused per request. */
export interface LimitPlan {
  /** Request-rate key, if an rpm is set. */
  readonly rpm?: { readonly key: string; readonly limit: number } | undefined;
  /** Token-rate key, if a tpm is set. */
  readonly tpm?: { readonly key: string; readonly limit: number } | undefined;
  /** Concurrency limit, if set. */
  readonly concurrency?: ConcurrencyLimit | undefined;
  /** The IETF policies describing these limits. */
  readonly policies: readonly LimitPolicy[];
  /** Key → kind, to name the limit that said no. */
  readonly kinds: ReadonlyMap<string, LimitKind>;
}

/** Builds the plan of `limits` under a key prefix (e.g. "t:acme", "d:sonnet-east") and policy label. */
export function buildLimitPlan(prefix: string, label: string, limits: QuotaLimits): LimitPlan {
  const policies: LimitPolicy[] = [];
  const kinds = new Map<string, LimitKind>();
  const plan: { -readonly [K in keyof LimitPlan]: LimitPlan[K] } = { policies, kinds };
  if (limits.rpm !== undefined) {
    const key = `rl:${prefix}:rpm`;
    plan.rpm = { key, limit: limits.rpm };
    policies.push({ name: `${label}-rpm`, key, kind: 'requests', quota: limits.rpm, windowSeconds: 60 });
    kinds.set(key, 'rpm');
  }
  if (limits.tpm !== undefined) {
    const key = `rl:${prefix}:tpm`;
    plan.tpm = { key, limit: limits.tpm };
    policies.push({ name: `${label}-tpm`, key, kind: 'tokens', quota: limits.tpm, windowSeconds: 60 });
    kinds.set(key, 'tpm');
  }
  if (limits.maxConcurrency !== undefined) {
    const key = `cc:${prefix}`;
    plan.concurrency = { key, limit: limits.maxConcurrency };
    policies.push({ name: `${label}-concurrency`, key, kind: 'concurrency', quota: limits.maxConcurrency });
    kinds.set(key, 'concurrency');
  }
  return plan;
}

/** True when the plan limits nothing (no state-store call needed). */
export function isUnlimited(plan: LimitPlan): boolean {
  return plan.policies.length === 0;
}

/** No rates: shared by reservations that reserve no tokens (nothing writes to it). */
export const noRates: readonly RateLimit[] = Object.freeze([]);
/** No concurrency keys, likewise. */
export const noKeys: readonly string[] = Object.freeze([]);

/**
 * The state-store request parts of a fixed list of plans, derived once: the concurrency limits and
 * their keys, the rpm rates (cost 1, the same object every time) and where the tpm rates go. Per
 * request only the tpm rates (their cost is the request's tokens) and the two rate lists are new.
 * Rates are in plan order, per plan rpm then tpm; concurrency limits in plan order.
 */
export class ReservationTemplate {
  readonly concurrency: readonly ConcurrencyLimit[];
  readonly concurrencyKeys: readonly string[];
  /** Per rate: the rate itself when its cost is fixed (rpm), else undefined (tpm). */
  private readonly fixedRates: readonly (RateLimit | undefined)[];
  /** Per rate: its key and limit (used for tpm rates). */
  private readonly keys: readonly string[];
  private readonly limits: readonly number[];
  /** How many of the rates are token rates. */
  readonly tokenRateCount: number;

  constructor(plans: readonly LimitPlan[]) {
    const concurrency: ConcurrencyLimit[] = [];
    const fixedRates: (RateLimit | undefined)[] = [];
    const keys: string[] = [];
    const limits: number[] = [];
    let tokenRateCount = 0;
    for (const plan of plans) {
      if (plan.rpm !== undefined) {
        fixedRates.push({ key: plan.rpm.key, limit: plan.rpm.limit, windowMs: minuteMs, cost: 1 });
        keys.push(plan.rpm.key);
        limits.push(plan.rpm.limit);
      }
      if (plan.tpm !== undefined) {
        fixedRates.push(undefined);
        keys.push(plan.tpm.key);
        limits.push(plan.tpm.limit);
        tokenRateCount += 1;
      }
      if (plan.concurrency !== undefined) concurrency.push(plan.concurrency);
    }
    this.concurrency = concurrency;
    this.concurrencyKeys = concurrency.map((limit) => limit.key);
    this.fixedRates = fixedRates;
    this.keys = keys;
    this.limits = limits;
    this.tokenRateCount = tokenRateCount;
  }

  /**
   * The rates for a request of `tokens` estimated tokens, with its token rates also written to
   * `tokenRates` (of length `tokenRateCount`). The token cost is capped at the limit so that one
   * large request can still pass on an idle window instead of never fitting.
   */
  rates(tokens: number, tokenRates: RateLimit[]): RateLimit[] {
    const count = this.fixedRates.length;
    const rates = new Array<RateLimit>(count);
    let tokenIndex = 0;
    for (let index = 0; index < count; index += 1) {
      const fixed = this.fixedRates[index];
      if (fixed !== undefined) {
        rates[index] = fixed;
        continue;
      }
      const limit = this.limits[index] as number;
      const rate = {
        key: this.keys[index] as string,
        limit,
        windowMs: minuteMs,
        cost: Math.min(tokens, limit),
      };
      rates[index] = rate;
      tokenRates[tokenIndex] = rate;
      tokenIndex += 1;
    }
    return rates;
  }
}
