import type { Clock } from '../core/clock.ts';
import { GatewayError, toGatewayError } from '../errors/gateway-error.ts';
import { upstreamTimeout } from '../errors/upstream-errors.ts';

/** The error of a request whose client went away: never retried. */
export function clientClosed(): GatewayError {
  return new GatewayError('the client closed the request', { code: 'client_closed', status: 499 });
}

/** The error of a request that ran out of its total time: the request ends. */
export function requestTimedOut(timeoutMs: number): GatewayError {
  return new GatewayError(`the request did not complete within ${timeoutMs} ms`, {
    code: 'timeout',
    status: 504,
  });
}

function noop(): void {
  // A cancelled timer: nothing to do.
}

/**
 * The reason the scope's timers are cancelled with. Why one shared value: `abort()` without a
 * reason builds a DOMException, stack trace included, on every call (7% of the gateway's CPU).
 */
const timersCancelled = new Error('attempt scope disposed');

/**
 * One upstream attempt's lifetime: an AbortController linked to the client's signal and to the
 * request deadline, plus the first-token and idle-gap timers. Whatever ends the attempt aborts the
 * signal with a GatewayError reason, and `race` makes even an adapter that ignores its signal stop
 * waiting. Timers run on the injected clock.
 */
export class AttemptScope {
  private readonly clock: Clock;
  private readonly clientSignal: AbortSignal;
  private readonly controller = new AbortController();
  /** Aborting this cancels every timer of the scope. */
  private readonly timers = new AbortController();
  private readonly onClientAbort = (): void => {
    this.abort(clientClosed());
  };
  private aborted: Promise<never> | undefined;
  /**
   * Bumped by each start and clear of the first-token timer: a timer fires only while the count is
   * still the one it was armed with. A cleared timer is left to expire (or to `dispose`), which is
   * cheaper than an AbortController per timer.
   */
  private firstTokenArming = 0;
  private lastActivity = 0;

  constructor(clock: Clock, clientSignal: AbortSignal, deadlineAt: number, timeoutMs: number) {
    this.clock = clock;
    this.clientSignal = clientSignal;
    if (clientSignal.aborted) this.abort(clientClosed());
    else clientSignal.addEventListener('abort', this.onClientAbort, { once: true });
    this.timer(deadlineAt - clock.now(), this.timers.signal, () => {
      this.abort(requestTimedOut(timeoutMs));
    });
  }

  /** The signal to hand to the adapter. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Ends the attempt with `reason` (the first reason wins). */
  abort(reason: GatewayError): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  private timer(ms: number, signal: AbortSignal, fire: () => void): void {
    this.clock.sleep(Math.max(0, ms), signal).then(fire, noop);
  }

  /** Fails the attempt with upstream_timeout unless `clearFirstToken` is called within `ms`. */
  startFirstToken(ms: number): void {
    this.firstTokenArming += 1;
    const arming = this.firstTokenArming;
    this.timer(ms, this.timers.signal, () => {
      if (this.firstTokenArming === arming)
        this.abort(upstreamTimeout(`no answer from the upstream within ${ms} ms`));
    });
  }

  /** The first token arrived. */
  clearFirstToken(): void {
    this.firstTokenArming += 1;
  }

  /**
   * Fails the attempt with upstream_timeout when `touch` is not called for `ms`. One sleeper per
   * gap, not per chunk: on waking it re-arms for the time left since the last activity.
   */
  startIdleWatch(ms: number): void {
    this.lastActivity = this.clock.now();
    const check = (): void => {
      const idle = this.clock.now() - this.lastActivity;
      if (idle >= ms) this.abort(upstreamTimeout(`the upstream stream was silent for ${ms} ms`));
      else this.timer(ms - idle, this.timers.signal, check);
    };
    this.timer(ms, this.timers.signal, check);
  }

  /** Marks stream activity for the idle watch. */
  touch(): void {
    this.lastActivity = this.clock.now();
  }

  /** Settles with `promise`, or rejects with the abort reason as soon as the attempt is aborted. */
  race<T>(promise: Promise<T>): Promise<T> {
    if (this.aborted === undefined) {
      const signal = this.controller.signal;
      this.aborted = new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason as Error);
        else
          signal.addEventListener(
            'abort',
            () => {
              reject(signal.reason as Error);
            },
            { once: true },
          );
      });
      this.aborted.catch(noop);
    }
    return Promise.race([promise, this.aborted]);
  }

  /** The GatewayError an attempt failed with: the abort reason when the scope was aborted. */
  errorOf(thrown: unknown): GatewayError {
    const signal = this.controller.signal;
    if (signal.aborted && signal.reason instanceof GatewayError) return signal.reason;
    return toGatewayError(thrown);
  }

  /** Stops the timers and unlinks from the client's signal. Call once the attempt is over. */
  dispose(): void {
    this.timers.abort(timersCancelled);
    this.clientSignal.removeEventListener('abort', this.onClientAbort);
  }
}
