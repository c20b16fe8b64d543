import type { ChatResponse } from '../core/chat-response.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { abandon, type OpenedStream } from './attempt-calls.ts';

/**
 * How a committed answer may be a content-policy refusal: the adapters classify (the canonical
 * `content_filter` stop reason: OpenAI `content_filter`, Bedrock `guardrail_intervened` /
 * `content_filtered`, Anthropic `refusal`); the execution policies decide whether another group
 * (`content_policy_fallbacks`) takes it instead (attempt-timeouts.ts), else the answer is delivered.
 */
export interface ContentRefusal<T> {
  /** The refusal as an `upstream_content_filtered` error, or undefined when the answer is not one. */
  of(value: T): GatewayError | undefined;
  /** Releases a refused answer that will not be delivered (a stream is closed). */
  discard(value: T): void;
}

function refused(stopReason: string): GatewayError {
  return new GatewayError(`the upstream refused on content grounds (stop reason ${stopReason})`, {
    code: 'upstream_content_filtered',
    upstreamCode: stopReason,
  });
}

/** A complete answer that stopped with `content_filter`. */
export const completeRefusal: ContentRefusal<ChatResponse> = {
  of: (response) => (response.stopReason === 'content_filter' ? refused('content_filter') : undefined),
  discard: () => {
    // Nothing to release.
  },
};

/**
 * A stream that ended with `content_filter` before any content (what commits a stream is its first
 * content or its end). Once text has gone to the client the refusal is the client's to see: the
 * stream is not replaced mid-way.
 */
export const streamRefusal: ContentRefusal<OpenedStream> = {
  of: (opened) => {
    const stop = opened.buffered.find((event) => event.type === 'message_stop');
    return stop?.type === 'message_stop' && stop.stopReason === 'content_filter'
      ? refused('content_filter')
      : undefined;
  },
  discard: (opened) => {
    abandon(opened.iterator);
  },
};
