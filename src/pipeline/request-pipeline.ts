import type { ChatRequest } from '../core/chat-request.ts';
import type { Clock } from '../core/clock.ts';
import type { EventSink } from '../core/gateway-events.ts';
import type { EmbeddingRequest, EmbeddingResponse } from '../core/embedding.ts';
import type { Principal } from '../core/principal.ts';
import type { Usage } from '../core/usage.ts';
import { GatewayError, toGatewayError } from '../errors/gateway-error.ts';
import {
  defaultOutputTokens,
  estimateEmbeddingTokens,
  estimatePromptTokens,
} from '../limits/estimate-tokens.ts';
import type { TenantLimiter } from '../limits/tenant-limiter.ts';
import type { Generation, RoutingGenerations } from '../routing/routing-generations.ts';
import type { GroupRoute } from '../routing/routing-table.ts';
import { admitRequest } from './admission-route.ts';
import { embedCall, type AttemptCall } from './attempt-calls.ts';
import type { BudgetChecker } from '../core/authenticator.ts';
import {
  completeAnswer,
  costOf,
  settleUpstream,
  streamedAnswer,
  type ChatAnswer,
  type Served,
  type StageAnswered,
  type TokenEstimate,
} from './chat-answers.ts';
import type { CommittedAttempt } from './committed-attempt.ts';
import { Execution } from './execution.ts';
import type { RootPolicy } from './policies/policy.ts';
import type { ChatResult, EmbedResult, RequestContext, StreamResult, TokenCountResult } from './gateway.ts';
import { countGroupTokens } from './count-tokens.ts';
import type { ContentRefusal } from './content-refusal.ts';
import type { StageResolver } from './request-stage.ts';
import { runBeforePlan } from './request-stages.ts';
import { RequestRun } from './request-run.ts';
import { cascadeHeader, runCascade } from './cascade.ts';
import type { CascadeStep } from './request-stage.ts';
import { StreamRecovery } from './stream-recovery.ts';

/**
 * The request pipeline. A complete answer and a stream take one path (`serveChat`); they differ
 * only in the call and in how the answer is consumed (chat-answers.ts). Embeddings share every
 * step but the stages. The order of the steps, written once:
 *
 *   1. model allowed for the principal      403 permission_denied
 *   2. model group exists                   404 unknown_model
 *   3. budget                               402 budget_exceeded
 *   4. tenant + key limits (one reserve)    429 rate_limited, at once (admission-route.ts)
 *   5. request stages before the plan       (request-stages.ts: may change, answer or refuse)
 *   6. plan + execute                       (policies/execution-policy.ts: fallback → plan → retry → failover → probe → limits → timeouts)
 *   7. account and answer                   (chat-answers.ts: stages after, reconcile, cost, request-finished)
 *
 * Authentication happens before (Gateway.authenticate): the context carries the principal.
 */

/** Collaborators of the pipeline. */
export interface PipelineParts {
  readonly clock: Clock;
  readonly events: EventSink;
  /** The resilience policies every execution runs through (policies/execution-policy.ts). */
  readonly policy: RootPolicy;
  /** The traceparent to send upstream for a request (the gateway's own span), when tracing is on. */
  readonly traceparentFor?: ((requestId: string) => string | undefined) | undefined;
  readonly tenantLimiter: TenantLimiter;
  readonly budget: BudgetChecker;
  readonly generations: RoutingGenerations;
  /** The request stages of a principal and group (resolveNoStages while none is configured). */
  readonly stages: StageResolver;
}

function chatTokens(request: ChatRequest): TokenEstimate {
  const prompt = estimatePromptTokens(request);
  return {
    prompt,
    output: request.maxTokens ?? defaultOutputTokens,
    context: prompt + (request.maxTokens ?? 0),
  };
}

export class RequestPipeline {
  private readonly parts: PipelineParts;
  /** Continues streams cut after their first byte, in groups with `stream_recovery: continue`. */
  private readonly recovery: StreamRecovery;

  constructor(parts: PipelineParts) {
    this.parts = parts;
    this.recovery = new StreamRecovery({ policy: parts.policy, events: parts.events, clock: parts.clock });
  }

  private startRun(
    context: RequestContext,
    endpoint: 'chat' | 'embeddings',
    stream: boolean,
    body: { model: string },
  ): RequestRun {
    const { clock, events } = this.parts;
    return new RequestRun({
      clock,
      events,
      context,
      endpoint,
      stream,
      requestedGroup: body.model,
      requestBody: body,
    });
  }

