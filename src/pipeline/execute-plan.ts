import { GatewayError } from '../errors/gateway-error.ts';
import { clientClosed, requestTimedOut } from '../policies/attempt-scope.ts';
import { retryDelayMs } from '../policies/backoff.ts';
import { cooldownFor } from '../policies/cooldown.ts';
import { planGroup, type Candidate, type GroupPlan } from '../routing/plan-group.ts';
import type { GroupRoute } from '../routing/routing-table.ts';
import { CommittedAttempt } from './committed-attempt.ts';
import type { ExecutionRequest, ExecutionServices, ExecutionTally } from './execution-services.ts';
import { runAttempt, type AttemptCall } from './run-attempt.ts';

/**
 * The order of the resilience policies, outermost first:
 *
 *   fallback chain (groups, depth-first, visited set; context-window fallbacks only for context errors)
 *   → plan (region, health, context window; strategy order)
 *   → failover to the next candidate / retry (backoff, Retry-After, retry budget, deadline)
 *   → circuit-breaker probe claim → deployment limits (skip when full, never queue)
 *   → attempt timeouts (total, first token, idle) → the adapter call.
 */

/** Why a group could not serve. */
type GroupFailure = 'fallback' | 'context';

/** What made the last group fail when no upstream error is left to report. */
interface Shortfall {
  /** Soonest epoch ms a deployment frees up. */
  freeAt: number;
  /** The most recent obstacle was a deployment at its limit (429) rather than health (503). */
  capacity: boolean;
}

function fromCapacity(request: ExecutionRequest, shortfall: Shortfall, now: number): GatewayError {
  const retryAfterMs = Number.isFinite(shortfall.freeAt)
    ? Math.max(0, Math.ceil(shortfall.freeAt - now))
    : undefined;
  const group = request.group.name;
  return shortfall.capacity
    ? new GatewayError(`no capacity: every deployment of "${group}" and its fallbacks is at its limit`, {
        code: 'no_capacity',
        status: 429,
        retryAfterMs: retryAfterMs ?? 1000,
      })
    : new GatewayError(`no deployment of "${group}" or its fallbacks is available`, {
        code: 'no_capacity',
        retryAfterMs,
      });
}

/** A group's failures and skips so far: made on the first one (an attempt that commits needs none). */
interface GroupAttempts {
  readonly tried: Set<Candidate>;
  /** Not to be attempted again in this group: full, probe lost, or failed non-retryably. */
  readonly excluded: Set<Candidate>;
  /** Cooldowns this request started (the store's copy may not be visible yet). */
  readonly coolingUntil: Map<Candidate, number>;
  retries: number;
  failed: { readonly candidate: Candidate; readonly error: GatewayError } | undefined;
}

function noAttempts(): GroupAttempts {
  return { tried: new Set(), excluded: new Set(), coolingUntil: new Map(), retries: 0, failed: undefined };
}

