import type { ChatRequest } from '../core/chat-request.ts';
import type { ChatResponse } from '../core/chat-response.ts';
import type { ChatStreamEvent } from '../core/stream-event.ts';
import type { RequestContext } from './gateway.ts';
import type { CascadeStep, RequestStage, ServedBy, StageDecision, StageResolver } from './request-stage.ts';

/**
 * The request stages and how they compose, written once. A request's list is, in this order:
 *
 *   route (a router group picks the target group) → input guardrails → cache lookup
 *     → plan and execute (execution-policy.ts)
 *   → cache store → output guardrails (a stream transform for streams)
 *
 * Stages nest like middleware (Hono's `compose`): `beforePlan` runs in list order, `afterAnswer`
 * and `transformStream` in reverse. A stage that answers is the innermost one for that request:
 * only the stages before it see the answer on the way out (a cache hit still passes the output
 * guardrails, and is not stored again). A request whose list is empty takes none of these paths:
 * the pipeline checks `stages.length` once and allocates nothing for stages (the fast path).
 */

/** The list of a request with no stages (shared, so the fast path allocates nothing). */
export const noStages: readonly RequestStage[] = Object.freeze([]);

/** The resolver while no stage is configured: every request gets `noStages`. */
export const resolveNoStages: StageResolver = () => noStages;

/** The stages of a request by kind; `composeStages` puts them in the one order above. */
export interface StageSlots {
  /** Smart routing: may change the request's model (group). */
  readonly route?: RequestStage | undefined;
  /** Input guardrails (their `afterAnswer` / `transformStream` are the output guardrails). */
  readonly guardrails?: readonly RequestStage[] | undefined;
  /** The response cache: lookup before, store after. */
  readonly cache?: RequestStage | undefined;
}

/** The ordered list for one configuration (build it once per tenant/key/group, not per request). */
export function composeStages(slots: StageSlots): readonly RequestStage[] {
  const stages: RequestStage[] = [];
  if (slots.route !== undefined) stages.push(slots.route);
  if (slots.guardrails !== undefined) stages.push(...slots.guardrails);
  if (slots.cache !== undefined) stages.push(slots.cache);
  return stages.length === 0 ? noStages : stages;
}

/** What the stages decided before planning. */
export interface StagesBefore {
  /** The request to plan (changed by a stage, or the client's). */
  readonly request: ChatRequest;
  /** A stage's answer: nothing is planned or called. */
  readonly answer: Extract<StageDecision, { kind: 'answer' }> | undefined;
  /** The stage that answered (route information). */
  readonly answeredBy: string | undefined;
  /** How many stages (from the start of the list) see the answer on the way out. */
  readonly depth: number;
  /** Headers the stages added (`change` and `annotate` decisions); undefined when none did. */
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** The request's stages now (after a router's change: the router, then the target group's). */
  readonly stages: readonly RequestStage[];
  /** The routing decisions taken (`<router>:<rule>`), for the spend record; undefined when none. */
  readonly route: string | undefined;
  /** The cascade of the last router that declared one for the group it chose. */
  readonly cascade?: CascadeStep | undefined;
}

function withHeaders(
  headers: Readonly<Record<string, string>> | undefined,
  added: Readonly<Record<string, string>> | undefined,
): Readonly<Record<string, string>> | undefined {
  if (added === undefined) return headers;
  return headers === undefined ? added : { ...headers, ...added };
}

/**
 * Runs `beforePlan` in list order until a stage answers or refuses (a refusal is thrown). When a
 * stage changes the request's model group (a router), the stages after it are those of the new
 * group (`resolve`), so the target's guardrails and cache run, not the router's.
 */
