import type { ChatRequest } from '../core/chat-request.ts';
import type { ChatResponse } from '../core/chat-response.ts';
import type { Clock } from '../core/clock.ts';
import type { EventSink } from '../core/gateway-events.ts';
import type { ChatStreamEvent } from '../core/stream-event.ts';
import { computeCostUsd } from '../core/cost.ts';
import { totalTokens, type Usage } from '../core/usage.ts';
import { toGatewayError, type GatewayError } from '../errors/gateway-error.ts';
import type { TenantAdmission } from '../limits/tenant-limiter.ts';
import type { Generation } from '../routing/routing-generations.ts';
import type { DeploymentRoute } from '../routing/routing-table.ts';
import { generateCall, streamCall, type AttemptCall, type OpenedStream } from './attempt-calls.ts';
import type { CommittedAttempt } from './committed-attempt.ts';
import { completeRefusal, streamRefusal, type ContentRefusal } from './content-refusal.ts';
import type { ChatResult, RequestContext, RouteInfo, StreamResult } from './gateway.ts';
import { relayStream } from './relay-stream.ts';
import type { RequestRun } from './request-run.ts';
import type { RequestStage, ServedBy, StageDecision } from './request-stage.ts';
import { answerEvents, runAfterAnswer, servedByStage, transformEvents } from './request-stages.ts';

/** A request's token estimate. */
export interface TokenEstimate {
  readonly prompt: number;
  readonly output: number;
  /** Prompt + the client's max tokens (context-window check). */
  readonly context: number;
}

/** A request that reached its answer: what accounting and delivery need (one object per request). */
export interface Served<T> {
  readonly run: RequestRun;
  /** Released when the answer has been delivered (a stream: when it ends). */
  readonly generation: Generation;
  readonly admission: TenantAdmission;
  /** The attempt that answered. */
  readonly committed: CommittedAttempt<T>;
  /** The request as planned (after the stages). */
  readonly request: ChatRequest;
  readonly tokens: TokenEstimate;
  /** The request's stages and how many of them see the answer on the way out. */
  readonly stages: readonly RequestStage[];
  readonly depth: number;
  /** Continues a stream cut after its first byte, where the group asks for it (stream-recovery.ts). */
  readonly recovery?: StreamRelay | undefined;
  /** Headers the stages added before the plan (undefined when none did). */
  readonly stageHeaders: Readonly<Record<string, string>> | undefined;
}

/** Relays a committed stream to the client and accounts it (stream-recovery.ts `StreamRecovery`). */
export interface StreamRelay {
  /** The events for the client; accounts every attempt and the request, however it ends. */
  relay(served: Served<OpenedStream>): AsyncIterable<ChatStreamEvent>;
}

/** The cost of `usage` on a deployment with prices. */
export function costOf(deployment: DeploymentRoute, usage: Usage): number | undefined {
  return deployment.price === undefined ? undefined : computeCostUsd(deployment.price, usage);
}

/**
 * How a chat request's answer is called for and consumed: the only difference between a complete
 * answer and a stream on the pipeline's one path (request-pipeline.ts `serveChat`).
 */
export interface ChatAnswer<T, R> {
  /** Whether the client asked for a stream. */
  readonly stream: boolean;
  /** The upstream call of one attempt (`events`: where a stream reports malformed events it skipped). */
  call(request: ChatRequest, context: RequestContext, clock: Clock, events: EventSink): AttemptCall<T>;
  /** How the answer may be a content-policy refusal (content-refusal.ts). */
  readonly refusal: ContentRefusal<T>;
  /**
   * Accounts the committed attempt and hands the answer over, through the stages' way out. Owns
   * the generation and the request's end from here: releases the generation once the answer is
   * delivered (a stream: when it ends) and fails the run itself when it rejects.
   */
  deliver(served: Served<T>, clock: Clock): R | Promise<R>;
  /** The complete answer an attempt gave, for a cascade's check (undefined for a stream). */
  complete(value: T): ChatResponse | undefined;
  /** Hands over an answer a stage gave (no deployment); owns the request's end like `deliver`. */
  answered(answered: StageAnswered): R | Promise<R>;
}

