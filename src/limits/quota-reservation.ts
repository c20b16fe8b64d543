import type { Logger } from 'pino';
import type { RateLimit, StateStore } from '../core/state-store.ts';

const noAdjustments: readonly RateLimit[] = Object.freeze([]);

/** What the reservations of one limiter share: the store, the logger and a failure handler. */
export class QuotaAccounting {
  readonly state: StateStore;
  readonly logger: Logger;
  /** Logs a failed settlement (one function for every reservation). */
  readonly settleFailed: (error: unknown) => void;

  constructor(state: StateStore, logger: Logger) {
    this.state = state;
    this.logger = logger;
    this.settleFailed = (error: unknown) => {
      logger.warn({ err: error }, 'reservation settlement failed (token reconcile, lease release)');
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
    const { tokenRates, concurrencyKeys } = this;
    let adjustments: RateLimit[] | undefined;
    for (const rate of tokenRates) {
      const delta = actualTokens - rate.cost;
      if (delta === 0) continue;
      (adjustments ??= []).push({ key: rate.key, limit: rate.limit, windowMs: rate.windowMs, cost: delta });
    }
    if (adjustments === undefined && concurrencyKeys.length === 0) return;
    // one store call for the whole settlement
    this.accounting.state
      .settle(adjustments ?? noAdjustments, concurrencyKeys, this.leaseId)
      .catch(this.accounting.settleFailed);
  }
}
