import type { CallContext } from '../../core/chat-model.ts';
import { badResponse } from '../../errors/upstream-errors.ts';

/** Malformed stream events in a row that fail a stream when the caller sets no limit. */
export const defaultMalformedEventLimit = 3;

/**
 * Counts malformed events of one stream (an event that is not JSON, has the wrong shape or a bad
 * frame checksum). One is skipped and reported, and the stream goes on, as other gateways do;
 * `limit` in a row (the caller's `malformedEventLimit`) is garbage, failed as `upstream_bad_response`.
 * A well-formed event resets the run.
 */
export class MalformedEvents {
  private readonly limit: number;
  private readonly report: ((reason: string) => void) | undefined;
  private inARow = 0;

  constructor(context: Pick<CallContext, 'malformedEventLimit' | 'onMalformedEvent'>) {
    this.limit = Math.max(1, context.malformedEventLimit ?? defaultMalformedEventLimit);
    this.report = context.onMalformedEvent;
  }

  /** A well-formed event arrived. */
  ok(): void {
    this.inARow = 0;
  }

  /**
   * A malformed event: skipped (returns) while fewer than the limit came in a row, else throws
   * `upstream_bad_response` carrying `cause`.
   */
  skip(reason: string, cause?: unknown): void {
    this.inARow += 1;
    if (this.inARow >= this.limit) {
      const suffix = this.limit === 1 ? '' : ` (${this.inARow} malformed events in a row)`;
      throw badResponse(`${reason}${suffix}`, cause);
    }
    try {
      this.report?.(reason);
    } catch {
      // Reporting must never break the stream.
    }
  }
}
