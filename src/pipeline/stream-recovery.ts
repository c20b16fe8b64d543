import type { ChatMessage, ChatRequest } from '../core/chat-request.ts';
import type { Clock } from '../core/clock.ts';
import type { EventSink, StreamRecoveryOutcome } from '../core/gateway-events.ts';
import type { ChatStreamEvent } from '../core/stream-event.ts';
import { totalTokens, type Usage } from '../core/usage.ts';
import { clientClosed, GatewayError, toGatewayError } from '../errors/gateway-error.ts';
import type { DeploymentRoute } from '../routing/routing-table.ts';
import { streamCall, type AttemptCall, type OpenedStream } from './attempt-calls.ts';
import { costOf, relayAttempt, type Served, type StreamRelay } from './chat-answers.ts';
import type { CommittedAttempt } from './committed-attempt.ts';
import type { Execution } from './execution.ts';
import type { RootPolicy } from './policies/policy.ts';
import { closedUnstarted, relayStream, type StreamEnd } from './relay-stream.ts';
import { addUsage, StreamSplice, type ContinuationMode } from './stream-splice.ts';

/** The turn a plain continuation adds after the delivered text (no prefill). */
export const continueInstruction =
  'Your previous message was cut off. Continue it exactly where it stopped: do not repeat any of it, add no preamble, start with the next character.';

export interface StreamRecoveryOptions {
  /** The execution policies: `resume` serves the continuation through all of them. */
  readonly policy: RootPolicy;
  readonly events: EventSink;
  readonly clock: Clock;
}

/** One attempt's share of a recovered stream, for the request's account. */
interface AttemptShare {
  readonly deployment: DeploymentRoute;
  readonly usage: Usage;
}

/**
 * Stream recovery (a group's `stream_recovery: continue`, decision 0015): a stream cut after its
 * first byte (a reset, an idle timeout, a run of malformed events, an upstream error event) whose
 * error may fail over is continued on the next candidate of the execution (the same group, then its
 * fallbacks, through every policy) and spliced into the same client stream (stream-splice.ts).
 * Where the target takes an assistant prefill, the continuation is the original request plus the
 * delivered text as a partial assistant turn; where it does not (declared `supports_prefill:
 * false`, openai providers by default, or learned from its 400 to a prefill), a user turn asks it
 * to continue and what it repeats is trimmed. A cut after a tool call started is not spliced.
 * Whatever fails, the client sees the error that cut its stream, never a continuation's.
 */
export class StreamRecovery implements StreamRelay {
  private readonly options: StreamRecoveryOptions;
  /** Deployments that answered a prefill with a 400 (rebuilt on reload: learned again). */
  private readonly prefillRejected = new WeakSet<DeploymentRoute>();

  constructor(options: StreamRecoveryOptions) {
    this.options = options;
  }

  /** Whether a deployment is sent a prefill: declared, else by provider, unless it refused one. */
  acceptsPrefill(deployment: DeploymentRoute): boolean {
    if (this.prefillRejected.has(deployment)) return false;
    return deployment.config.supports_prefill ?? deployment.target.providerType !== 'openai';
  }

  /**
   * The committed stream's events for the client, continued after cuts; accounts every attempt
   * (limits, breaker, statistics) as it ends and the request once, at the end, with the sum.
   */
  relay(served: Served<OpenedStream>): AsyncIterableIterator<ChatStreamEvent> {
    // Closed unread: the plain relay accounts an attempt closed before it started (and frees it).
    return closedUnstarted(this.events(served), async () => {
      await relayAttempt(served)[Symbol.asyncIterator]().return?.();
    });
  }

  private async *events(served: Served<OpenedStream>): AsyncGenerator<ChatStreamEvent, void, undefined> {
    const { run, admission, generation, tokens } = served;
    const splice = new StreamSplice();
    const shares: AttemptShare[] = [];
    let committed = served.committed;
    const firstTokenAt = committed.value.committedAt;
    let promptTokens = tokens.prompt;
    let last: StreamEnd | undefined;
    let failure: GatewayError | undefined;
    let completed = false;
    try {
      for (;;) {
        const attempt = committed;
        const prompt = promptTokens;
        const relay = relayStream(attempt.value, attempt.scope, false, prompt, (end) => {
          last = end;
          const usage = end.delivered.usage(prompt);
          shares.push({ deployment: attempt.candidate.deployment, usage });
          attempt.finish({
            error: end.error,
            tokens: totalTokens(usage),
            outputTokens: usage.outputTokens,
            firstTokenMs: attempt.value.committedAt - attempt.startedAt,
          });
        });
        try {
          for await (const event of relay) for (const out of splice.map(event)) yield out;
          completed = true;
          return;
        } catch (thrown) {
          const cut = toGatewayError(thrown);
          const next = await this.continuation(served, attempt, splice, cut);
          if (next === undefined) {
            failure = cut;
            throw cut;
          }
          committed = next.committed;
          promptTokens = next.promptTokens;
          const cutUsage = shares.at(-1)?.usage ?? { inputTokens: 0, outputTokens: 0 };
          for (const event of splice.continueAfterCut(cutUsage, next.mode, next.trimmed)) yield event;
        }
      }
    } finally {
      const usage = shares.map((share) => share.usage).reduce(addUsage, { inputTokens: 0, outputTokens: 0 });
      const error = completed ? undefined : (failure ?? last?.error ?? clientClosed());
      const costs = shares.map((share) => costOf(share.deployment, share.usage));
      const costUsd = costs.every((cost) => cost === undefined)
        ? undefined
        : costs.reduce<number>((sum, cost) => sum + (cost ?? 0), 0);
      admission.reservation.settle(totalTokens(usage));
      run.finish({
        status: 200,
        error,
        usage,
        costUsd,
        target: committed.candidate.deployment.target,
        firstTokenAt,
        responseBody: { text: run.context.principal.logBodies ? splice.text : '', usage },
      });
      generation.release();
    }
  }

