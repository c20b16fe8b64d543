import type { QuotaLimit, QuotaRefusal, QuotaRemaining } from './quota-tracker.ts';
import type { SimServiceTier } from './sim-chat.ts';

/**
 * How the simulator honours Bedrock service tiers. Latency: priority answers in 0.6 of the
 * default's time (first token and per token), flex in 1.8. Quota: flex runs on spare capacity, so
 * it is refused (throttled) once less than half of the request or token quota is left, while
 * default and priority still pass: under pressure, flex is throttled first.
 */
const latencyFactors: Readonly<Record<SimServiceTier, number>> = { priority: 0.6, default: 1, flex: 1.8 };

/** The factor on every delay of a request in this tier (1 without a tier). */
export function tierLatencyFactor(tier: SimServiceTier | undefined): number {
  return tier === undefined ? 1 : latencyFactors[tier];
}

/** Share of the quota that must be left for a flex request to pass. */
export const flexHeadroom = 0.5;

/** Why a flex request is throttled now, or undefined when at least half the quota is left. */
export function flexRefusal(remaining: QuotaRemaining, limit: QuotaLimit): QuotaRefusal | undefined {
  if (remaining.requests < limit.rpm * flexHeadroom) {
    const missing = limit.rpm * flexHeadroom - remaining.requests;
    return { reason: 'rpm', retryAfterMs: Math.ceil((missing * 60_000) / limit.rpm) };
  }
  if (remaining.tokens < limit.tpm * flexHeadroom) {
    const missing = limit.tpm * flexHeadroom - remaining.tokens;
    return { reason: 'tpm', retryAfterMs: Math.ceil((missing * 60_000) / limit.tpm) };
  }
  return undefined;
}
