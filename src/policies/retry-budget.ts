import type { Logger } from 'pino';
import type { RetryBudgetConfig } from '../config/schema.ts';
import type { StateStore } from '../state/state-store.ts';

/**
 * A per-group retry budget: retries ≤ max(min_retries, ratio × requests) over a sliding window,
 * counted in the state store so every replica shares it. In an outage this keeps retries from
 * multiplying the load on a failing upstream.
 */
export class RetryBudget {
  private readonly state: StateStore;
  private readonly logger: Logger;

  constructor(state: StateStore, logger: Logger) {
    this.state = state;
    this.logger = logger;
  }

  private keyOf(group: string): string {
    return `rb:${group}`;
  }

  /** Counts one request entering the group (not awaited: it must not delay the request). */
  countRequest(group: string, config: RetryBudgetConfig): void {
    this.state
      .incrementWindow(this.keyOf(group), { requests: 1 }, config.window_s * 1000)
      .catch((error: unknown) => {
        this.logger.warn({ err: error, group }, 'retry budget: counting a request failed');
      });
  }

  /** Takes one retry from the budget; false when it is spent (the retry must not happen). */
  async tryAcquire(group: string, config: RetryBudgetConfig): Promise<boolean> {
    const key = this.keyOf(group);
    const windowMs = config.window_s * 1000;
    const sums = await this.state.incrementWindow(key, { retries: 1 }, windowMs);
    const allowed = Math.max(config.min_retries, config.ratio * (sums.requests ?? 0));
    if ((sums.retries ?? 0) <= allowed) return true;
    // Counted optimistically (one atomic step); give the unit back so denials do not eat the budget.
    this.state.incrementWindow(key, { retries: -1 }, windowMs).catch((error: unknown) => {
      this.logger.warn({ err: error, group }, 'retry budget: refund failed');
    });
    return false;
  }
}
