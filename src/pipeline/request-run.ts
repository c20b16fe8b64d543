import type { Clock } from '../core/clock.ts';
import type { EventSink, Target } from '../core/gateway-events.ts';
import type { Usage } from '../core/usage.ts';
import type { GatewayError } from '../errors/gateway-error.ts';
import type { GroupRoute } from '../routing/routing-table.ts';
import { createTally, type ExecutionTally } from './execution-request.ts';
import type { RequestContext } from './gateway.ts';
import type { AheadPlan } from './policies/ahead-plan.ts';

/** How a request ended, for its `request-finished` event. */
export interface RequestOutcome {
  /** HTTP status sent to the client (200 for a stream that later failed in-band). */
  readonly status: number;
  readonly error?: GatewayError | undefined;
  readonly usage?: Usage | undefined;
  readonly costUsd?: number | undefined;
  /** The deployment that served it (default: the last one tried). */
  readonly target?: Target | undefined;
  /** Epoch ms of the first token (or of the whole answer for non-streams). */
  readonly firstTokenAt?: number | undefined;
  /** The response body for the audit log (used only when the tenant logs bodies). */
  readonly responseBody?: unknown;
  /** The request stage that answered without a deployment (e.g. `cache`). */
  readonly answeredBy?: string | undefined;
  /** What a stage's answer saved (a cache hit: the cost of the answer it replayed). */
  readonly savedUsd?: number | undefined;
}

/**
 * One client request from start to account: emits `request-started` when created and exactly one
 * `request-finished` (every path, including refusals before any upstream call).
 */
/** A group's health values as its admission read them. */
export interface AdmittedHealth {
  readonly group: GroupRoute;
  readonly values: readonly (string | undefined)[];
  /** The group's plan made ahead, its deployment reservation made by the admission (0031). */
  ahead: AheadPlan | undefined;
}

export class RequestRun {
  readonly tally: ExecutionTally = createTally();
  readonly context: RequestContext;
  private readonly clock: Clock;
  private readonly events: EventSink;
  private readonly endpoint: 'chat' | 'embeddings';
  /** Whether the client asked for a stream. */
  readonly stream: boolean;
  private readonly requestedGroup: string;
  private readonly requestBody: unknown;
  private finished = false;

  constructor(options: {
    clock: Clock;
    events: EventSink;
    context: RequestContext;
    endpoint: 'chat' | 'embeddings';
    stream: boolean;
    requestedGroup: string;
    requestBody: unknown;
  }) {
    this.clock = options.clock;
    this.events = options.events;
    this.context = options.context;
    this.endpoint = options.endpoint;
    this.stream = options.stream;
    this.requestedGroup = options.requestedGroup;
    this.requestBody = options.requestBody;
    this.events.emit({
      type: 'request-started',
      requestId: this.context.requestId,
      tenant: this.context.principal.tenant,
      group: this.requestedGroup,
      stream: this.stream,
      traceparent: this.context.traceparent,
    });
  }

  private finishedCostUsd: number | undefined;

  /** The request's cost as finished (undefined before `finish`, or without prices). */
  get costUsd(): number | undefined {
    return this.finishedCostUsd;
  }

  /** The router decisions that chose the served group (`<router>:<rule>`), set by the stages. */
  route: string | undefined;

  /** The health values of the admitted group, read by the admission (admission-route.ts). */
  admitted: AdmittedHealth | undefined;

  /** Emits `request-finished`; later calls do nothing. */
  finish(outcome: RequestOutcome): void {
    if (this.finished) return;
    this.finished = true;
    this.finishedCostUsd =
      this.tally.extraCostUsd > 0 ? (outcome.costUsd ?? 0) + this.tally.extraCostUsd : outcome.costUsd;
    const { context, tally } = this;
    const latencyMs = Math.max(0, this.clock.now() - context.receivedAt);
    const usage = outcome.usage;
    this.events.emit({
      type: 'request-finished',
      requestId: context.requestId,
      clientRequestId: context.clientRequestId,
      dialect: context.dialect,
      endpoint: this.endpoint,
      tenant: context.principal.tenant,
      keyId: context.principal.keyId,
      requestedGroup: this.requestedGroup,
      target: outcome.target ?? tally.lastTarget,
      stream: this.stream,
      status: outcome.status,
      errorCode: outcome.error?.code,
      attempts: tally.attempts,
      fallbacks: tally.fallbacks,
      inputTokens: usage?.inputTokens ?? 0,
      outputTokens: usage?.outputTokens ?? 0,
      cacheReadInputTokens: usage?.cacheReadInputTokens ?? 0,
      cacheWriteInputTokens: usage?.cacheWriteInputTokens ?? 0,
      usageEstimated: usage?.estimated === true ? true : undefined,
      // A hedge's loser cost its input tokens too: the request's cost includes it.
      costUsd: this.finishedCostUsd,
      answeredBy: outcome.answeredBy,
      route: this.route,
      savedUsd: outcome.savedUsd,
      startedAt: context.receivedAt,
      latencyMs,
      firstTokenMs:
        outcome.firstTokenAt === undefined
          ? undefined
          : Math.max(0, outcome.firstTokenAt - context.receivedAt),
      // Backoff sleeps are waits caused by upstreams too: not the gateway's own overhead.
      overheadMs: Math.max(0, latencyMs - tally.upstreamMs - tally.waitedMs),
      bodies: context.principal.logBodies
        ? { request: context.rawBody ?? this.requestBody, response: outcome.responseBody ?? null }
        : undefined,
    });
  }

  /** Ends the request with an error (status from the error). */
  fail(error: GatewayError): void {
    this.finish({ status: error.status, error });
  }
}
