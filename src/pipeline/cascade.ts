import type { ChatRequest } from '../core/chat-request.ts';
import type { ChatResponse } from '../core/chat-response.ts';
import type { EventSink } from '../core/gateway-events.ts';
import { totalTokens } from '../core/usage.ts';
import type { GroupRoute } from '../routing/routing-table.ts';
import { costOf } from './chat-answers.ts';
import type { CommittedAttempt } from './committed-attempt.ts';
import type { RequestRun } from './request-run.ts';
import type { CascadeStep } from './request-stage.ts';

/** The response header that says what a cascade did. */
export const cascadeHeader = 'x-spillway-cascade';

/** What a cascade leaves to serve: the attempt that answers, on which group, for which request. */
export interface Cascaded<T> {
  readonly committed: CommittedAttempt<T>;
  readonly request: ChatRequest;
  readonly group: GroupRoute;
  /** `kept`, `escalated:<check> -> <group>`, or `escalation-failed:<check>` (the first answer stands). */
  readonly header: string;
}

export interface CascadeParts<T> {
  readonly step: CascadeStep;
  readonly run: RequestRun;
  readonly events: EventSink;
  /** The attempt of the cheap group, and its answer as a complete response. */
  readonly first: CommittedAttempt<T>;
  readonly response: ChatResponse;
  readonly request: ChatRequest;
  readonly group: GroupRoute;
  /** The group the client may use under this name (allowed for the key, exists). */
  readonly groupOf: (model: string) => GroupRoute;
  /** Plans and executes `request` on `group` through every policy (the pipeline's step 6). */
  readonly execute: (request: ChatRequest, group: GroupRoute) => Promise<CommittedAttempt<T>>;
}

/**
 * Runs a router's cascade on a complete answer (decision 0024). An answer that passes the check is
 * kept. One that fails is accounted as an attempt that did not serve: its deployment's limits and
 * statistics settle, and its cost is added to the request's (`tally.extraCostUsd`, so the spend
 * record has both). The request is then planned and executed on `to`, through every policy. When
 * `to` cannot answer, the first answer stands rather than failing a request that had one.
 */
export async function runCascade<T>(parts: CascadeParts<T>): Promise<Cascaded<T>> {
  const { step, run, first, response, request, group } = parts;
  const failed = step.failed(response, request);
  if (failed === undefined) return { committed: first, request, group, header: 'kept' };
  const usage = response.usage;
  const firstCost = costOf(first.candidate.deployment, usage) ?? 0;
  first.finish({ tokens: totalTokens(usage), outputTokens: usage.outputTokens });
  run.tally.extraCostUsd += firstCost;
  const rule = `cascade-${failed}`;
  parts.events.emit({
    type: 'route-decided',
    requestId: run.context.requestId,
    tenant: run.context.principal.tenant,
    router: step.router,
    rule,
    target: step.to,
  });
  const decision = `${step.router}:${rule}`;
  run.route = run.route === undefined ? decision : `${run.route} ${decision}`;
  const escalated: ChatRequest = { ...request, model: step.to };
  try {
    const strong = parts.groupOf(step.to);
    const committed = await parts.execute(escalated, strong);
    return { committed, request: escalated, group: strong, header: `escalated:${failed} -> ${step.to}` };
  } catch {
    // The first attempt is served after all: its cost is the answer's, not an extra.
    run.tally.extraCostUsd -= firstCost;
    return { committed: first, request, group, header: `escalation-failed:${failed}` };
  }
}