  /** Steps 1 and 2: the group the principal may use under this name. */
  private groupOf(principal: Principal, generation: Generation, model: string): GroupRoute {
    // 1. model allowed
    if (principal.allowedModels !== undefined && !principal.allowedModels.includes(model)) {
      throw new GatewayError(`this key may not use model "${model}"`, {
        code: 'permission_denied',
        param: 'model',
      });
    }
    // 2. group exists
    const group: GroupRoute | undefined = generation.table.groups.get(model);
    if (group === undefined) {
      const known = generation.table.groupNames.filter(
        (name) => principal.allowedModels === undefined || principal.allowedModels.includes(name),
      );
      throw new GatewayError(`unknown model "${model}"; known models: ${known.join(', ') || '(none)'}`, {
        code: 'unknown_model',
        param: 'model',
      });
    }
    return group;
  }

  /** Steps 1 to 3, in order: the group to serve. */
  private admit(run: RequestRun, generation: Generation, model: string): GroupRoute {
    const { context } = run;
    const { principal } = context;
    const group = this.groupOf(principal, generation, model);
    // 3. budget
    try {
      this.parts.budget.check(principal);
    } catch (error) {
      this.parts.events.emit({
        type: 'rate-limited',
        requestId: context.requestId,
        scope: 'tenant',
        tenant: principal.tenant,
        limit: 'budget',
      });
      throw error;
    }
    return group;
  }

  /** Step 6: plan and execute on `group`. */
  private execute<T>(
    run: RequestRun,
    generation: Generation,
    group: GroupRoute,
    tokens: TokenEstimate,
    call: AttemptCall<T>,
    refusal?: ContentRefusal<T>,
  ): Promise<CommittedAttempt<T>> {
    const { context } = run;
    const { principal } = context;
    const timeoutMs = group.settings.timeoutMs;
    const admitted = run.admitted?.group === group ? run.admitted : undefined;
    // the plan made ahead serves this group's first execution only (not a cascade's next one)
    const ahead = admitted?.ahead;
    if (admitted !== undefined) admitted.ahead = undefined;
    const execution = new Execution<T>(
      {
        requestId: context.requestId,
        tenant: principal.tenant,
        signal: context.signal,
        table: generation.table,
        group,
        promptTokens: tokens.prompt,
        outputTokens: tokens.output,
        contextTokens: tokens.context,
        reservedTokens: tokens.prompt + tokens.output,
        deadlineAt: context.receivedAt + timeoutMs,
        timeoutMs,
        allowedRegions: principal.allowedRegions,
        requestedRegions: context.regions,
        leaseId: context.requestId,
        stream: run.stream,
        health: admitted?.values,
        ahead,
      },
      call,
      run.tally,
      refusal,
    );
    return this.parts.policy.execute(execution);
  }

  /** The input tokens of a request on its group (Anthropic count_tokens): steps 1 and 2, then count. */
  async countTokens(request: ChatRequest, context: RequestContext): Promise<TokenCountResult> {
    const generation = this.parts.generations.acquire();
    try {
      const group = this.groupOf(context.principal, generation, request.model);
      return await countGroupTokens(group, request, context);
    } finally {
      generation.release();
    }
  }

  /** A complete chat answer. */
  chat(request: ChatRequest, context: RequestContext): Promise<ChatResult> {
    return this.serveChat(completeAnswer, request, context);
  }

  /** A chat stream, committed once a deployment produced its first content. */
  streamChat(request: ChatRequest, context: RequestContext): Promise<StreamResult> {
    return this.serveChat(streamedAnswer, request, context);
  }

