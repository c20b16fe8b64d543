import type { Logger } from 'pino';
import type { EventSink } from '../core/gateway-events.ts';
import type { Principal } from '../core/principal.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type {
  RateLimit,
  ReserveRequest,
  ReserveResult,
  StateStore,
  WindowIncrement,
} from '../core/state-store.ts';
import {
  buildLimitPlan,
  isUnlimited,
  noKeys,
  noRates,
  ReservationTemplate,
  type LimitPlan,
} from './limit-plan.ts';
import { QuotaAccounting, QuotaReservation } from './quota-reservation.ts';
import { RateLimitHeaders } from './rate-limit-headers.ts';

/** A request admitted by its tenant's and key's limits. */
export interface TenantAdmission {
  /** Settle with the real token count when the request ends (reconciles tpm, releases leases). */
  readonly reservation: QuotaReservation;
  /** Remaining-quota headers for the client (empty when the principal has no limits). */
  readonly headers: Readonly<Record<string, string>>;
  /** The values of the route's reads, in order (empty without a route). */
  readonly values: readonly (string | undefined)[];
  /** The store's answer to the route's `also` reservation (undefined without one). */
  readonly also?: ReserveResult | undefined;
}

/**
 * What the admission also does for the route it leads to, in the same state-store step: windowed
 * counters to count the request toward (retry and hedge budgets) and values to read (breaker and
 * cooldown states). Both happen only when the request is admitted.
 */
export interface AdmissionRoute {
  readonly windows: readonly WindowIncrement[];
  readonly reads: readonly string[];
}

const noValues: readonly (string | undefined)[] = Object.freeze([]);

/** What one combination of plans (tenant and key, and maybe a model group) reserves, derived once. */
interface AdmissionPlan {
  /** The plans with their scopes, in reservation order. */
  readonly scoped: readonly (readonly [LimitScope, LimitPlan])[];
  readonly reservation: ReservationTemplate;
  readonly headers: RateLimitHeaders;
}

interface PrincipalPlans {
  readonly tenant: LimitPlan;
  readonly key: LimitPlan;
  /** Tenant and key. */
  readonly base: AdmissionPlan;
  /** Tenant, key and the group, per model group with at least one limit. */
  readonly models: ReadonlyMap<string, AdmissionPlan>;
  /** Tenant and key limit nothing (a group in `models` may still be limited). */
  readonly unlimited: boolean;
}

function admissionPlan(scoped: readonly (readonly [LimitScope, LimitPlan])[]): AdmissionPlan {
  const plans = scoped.map(([, plan]) => plan);
  return {
    scoped,
    reservation: new ReservationTemplate(plans),
    headers: new RateLimitHeaders(plans.flatMap((plan) => plan.policies)),
  };
}

/** Which of a request's plans a state-store key belongs to. */
type LimitScope = 'tenant' | 'key' | 'model';

/**
 * The tenant and key limits of a request (rpm, tpm, max_concurrency of both, and the tenant's limits
 * on the requested model group) in ONE `state.reserve`, all or nothing. A rejection is a 429 `rate_limited` at once: a tenant's own limit is never retried
 * internally.
 */
export class TenantLimiter {
  private readonly state: StateStore;
  /** Shared by this limiter's reservations. */
  private readonly accounting: QuotaAccounting;
  private readonly events: EventSink;
  /** Principals are resolved from memory and reused, so their plans are computed once. */
  private readonly plans = new WeakMap<Principal, PrincipalPlans>();

  constructor(state: StateStore, logger: Logger, events: EventSink) {
    this.state = state;
    this.accounting = new QuotaAccounting(state, logger);
    this.events = events;
  }

