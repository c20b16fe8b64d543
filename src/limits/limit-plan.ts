import type { QuotaLimits } from '../core/principal.ts';
import type { ConcurrencyLimit, RateLimit } from '../state/state-store.ts';
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

/**
 * The rates of a plan for a request of `tokens` estimated tokens. The token cost is capped at the
 * limit so that one large request can still pass on an idle window instead of never fitting.
 */
export function ratesOf(plan: LimitPlan, tokens: number, into: RateLimit[], tokenRates: RateLimit[]): void {
  if (plan.rpm !== undefined)
    into.push({ key: plan.rpm.key, limit: plan.rpm.limit, windowMs: minuteMs, cost: 1 });
  if (plan.tpm !== undefined) {
    const rate = {
      key: plan.tpm.key,
      limit: plan.tpm.limit,
      windowMs: minuteMs,
      cost: Math.min(tokens, plan.tpm.limit),
    };
    into.push(rate);
    tokenRates.push(rate);
  }
}
