import type { GatewayError } from '../errors/gateway-error.ts';
import { isGatewayError } from '../errors/gateway-error.ts';
import type { ChatRequest } from '../core/chat-request.ts';
import { estimatePromptTokens } from '../limits/estimate-tokens.ts';
import type { GroupRoute } from '../routing/routing-table.ts';
import type { RequestContext, TokenCountResult } from './gateway.ts';

/** Deployments asked at most before the estimate answers (a counter is a convenience, not a route). */
const maxCounters = 2;

/**
 * Counts a request's input tokens for its group (Anthropic `count_tokens`): the first deployments,
 * in the group's order, whose adapter has the upstream's counter (Anthropic count_tokens, Bedrock
 * CountTokens) answer; a request the upstream refuses (4xx other than 429) is the client's error;
 * any other failure, or no counter at all, falls back to the gateway's estimate (≈ 4 characters a
 * token, the one tpm reservations use). Counting is free upstream and takes no tenant quota here.
 */
export async function countGroupTokens(
  group: GroupRoute,
  request: ChatRequest,
  context: RequestContext,
): Promise<TokenCountResult> {
  let asked = 0;
  for (const deployment of group.inOrder) {
    const model = deployment.model;
    if (model.countTokens === undefined || asked >= maxCounters) continue;
    asked += 1;
    try {
      const inputTokens = await model.countTokens(request, {
        signal: context.signal,
        requestId: context.requestId,
        traceparent: context.traceparent,
      });
      return { inputTokens, source: 'upstream', target: deployment.target };
    } catch (thrown) {
      if (isClientError(thrown)) throw thrown;
      if (context.signal.aborted) throw thrown;
    }
  }
  return { inputTokens: estimatePromptTokens(request), source: 'estimate', target: undefined };
}

function isClientError(thrown: unknown): thrown is GatewayError {
  return (
    isGatewayError(thrown) &&
    thrown.status >= 400 &&
    thrown.status < 500 &&
    thrown.status !== 429 &&
    thrown.status !== 408
  );
}
