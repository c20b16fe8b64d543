import type { Clock } from '../../core/clock.ts';
import type { EventSink } from '../../core/gateway-events.ts';
import type { DeploymentLimiter } from '../../limits/deployment-limiter.ts';
import type { CircuitBreaker } from '../../policies/circuit-breaker.ts';
import type { RetryBudget } from '../../policies/retry-budget.ts';
import type { DeploymentStats } from '../../routing/deployment-stats.ts';
import type { StateStore } from '../../core/state-store.ts';
import type { AttemptAccounting } from '../committed-attempt.ts';
import { attemptTimeouts } from './attempt-timeouts.ts';
import { breakerProbe } from './breaker-probe.ts';
import { deploymentLimits } from './deployment-limits.ts';
import { failover } from './failover.ts';
import { fallbackChain } from './fallback-chain.ts';
import { planCandidates } from './plan-candidates.ts';
import { wrap, type RootPolicy } from './policy.ts';
import { retry } from './retry.ts';

/** The long-lived collaborators the policies are built with (one set per gateway; they survive reloads). */
export interface PolicyServices {
  readonly state: StateStore;
  readonly clock: Clock;
  readonly random: () => number;
  readonly events: EventSink;
  readonly stats: DeploymentStats;
  /** Round-robin positions per group. */
  readonly rotations: Map<string, number>;
  readonly breaker: CircuitBreaker;
  readonly limiter: DeploymentLimiter;
  readonly retryBudget: RetryBudget;
  /** The accounting of every attempt (breaker outcomes, cooldowns, statistics, attempt-finished). */
  readonly accounting: AttemptAccounting;
}

/**
 * The resilience policies of a request's execution, in their one order, outermost first. Each is
 * built with the services it uses and nothing else; a request allocates nothing for the
 * composition (it is built once per gateway).
 */
export function createExecutionPolicy(services: PolicyServices): RootPolicy {
  const { state, clock, random, events, stats, rotations, breaker, limiter, retryBudget, accounting } =
    services;
  return wrap(
    // groups: the requested one, then its fallbacks depth-first (context-window fallbacks for context errors)
    fallbackChain({ events, clock }),
    // a group's candidates: region, health and context window filtered, in the group's strategy order
    planCandidates({ state, clock, random, stats, rotations, retryBudget }),
    // a failure failover cannot place: again after backoff / Retry-After, within retries, budget, deadline
    retry({ retryBudget, clock, random, events }),
    // the next untried candidate after a skip or a failure that may fail over
    failover({ clock }),
    // a half-open deployment: one probe at a time
    breakerProbe({ breaker, clock }),
    // the deployment's rpm / tpm / concurrency: skip when full, never queue
    deploymentLimits({ limiter, events, clock }),
    // total, first-token and idle timeouts around the adapter call
    attemptTimeouts({ accounting }),
  );
}