  /**
   * The continuation of a cut stream, committed on the next candidate, or undefined (reported)
   * when it is not to be continued or nothing could continue it.
   */
  private async continuation(
    served: Served<OpenedStream>,
    cut: CommittedAttempt<OpenedStream>,
    splice: StreamSplice,
    error: GatewayError,
  ): Promise<
    | {
        committed: CommittedAttempt<OpenedStream>;
        mode: ContinuationMode;
        trimmed: number;
        promptTokens: number;
      }
    | undefined
  > {
    const { signal } = served.run.context;
    // Not a cut another deployment can mend: the client left, the deadline passed, or an error that
    // would not fail over before the first byte either.
    if (signal.aborted || error.endsRequest || !error.fallbackEligible) return undefined;
    if (splice.toolCallStarted) {
      this.report(served, 'refused', error);
      return undefined;
    }
    const delivered = splice.text;
    const prefillText = delivered.trimEnd();
    const prefill = continuationRequest(served.request, prefillText, 'prefill');
    const plain = continuationRequest(served.request, delivered, 'plain');
    // Set by the call that committed (the last one run).
    const chosen: { mode: ContinuationMode } = { mode: 'plain' };
    const { clock, events, policy } = this.options;
    const now = (): number => clock.now();
    const context = served.run.context;
    const prefillCall = streamCall(prefill, context, now, events);
    const plainCall = streamCall(plain, context, now, events);
    const call: AttemptCall<OpenedStream> = async (deployment, scope, settings) => {
      if (prefillText.length > 0 && this.acceptsPrefill(deployment)) {
        try {
          const opened = await prefillCall(deployment, scope, settings);
          chosen.mode = 'prefill';
          return opened;
        } catch (thrown) {
          // A 400 to a request the group served a moment ago: the prefill. Never the client's error.
          if (!(thrown instanceof GatewayError) || thrown.code !== 'upstream_invalid_request') throw thrown;
          this.prefillRejected.add(deployment);
        }
      }
      chosen.mode = 'plain';
      return plainCall(deployment, scope, settings);
    };
    const execution = cut.execution as Execution<OpenedStream>;
    execution.call = call;
    let committed: CommittedAttempt<OpenedStream>;
    try {
      committed = await policy.resume(execution, error);
    } catch {
      // The client leaving while the continuation was sought is not a failed recovery.
      if (!clientLeft(signal)) this.report(served, 'failed', error);
      return undefined;
    }
    this.report(served, 'continued', error);
    const { mode } = chosen;
    const used = mode === 'prefill' ? prefill : plain;
    const promptTokens = served.tokens.prompt + Math.ceil(continuationCharacters(used, served.request) / 4);
    return { committed, mode, trimmed: delivered.length - prefillText.length, promptTokens };
  }

  private report(served: Served<OpenedStream>, outcome: StreamRecoveryOutcome, error: GatewayError): void {
    this.options.events.emit({
      type: 'stream-recovered',
      requestId: served.run.context.requestId,
      group: served.committed.execution.request.group.name,
      outcome,
      errorCode: error.code,
    });
  }
}

/** Whether the client has gone (read afresh: it may have left while the continuation was sought). */
function clientLeft(signal: AbortSignal): boolean {
  return signal.aborted;
}

/**
 * The request that continues an answer after `delivered`: with `prefill`, the delivered text as
 * the assistant's partial turn (added to the client's own prefill, if it sent one); `plain`, that
 * turn and then a user turn asking to continue. The output limit shrinks by what was delivered.
 * Nothing delivered: the original request.
 */
export function continuationRequest(
  original: ChatRequest,
  delivered: string,
  mode: ContinuationMode,
): ChatRequest {
  if (delivered.length === 0) return original;
  const messages: ChatMessage[] = [...original.messages];
  const last = messages.at(-1);
  if (last?.role === 'assistant') {
    messages[messages.length - 1] = {
      role: 'assistant',
      content: [...last.content, { type: 'text', text: delivered }],
    };
  } else {
    messages.push({ role: 'assistant', content: [{ type: 'text', text: delivered }] });
  }
  if (mode === 'plain')
    messages.push({ role: 'user', content: [{ type: 'text', text: continueInstruction }] });
  const maxTokens =
    original.maxTokens === undefined
      ? undefined
      : Math.max(1, original.maxTokens - Math.ceil(delivered.length / 4));
  return { ...original, messages, maxTokens };
}

/** Characters a continuation adds to the original request's prompt. */
function continuationCharacters(continuation: ChatRequest, original: ChatRequest): number {
  let characters = 0;
  for (const message of continuation.messages.slice(Math.max(0, original.messages.length - 1))) {
    for (const part of message.content) if (part.type === 'text') characters += part.text.length;
  }
  return characters;
}
