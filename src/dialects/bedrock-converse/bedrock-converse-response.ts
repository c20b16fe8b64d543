import type { AssistantPart } from '../../core/chat-request.ts';
import type { ChatResponse, StopReason } from '../../core/chat-response.ts';
import type { Usage } from '../../core/usage.ts';
// The same rule as Anthropic's: an object, even when the model wrote none or no object.
import { toolInput } from '../anthropic-messages/anthropic-messages-response.ts';

/** Bedrock's stopReason for a canonical stop reason. */
export function converseStopReason(reason: StopReason): string {
  switch (reason) {
    case 'end_turn':
    case 'max_tokens':
    case 'stop_sequence':
    case 'tool_use':
      return reason;
    case 'content_filter':
      return 'content_filtered';
    case 'context_window_exceeded':
      return 'model_context_window_exceeded';
  }
}

/** Bedrock TokenUsage: inputTokens excludes cache reads and writes; totalTokens counts everything. */
export function converseUsage(usage: Usage): Record<string, number> {
  const read = usage.cacheReadInputTokens ?? 0;
  const write = usage.cacheWriteInputTokens ?? 0;
  return {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    totalTokens: usage.inputTokens + usage.outputTokens + read + write,
    cacheReadInputTokens: read,
    cacheWriteInputTokens: write,
  };
}

const canonicalBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Redacted reasoning as Converse's blob (base64 on the wire). The canonical data is base64 of the
 * bytes when Bedrock produced it, and is sent as it is; other data (an opaque string from another
 * upstream that is not base64) is sent as its UTF-8 bytes, so the SDK never fails to decode it.
 */
export function redactedBlob(data: string): string {
  return canonicalBase64.test(data) ? data : Buffer.from(data, 'utf8').toString('base64');
}

/** One answer part as a Converse content block (single-key union). */
function converseBlock(part: AssistantPart): Record<string, unknown> {
  switch (part.type) {
    case 'text':
      return { text: part.text };
    case 'tool_call':
      return { toolUse: { toolUseId: part.id, name: part.name, input: toolInput(part.arguments) } };
    case 'reasoning':
      return { reasoningContent: { reasoningText: { text: part.text, signature: part.signature } } };
    case 'redacted_reasoning':
      return { reasoningContent: { redactedContent: redactedBlob(part.data) } };
  }
}

/**
 * The Converse response JSON text. Converse has no message id or model field (the request id is the
 * `x-amzn-requestid` header); `metrics.latencyMs`, required by the schema, is 0: the gateway reports
 * its timings in its own headers and metrics.
 */
export function renderConverseResponse(response: ChatResponse): string {
  return JSON.stringify({
    output: {
      message: {
        role: 'assistant',
        content: response.content.map(converseBlock),
      },
    },
    stopReason: converseStopReason(response.stopReason),
    usage: converseUsage(response.usage),
    metrics: { latencyMs: 0 },
  });
}
