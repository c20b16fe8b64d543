import type { AdmissionRoute, TenantAdmission, TenantLimiter } from '../limits/tenant-limiter.ts';
import { hedgeBudgetPrefix, retryBudgetPrefix, RetryBudget } from '../policies/retry-budget.ts';
import type { WindowIncrement } from '../core/state-store.ts';
import type { GroupRoute } from '../routing/routing-table.ts';
import type { TokenEstimate } from './chat-answers.ts';
import { leaseMarginMs } from './execution-request.ts';
import type { StageResolver } from './request-stage.ts';
import type { RequestRun } from './request-run.ts';
import type { RootPolicy } from './policies/policy.ts';

/** Per group (routes live as long as their routing table): built once. */
const routes = new WeakMap<GroupRoute, AdmissionRoute>();

/**
 * What the tenant admission does for the group's plan in the same state-store call
 * (docs/decisions/0028): counts the request toward the group's retry (and hedge) budget and reads
 * its deployments' breaker and cooldown states, as GroupPlanner.health would one round trip later.
 */
export function admissionRoute(group: GroupRoute): AdmissionRoute {
  let route = routes.get(group);
  if (route === undefined) {
    const { settings } = group;
    const windows: WindowIncrement[] = [
      RetryBudget.requestCount(retryBudgetPrefix, group.name, settings.retryBudget),
    ];
    if (settings.hedge !== undefined)
      windows.push(RetryBudget.requestCount(hedgeBudgetPrefix, group.name, settings.hedge.budget));
    route = { windows, reads: group.healthKeys };
    routes.set(group, route);
  }
  return route;
}

/**
 * Step 4 of the pipeline: the tenant and key limits, one reservation. Without request stages (which
 * may change the group or answer without a plan), the same state-store call also counts the request
 * toward the group's budgets and reads its health; the plan of that group then uses these values.
 */
export async function admitRequest(
  parts: {
    readonly tenantLimiter: TenantLimiter;
    readonly stages: StageResolver;
    readonly policy: Pick<RootPolicy, 'planAhead'>;
  },
  run: RequestRun,
  group: GroupRoute,
  model: string,
  tokens: TokenEstimate,
): Promise<TenantAdmission> {
  const { context } = run;
  const { principal } = context;
  const route = parts.stages(principal, model).length === 0 ? admissionRoute(group) : undefined;
  // the plan and the first deployment's reservation, made ahead when the group's health was read before
  const ahead =
    route === undefined
      ? undefined
      : parts.policy.planAhead(group, {
          requestId: context.requestId,
          allowedRegions: principal.allowedRegions,
          requestedRegions: context.regions,
          contextTokens: tokens.context,
          promptTokens: tokens.prompt,
          outputTokens: tokens.output,
          reservedTokens: tokens.prompt + tokens.output,
        });
  let admission: TenantAdmission;
  try {
    admission = await parts.tenantLimiter.admit(
      principal,
      tokens.prompt + tokens.output,
      context.requestId,
      group.settings.timeoutMs + leaseMarginMs,
      context.requestId,
      model,
      route,
      ahead?.prepared.request,
    );
  } catch (error) {
    ahead?.rewind();
    throw error;
  }
  ahead?.admitted(admission.also);
  if (route !== undefined) run.admitted = { group, values: admission.values, ahead };
  return admission;
}
