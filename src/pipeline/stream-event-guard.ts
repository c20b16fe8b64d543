import type { ChatStreamEvent } from '../core/stream-event.ts';

/**
 * Keeps an upstream's repeats out of the client's stream (issue 15, "bad input"): a second
 * `message_start`, a block stopped twice or written to after its stop, anything after
 * `message_stop` but the usage, and a second usage. An adapter should drop these itself; this is
 * the one place that holds for every adapter, so a repeat never corrupts what a client parses.
 */
export class StreamEventGuard {
  private started = false;
  private stopped = false;
  private usage = false;
  private readonly stoppedBlocks = new Set<number>();

  /** Whether `event` may go to the client. */
  admit(event: ChatStreamEvent): boolean {
    switch (event.type) {
      case 'message_start':
        if (this.started) return false;
        this.started = true;
        return true;
      case 'content_block_stop':
        if (this.stopped || this.stoppedBlocks.has(event.index)) return false;
        this.stoppedBlocks.add(event.index);
        return true;
      case 'message_stop':
        if (this.stopped) return false;
        this.stopped = true;
        return true;
      case 'usage':
        if (this.usage) return false;
        this.usage = true;
        return true;
      case 'text_delta':
      case 'reasoning_delta':
      case 'reasoning_signature':
      case 'redacted_reasoning':
      case 'tool_call_start':
      case 'tool_call_delta':
        return !this.stopped && !this.stoppedBlocks.has(event.index);
    }
  }
}
