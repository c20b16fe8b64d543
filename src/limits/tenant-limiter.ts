import type { Logger } from 'pino';
import type { EventSink } from '../core/gateway-events.ts';
import type { Principal } from '../core/principal.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { ConcurrencyLimit, RateLimit, StateStore } from '../state/state-store.ts';
import { buildLimitPlan, isUnlimited, ratesOf, type LimitPlan } from './limit-plan.ts';
import { QuotaReservation } from './quota-reservation.ts';
import { rateLimitHeaders } from './rate-limit-headers.ts';

/** A request admitted by its tenant's and key's limits. */
export interface TenantAdmission {
  /** Settle with the real token count when the request ends (reconciles tpm, releases leases). */
  readonly reservation: QuotaReservation;
  /** Remaining-quota headers for the client (empty when the principal has no limits). */
  readonly headers: Readonly<Record<string, string>>;
}

interface PrincipalPlans {
  readonly tenant: LimitPlan;
  readonly key: LimitPlan;
  readonly unlimited: boolean;
}

/**
 * The tenant and key limits of a request (rpm, tpm, max_concurrency of both) in ONE `state.reserve`,
 * all or nothing. A rejection is a 429 `rate_limited` at once: a tenant's own limit is never retried
 * internally.
 */
export class TenantLimiter {
  private readonly state: StateStore;
  private readonly logger: Logger;
  private readonly events: EventSink;
  /** Principals are resolved from memory and reused, so their plans are computed once. */
  private readonly plans = new WeakMap<Principal, PrincipalPlans>();

  constructor(state: StateStore, logger: Logger, events: EventSink) {
    this.state = state;
    this.logger = logger;
    this.events = events;
  }

  private plansOf(principal: Principal): PrincipalPlans {
    let plans = this.plans.get(principal);
    if (plans === undefined) {
      const tenant = buildLimitPlan(`t:${principal.tenant}`, 'tenant', principal.tenantLimits);
      const key = buildLimitPlan(`k:${principal.keyId}`, 'key', principal.keyLimits);
      plans = { tenant, key, unlimited: isUnlimited(tenant) && isUnlimited(key) };
      this.plans.set(principal, plans);
    }
    return plans;
  }

  /**
   * Reserves one request and `estimatedTokens` tokens against every limit of the principal.
   * Throws GatewayError 429 `rate_limited` with Retry-After and RateLimit headers when any says no.
   */
  async admit(
    principal: Principal,
    estimatedTokens: number,
    leaseId: string,
    leaseTtlMs: number,
    requestId: string,
  ): Promise<TenantAdmission> {
    const plans = this.plansOf(principal);
    if (plans.unlimited) {
      return { reservation: new QuotaReservation(this.state, this.logger, [], [], leaseId), headers: {} };
    }
    const rates: RateLimit[] = [];
    const tokenRates: RateLimit[] = [];
    ratesOf(plans.tenant, estimatedTokens, rates, tokenRates);
    ratesOf(plans.key, estimatedTokens, rates, tokenRates);
    const concurrency: ConcurrencyLimit[] = [];
    if (plans.tenant.concurrency !== undefined) concurrency.push(plans.tenant.concurrency);
    if (plans.key.concurrency !== undefined) concurrency.push(plans.key.concurrency);
    const result = await this.state.reserve({ rates, concurrency, leaseId, leaseTtlMs });
    const policies = [...plans.tenant.policies, ...plans.key.policies];
    const headers = rateLimitHeaders(policies, result.states);
    if (result.granted) {
      const keys = concurrency.map((limit) => limit.key);
      return {
        reservation: new QuotaReservation(this.state, this.logger, tokenRates, keys, leaseId),
        headers,
      };
    }
    const isTenant = plans.tenant.kinds.has(result.rejectedKey);
    const limit = (isTenant ? plans.tenant : plans.key).kinds.get(result.rejectedKey) ?? 'rpm';
    this.events.emit({
      type: 'rate-limited',
      requestId,
      scope: isTenant ? 'tenant' : 'key',
      tenant: principal.tenant,
      limit,
    });
    const retryAfterMs = Number.isFinite(result.retryAfterMs) ? Math.max(0, result.retryAfterMs) : 60_000;
    const error = new GatewayError(
      `rate limit exceeded: ${isTenant ? 'tenant' : 'key'} ${limit} limit reached; retry in ${Math.ceil(retryAfterMs / 1000)}s`,
      { code: 'rate_limited', status: 429, retryAfterMs },
    );
    Object.assign(error.headers, headers, {
      'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
      'retry-after-ms': String(Math.ceil(retryAfterMs)),
    });
    return Promise.reject(error);
  }
}
