import type { ErrorCode, GatewayError } from '../errors/gateway-error.ts';

/** What an attempt's outcome says about the deployment's health. */
export type DeploymentVerdict = 'success' | 'failure' | 'neutral';

/**
 * Failures that say the deployment itself is unwell. Rate limiting is capacity, not health (it
 * cools the deployment instead); the client's own mistakes, aborts and context-window misses say
 * nothing about it.
 */
const failureCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'upstream_overloaded',
  'upstream_unavailable',
  'upstream_server_error',
  'upstream_timeout',
  'upstream_connection_failed',
  'upstream_auth_failed',
  'upstream_not_found',
  'upstream_bad_response',
  'upstream_stream_interrupted',
  'internal_error',
]);

/** Classifies an attempt's outcome (undefined: it succeeded) for the circuit breaker. */
export function deploymentVerdict(error: GatewayError | undefined): DeploymentVerdict {
  if (error === undefined) return 'success';
  return failureCodes.has(error.code) ? 'failure' : 'neutral';
}
