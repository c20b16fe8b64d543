import type { Logger } from 'pino';
import type { RateLimit, StateStore } from '../core/state-store.ts';

/** What the reservations of one limiter share: the store, the logger and a failure handler. */
export class QuotaAccounting {
  readonly state: StateStore;
  readonly logger: Logger;
  /** Logs a failed lease release (one function for every reservation). */
  readonly releaseFailed: (error: unknown) => void;

  constructor(state: StateStore, logger: Logger) {
    this.state = state;
    this.logger = logger;
    this.releaseFailed = (error: unknown) => {
      logger.warn({ err: error }, 'concurrency lease release failed');
    };
  }
}

/**
 * Limits granted by one `state.reserve`: token rates reserved with an estimate, and concurrency
 * leases. `settle` reconciles the estimate with the real token count and releases the leases, once.
 */
export class QuotaReservation {
  private readonly accounting: QuotaAccounting;
  private readonly tokenRates: readonly RateLimit[];
  private readonly concurrencyKeys: readonly string[];
  private readonly leaseId: string;
  private settled = false;

  constructor(
    accounting: QuotaAccounting,
    tokenRates: readonly RateLimit[],
    concurrencyKeys: readonly string[],
    leaseId: string,
  ) {
    this.accounting = accounting;
    this.tokenRates = tokenRates;
    this.concurrencyKeys = concurrencyKeys;
    this.leaseId = leaseId;
  }

  /**
   * Adjusts every token rate by (actual − reserved) and releases the concurrency leases. Never
   * awaited by the request: accounting must not delay the response. Later calls do nothing.
   */
  settle(actualTokens: number): void {
    if (this.settled) return;
    this.settled = true;
    const { state, logger } = this.accounting;
    for (const rate of this.tokenRates) {
      const delta = actualTokens - rate.cost;
      if (delta === 0) continue;
      const adjustment = { key: rate.key, limit: rate.limit, windowMs: rate.windowMs, cost: delta };
      state.adjustRate(adjustment).catch((error: unknown) => {
        logger.warn({ err: error, key: rate.key }, 'token reservation reconcile failed');
      });
    }
    if (this.concurrencyKeys.length > 0) {
      state.release(this.concurrencyKeys, this.leaseId).catch(this.accounting.releaseFailed);
    }
  }
}
