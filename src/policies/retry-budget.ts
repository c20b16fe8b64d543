import type { Logger } from 'pino';
import type { StateStore, WindowCounts, WindowIncrement } from '../core/state-store.ts';

/** The retry budget of a group (its `retry_budget` settings, as plain values). */
export interface RetryBudgetSettings {
  /** Retries may be at most this share of the window's requests ... */
  readonly ratio: number;
  /** ... over a window of this many seconds ... */
  readonly window_s: number;
  /** ... but at least this many per window, so a quiet group can still retry. */
  readonly min_retries: number;
}

/** Key prefixes of the budgets: retries, hedges. */
export const retryBudgetPrefix = 'rb:';
export const hedgeBudgetPrefix = 'hb:';

/** The increments, shared by every call (stores only read them). */
const oneRequest: WindowCounts = Object.freeze({ requests: 1 });
const oneRetry: WindowCounts = Object.freeze({ retries: 1 });
const retryRefund: WindowCounts = Object.freeze({ retries: -1 });

/**
 * A per-group retry budget: retries ≤ max(min_retries, ratio × requests) over a sliding window,
 * counted in the state store so every replica shares it. In an outage this keeps retries from
 * multiplying the load on a failing upstream.
 */
export class RetryBudget {
  private readonly state: StateStore;
  private readonly logger: Logger;
  /** Prefix of the state keys: `rb:` for retries, another for another budget of the same kind (hedges). */
  private readonly prefix: string;
  /** State key per group, built once (groups are few and long-lived). */
  private readonly keys = new Map<string, string>();

  constructor(state: StateStore, logger: Logger, prefix = retryBudgetPrefix) {
    this.state = state;
    this.logger = logger;
    this.prefix = prefix;
  }

  private keyOf(group: string): string {
    let key = this.keys.get(group);
    if (key === undefined) {
      key = `${this.prefix}${group}`;
      this.keys.set(group, key);
    }
    return key;
  }

  /**
   * What `countRequest` adds, for a state-store admission that counts the request itself (the
   * budget `prefix` of a RetryBudget: retryBudgetPrefix or hedgeBudgetPrefix).
   */
  static requestCount(prefix: string, group: string, config: RetryBudgetSettings): WindowIncrement {
    return { key: `${prefix}${group}`, increments: oneRequest, windowMs: config.window_s * 1000 };
  }

  /** Counts one request entering the group (not awaited: it must not delay the request). */
  countRequest(group: string, config: RetryBudgetSettings): void {
    this.state.addToWindow(this.keyOf(group), oneRequest, config.window_s * 1000).catch((error: unknown) => {
      this.logger.warn({ err: error, group }, 'retry budget: counting a request failed');
    });
  }

  /** Takes one retry from the budget; false when it is spent (the retry must not happen). */
  async tryAcquire(group: string, config: RetryBudgetSettings): Promise<boolean> {
    const key = this.keyOf(group);
    const windowMs = config.window_s * 1000;
    const sums = await this.state.incrementWindow(key, oneRetry, windowMs);
    const allowed = Math.max(config.min_retries, config.ratio * (sums.requests ?? 0));
    if ((sums.retries ?? 0) <= allowed) return true;
    // Counted optimistically (one atomic step); give the unit back so denials do not eat the budget.
    this.state.addToWindow(key, retryRefund, windowMs).catch((error: unknown) => {
      this.logger.warn({ err: error, group }, 'retry budget: refund failed');
    });
    return false;
  }
}