export async function runBeforePlan(
  initial: readonly RequestStage[],
  request: ChatRequest,
  context: RequestContext,
  resolve?: (group: string) => readonly RequestStage[],
): Promise<StagesBefore> {
  let stages = initial;
  let current = request;
  let headers: Readonly<Record<string, string>> | undefined;
  let route: string | undefined;
  let cascade: CascadeStep | undefined;
  for (let index = 0; index < stages.length; index += 1) {
    const stage = stages[index] as RequestStage;
    if (stage.beforePlan === undefined) continue;
    const decision = await stage.beforePlan(current, context);
    if (decision === undefined) continue;
    if (decision.kind === 'refuse') throw decision.error;
    if (decision.kind === 'annotate') {
      headers = withHeaders(headers, decision.headers);
      continue;
    }
    if (decision.kind === 'change') {
      if (resolve !== undefined && decision.request.model !== current.model) {
        stages = [...stages.slice(0, index + 1), ...resolve(decision.request.model)];
      }
      current = decision.request;
      cascade = decision.cascade ?? cascade;
      headers = withHeaders(headers, decision.headers);
      if (decision.route !== undefined)
        route = route === undefined ? decision.route : `${route} ${decision.route}`;
      continue;
    }
    return {
      request: current,
      answer: decision,
      answeredBy: stage.name,
      depth: index,
      headers,
      stages,
      route,
      cascade,
    };
  }
  return {
    request: current,
    answer: undefined,
    answeredBy: undefined,
    depth: stages.length,
    headers,
    stages,
    route,
    cascade,
  };
}

/** Runs `afterAnswer` of the first `depth` stages, last first; resolves with the answer to send. */
export async function runAfterAnswer(
  stages: readonly RequestStage[],
  depth: number,
  response: ChatResponse,
  request: ChatRequest,
  context: RequestContext,
  served: ServedBy,
): Promise<ChatResponse> {
  let current = response;
  for (let index = depth - 1; index >= 0; index -= 1) {
    const stage = stages[index] as RequestStage;
    if (stage.afterAnswer === undefined) continue;
    current = (await stage.afterAnswer(current, request, context, served)) ?? current;
  }
  return current;
}

/** Wraps a stream in the `transformStream` of the first `depth` stages (the first stage outermost). */
export function transformEvents(
  stages: readonly RequestStage[],
  depth: number,
  events: AsyncIterable<ChatStreamEvent>,
  request: ChatRequest,
  context: RequestContext,
  served: ServedBy,
): AsyncIterable<ChatStreamEvent> {
  let current = events;
  for (let index = depth - 1; index >= 0; index -= 1) {
    const stage = stages[index] as RequestStage;
    if (stage.transformStream !== undefined)
      current = stage.transformStream(current, request, context, served);
  }
  return current;
}

/** What a stage's answer says about who served it: no deployment, no cost. */
export const servedByStage: ServedBy = Object.freeze({ target: undefined, costUsd: undefined });

/** A complete answer as the canonical stream a provider would have sent (a stage's answer to a stream). */
// eslint-disable-next-line @typescript-eslint/require-await -- the events are all at hand; consumers want an AsyncIterable
export async function* answerEvents(
  response: ChatResponse,
): AsyncGenerator<ChatStreamEvent, void, undefined> {
  yield { type: 'message_start', id: response.id, model: response.model };
  let index = 0;
  for (const part of response.content) {
    switch (part.type) {
      case 'text':
        yield { type: 'text_delta', index, text: part.text };
        break;
      case 'tool_call':
        yield { type: 'tool_call_start', index, id: part.id, name: part.name };
        yield { type: 'tool_call_delta', index, argumentsDelta: part.arguments };
        break;
      case 'reasoning':
        yield { type: 'reasoning_delta', index, text: part.text };
        if (part.signature !== undefined)
          yield { type: 'reasoning_signature', index, signature: part.signature };
        break;
      case 'redacted_reasoning':
        yield { type: 'redacted_reasoning', index, data: part.data };
        break;
    }
    yield { type: 'content_block_stop', index };
    index += 1;
  }
  yield { type: 'message_stop', stopReason: response.stopReason, stopSequence: response.stopSequence };
  yield { type: 'usage', usage: response.usage };
}
