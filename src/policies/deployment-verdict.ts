import type { GatewayError } from '../errors/gateway-error.ts';

/** What an attempt's outcome says about the deployment's health. */
export type DeploymentVerdict = 'success' | 'failure' | 'neutral';

/**
 * Classifies an attempt's outcome (undefined: it succeeded) for the circuit breaker: the error table's
 * `countsAgainstHealth` says which failures mean the deployment itself is unwell (rate limiting is
 * capacity, not health: it cools the deployment instead; the client's own mistakes, aborts and
 * context-window misses say nothing about it).
 */
export function deploymentVerdict(error: GatewayError | undefined): DeploymentVerdict {
  if (error === undefined) return 'success';
  return error.countsAgainstHealth ? 'failure' : 'neutral';
}
