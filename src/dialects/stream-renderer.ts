import type { ChatStreamEvent } from '../core/stream-event.ts';
import type { GatewayError } from '../errors/gateway-error.ts';

/**
 * Turns canonical stream events into one client dialect's frames: SSE text, or bytes for a binary
 * stream (Bedrock's event stream). Each method returns what to write (possibly empty), already
 * framed, so that one event is one `write`.
 */
export interface StreamRenderer {
  /** Frames for one canonical event ('' when the dialect has nothing to say about it). */
  event(event: ChatStreamEvent): StreamChunk;
  /**
   * Frames closing a stream whose iterator ended. Throws a GatewayError when the upstream ended
   * before its terminal events: the caller then ends the stream in-band with `error`.
   */
  end(): StreamChunk;
  /** The in-band error frame ending a stream that failed after its first byte. */
  error(error: GatewayError): StreamChunk;
}

/** One write of a stream: SSE text, or the bytes of binary frames. Empty: nothing to write. */
export type StreamChunk = string | Uint8Array;
