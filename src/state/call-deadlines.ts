/** One call waiting for its answer or its deadline. */
interface Waiting {
  /** When the call times out (`now()` units: ms). */
  readonly at: number;
  /** Answered or timed out: the other outcome is ignored. */
  done: boolean;
  readonly expire: () => void;
}

/**
 * Timeouts for calls that all wait the same time (the ResilientStateStore's calls to Redis): one
 * timer for every pending call instead of a timer set and cleared per call. Calls are queued in the
 * order they start, so they expire in that order too: the timer is armed for the oldest call still
 * waiting, and when it fires it times out every call due and re-arms for the next. Under load this
 * is about one timer per `ms` rather than one per call (a state-store call per request stage).
 *
 * On a loaded host the deadline and the answer can become due in the same turn of the event loop,
 * and timers run before I/O: a timed-out call is rejected in the following check phase
 * (setImmediate), so an answer that has arrived in between still wins.
 */
export class CallDeadlines {
  private readonly ms: number;
  private readonly now: () => number;
  private queue: (Waiting | undefined)[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  /** `ms`: how long every call may wait; `now`: the time in ms (Date.now; tests inject fake timers). */
  constructor(ms: number, now: () => number = Date.now) {
    this.ms = ms;
    this.now = now;
  }

  /** Settles like `promise`, or rejects with `timeout()` after `ms`; the late outcome is ignored. */
  within<T>(promise: Promise<T>, timeout: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiting: Waiting = {
        at: this.now() + this.ms,
        done: false,
        expire: () => {
          if (waiting.done) return;
          waiting.done = true;
          reject(timeout());
        },
      };
      this.queue.push(waiting);
      this.timer ??= this.arm(this.ms);
      promise.then(
        (value) => {
          if (waiting.done) return;
          waiting.done = true;
          this.dropAnswered();
          resolve(value);
        },
        (error: unknown) => {
          if (waiting.done) return;
          waiting.done = true;
          this.dropAnswered();
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  /** Calls waiting now (answered ones behind the oldest waiting call may still be counted). */
  get size(): number {
    return this.queue.length - this.head;
  }

  private arm(delayMs: number): NodeJS.Timeout {
    const timer = setTimeout(this.fire, Math.max(1, delayMs));
    timer.unref();
    return timer;
  }

  /** Moves the head past answered calls; an empty queue starts over (no array grows for ever). */
  private dropAnswered(): void {
    const { queue } = this;
    while (this.head < queue.length && (queue[this.head] as Waiting).done) {
      queue[this.head] = undefined;
      this.head += 1;
    }
    if (this.head === queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > queue.length) {
      this.queue = queue.slice(this.head);
      this.head = 0;
    }
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    const now = this.now();
    const { queue } = this;
    while (this.head < queue.length) {
      const waiting = queue[this.head] as Waiting;
      if (!waiting.done) {
        if (waiting.at > now) break;
        setImmediate(waiting.expire);
      }
      queue[this.head] = undefined;
      this.head += 1;
    }
    if (this.head === queue.length) {
      this.queue = [];
      this.head = 0;
      return;
    }
    this.timer = this.arm((queue[this.head] as Waiting).at - now);
  };
}
