import { startTimer, type Clock, type ClockTimer } from '../core/clock.ts';
import { clientClosed, GatewayError, toGatewayError } from '../errors/gateway-error.ts';
import { upstreamTimeout } from '../errors/upstream-errors.ts';
import type { UpstreamLimitHint } from '../core/upstream-limits.ts';

/** The error of a request that ran out of its total time: the request ends. */
export function requestTimedOut(timeoutMs: number): GatewayError {
  return new GatewayError(`the request did not complete within ${timeoutMs} ms`, {
    code: 'timeout',
  });
}

/**
 * Why the request's signal aborted the attempt: the signal's own GatewayError (a hedge cancelling
 * its loser says `hedge_cancelled`), else the client went away.
 */
function abortReason(signal: AbortSignal): GatewayError {
  return signal.reason instanceof GatewayError ? signal.reason : clientClosed();
}

function ignore(): void {
  // A raced promise whose attempt was already over: its outcome is not anyone's to handle.
}

/** Listener options of the client-signal link, built once. */
const once = { once: true } as const;

/**
 * One upstream attempt's lifetime: an AbortController linked to the client's signal and to the
 * request deadline, plus the first-token and idle-gap timers. Whatever ends the attempt aborts the
 * signal with a GatewayError reason, and `race` makes even an adapter that ignores its signal stop
 * waiting. Timers run on the injected clock; each is one clock timer, closed when it no longer
 * matters (no promise or abort listener per timer).
 */
export class AttemptScope {
  private readonly clock: Clock;
  private readonly clientSignal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly timeoutMs: number;
  private readonly deadline: ClockTimer;
  private firstToken: ClockTimer | undefined;
  private firstTokenMs = 0;
  private idle: ClockTimer | undefined;
  private idleMs = 0;
  /** The idle timer's callback, made by the first `startIdleWatch` (streams only). */
  private onIdleCheck: (() => void) | undefined;
  private lastActivity = 0;
  private disposed = false;
  /** Where the adapter tells what the upstream's rate-limit headers said (set by the attempt's policy). */
  onUpstreamLimits: ((hint: UpstreamLimitHint) => void) | undefined = undefined;
  /**
   * The rejecters of the `race`s still waiting, rejected with the reason when the attempt is
   * aborted. A race leaves the set as soon as its promise settles, so a stream of n events holds
   * none of them once they are delivered (a `Promise.race` against one long-lived abort promise
   * would keep a reaction per event until the attempt ends: ~300 bytes each).
   */
  private readonly waiting = new Set<(reason: Error) => void>();
  private readonly onClientAbort = (): void => {
    this.abort(abortReason(this.clientSignal));
  };
  private readonly onDeadline = (): void => {
    this.abort(requestTimedOut(this.timeoutMs));
  };
  private readonly onFirstToken = (): void => {
    this.firstToken = undefined;
    this.abort(upstreamTimeout(`no answer from the upstream within ${this.firstTokenMs} ms`));
  };

  constructor(clock: Clock, clientSignal: AbortSignal, deadlineAt: number, timeoutMs: number) {
    this.clock = clock;
    this.clientSignal = clientSignal;
    this.timeoutMs = timeoutMs;
    if (clientSignal.aborted) this.abort(abortReason(clientSignal));
    else clientSignal.addEventListener('abort', this.onClientAbort, once);
    this.deadline = startTimer(clock, deadlineAt - clock.now(), this.onDeadline);
  }

  /** The signal to hand to the adapter. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Ends the attempt with `reason` (the first reason wins). */
  abort(reason: GatewayError): void {
    if (this.controller.signal.aborted) return;
    this.controller.abort(reason);
    for (const reject of this.waiting) reject(reason);
    this.waiting.clear();
  }

  /** Fails the attempt with upstream_timeout unless `clearFirstToken` is called within `ms`. */
  startFirstToken(ms: number): void {
    this.firstToken?.close();
    this.firstToken = undefined;
    if (this.disposed) return;
    this.firstTokenMs = ms;
    this.firstToken = startTimer(this.clock, ms, this.onFirstToken);
  }

  /** The first token arrived. */
  clearFirstToken(): void {
    this.firstToken?.close();
    this.firstToken = undefined;
  }

  /**
   * Fails the attempt with upstream_timeout when `touch` is not called for `ms`. One timer per
   * gap, not per chunk: on waking it re-arms for the time left since the last activity.
   */
  startIdleWatch(ms: number): void {
    this.idle?.close();
    this.idle = undefined;
    if (this.disposed) return;
    this.idleMs = ms;
    this.lastActivity = this.clock.now();
    this.onIdleCheck ??= (): void => {
      this.checkIdle();
    };
    this.idle = startTimer(this.clock, ms, this.onIdleCheck);
  }

  /** The idle timer woke: fail if the gap is over, else sleep for the rest of it. */
  private checkIdle(): void {
    this.idle = undefined;
    const idle = this.clock.now() - this.lastActivity;
    if (idle >= this.idleMs)
      this.abort(upstreamTimeout(`the upstream stream was silent for ${this.idleMs} ms`));
    else if (!this.disposed && this.onIdleCheck !== undefined)
      this.idle = startTimer(this.clock, this.idleMs - idle, this.onIdleCheck);
  }

  /** Marks stream activity for the idle watch. */
  touch(): void {
    this.lastActivity = this.clock.now();
  }

  /** Settles with `promise`, or rejects with the abort reason as soon as the attempt is aborted. */
  race<T>(promise: Promise<T>): Promise<T> {
    const signal = this.controller.signal;
    if (signal.aborted) {
      // Its outcome no longer matters; observing it keeps a late rejection from going unhandled.
      promise.catch(ignore);
      return Promise.reject(signal.reason as Error);
    }
    const waiting = this.waiting;
    return new Promise<T>((resolve, reject) => {
      waiting.add(reject);
      promise.then(
        (value) => {
          waiting.delete(reject);
          resolve(value);
        },
        (error: unknown) => {
          waiting.delete(reject);
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the raced promise's own reason, passed on unchanged
          reject(error);
        },
      );
    });
  }

  /** The GatewayError an attempt failed with: the abort reason when the scope was aborted. */
  errorOf(thrown: unknown): GatewayError {
    const signal = this.controller.signal;
    if (signal.aborted && signal.reason instanceof GatewayError) return signal.reason;
    return toGatewayError(thrown);
  }

  /** Stops the timers and unlinks from the client's signal. Call once the attempt is over. */
  dispose(): void {
    this.disposed = true;
    this.deadline.close();
    this.firstToken?.close();
    this.firstToken = undefined;
    this.idle?.close();
    this.idle = undefined;
    this.clientSignal.removeEventListener('abort', this.onClientAbort);
  }
}
