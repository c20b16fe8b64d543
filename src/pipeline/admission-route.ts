import type { AdmissionRoute, TenantAdmission, TenantLimiter } from '../limits/tenant-limiter.ts';
import { hedgeBudgetPrefix, retryBudgetPrefix, RetryBudget } from '../policies/retry-budget.ts';
import type { WindowIncrement } from '../core/state-store.ts';
import type { GroupRoute } from '../routing/routing-table.ts';
import type { TokenEstimate } from './chat-answers.ts';
import { leaseMarginMs } from './execution-request.ts';
import type { StageResolver } from './request-stage.ts';
import type { RequestRun } from './request-run.ts';

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
  parts: { readonly tenantLimiter: TenantLimiter; readonly stages: StageResolver },
  run: RequestRun,
  group: GroupRoute,
  model: string,
  tokens: TokenEstimate,
): Promise<TenantAdmission> {
  const { context } = run;
  const route = parts.stages(context.principal, model).length === 0 ? admissionRoute(group) : undefined;
  const admission = await parts.tenantLimiter.admit(
    context.principal,
    tokens.prompt + tokens.output,
    context.requestId,
    group.settings.timeoutMs + leaseMarginMs,
    context.requestId,
    model,
    route,
  );
  if (route !== undefined) run.admitted = { group, values: admission.values };
  return admission;
}
