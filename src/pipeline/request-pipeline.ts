import type { ChatRequest } from '../core/chat-request.ts';
import { computeCostUsd } from '../core/cost.ts';
import type { EmbeddingRequest } from '../core/embedding.ts';
import { totalTokens, type Usage } from '../core/usage.ts';
import { GatewayError, toGatewayError } from '../errors/gateway-error.ts';
import {
  defaultOutputTokens,
  estimateEmbeddingTokens,
  estimatePromptTokens,
} from '../limits/estimate-tokens.ts';
import type { TenantAdmission, TenantLimiter } from '../limits/tenant-limiter.ts';
import type { Generation, RoutingGenerations } from '../routing/routing-generations.ts';
import type { DeploymentRoute, GroupRoute } from '../routing/routing-table.ts';
import { embedCall, generateCall, streamCall, type OpenedStream } from './attempt-calls.ts';
import type { BudgetChecker } from '../core/authenticator.ts';
import type { CommittedAttempt } from './committed-attempt.ts';
import { executePlan } from './execute-plan.ts';
import type { ExecutionServices } from './execution-services.ts';
import type { ChatResult, EmbedResult, RequestContext, StreamResult } from './gateway.ts';
import { relayStream } from './relay-stream.ts';
import { RequestRun } from './request-run.ts';
import type { AttemptCall } from './run-attempt.ts';

/**
 * The request pipeline. The order of its steps is written once, in `admitAndExecute`:
 *
 *   1. model allowed for the principal      403 permission_denied
 *   2. model group exists                   404 unknown_model
 *   3. budget                               402 budget_exceeded
 *   4. tenant + key limits (one reserve)    429 rate_limited, at once
 *   5. plan + execute (execute-plan.ts: fallback chain → retry → breaker → limits → timeouts → call)
 *   6. account (per endpoint: reconcile tokens, release leases, cost, request-finished)
 *
 * Authentication happens before (Gateway.authenticate): the context carries the principal.
 */

interface TokenEstimate {
  readonly prompt: number;
  readonly output: number;
  /** Prompt + the client's max tokens (context-window check). */
  readonly context: number;
}

interface Executed<T> {
  readonly committed: CommittedAttempt<T>;
  readonly admission: TenantAdmission;
}

/** Collaborators of the pipeline. */
export interface PipelineParts {
  readonly services: ExecutionServices;
  readonly tenantLimiter: TenantLimiter;
  readonly budget: BudgetChecker;
  readonly generations: RoutingGenerations;
}

/** Leases outlive the longest request a little (a crashed replica's slots come back). */
const leaseMarginMs = 60_000;

function costOf(deployment: DeploymentRoute, usage: Usage): number | undefined {
  return deployment.price === undefined ? undefined : computeCostUsd(deployment.price, usage);
}

export class RequestPipeline {
  private readonly parts: PipelineParts;

  constructor(parts: PipelineParts) {
    this.parts = parts;
  }