/** An answer a request stage gave before the plan. */
export interface StageAnswered {
  readonly run: RequestRun;
  readonly generation: Generation;
  readonly admission: TenantAdmission;
  readonly request: ChatRequest;
  readonly stages: readonly RequestStage[];
  /** How many stages (before the one that answered) see the answer on the way out. */
  readonly depth: number;
  /** The name of the stage that answered. */
  readonly stage: string;
  readonly decision: Extract<StageDecision, { kind: 'answer' }>;
  /** Headers the stages before it added. */
  readonly stageHeaders: Readonly<Record<string, string>> | undefined;
  /** Epoch ms of the answer. */
  readonly now: number;
}

/**
 * Settles an attempt that answered with `usage`: the attempt's accounting (deployment limits,
 * breaker, statistics) and the tenant's reservation. Shared by chat and embeddings.
 */
export function settleUpstream<T>(
  committed: CommittedAttempt<T>,
  admission: TenantAdmission,
  usage: Usage,
): void {
  const tokens = totalTokens(usage);
  committed.finish({ tokens, outputTokens: usage.outputTokens });
  admission.reservation.settle(tokens);
}

function stageRoute(answered: StageAnswered): RouteInfo {
  return { target: undefined, attempts: 0, stage: { name: answered.stage, group: answered.request.model } };
}

/** The admission's headers with the stages' added (the common case, none, allocates nothing). */
function withStageHeaders(
  admission: TenantAdmission,
  stageHeaders: Readonly<Record<string, string>> | undefined,
  own?: Readonly<Record<string, string>>,
): Readonly<Record<string, string>> {
  if (stageHeaders === undefined && own === undefined) return admission.headers;
  return { ...admission.headers, ...stageHeaders, ...own };
}

function stageHeaders(answered: StageAnswered): Readonly<Record<string, string>> {
  return withStageHeaders(answered.admission, answered.stageHeaders, answered.decision.headers);
}

/** Records the end of a request a stage answered (no upstream tokens, no cost; a cache hit's saving). */
function finishStageAnswer(answered: StageAnswered, response: ChatResponse): void {
  answered.run.finish({
    status: 200,
    firstTokenAt: answered.now,
    responseBody: response,
    // A replayed answer costs nothing; the saving is what it cost when a deployment made it.
    costUsd: answered.decision.savedUsd === undefined ? undefined : 0,
    answeredBy: answered.stage,
    savedUsd: answered.decision.savedUsd,
  });
}

/** Request-finished and the result of a complete answer served by a deployment. */
function completeResult(
  served: Served<ChatResponse>,
  response: ChatResponse,
  usage: Usage,
  now: number,
): ChatResult {
  const { run, committed } = served;
  const deployment = committed.candidate.deployment;
  const costUsd = costOf(deployment, usage);
  run.finish({
    status: 200,
    usage,
    costUsd,
    target: deployment.target,
    firstTokenAt: now,
    responseBody: response,
  });
  return {
    response,
    route: { target: deployment.target, attempts: run.tally.attempts, hedged: run.tally.hedged || undefined },
    costUsd,
    headers: withStageHeaders(served.admission, served.stageHeaders),
  };
}

/** Ends the run with the error a delivery failed with. */
function failRun(run: RequestRun, thrown: unknown): GatewayError {
  const error = toGatewayError(thrown);
  run.fail(error);
  return error;
}

async function completeThroughStages(served: Served<ChatResponse>, clock: Clock): Promise<ChatResult> {
  try {
    const upstream = served.committed.value;
    settleUpstream(served.committed, served.admission, upstream.usage);
    const deployment = served.committed.candidate.deployment;
    const response = await runAfterAnswer(
      served.stages,
      served.depth,
      upstream,
      served.request,
      served.run.context,
      {
        target: deployment.target,
        costUsd: costOf(deployment, upstream.usage),
      },
    );
    return completeResult(served, response, upstream.usage, clock.now());
  } catch (thrown) {
    throw failRun(served.run, thrown);
  } finally {
    served.generation.release();
  }
}

