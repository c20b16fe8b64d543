import type { Clock, ClockTimer } from '../../../src/core/clock.ts';

/**
 * A clock for a whole gateway under test whose time moves in steps the test chooses, with real
 * sleeps and timers (so sockets, timeouts and the simulator behave). Between steps it runs with real
 * elapsed time, capped at `maxDriftMs`: measured latencies are real, yet everything done within one
 * step falls in the same time bucket when steps start on bucket boundaries. `advance(ms)` starts the
 * next step `ms` after the current one; `ms` must be above the cap so time never runs backwards.
 */
export class SteppedClock implements Clock {
  #base: number;
  #realAt = performance.now();
  readonly #maxDriftMs: number;

  constructor(start: number, maxDriftMs = 5000) {
    this.#base = start;
    this.#maxDriftMs = maxDriftMs;
  }

  now(): number {
    return this.#base + Math.min(Math.floor(performance.now() - this.#realAt), this.#maxDriftMs);
  }

  /** The start of the current step. */
  get stepStart(): number {
    return this.#base;
  }

  advance(ms: number): void {
    if (ms <= this.#maxDriftMs) throw new Error(`advance by more than ${this.#maxDriftMs} ms`);
    this.#base += ms;
    this.#realAt = performance.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(signal.reason as Error);
        return;
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  setTimer(ms: number, fire: () => void): ClockTimer {
    return setTimeout(fire, ms);
  }
}
