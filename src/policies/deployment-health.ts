import type { CircuitState } from '../core/gateway-events.ts';

/** A deployment's breaker as stored: `closed|epoch`, `open|epoch|until`, `half-open|epoch|claimedUntil`. */
export interface BreakerSnapshot {
  readonly state: CircuitState;
  /** Incremented each time the breaker closes: the failure window of a new epoch starts empty. */
  readonly epoch: number;
  /** open: when a probe may go; half-open: when the probe's claim lapses. */
  readonly until: number;
  /** The stored value (undefined: absent, closed in epoch 0), for compare-and-set. */
  readonly raw: string | undefined;
}

/** Breaker and cooldown of one deployment, read together. */
export interface HealthSnapshot {
  readonly breaker: BreakerSnapshot;
  /** Epoch ms until which the deployment cools down (0: not cooling). */
  readonly cooldownUntil: number;
}

/** Whether a deployment may take a request now. */
export type Availability =
  { readonly usable: true; readonly probe: boolean } | { readonly usable: false; readonly freeAt: number };

const closedInEpochZero: BreakerSnapshot = { state: 'closed', epoch: 0, until: 0, raw: undefined };

/** Parses a stored breaker value; anything unreadable counts as closed. */
export function parseBreaker(raw: string | undefined): BreakerSnapshot {
  if (raw === undefined) return closedInEpochZero;
  const [state, epochText, untilText] = raw.split('|');
  const epoch = Number(epochText);
  const until = Number(untilText ?? 0);
  if (!Number.isFinite(epoch) || !Number.isFinite(until)) return closedInEpochZero;
  if (state === 'open' || state === 'half-open' || state === 'closed') return { state, epoch, until, raw };
  return closedInEpochZero;
}

/** Formats a breaker value. */
export function formatBreaker(state: CircuitState, epoch: number, until: number): string {
  return state === 'closed' ? `closed|${epoch}` : `${state}|${epoch}|${until}`;
}

/** Builds the snapshot of one deployment from its two stored values. */
export function parseHealth(breakerRaw: string | undefined, cooldownRaw: string | undefined): HealthSnapshot {
  const cooldownUntil = cooldownRaw === undefined ? 0 : Number(cooldownRaw);
  return {
    breaker: parseBreaker(breakerRaw),
    cooldownUntil: Number.isFinite(cooldownUntil) ? cooldownUntil : 0,
  };
}

/**
 * Open breakers and cooldowns keep a deployment out; an open breaker whose time has come (or a
 * half-open one whose probe lapsed) admits exactly one probe, claimed later with compare-and-set.
 */
export function availabilityOf(health: HealthSnapshot, now: number): Availability {
  if (health.cooldownUntil > now) return { usable: false, freeAt: health.cooldownUntil };
  const breaker = health.breaker;
  switch (breaker.state) {
    case 'closed':
      return { usable: true, probe: false };
    case 'open':
    case 'half-open':
      return breaker.until > now ? { usable: false, freeAt: breaker.until } : { usable: true, probe: true };
  }
}
