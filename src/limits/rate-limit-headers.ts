import type { LimitState } from '../state/state-store.ts';

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

/**
 * The `ratelimit-policy`, `ratelimit` and `x-ratelimit-*` headers for a set of limits and where
 * they stand. Header names are lower case (HTTP names are case-insensitive; the dialect renderer
 * adds `retry-after` in lower case too, so no duplicates arise).
 */
export function rateLimitHeaders(
  policies: readonly LimitPolicy[],
  states: readonly LimitState[],
): Record<string, string> {
  if (policies.length === 0) return {};
  const byKey = new Map(states.map((state) => [state.key, state]));
  const items: string[] = [];
  const remaining: string[] = [];
  const headers: Record<string, string> = {};
  let requestsRemaining: number | undefined;
  let tokensRemaining: number | undefined;
  for (const policy of policies) {
    items.push(policyItem(policy));
    const state = byKey.get(policy.key);
    if (state === undefined) continue;
    remaining.push(`"${policy.name}";r=${state.remaining};t=${Math.ceil(state.resetMs / 1000)}`);
    if (policy.kind === 'requests') {
      requestsRemaining = Math.min(requestsRemaining ?? Infinity, state.remaining);
      headers['x-ratelimit-limit-requests'] ??= String(policy.quota);
    } else if (policy.kind === 'tokens') {
      tokensRemaining = Math.min(tokensRemaining ?? Infinity, state.remaining);
      headers['x-ratelimit-limit-tokens'] ??= String(policy.quota);
    }
  }
  headers['ratelimit-policy'] = items.join(', ');
  if (remaining.length > 0) headers.ratelimit = remaining.join(', ');
  if (requestsRemaining !== undefined) headers['x-ratelimit-remaining-requests'] = String(requestsRemaining);
  if (tokensRemaining !== undefined) headers['x-ratelimit-remaining-tokens'] = String(tokensRemaining);
  return headers;
}
