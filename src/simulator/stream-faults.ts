import type { ActiveFault } from './fault-registry.ts';
import type { SimFailure } from './sim-failure.ts';
import type { StreamFrame } from './wire-protocol.ts';

/** Frame index at which a stream fault strikes (default: half way), or -1. */
export function streamBreak(fault: ActiveFault | undefined, frames: readonly StreamFrame[]): number {
  if (fault === undefined) return -1;
  if (
    fault.kind !== 'cut_stream' &&
    fault.kind !== 'malformed' &&
    fault.kind !== 'error' &&
    fault.kind !== 'reset'
  )
    return -1;
  return Math.min(fault.after_events ?? Math.floor(frames.length / 2), frames.length);
}

/** HTTP status a failure is sent with. */
export function failureStatus(failure: SimFailure): number {
  if (failure.kind === 'rate') return 429;
  if (failure.kind === 'context_window') return 400;
  return failure.status;
}
