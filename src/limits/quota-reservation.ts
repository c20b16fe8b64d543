import type { Logger } from 'pino';
import type { RateLimit, StateStore } from '../state/state-store.ts';

/**
 * Limits granted by one `state.reserve`: token rates reserved with an estimate, and concurrency
 * leases. `settle` reconciles the estimate with the real token count and releases the leases, once.
 */
export class QuotaReservation {
  private readonly state: StateStore;
  private readonly logger: Logger;
  private readonly tokenRates: readonly RateLimit[];
  private readonly concurrencyKeys: readonly string[];
  private readonly leaseId: string;
  private settled = false;

  constructor(
    state: StateStore,
    logger: Logger,
    tokenRates: readonly RateLimit[],
    concurrencyKeys: readonly string[],
    leaseId: string,
  ) {
    this.state = state;
    this.logger = logger;
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
    for (const rate of this.tokenRates) {
      const delta = actualTokens - rate.cost;
      if (delta === 0) continue;
      this.state.adjustRate({ ...rate, cost: delta }).catch((error: unknown) => {
        this.logger.warn({ err: error, key: rate.key }, 'token reservation reconcile failed');
      });
    }
    if (this.concurrencyKeys.length > 0) {
      this.state.release(this.concurrencyKeys, this.leaseId).catch((error: unknown) => {
        this.logger.warn({ err: error }, 'concurrency lease release failed');
      });
    }
  }
}
