import type { LimitState } from '../core/state-store.ts';

/** What a limit is, for the IETF RateLimit fields (protocols.md 4.1). */
export interface LimitPolicy {
  /** Policy name, e.g. "tenant-rpm". */
  readonly name: string;
  /** The state-store key this policy's LimitState carries. */
  readonly key: string;
  readonly kind: 'requests' | 'tokens' | 'concurrency';
  readonly quota: number;
  /** Window in seconds (absent for concurrency). */
  readonly windowSeconds?: number | undefined;
}

function policyItem(policy: LimitPolicy): string {
  const base = `"${policy.name}";q=${policy.quota}`;
  switch (policy.kind) {
    case 'requests':
      return `${base};w=${policy.windowSeconds ?? 60}`;
    case 'tokens':
      // No token unit is registered: a vendor-prefixed parameter (protocols.md 4.1).
      return `${base};w=${policy.windowSeconds ?? 60};gw-unit="tokens"`;
    case 'concurrency':
      return `${base};qu="concurrent-requests"`;
  }
}

/** The parts of the headers that depend on a policy alone, derived once per list of policies. */
interface CompiledPolicy {
  readonly key: string;
  readonly kind: LimitPolicy['kind'];
  /** `"name";r=`, the start of the policy's item in the `ratelimit` field. */
  readonly itemStart: string;
  /** The quota as a header value. */
  readonly quota: string;
}

/**
 * The `ratelimit-policy`, `ratelimit` and `x-ratelimit-*` headers of a fixed list of policies:
 * what depends on the policies alone (the whole `ratelimit-policy` field, names, quotas) is built
 * once, and `render` adds where the limits stand.
 */
export class RateLimitHeaders {
  private readonly policies: readonly CompiledPolicy[];
  private readonly policyField: string;

  constructor(policies: readonly LimitPolicy[]) {
    this.policies = policies.map((policy) => ({
      key: policy.key,
      kind: policy.kind,
      itemStart: `"${policy.name}";r=`,
      quota: String(policy.quota),
    }));
    this.policyField = policies.map(policyItem).join(', ');
  }

  /** The headers for these states (the state of a key repeated in `states` is its last). */
  render(states: readonly LimitState[]): Record<string, string> {
    const policies = this.policies;
    if (policies.length === 0) return {};
    const headers: Record<string, string> = {};
    let remaining: string | undefined;
    let requestsRemaining: number | undefined;
    let tokensRemaining: number | undefined;
    for (const policy of policies) {
      const state = lastStateOf(states, policy.key);
      if (state === undefined) continue;
      const item = `${policy.itemStart}${state.remaining};t=${Math.ceil(state.resetMs / 1000)}`;
      remaining = remaining === undefined ? item : `${remaining}, ${item}`;
      if (policy.kind === 'requests') {
        requestsRemaining = Math.min(requestsRemaining ?? Infinity, state.remaining);
        headers['x-ratelimit-limit-requests'] ??= policy.quota;
      } else if (policy.kind === 'tokens') {
        tokensRemaining = Math.min(tokensRemaining ?? Infinity, state.remaining);
        headers['x-ratelimit-limit-tokens'] ??= policy.quota;
      }
    }
    headers['ratelimit-policy'] = this.policyField;
    if (remaining !== undefined) headers.ratelimit = remaining;
    if (requestsRemaining !== undefined)
      headers['x-ratelimit-remaining-requests'] = String(requestsRemaining);
    if (tokensRemaining !== undefined) headers['x-ratelimit-remaining-tokens'] = String(tokensRemaining);
    return headers;
  }
}

function lastStateOf(states: readonly LimitState[], key: string): LimitState | undefined {
  for (let index = states.length - 1; index >= 0; index -= 1) {
    const state = states[index] as LimitState;
    if (state.key === key) return state;
  }
  return undefined;
}

/**
 * The `ratelimit-policy`, `ratelimit` and `x-ratelimit-*` headers for a set of limits and where
 * they stand. Header names are lower case (HTTP names are case-insensitive; the dialect renderer
 * adds `retry-after` in lower case too, so no duplicates arise). For a list of policies used again
 * and again, keep a `RateLimitHeaders` instead.
 */
export function rateLimitHeaders(
  policies: readonly LimitPolicy[],
  states: readonly LimitState[],
): Record<string, string> {
  return new RateLimitHeaders(policies).render(states);
}
