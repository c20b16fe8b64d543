import type { Principal } from './principal.ts';

/**
 * Resolves virtual keys to principals. Implemented by governance (config keys hashed at load, keys
 * from the database, revocations pushed to every replica). Answers from memory: the database is
 * never on the hot path.
 */
export interface Authenticator {
  /** Throws GatewayError 401 (authentication_failed) for a missing, unknown, expired or revoked key. */
  authenticate(credential: string | undefined): Principal;
}

/**
 * Budget enforcement. `check` answers from memory (spend counters kept current by the accounting
 * sink) and throws GatewayError 402 (budget_exceeded) when the tenant's or key's budget for the
 * current period is spent.
 */
export interface BudgetChecker {
  check(principal: Principal): void;
}