  private plansOf(principal: Principal): PrincipalPlans {
    let plans = this.plans.get(principal);
    if (plans === undefined) {
      const tenant = buildLimitPlan(`t:${principal.tenant}`, 'tenant', principal.tenantLimits);
      const key = buildLimitPlan(`k:${principal.keyId}`, 'key', principal.keyLimits);
      const base: (readonly [LimitScope, LimitPlan])[] = [
        ['tenant', tenant],
        ['key', key],
      ];
      const models = new Map<string, AdmissionPlan>();
      for (const [group, limits] of Object.entries(principal.modelLimits ?? {})) {
        const plan = buildLimitPlan(`tm:${principal.tenant}:${group}`, `tenant-${group}`, limits);
        if (!isUnlimited(plan)) models.set(group, admissionPlan([...base, ['model', plan]]));
      }
      plans = {
        tenant,
        key,
        base: admissionPlan(base),
        models,
        unlimited: isUnlimited(tenant) && isUnlimited(key),
      };
      this.plans.set(principal, plans);
    }
    return plans;
  }

  /**
   * Reserves one request and `estimatedTokens` tokens against every limit of the principal, and
   * against the tenant's limits on `model` (the requested group) when that group is limited; with a
   * `route`, also its counts and reads, in the same one state-store call.
   * Throws GatewayError 429 `rate_limited` with Retry-After and RateLimit headers when any says no.
   */
  async admit(
    principal: Principal,
    estimatedTokens: number,
    leaseId: string,
    leaseTtlMs: number,
    requestId: string,
    model?: string,
    route?: AdmissionRoute,
    also?: ReserveRequest,
  ): Promise<TenantAdmission> {
    const plans = this.plansOf(principal);
    const modelPlan = model === undefined ? undefined : plans.models.get(model);
    if (plans.unlimited && modelPlan === undefined && route === undefined) {
      return {
        reservation: new QuotaReservation(this.accounting, noRates, noKeys, leaseId),
        headers: {},
        values: noValues,
      };
    }
    const admission = modelPlan ?? plans.base;
    const template = admission.reservation;
    const tokenRates = template.tokenRateCount === 0 ? [] : new Array<RateLimit>(template.tokenRateCount);
    const rates = template.rates(estimatedTokens, tokenRates);
    const reserve: ReserveRequest = { rates, concurrency: template.concurrency, leaseId, leaseTtlMs };
    let values = noValues;
    let alsoResult: ReserveResult | undefined;
    let result;
    if (route === undefined) result = await this.state.reserve(reserve);
    else {
      const admitted = await this.state.admit({ reserve, windows: route.windows, reads: route.reads, also });
      result = admitted.reservation;
      values = admitted.values;
      alsoResult = admitted.also;
    }
    const headers = admission.headers.render(result.states);
    if (result.granted) {
      return {
        reservation: new QuotaReservation(this.accounting, tokenRates, template.concurrencyKeys, leaseId),
        headers,
        values,
        also: alsoResult,
      };
    }
    const rejectedKey = result.rejectedKey;
    const [scope, plan] = admission.scoped.find(([, candidate]) => candidate.kinds.has(rejectedKey)) ?? [
      'key',
      plans.key,
    ];
    const limit = plan.kinds.get(rejectedKey) ?? 'rpm';
    this.events.emit({
      type: 'rate-limited',
      requestId,
      // A per-model limit is the tenant's own limit (on one group).
      scope: scope === 'key' ? 'key' : 'tenant',
      tenant: principal.tenant,
      limit,
    });
    const what = scope === 'model' ? `tenant ${model ?? ''}` : scope;
    const retryAfterMs = Number.isFinite(result.retryAfterMs) ? Math.max(0, result.retryAfterMs) : 60_000;
    const error = new GatewayError(
      `rate limit exceeded: ${what} ${limit} limit reached; retry in ${Math.ceil(retryAfterMs / 1000)}s`,
      { code: 'rate_limited', retryAfterMs },
    );
    Object.assign(error.headers, headers, {
      'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
      'retry-after-ms': String(Math.ceil(retryAfterMs)),
    });
    return Promise.reject(error);
  }
}
