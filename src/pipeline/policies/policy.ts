import type { GatewayError } from '../../errors/gateway-error.ts';
import type { CommittedAttempt } from '../committed-attempt.ts';
import type { GroupRoute } from '../../routing/routing-table.ts';
import type { Execution } from '../execution.ts';
import type { AheadPlan } from './ahead-plan.ts';
import type { AheadRequest } from './group-planner.ts';

/**
 * Where an execution stands after a policy ran: the attempt that committed, an attempt skipped or
 * failed (attempt level), or why a group cannot serve (group level: `fallback` for another group,
 * `context` for a larger-context one, `exhausted` for the retry policy to decide).
 */
export type Outcome<T> =
  | CommittedAttempt<T>
  /** Not attempted: at its limit (capacity) or another request holds its probe. */
  | { readonly kind: 'skipped'; readonly capacity: boolean; readonly freeAt: number }
  | { readonly kind: 'failed'; readonly error: GatewayError }
  | 'fallback'
  | 'context'
  /** A content-policy refusal: only another group (`content_policy_fallbacks`) may take it. */
  | 'content'
  | 'exhausted';

/** One resilience policy: does its part of an execution around the policies inside it. */
export interface ExecutionPolicy {
  /** Runs the execution's current step through this policy and the ones inside it. */
  execute<T>(execution: Execution<T>): Promise<Outcome<T>>;
}

/** The outermost policy: resolves with the committed attempt, or rejects with the request's error. */
export interface RootPolicy {
  /** Serves the execution's request. */
  execute<T>(execution: Execution<T>): Promise<CommittedAttempt<T>>;
  /**
   * Continues an execution whose committed attempt failed after its first byte (`afterError`):
   * `execution.resume` records the failure and moves the cursor, then the next candidate of the
   * group, else the group's fallbacks, are served through every policy (limits, breaker, timeouts)
   * with the execution's (replaced) call. Rejects with the last error when none can serve.
   */
  resume<T>(execution: Execution<T>, afterError: GatewayError): Promise<CommittedAttempt<T>>;
  /**
   * The requested group planned before its admission, with the first deployment's reservation for
   * the admission's state-store call (docs/decisions/0031); undefined when nothing can be planned
   * ahead. Pass it to the execution (`ExecutionRequest.ahead`) with the admission's answer, or
   * `rewind()` it when the admission refused.
   */
  planAhead(group: GroupRoute, request: AheadRequest): AheadPlan | undefined;
}

/** What every policy around another one holds: its options (the services it uses) and the inner policy. */
export abstract class PolicyAround<O> {
  protected readonly options: O;
  protected readonly inner: ExecutionPolicy;

  constructor(options: O, inner: ExecutionPolicy) {
    this.options = options;
    this.inner = inner;
  }
}

/** A policy that needs the one inside it (every policy but the innermost). */
export type PolicyLayer<P = ExecutionPolicy> = (inner: ExecutionPolicy) => P;

/**
 * Nests policies, outermost first, like cockatiel's `wrap(a, b, c)`: `wrap(a, b, c)` is `a` around
 * `b` around `c`. Done once per gateway: a request allocates nothing for the composition.
 */
export function wrap<P>(outer: PolicyLayer<P>, ...rest: [...PolicyLayer[], ExecutionPolicy]): P {
  let inner = rest[rest.length - 1] as ExecutionPolicy;
  for (let index = rest.length - 2; index >= 0; index -= 1) {
    inner = (rest[index] as PolicyLayer)(inner);
  }
  return outer(inner);
}