  /** The one path of a chat request, complete or streamed: steps 1 to 7. */
  private async serveChat<T, R>(
    answer: ChatAnswer<T, R>,
    request: ChatRequest,
    context: RequestContext,
  ): Promise<R> {
    const run = this.startRun(context, 'chat', answer.stream, request);
    const generation = this.parts.generations.acquire();
    let served: Served<T> | StageAnswered;
    try {
      let tokens = chatTokens(request);
      let group = this.admit(run, generation, request.model);
      const admission = await admitRequest(this.parts, run, group, request.model, tokens);
      let stages = this.parts.stages(context.principal, request.model);
      let depth = 0;
      let stageHeaders: Readonly<Record<string, string>> | undefined;
      let answered: StageAnswered | undefined;
      let cascade: CascadeStep | undefined;
      try {
        // 5. stages before the plan (none configured: nothing runs, nothing is allocated)
        if (stages.length > 0) {
          const before = await runBeforePlan(stages, request, context, (next) =>
            this.parts.stages(context.principal, next),
          );
          stages = before.stages;
          if (before.route !== undefined) run.route = before.route;
          if (before.request !== request) {
            if (before.request.model !== request.model) {
              group = this.groupOf(context.principal, generation, before.request.model);
            }
            request = before.request;
            tokens = chatTokens(request);
          }
          depth = before.depth;
          stageHeaders = before.headers;
          cascade = before.cascade;
          if (before.answer !== undefined) {
            admission.reservation.settle(0);
            answered = {
              run,
              generation,
              admission,
              request,
              stages,
              depth,
              stage: before.answeredBy ?? '',
              decision: before.answer,
              stageHeaders,
              now: this.parts.clock.now(),
            };
          }
        }
        // 6. plan and execute (unless a stage answered)
        if (answered !== undefined) served = answered;
        else {
          const upstream = this.upstreamContext(context);
          const { clock, events } = this.parts;
          let committed = await this.execute(
            run,
            generation,
            group,
            tokens,
            answer.call(request, upstream, clock, events),
            answer.refusal,
          );
          const response = cascade === undefined ? undefined : answer.complete(committed.value);
          if (cascade !== undefined && response !== undefined) {
            const cascaded = await runCascade({
              step: cascade,
              run,
              events,
              first: committed,
              response,
              request,
              group,
              groupOf: (model) => this.groupOf(context.principal, generation, model),
              execute: (next, nextGroup) =>
                this.execute(
                  run,
                  generation,
                  nextGroup,
                  chatTokens(next),
                  answer.call(next, upstream, clock, events),
                  answer.refusal,
                ),
            });
            ({ committed, request, group } = cascaded);
            tokens = chatTokens(request);
            stageHeaders = { ...stageHeaders, [cascadeHeader]: cascaded.header };
          }
          const recovery = this.recovery;
          served = {
            run,
            generation,
            admission,
            committed,
            request,
            tokens,
            stages,
            depth,
            recovery,
            stageHeaders,
          };
        }
      } catch (error) {
        admission.reservation.settle(0);
        throw error;
      }
    } catch (thrown) {
      const error = toGatewayError(thrown);
      run.fail(error);
      generation.release();
      throw error;
    }
    // 7. account and answer. The answer owns the request's end from here; returned, not awaited:
    // a complete answer is a value, not a promise (one await less per request).
    return 'decision' in served ? answer.answered(served) : answer.deliver(served, this.parts.clock);
  }

  /** The context adapters see: the gateway's own span as traceparent once the run has started. */
  private upstreamContext(context: RequestContext): RequestContext {
    const traceparent = this.parts.traceparentFor?.(context.requestId);
    return traceparent === undefined ? context : { ...context, traceparent };
  }

  /** Embeddings: the same steps, without stages (they see chat requests only). */
  async embed(request: EmbeddingRequest, context: RequestContext): Promise<EmbedResult> {
    const run = this.startRun(context, 'embeddings', false, request);
    const generation = this.parts.generations.acquire();
    try {
      const prompt = estimateEmbeddingTokens(request);
      const tokens = { prompt, output: 0, context: prompt };
      const group = this.admit(run, generation, request.model);
      const admission = await admitRequest(this.parts, run, group, request.model, tokens);
      let committed: CommittedAttempt<EmbeddingResponse>;
      try {
        committed = await this.execute(
          run,
          generation,
          group,
          tokens,
          embedCall(request, this.upstreamContext(context)),
        );
      } catch (error) {
        admission.reservation.settle(0);
        throw error;
      }
      const response = committed.value;
      const usage: Usage = { inputTokens: response.inputTokens, outputTokens: 0 };
      settleUpstream(committed, admission, usage);
      const deployment = committed.candidate.deployment;
      const costUsd = costOf(deployment, usage);
      run.finish({
        status: 200,
        usage,
        costUsd,
        target: deployment.target,
        firstTokenAt: this.parts.clock.now(),
      });
      return {
        response,
        route: { target: deployment.target, attempts: run.tally.attempts },
        costUsd,
        headers: admission.headers,
      };
    } catch (thrown) {
      const error = toGatewayError(thrown);
      run.fail(error);
      throw error;
    } finally {
      generation.release();
    }
  }
}