  private startRun(
    context: RequestContext,
    endpoint: 'chat' | 'embeddings',
    stream: boolean,
    body: { model: string },
  ): RequestRun {
    const { clock, events } = this.parts.services;
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

  /** Steps 1 to 5, in order. On failure, everything reserved so far is given back. */
  private async admitAndExecute<T>(
    run: RequestRun,
    generation: Generation,
    model: string,
    tokens: TokenEstimate,
    call: AttemptCall<T>,
  ): Promise<Executed<T>> {
    const { context } = run;
    const { principal } = context;
    const { services } = this.parts;
    // 1. model allowed
    if (principal.allowedModels !== undefined && !principal.allowedModels.includes(model)) {
      throw new GatewayError(`this key may not use model "${model}"`, {
        code: 'permission_denied',
        status: 403,
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
        status: 404,
        param: 'model',
      });
    }
    // 3. budget
    try {
      this.parts.budget.check(principal);
    } catch (error) {
      services.events.emit({
        type: 'rate-limited',
        requestId: context.requestId,
        scope: 'tenant',
        tenant: principal.tenant,
        limit: 'budget',
      });
      throw error;
    }
    // 4. tenant and key limits
    const leaseId = context.requestId;
    const timeoutMs = group.settings.timeoutMs;
    const reserved = tokens.prompt + tokens.output;
    const admission = await this.parts.tenantLimiter.admit(
      principal,
      reserved,
      leaseId,
      timeoutMs + leaseMarginMs,
      context.requestId,
      model,
    );
    // 5. plan and execute
    try {
      const committed = await executePlan(
        services,
        {
          requestId: context.requestId,
          tenant: principal.tenant,
          signal: context.signal,
          table: generation.table,
          group,
          promptTokens: tokens.prompt,
          outputTokens: tokens.output,
          contextTokens: tokens.context,
          reservedTokens: reserved,
          deadlineAt: context.receivedAt + timeoutMs,
          timeoutMs,
          allowedRegions: principal.allowedRegions,
          requestedRegions: context.regions,
          leaseId,
          stream: run.stream,
        },
        call,
        run.tally,
      );
      return { committed, admission };
    } catch (error) {
      admission.reservation.settle(0);
      throw error;
    }
  }

  private chatTokens(request: ChatRequest): TokenEstimate {
    const prompt = estimatePromptTokens(request);
    return {
      prompt,
      output: request.maxTokens ?? defaultOutputTokens,
      context: prompt + (request.maxTokens ?? 0),
    };
  }

  /** A complete chat answer. */
  /** The context adapters see: the gateway's own span as traceparent once the run has started. */
  private upstreamContext(context: RequestContext): RequestContext {
    const traceparent = this.parts.services.traceparentFor?.(context.requestId);
    return traceparent === undefined ? context : { ...context, traceparent };
  }

  async chat(request: ChatRequest, context: RequestContext): Promise<ChatResult> {
    const run = this.startRun(context, 'chat', false, request);
    const generation = this.parts.generations.acquire();
    try {
      const { committed, admission } = await this.admitAndExecute(
        run,
        generation,
        request.model,
        this.chatTokens(request),
        generateCall(request, this.upstreamContext(context)),
      );
      // 6. account
      const response = committed.value;
      const tokens = totalTokens(response.usage);
      committed.finish({ tokens, outputTokens: response.usage.outputTokens });
      admission.reservation.settle(tokens);
      const deployment = committed.candidate.deployment;
      const costUsd = costOf(deployment, response.usage);
      run.finish({
        status: 200,
        usage: response.usage,
        costUsd,
        target: deployment.target,
        firstTokenAt: this.parts.services.clock.now(),
        responseBody: response,
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

  /** A chat stream, committed once a deployment produced its first content. */
  async streamChat(request: ChatRequest, context: RequestContext): Promise<StreamResult> {
    const run = this.startRun(context, 'chat', true, request);
    const generation = this.parts.generations.acquire();
    const { clock } = this.parts.services;
    let executed: Executed<OpenedStream>;
    const tokens = this.chatTokens(request);
    try {
      executed = await this.admitAndExecute(
        run,
        generation,
        request.model,
        tokens,
        streamCall(request, this.upstreamContext(context), () => clock.now()),
      );
    } catch (thrown) {
      const error = toGatewayError(thrown);
      run.fail(error);
      generation.release();
      throw error;
    }
    const { committed, admission } = executed;
    const opened = committed.value;
    const deployment = committed.candidate.deployment;
    const events = relayStream(opened, committed.scope, context.principal.logBodies, (end) => {
      // 6. account, once the stream has ended however it ended. A stream cut before the upstream's
      // usage report (client abort, shutdown, failure) still cost its prompt and the output
      // delivered: account the estimate (marked estimated) rather than nothing.
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
    return {
      route: { target: deployment.target, attempts: run.tally.attempts },
      headers: admission.headers,
      events,
    };
  }

  /** Embeddings, through the same plan and execution. */
  async embed(request: EmbeddingRequest, context: RequestContext): Promise<EmbedResult> {
    const run = this.startRun(context, 'embeddings', false, request);
    const generation = this.parts.generations.acquire();
    try {
      const prompt = estimateEmbeddingTokens(request);
      const tokens = { prompt, output: 0, context: prompt };
      const { committed, admission } = await this.admitAndExecute(
        run,
        generation,
        request.model,
        tokens,
        embedCall(request, this.upstreamContext(context)),
      );
      const response = committed.value;
      const usage: Usage = { inputTokens: response.inputTokens, outputTokens: 0 };
      committed.finish({ tokens: response.inputTokens, outputTokens: 0 });
      admission.reservation.settle(response.inputTokens);
      const deployment = committed.candidate.deployment;
      const costUsd = costOf(deployment, usage);
      run.finish({
        status: 200,
        usage,
        costUsd,
        target: deployment.target,
        firstTokenAt: this.parts.services.clock.now(),
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
