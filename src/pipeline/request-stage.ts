import type { ChatRequest } from '../core/chat-request.ts';
import type { ChatResponse } from '../core/chat-response.ts';
import type { Principal } from '../core/principal.ts';
import type { Target } from '../core/gateway-events.ts';
import type { ChatStreamEvent } from '../core/stream-event.ts';
import type { GatewayError } from '../errors/gateway-error.ts';
import type { RequestContext } from './gateway.ts';

/**
 * A request stage: what runs around plan-and-execute for a chat request (smart routing, guardrails,
 * the response cache). A stage sees the canonical request and answer only, never a dialect or a
 * deployment. Every hook is optional; a stage without a hook is skipped for that step at no cost.
 * The order of the stages and how they compose is in request-stages.ts.
 */
export interface RequestStage {
  /** Names the stage in logs and in the route of an answer it gives (e.g. `cache`). */
  readonly name: string;
  /**
   * Before planning, in list order. Returns undefined to pass, or a decision: change the request,
   * answer it (no deployment is called), or refuse it. May be async; throwing is a refusal too.
   */
  beforePlan?(
    request: ChatRequest,
    context: RequestContext,
  ): StageDecision | undefined | Promise<StageDecision | undefined>;
  /**
   * After a complete answer, in reverse list order (the last stage in sees the answer first).
   * Returns a replacement, or undefined to keep it; throwing a GatewayError refuses the answer.
   */
  afterAnswer?(
    response: ChatResponse,
    request: ChatRequest,
    context: RequestContext,
    served: ServedBy,
  ): ChatResponse | undefined | Promise<ChatResponse | undefined>;
  /**
   * Wraps a streamed answer's events, in reverse list order like `afterAnswer`. The returned
   * iterable must pass on `return()` so that a client leaving stops the upstream; a GatewayError
   * thrown from it ends the client stream with an in-band error.
   */
  transformStream?(
    events: AsyncIterable<ChatStreamEvent>,
    request: ChatRequest,
    context: RequestContext,
    served: ServedBy,
  ): AsyncIterable<ChatStreamEvent>;
}

/**
 * Who produced the answer a stage sees on the way out, and what it cost. For a stream, `costUsd` is
 * known once the upstream stream has ended: read it after the events are exhausted, not before.
 */
export interface ServedBy {
  /** The deployment that answered; undefined when an inner stage answered (a cache hit). */
  readonly target: Target | undefined;
  /** The answer's cost at the deployment's prices; undefined without prices or before a stream ends. */
  readonly costUsd: number | undefined;
}

/** What a stage's `beforePlan` decided, besides passing. */
export type StageDecision =
  /** Go on with this request instead (a changed model is checked and looked up again). */
  | {
      readonly kind: 'change';
      readonly request: ChatRequest;
      /** Added to the response (e.g. a router's `x-spillway-route`). */
      readonly headers?: Readonly<Record<string, string>> | undefined;
      /** A router's decision, `<router>:<rule>`, recorded on the spend record. */
      readonly route?: string | undefined;
      /** A router's cascade from the group it chose (complete answers only; pipeline/cascade.ts). */
      readonly cascade?: CascadeStep | undefined;
    }
  /** Go on unchanged, adding these headers to the response (e.g. `x-spillway-cache: miss`). */
  | { readonly kind: 'annotate'; readonly headers: Readonly<Record<string, string>> }
  /**
   * Answer without planning or calling a deployment (a cache hit). The route has no deployment;
   * `headers` are added to the response (e.g. `x-spillway-cache: hit`).
   */
  | {
      readonly kind: 'answer';
      readonly response: ChatResponse;
      readonly headers?: Readonly<Record<string, string>> | undefined;
      /** What the answer would have cost from a deployment (a cache hit's saving), for the spend record. */
      readonly savedUsd?: number | undefined;
    }
  /** Refuse with this error, rendered in the client's dialect (e.g. a guardrail's block). */
  | { readonly kind: 'refuse'; readonly error: GatewayError };

/**
 * A cascade a router declared for the group it chose: a complete answer that fails the router's
 * check is paid for and replaced by one from the group `to` (decision 0024).
 */
export interface CascadeStep {
  /** The router group that declared it (metrics, spend record). */
  readonly router: string;
  /** The group to escalate to. */
  readonly to: string;
  /** The check the answer fails (`max_tokens`, `refusal`, `invalid_json`), or undefined to keep it. */
  failed(response: ChatResponse, request: ChatRequest): string | undefined;
}

/**
 * The stages of one request, resolved from configuration per tenant, key and requested group.
 * Must be cheap: it runs on every chat request (return one shared list per configuration).
 */
export type StageResolver = (principal: Principal, group: string) => readonly RequestStage[];
