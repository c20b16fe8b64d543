/** A pending timer of a clock; `close` cancels it (nothing happens if it already fired). */
export interface ClockTimer {
  close(): void;
}

/** Time, injected so that windows, backoff and breakers are tested with fake time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason if it is aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Optional: calls `fire` after `ms` unless the timer is closed first. The cheap form of a
   * cancellable sleep (no promise, no abort signal); `startTimer` falls back to `sleep` without it.
   */
  setTimer?(ms: number, fire: () => void): ClockTimer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason as Error);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
  // A Node Timeout is its own handle: `close()` clears it.
  setTimer: (ms, fire) => setTimeout(fire, ms),
};

/** The reason fallback timers' sleeps are aborted with (one shared value: no DOMException each time). */
const timerClosed = new Error('timer closed');

function ignore(): void {
  // A closed timer's sleep rejects: nothing to do.
}

/**
 * Calls `fire` after `ms` (at least 0) on `clock` unless the returned timer is closed first:
 * `clock.setTimer` when the clock has it, else a `sleep` cancelled through an AbortController.
 */
export function startTimer(clock: Clock, ms: number, fire: () => void): ClockTimer {
  const delay = Math.max(0, ms);
  if (clock.setTimer !== undefined) return clock.setTimer(delay, fire);
  const controller = new AbortController();
  clock.sleep(delay, controller.signal).then(() => {
    // A sleep that woke just before `close` must not fire after it.
    if (!controller.signal.aborted) fire();
  }, ignore);
  return {
    close: () => {
      controller.abort(timerClosed);
    },
  };
}
