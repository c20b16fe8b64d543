import type { Logger } from 'pino';
import type { Clock } from '../../core/clock.ts';
import type { EventSink } from '../../core/gateway-events.ts';
import { DeploymentLimiter } from '../../limits/deployment-limiter.ts';
import { CircuitBreaker } from '../../policies/circuit-breaker.ts';
import { Cooldowns } from '../../policies/cooldown.ts';
import { hedgeBudgetPrefix, RetryBudget } from '../../policies/retry-budget.ts';
import { DeploymentStats } from '../../routing/deployment-stats.ts';
import { LearnedLimits } from '../../routing/learned-limits.ts';
import type { StateStore } from '../../core/state-store.ts';
import type { AttemptAccounting } from '../committed-attempt.ts';
import { attemptTimeouts } from './attempt-timeouts.ts';
import { breakerProbe } from './breaker-probe.ts';
import { deploymentLimits } from './deployment-limits.ts';
import { failover } from './failover.ts';
import { fallbackChain } from './fallback-chain.ts';
import { GroupPlanner } from './group-planner.ts';
import { hedge } from './hedge.ts';
import { wrap, type RootPolicy } from './policy.ts';
import { retry } from './retry.ts';

/** What the policies are built from (one set per gateway: their state survives config reloads). */
export interface ExecutionPolicyOptions {
  readonly state: StateStore;
  readonly clock: Clock;
  readonly events: EventSink;
  /** Where failed breaker, cooldown and limit updates are reported (they never fail a request). */
  readonly logger: Logger;
  /** Uniform in [0, 1): weighted choice and backoff jitter (tests inject a seeded one). */
  readonly random: () => number;
}

/**
 * The resilience policies of a request's execution, in their one order, outermost first. Each is
 * built with the services it uses and nothing else; a request allocates nothing for the
 * composition (it is built once per gateway).
 */
export function createExecutionPolicy(options: ExecutionPolicyOptions): RootPolicy {
  const { state, clock, events, logger, random } = options;
  const stats = new DeploymentStats();
  const breaker = new CircuitBreaker(state, clock, events, logger);
  const limiter = new DeploymentLimiter(state, logger);
  const retryBudget = new RetryBudget(state, logger);
  const hedgeBudget = new RetryBudget(state, logger, hedgeBudgetPrefix);
  const rotations = new Map<string, number>();
  const cooldowns = new Cooldowns(state, clock, events, logger);
  const learned = new LearnedLimits();
  const accounting: AttemptAccounting = { clock, stats, learned, breaker, cooldowns, events, logger };
  return wrap(
    // groups: the requested one, then its fallbacks depth-first (context-window fallbacks for context
    // errors), each planned: candidates filtered by region, health and context window, in strategy order
    fallbackChain({
      events,
      clock,
      planner: new GroupPlanner({
        state,
        clock,
        random,
        stats,
        learned,
        rotations,
        retryBudget,
        hedgeBudget,
        limiter,
      }),
    }),
    // a failure failover cannot place: again after backoff / Retry-After, within retries, budget, deadline
    retry({ retryBudget, clock, random, events }),
    // the next untried candidate after a skip or a failure that may fail over
    failover({ clock }),
    // no first token after the group's hedge delay: one more attempt elsewhere, the first to commit wins
    hedge({ clock, stats, hedgeBudget, events }),
    // a half-open deployment: one probe at a time
    breakerProbe({ breaker, clock }),
    // the deployment's rpm / tpm / concurrency: skip when full, never queue
    deploymentLimits({ limiter, events, clock }),
    // total, first-token and idle timeouts around the adapter call
    attemptTimeouts({ accounting }),
  );
}
