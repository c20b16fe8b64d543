import { GatewayError } from '../errors/gateway-error.ts';
import { clientClosed, requestTimedOut } from '../policies/attempt-scope.ts';
import { retryDelayMs } from '../policies/backoff.ts';
import { cooldownFor } from '../policies/cooldown.ts';
import { planGroup, type Candidate } from '../routing/plan-group.ts';
import type { GroupRoute } from '../routing/routing-table.ts';
import type { CommittedAttempt } from './committed-attempt.ts';
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
        status: 503,
        retryAfterMs,
      });
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
  const visited = new Set<string>();
  const shortfall: Shortfall = { freeAt: Infinity, capacity: false };
  // The last obstacle in time order: an upstream error, or capacity / health (undefined).
  let last: GatewayError | undefined;
  const note = (error: GatewayError | undefined): void => {
    last = error;
    if (error !== undefined) tally.lastError = error;
  };

  const serve = async (group: GroupRoute): Promise<CommittedAttempt<T> | GroupFailure> => {
    visited.add(group.name);
    const outcome = await serveGroup(services, request, group, call, tally, shortfall, note);
    if (typeof outcome !== 'string') return outcome;
    const next = outcome === 'context' ? group.contextWindowFallbacks : group.fallbacks;
    for (const name of next) {
      const fallback = request.table.groups.get(name);
      if (fallback === undefined || visited.has(name)) continue;
      services.events.emit({
        type: 'fallback-taken',
        requestId: request.requestId,
        fromGroup: group.name,
        toGroup: name,
        errorCode: last?.code ?? 'no_capacity',
      });
      tally.fallbacks += 1;
      const result = await serve(fallback);
      if (typeof result !== 'string') return result;
    }
    return outcome;
  };

  const result = await serve(request.group);
  if (typeof result !== 'string') return result;
  throw last ?? fromCapacity(request, shortfall, services.clock.now());
}

/** Reads the flag afresh (an await may have passed since the last look). */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

/** One group: its candidates in strategy order, failover between them, retries. */
async function serveGroup<T>(
  services: ExecutionServices,
  request: ExecutionRequest,
  group: GroupRoute,
  call: AttemptCall<T>,
  tally: ExecutionTally,
  shortfall: Shortfall,
  note: (error: GatewayError | undefined) => void,
): Promise<CommittedAttempt<T> | GroupFailure> {
  const { settings } = group;
  services.retryBudget.countRequest(group.name, settings.retryBudget);
  const healthValues = await services.state.getMany(group.healthKeys);
  const plan = planGroup(
    group,
    healthValues,
    services.clock.now(),
    {
      allowedRegions: request.allowedRegions,
      requestedRegions: request.requestedRegions,
      contextTokens: request.contextTokens,
    },
    {
      random: services.random,
      stats: services.stats,
      rotations: services.rotations,
      group: group.name,
      promptTokens: request.promptTokens,
      outputTokens: request.outputTokens,
    },
  );
  shortfall.freeAt = Math.min(shortfall.freeAt, plan.freeAt);
  if (plan.contextTooSmall) {
    note(
      new GatewayError(
        `the request (about ${request.contextTokens} tokens with max tokens) exceeds the context window of every deployment of "${group.name}"`,
        { code: 'context_window_exceeded', status: 400, param: 'messages' },
      ),
    );
    return 'context';
  }
  if (plan.unhealthy && plan.candidates.length === 0) {
    shortfall.capacity = false;
    note(undefined);
  }

  const tried = new Set<Candidate>();
  /** Not to be attempted again in this group: full, probe lost, or failed non-retryably. */
  const excluded = new Set<Candidate>();
  /** Cooldowns this request started (the store's copy may not be visible yet). */
  const coolingUntil = new Map<Candidate, number>();
  let retries = 0;
  let failed: { readonly candidate: Candidate; readonly error: GatewayError } | undefined;

  const retryTarget = async (failure: NonNullable<typeof failed>): Promise<Candidate | undefined> => {
    const { error } = failure;
    if (!error.retryable || retries >= settings.retries) return undefined;
    const now = services.clock.now();
    const other = error.fallbackEligible
      ? plan.candidates.find(
          (candidate) =>
            candidate !== failure.candidate &&
            !excluded.has(candidate) &&
            (coolingUntil.get(candidate) ?? 0) <= now,
        )
      : undefined;
    if (other === undefined && excluded.has(failure.candidate)) return undefined;
    if (!(await services.retryBudget.tryAcquire(group.name, settings.retryBudget))) {
      services.events.emit({
        type: 'retry-denied',
        requestId: request.requestId,
        group: group.name,
        reason: 'budget-exhausted',
      });
      return undefined;
    }
    retries += 1;
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
    const cooling = Math.max(0, (coolingUntil.get(failure.candidate) ?? 0) - now);
    const delayMs = retryDelayMs(
      retries - 1,
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
    tally.waitedMs += delayMs;
    return failure.candidate;
  };

  for (;;) {
    if (request.signal.aborted) throw clientClosed();
    let next = plan.candidates.find((candidate) => !tried.has(candidate) && !excluded.has(candidate));
    if (failed !== undefined && (next === undefined || !failed.error.fallbackEligible)) {
      next = await retryTarget(failed);
      if (next === undefined) {
        if (failed.error.fallbackEligible) return 'fallback';
        throw failed.error;
      }
    }
    if (next === undefined) return 'fallback';
    const outcome = await runAttempt(services, request, group, next, call, tally);
    if (outcome.kind === 'committed') return outcome.committed;
    if (outcome.kind === 'skipped') {
      excluded.add(next);
      shortfall.freeAt = Math.min(shortfall.freeAt, outcome.freeAt);
      shortfall.capacity = outcome.capacity;
      note(undefined);
      continue;
    }
    const { error } = outcome;
    tried.add(next);
    note(error);
    if (isAborted(request.signal)) throw clientClosed();
    if (error.code === 'timeout' || error.code === 'client_closed') throw error;
    if (services.clock.now() >= request.deadlineAt) throw requestTimedOut(request.timeoutMs);
    if (error.code === 'context_window_exceeded') return 'context';
    if (!error.retryable && !error.fallbackEligible) throw error;
    if (!error.retryable) excluded.add(next);
    const cooldownMs = cooldownFor(error);
    if (cooldownMs !== undefined) coolingUntil.set(next, services.clock.now() + cooldownMs);
    failed = { candidate: next, error };
  }
}