/** A complete answer as JSON. */
export const completeAnswer: ChatAnswer<ChatResponse, ChatResult> = {
  stream: false,
  call: (request, context) => generateCall(request, context),
  complete: (response) => response,
  refusal: completeRefusal,
  deliver(served, clock) {
    if (served.depth > 0) return completeThroughStages(served, clock);
    try {
      const response = served.committed.value;
      settleUpstream(served.committed, served.admission, response.usage);
      return completeResult(served, response, response.usage, clock.now());
    } catch (thrown) {
      throw failRun(served.run, thrown);
    } finally {
      served.generation.release();
    }
  },
  async answered(answered) {
    try {
      const response =
        answered.depth === 0
          ? answered.decision.response
          : await runAfterAnswer(
              answered.stages,
              answered.depth,
              answered.decision.response,
              answered.request,
              answered.run.context,
              servedByStage,
            );
      finishStageAnswer(answered, response);
      return { response, route: stageRoute(answered), costUsd: undefined, headers: stageHeaders(answered) };
    } catch (thrown) {
      throw failRun(answered.run, thrown);
    } finally {
      answered.generation.release();
    }
  },
};

/** A committed stream relayed as it is (no recovery); accounted once it has ended, however it ended. */
export function relayAttempt(served: Served<OpenedStream>): AsyncIterable<ChatStreamEvent> {
  const { committed, admission, run, generation, tokens } = served;
  const opened = committed.value;
  const deployment = committed.candidate.deployment;
  return relayStream(opened, committed.scope, run.context.principal.logBodies, tokens.prompt, (end) => {
    // A stream cut before the upstream's usage report (client abort, shutdown, failure) still
    // cost its prompt and the output delivered: account the estimate (marked estimated).
    const usage = end.delivered.usage(tokens.prompt);
    const used = totalTokens(usage);
    committed.finish({
      error: end.error,
      tokens: used,
      outputTokens: usage.outputTokens,
      firstTokenMs: opened.committedAt - committed.startedAt,
    });
    admission.reservation.settle(used);
    run.finish({
      status: 200,
      error: end.error,
      usage,
      costUsd: costOf(deployment, usage),
      target: deployment.target,
      firstTokenAt: opened.committedAt,
      responseBody: { text: end.text, usage: end.usage ?? null },
    });
    generation.release();
  });
}

/** A stream, relayed from the committed attempt; accounted once it has ended, however it ended. */
export const streamedAnswer: ChatAnswer<OpenedStream, StreamResult> = {
  stream: true,
  call: (request, context, clock, events) => streamCall(request, context, () => clock.now(), events),
  // A stream is relayed as it comes: a cascade would have to buffer it (decision 0024).
  complete: () => undefined,
  refusal: streamRefusal,
  deliver(served) {
    const { committed, admission, run } = served;
    const deployment = committed.candidate.deployment;
    const context = run.context;
    const recovery = served.recovery;
    let events: AsyncIterable<ChatStreamEvent> =
      recovery !== undefined && committed.execution.request.group.settings.streamRecovery === 'continue'
        ? recovery.relay(served)
        : relayAttempt(served);
    if (served.depth > 0) {
      const relayed = events;
      // What the stages see of who served the stream; its cost is the run's, once the stream has ended.
      const servedBy: ServedBy = {
        target: deployment.target,
        get costUsd() {
          return run.costUsd;
        },
      };
      try {
        events = transformEvents(served.stages, served.depth, relayed, served.request, context, servedBy);
      } catch (thrown) {
        // A stage refused before the stream started: the request ends with its error, and closing
        // the relay accounts the attempt and releases the upstream and the generation.
        const error = failRun(run, thrown);
        void relayed[Symbol.asyncIterator]().return?.();
        throw error;
      }
    }
    return {
      route: {
        target: deployment.target,
        attempts: run.tally.attempts,
        hedged: run.tally.hedged || undefined,
      },
      headers: withStageHeaders(admission, served.stageHeaders),
      events,
    };
  },
  answered(answered) {
    try {
      const events = transformEvents(
        answered.stages,
        answered.depth,
        answerEvents(answered.decision.response),
        answered.request,
        answered.run.context,
        servedByStage,
      );
      finishStageAnswer(answered, answered.decision.response);
      return { route: stageRoute(answered), headers: stageHeaders(answered), events };
    } catch (thrown) {
      throw failRun(answered.run, thrown);
    } finally {
      answered.generation.release();
    }
  },
};