/** The first candidate in plan order neither tried nor excluded. */
function untried(candidates: readonly Candidate[], attempts: GroupAttempts): Candidate | undefined {
  for (const candidate of candidates) {
    if (!attempts.tried.has(candidate) && !attempts.excluded.has(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Runs a request through its group, the group's fallbacks and their fallbacks until a deployment
 * answers. Resolves with the committed attempt (the caller finishes it); rejects with the last
 * meaningful error when nothing can serve.
 */
export async function executePlan<T>(
  services: ExecutionServices,
  request: ExecutionRequest,
  call: AttemptCall<T>,
  tally: ExecutionTally,
): Promise<CommittedAttempt<T>> {
  const execution = new PlanExecution(services, request, call, tally);
  const outcome = await execution.serveGroup(request.group);
  const result = typeof outcome === 'string' ? await execution.fallBack(request.group, outcome) : outcome;
  if (typeof result !== 'string') return result;
  throw execution.last ?? fromCapacity(request, execution.shortfall, services.clock.now());
}

/** Reads the flag afresh (an await may have passed since the last look). */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

/** One request's way through its groups: what it has seen so far, shared by every group it tries. */
class PlanExecution<T> {
  private readonly services: ExecutionServices;
  private readonly request: ExecutionRequest;
  private readonly call: AttemptCall<T>;
  private readonly tally: ExecutionTally;
  readonly shortfall: Shortfall = { freeAt: Infinity, capacity: false };
  /** The last obstacle in time order: an upstream error, or capacity / health (undefined). */
  last: GatewayError | undefined;
  /** Groups served so far (made at the first fallback: until then only the requested group). */
  private visited: Set<string> | undefined;

  constructor(
    services: ExecutionServices,
    request: ExecutionRequest,
    call: AttemptCall<T>,
    tally: ExecutionTally,
  ) {
    this.services = services;
    this.request = request;
    this.call = call;
    this.tally = tally;
  }

  private note(error: GatewayError | undefined): void {
    this.last = error;
    if (error !== undefined) this.tally.lastError = error;
  }

  /** After `group` failed: its fallbacks (or context-window fallbacks), depth-first, each once. */
  async fallBack(group: GroupRoute, failure: GroupFailure): Promise<CommittedAttempt<T> | GroupFailure> {
    const { services, request } = this;
    const visited = (this.visited ??= new Set([request.group.name]));
    const next = failure === 'context' ? group.contextWindowFallbacks : group.fallbacks;
    for (const name of next) {
      const fallback = request.table.groups.get(name);
      if (fallback === undefined || visited.has(name)) continue;
      services.events.emit({
        type: 'fallback-taken',
        requestId: request.requestId,
        fromGroup: group.name,
        toGroup: name,
        errorCode: this.last?.code ?? 'no_capacity',
      });
      this.tally.fallbacks += 1;
      visited.add(name);
      const outcome = await this.serveGroup(fallback);
      const result = typeof outcome === 'string' ? await this.fallBack(fallback, outcome) : outcome;
      if (typeof result !== 'string') return result;
    }
    return failure;
  }

  /** Where a failed attempt goes next: another candidate at once, or the same after a backoff. */
  private async retryTarget(
    group: GroupRoute,
    plan: GroupPlan,
    attempts: GroupAttempts,
    failure: NonNullable<GroupAttempts['failed']>,
  ): Promise<Candidate | undefined> {
    const { services, request } = this;
    const { settings } = group;
    const { error } = failure;
    if (!error.retryable || attempts.retries >= settings.retries) return undefined;
    const now = services.clock.now();
    const other = error.fallbackEligible
      ? plan.candidates.find(
          (candidate) =>
            candidate !== failure.candidate &&
            !attempts.excluded.has(candidate) &&
            (attempts.coolingUntil.get(candidate) ?? 0) <= now,
        )
      : undefined;
    if (other === undefined && attempts.excluded.has(failure.candidate)) return undefined;
    if (!(await services.retryBudget.tryAcquire(group.name, settings.retryBudget))) {
      services.events.emit({
        type: 'retry-denied',
        requestId: request.requestId,
        group: group.name,
        reason: 'budget-exhausted',
      });
      return undefined;
    }
    attempts.retries += 1;
    const from = failure.candidate.deployment.id;
    if (other !== undefined) {
      services.events.emit({
        type: 'retry-scheduled',
        requestId: request.requestId,
        group: group.name,
        fromDeployment: from,
        delayMs: 0,
        errorCode: error.code,
      });
      return other;
    }
    const cooling = Math.max(0, (attempts.coolingUntil.get(failure.candidate) ?? 0) - now);
    const delayMs = retryDelayMs(
      attempts.retries - 1,
      settings.backoff,
      services.random,
      Math.max(error.retryAfterMs ?? 0, cooling),
    );
    if (now + delayMs >= request.deadlineAt) {
      services.events.emit({
        type: 'retry-denied',
        requestId: request.requestId,
        group: group.name,
        reason: 'deadline',
      });
      return undefined;
    }
    services.events.emit({
      type: 'retry-scheduled',
      requestId: request.requestId,
      group: group.name,
      fromDeployment: from,
      delayMs,
      errorCode: error.code,
    });
    try {
      await services.clock.sleep(delayMs, request.signal);
    } catch {
      throw clientClosed();
    }
    this.tally.waitedMs += delayMs;
    return failure.candidate;
  }

  /** One group: its candidates in strategy order, failover between them, retries. */
  async serveGroup(group: GroupRoute): Promise<CommittedAttempt<T> | GroupFailure> {
    const { services, request, tally, shortfall } = this;
    const { settings } = group;
    services.retryBudget.countRequest(group.name, settings.retryBudget);
    const healthValues = await services.state.getMany(group.healthKeys);
    const plan = planGroup(group, healthValues, services.clock.now(), request, {
      random: services.random,
      stats: services.stats,
      rotations: services.rotations,
      group: group.name,
      promptTokens: request.promptTokens,
      outputTokens: request.outputTokens,
    });
    shortfall.freeAt = Math.min(shortfall.freeAt, plan.freeAt);
    if (plan.contextTooSmall) {
      this.note(
        new GatewayError(
          `the request (about ${request.contextTokens} tokens with max tokens) exceeds the context window of every deployment of "${group.name}"`,
          { code: 'context_window_exceeded', param: 'messages' },
        ),
      );
      return 'context';
    }
    if (plan.unhealthy && plan.candidates.length === 0) {
      shortfall.capacity = false;
      this.note(undefined);
    }

    let attempts: GroupAttempts | undefined;
    for (;;) {
      if (request.signal.aborted) throw clientClosed();
      let next = attempts === undefined ? plan.candidates[0] : untried(plan.candidates, attempts);
      const failed = attempts?.failed;
      if (
        attempts !== undefined &&
        failed !== undefined &&
        (next === undefined || !failed.error.fallbackEligible)
      ) {
        next = await this.retryTarget(group, plan, attempts, failed);
        if (next === undefined) {
          if (failed.error.fallbackEligible) return 'fallback';
          throw failed.error;
        }
      }
      if (next === undefined) return 'fallback';
      const outcome = await runAttempt(services, request, group, next, this.call, tally);
      if (outcome instanceof CommittedAttempt) return outcome;
      attempts ??= noAttempts();
      if (outcome.kind === 'skipped') {
        attempts.excluded.add(next);
        shortfall.freeAt = Math.min(shortfall.freeAt, outcome.freeAt);
        shortfall.capacity = outcome.capacity;
        this.note(undefined);
        continue;
      }
      const { error } = outcome;
      attempts.tried.add(next);
      this.note(error);
      if (isAborted(request.signal)) throw clientClosed();
      if (error.endsRequest) throw error;
      if (services.clock.now() >= request.deadlineAt) throw requestTimedOut(request.timeoutMs);
      if (error.contextFallback) return 'context';
      if (!error.retryable && !error.fallbackEligible) throw error;
      if (!error.retryable) attempts.excluded.add(next);
      const cooldownMs = cooldownFor(error);
      if (cooldownMs !== undefined) attempts.coolingUntil.set(next, services.clock.now() + cooldownMs);
      attempts.failed = { candidate: next, error };
    }
  }
}
