import type { GatewayError } from '../errors/gateway-error.ts';
import type { QuotaReservation } from '../limits/quota-reservation.ts';
import type { Candidate, GroupPlan } from '../routing/plan-group.ts';
import type { GroupRoute } from '../routing/routing-table.ts';
import type { ExecutionRequest, ExecutionTally } from './execution-request.ts';
import type { AttemptCall } from './attempt-calls.ts';
import type { ContentRefusal } from './content-refusal.ts';

/** A group's failures and skips so far: made on the first one (an attempt that commits needs none). */
export interface AttemptRecord {
  readonly tried: Set<Candidate>;
  /** Not to be attempted again in this group: full, probe lost, or failed non-retryably. */
  readonly excluded: Set<Candidate>;
  /** Cooldowns this request started (the store's copy may not be visible yet). */
  readonly coolingUntil: Map<Candidate, number>;
  /** Retries taken in this group. */
  retries: number;
  /** The latest failed attempt of this group. */
  failed: { readonly candidate: Candidate; readonly error: GatewayError } | undefined;
}

/**
 * One request's execution, from its first plan to the end of its answer: the policies
 * (policies/execution-policy.ts) read and move its cursor, and the committed attempt keeps it
 * (`CommittedAttempt.execution`), so that what
 * was planned and tried outlives the first byte. `resume` is the hook for a stream interrupted after
 * it committed: it yields the next candidate in plan order, so continuing a stream or hedging is a
 * policy over this object, not a rewrite of the pipeline.
 */
export class Execution<T> {
  readonly request: ExecutionRequest;
  /**
   * The upstream call of one attempt. Stream recovery replaces it after a cut with the call that
   * continues the answer (stream-recovery.ts), before `RootPolicy.resume`.
   */
  call: AttemptCall<T>;
  readonly tally: ExecutionTally;
  /** The group being served (the requested one, then fallbacks). */
  group: GroupRoute;
  /** That group's plan (candidates in strategy order); undefined before it is planned. */
  plan: GroupPlan | undefined;
  /** That group's failures and skips; made on the first one. */
  record: AttemptRecord | undefined;
  /** The candidate of the attempt in progress (or of the committed one). */
  candidate: Candidate | undefined;
  /** A candidate the retry policy chose for the next attempt (failover takes it first). */
  pinned: Candidate | undefined;
  /** The breaker probe the attempt in progress holds. */
  probe: string | undefined;
  /** The deployment reservation of the attempt in progress. */
  reservation: QuotaReservation | undefined;
  /** The last obstacle in time order: an upstream error, or capacity / health (undefined). */
  last: GatewayError | undefined;
  /** Soonest epoch ms a deployment frees up (for the final 429/503). */
  freeAt = Infinity;
  /** The most recent obstacle was a deployment at its limit (429) rather than health (503). */
  capacity = false;
  /** Groups served so far (made at the first fallback: until then only the requested group). */
  visited: Set<string> | undefined;
  /** How an answer of this kind may be a content-policy refusal (none for embeddings). */
  readonly refusal: ContentRefusal<T> | undefined;

  constructor(
    request: ExecutionRequest,
    call: AttemptCall<T>,
    tally: ExecutionTally,
    refusal?: ContentRefusal<T>,
  ) {
    this.request = request;
    this.call = call;
    this.tally = tally;
    this.refusal = refusal;
    this.group = request.group;
    this.plan = undefined;
    this.record = undefined;
    this.candidate = undefined;
    this.pinned = undefined;
    this.probe = undefined;
    this.reservation = undefined;
    this.last = undefined;
    this.visited = undefined;
  }

  /**
   * A second cursor over the same request, plan, record and tally, for an attempt that runs beside
   * this one (a hedge, decision 0016): its own candidate, probe and reservation, and its own signal
   * (the client's and one that ends only this attempt), so each attempt can be aborted alone.
   */
  fork(candidate: Candidate, signal: AbortSignal): Execution<T> {
    const fork = new Execution({ ...this.request, signal }, this.call, this.tally, this.refusal);
    fork.group = this.group;
    fork.plan = this.plan;
    fork.record = this.attempts();
    fork.visited = this.visited;
    fork.candidate = candidate;
    return fork;
  }

  /** Whether the group being served has a content-policy fallback not yet served in this request. */
  contentFallbackLeft(): boolean {
    const { groups } = this.request.table;
    return this.group.contentPolicyFallbacks.some(
      (name) => groups.has(name) && name !== this.request.group.name && this.visited?.has(name) !== true,
    );
  }

  /** Records the latest obstacle (undefined: capacity or health, no upstream error). */
  note(error: GatewayError | undefined): void {
    this.last = error;
  }

  /** This group's record, made on first use. */
  attempts(): AttemptRecord {
    return (this.record ??= {
      tried: new Set(),
      excluded: new Set(),
      coolingUntil: new Map(),
      retries: 0,
      failed: undefined,
    });
  }

  /** The first candidate of the plan in order neither tried nor excluded. */
  untried(): Candidate | undefined {
    const candidates = this.plan?.candidates ?? [];
    const record = this.record;
    if (record === undefined) return candidates[0];
    for (const candidate of candidates) {
      if (!record.tried.has(candidate) && !record.excluded.has(candidate)) return candidate;
    }
    return undefined;
  }

  /**
   * The hook for a committed attempt that failed after its first byte (a stream cut mid-way):
   * records the failure against the cursor's candidate (the committed one, or the one the last
   * `resume` gave: tried, and excluded from this request), moves the cursor to the next candidate
   * of the plan in order and returns it, or undefined when none is left. It calls nothing: a
   * recovery or hedging policy decides whether and how to continue on it.
   */
  resume(afterError: GatewayError): Candidate | undefined {
    const failed = this.candidate;
    const record = this.attempts();
    if (failed !== undefined) {
      record.tried.add(failed);
      record.excluded.add(failed);
      record.failed = { candidate: failed, error: afterError };
    }
    this.note(afterError);
    const next = this.untried();
    this.candidate = next;
    return next;
  }
}

/** The candidate of the attempt in progress (set by failover before the attempt-level policies run). */
export function attemptCandidate<T>(execution: Execution<T>): Candidate {
  const candidate = execution.candidate;
  if (candidate === undefined)
    throw new Error('an attempt-level policy ran before failover chose a candidate');
  return candidate;
}
