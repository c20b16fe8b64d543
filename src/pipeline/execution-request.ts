import type { Target } from '../core/gateway-events.ts';
import type { GroupRoute, RoutingTable } from '../routing/routing-table.ts';
import type { AheadPlan } from './policies/ahead-plan.ts';

/** One request as execution sees it. */
export interface ExecutionRequest {
  readonly requestId: string;
  readonly tenant: string;
  /** The client's signal: aborting it stops everything, no retries. */
  readonly signal: AbortSignal;
  readonly table: RoutingTable;
  /** The requested group (after admission). */
  readonly group: GroupRoute;
  readonly promptTokens: number;
  /** Output tokens expected (max tokens, or a default). */
  readonly outputTokens: number;
  /** Prompt plus the client's max tokens, checked against context windows. */
  readonly contextTokens: number;
  /** Tokens reserved against deployment tpm limits. */
  readonly reservedTokens: number;
  /** Epoch ms by which the whole request must be done (total timeout). */
  readonly deadlineAt: number;
  readonly timeoutMs: number;
  readonly allowedRegions?: readonly string[] | undefined;
  readonly requestedRegions?: readonly string[] | undefined;
  /** Prefix of concurrency lease ids (each attempt appends its number). */
  readonly leaseId: string;
  /**
   * The requested group's health values, when its admission read them and counted the request
   * toward its budgets (admission-route.ts): the plan uses them instead of reading again.
   */
  readonly health?: readonly (string | undefined)[] | undefined;
  /**
   * The requested group's plan made before the admission, with its first deployment's reservation
   * made by the admission (docs/decisions/0031): used when the admission's health values match.
   */
  readonly ahead?: AheadPlan | undefined;
  readonly stream: boolean;
}

/** What a request's execution did, for accounting (mutated as it goes). */
export interface ExecutionTally {
  /** Upstream attempts made, failed ones included. */
  attempts: number;
  fallbacks: number;
  /** Milliseconds spent in upstream attempts. */
  upstreamMs: number;
  /** Milliseconds spent sleeping before retries. */
  waitedMs: number;
  /** The deployment of the latest attempt. */
  lastTarget: Target | undefined;
  /** A hedge attempt served the answer (`x-spillway-hedged: true`). */
  hedged: boolean;
  /** What attempts that did not serve still cost (a hedge's loser: its input tokens), in USD. */
  extraCostUsd: number;
}

/** Leases outlive the longest request a little: a crashed replica's slots come back after this. */
export const leaseMarginMs = 60_000;

/** A fresh tally. */
export function createTally(): ExecutionTally {
  return {
    attempts: 0,
    fallbacks: 0,
    upstreamMs: 0,
    waitedMs: 0,
    lastTarget: undefined,
    hedged: false,
    extraCostUsd: 0,
  };
}
