import type { Clock } from '../core/clock.ts';
import { systemClock } from '../core/clock.ts';
import type { EventSink, GatewayEvent } from '../core/gateway-events.ts';
import type { Budget, Principal } from '../core/principal.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { BudgetChecker } from '../core/authenticator.ts';
import type { SpendRepository } from '../persistence/repositories.ts';
import type { StateStore } from '../core/state-store.ts';
import type { BudgetPeriod } from './budget-period.ts';
import { budgetPeriods, periodMaxLengthMs, periodStart } from './budget-period.ts';

type Scope = 'tenant' | 'key';

export interface BudgetTrackerOptions {
  /** Shares spend between replicas: one windowed counter per scope, id and period. */
  readonly store: StateStore;
  /** Seeds each period with the spend stored before shared counting began; absent: start at 0. */
  readonly spend?: SpendRepository | undefined;
  readonly clock?: Clock;
  /** How often shared counters are pushed and read (default 1000 ms). */
  readonly refreshIntervalMs?: number;
  readonly onError?: (error: unknown, context: string) => void;
}

const counterName = 'usd';

/** This replica's spend on one counter not yet pushed; updated in place (no allocation per request). */
class PendingSpend {
  usd = 0;
}

/** Principals whose counters are cached before the cache starts over (a flood of distinct keys). */
const maxCachedPrincipals = 10_000;

/**
 * Per-tenant and per-key spend for the current day, week, month and all time, answered from memory.
 *
 * spent = baseline + shared + pending, where `shared` is the state store's counter for the period
 * (every replica's spend since the period's "epoch": the moment the first replica began counting it,
 * recorded with compare-and-set), `baseline` the database's spend from the period's start to that
 * epoch (read once per period), and `pending` this replica's spend not yet pushed. Pushes and reads
 * happen every `refreshIntervalMs`. Tolerance (docs/decisions/0003): a budget can be overrun by the
 * cost of requests in flight (cost is known only when they end) plus what other replicas spent in
 * the last refresh interval; while the store is unreachable each replica counts alone (fail open).
 */
export class BudgetTracker implements BudgetChecker, EventSink {
  private readonly store: StateStore;
  private readonly spend: SpendRepository | undefined;
  private readonly clock: Clock;
  private readonly onError: (error: unknown, context: string) => void;
  private readonly refreshIntervalMs: number;
  /** Counter key → USD, per term of the sum. */
  private readonly baseline = new Map<string, number>();
  private readonly shared = new Map<string, number>();
  private readonly pending = new Map<string, PendingSpend>();
  /** Counter keys whose shared value is read each refresh (budgets seen by check()). */
  private readonly watched = new Set<string>();
  /** "period:start" → seeding done (or in progress). */
  private readonly seeded = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  /**
   * The pending counters a request of a tenant (outer key) and key (inner key) adds to, for the UTC
   * day `keysDay` (every period starts on a day boundary, so they change only with the day): emit()
   * then builds no strings and allocates nothing. Emptied whenever refresh() drops pushed counters.
   */
  private keysDay = Number.NaN;
  private readonly pendingOfPrincipal = new Map<string, Map<string, readonly PendingSpend[]>>();
  private cachedPrincipals = 0;

  constructor(options: BudgetTrackerOptions) {
    this.store = options.store;
    this.spend = options.spend;
    this.clock = options.clock ?? systemClock;
    this.onError = options.onError ?? (() => undefined);
    this.refreshIntervalMs = options.refreshIntervalMs ?? 1000;
  }

  /** Seeds the current periods, then refreshes every interval. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => {
      this.refresh().catch((error: unknown) => {
        this.onError(error, 'budget refresh failed; counting locally until the store answers');
      });
    }, this.refreshIntervalMs);
    this.timer.unref();
  }

  private static counterKey(scope: Scope, id: string, period: BudgetPeriod, start: number): string {
    return `spillway:budget:${period}:${start}:${scope}:${id}`;
  }

  /** USD spent by the tenant or key in the current period, as far as this replica knows. */
  spent(scope: Scope, id: string, period: BudgetPeriod): number {
    const key = BudgetTracker.counterKey(scope, id, period, periodStart(period, this.clock.now()));
    return (this.baseline.get(key) ?? 0) + (this.shared.get(key) ?? 0) + (this.pending.get(key)?.usd ?? 0);
  }

  private checkOne(scope: Scope, id: string, budget: Budget | undefined, label: string): void {
    if (budget === undefined) return;
    const start = periodStart(budget.period, this.clock.now());
    this.watched.add(BudgetTracker.counterKey(scope, id, budget.period, start));
    const spent = this.spent(scope, id, budget.period);
    if (spent < budget.usd) return;
    const period = budget.period === 'total' ? 'in total' : `this ${budget.period} (UTC)`;
    throw new GatewayError(
      `budget exceeded: ${label} has spent $${spent.toFixed(4)} of its $${budget.usd} budget ${period}`,
      { code: 'budget_exceeded' },
    );
  }

  check(principal: Principal): void {
    this.checkOne('tenant', principal.tenant, principal.tenantBudget, `tenant "${principal.tenant}"`);
    this.checkOne('key', principal.keyId, principal.keyBudget, `key ${principal.keyId}`);
  }

  emit(event: GatewayEvent): void {
    if (event.type !== 'request-finished' || event.costUsd === undefined || event.costUsd <= 0) return;
    const cost = event.costUsd;
    const slots = this.pendingOf(event.tenant, event.keyId);
    for (let index = 0; index < slots.length; index++) (slots[index] as PendingSpend).usd += cost;
  }

  private pendingOf(tenant: string, keyId: string): readonly PendingSpend[] {
    const now = this.clock.now();
    const day = periodStart('day', now);
    if (day !== this.keysDay) {
      this.keysDay = day;
      this.forgetPrincipals();
    }
    let ofTenant = this.pendingOfPrincipal.get(tenant);
    if (ofTenant === undefined) {
      ofTenant = new Map();
      this.pendingOfPrincipal.set(tenant, ofTenant);
    }
    let slots = ofTenant.get(keyId);
    if (slots === undefined) {
      const keys = budgetPeriods.flatMap((period) => {
        const start = periodStart(period, now);
        return [
          BudgetTracker.counterKey('tenant', tenant, period, start),
          BudgetTracker.counterKey('key', keyId, period, start),
        ];
      });
      slots = keys.map((key) => {
        let slot = this.pending.get(key);
        if (slot === undefined) {
          slot = new PendingSpend();
          this.pending.set(key, slot);
        }
        return slot;
      });
      // Bounded: a flood of distinct keys starts the cache over.
      if (this.cachedPrincipals >= maxCachedPrincipals) this.forgetPrincipals();
      ofTenant.set(keyId, slots);
      this.cachedPrincipals += 1;
    }
    return slots;
  }

  private forgetPrincipals(): void {
    this.pendingOfPrincipal.clear();
    this.cachedPrincipals = 0;
  }

  /** Seeds new periods, pushes pending spend and reads watched counters. One at a time. */
  refresh(): Promise<void> {
    this.refreshing ??= this.refreshOnce().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async refreshOnce(): Promise<void> {
    const now = this.clock.now();
    const current = new Set<string>();
    for (const period of budgetPeriods) {
      const start = periodStart(period, now);
      current.add(`${period}:${start}`);
      await this.seed(period, start);
    }
    this.prune(current);
    for (const [key, slot] of [...this.pending]) {
      const delta = slot.usd;
      if (delta === 0) continue;
      const sums = await this.store.incrementWindow(key, { [counterName]: delta }, this.windowOf(key));
      slot.usd -= delta;
      this.shared.set(key, sums[counterName] ?? 0);
    }
    // Pushed counters are dropped (the map holds only keys with spend in flight) in one synchronous
    // pass with the cache that points at them, so no later emit() adds to a dropped counter.
    for (const [key, slot] of this.pending) if (Math.abs(slot.usd) < 1e-12) this.pending.delete(key);
    this.forgetPrincipals();
    for (const key of this.watched) {
      const sums = await this.store.readWindow(key, this.windowOf(key));
      this.shared.set(key, sums[counterName] ?? 0);
    }
  }

  private windowOf(counterKey: string): number {
    const period = counterKey.split(':')[2] as BudgetPeriod;
    // Twice the period: the key holds one period only, so nothing falls out of the window early.
    return 2 * periodMaxLengthMs(period);
  }

  /** Drops counters of periods that have ended (their pending spend is pushed first). */
  private prune(current: Set<string>): void {
    const isCurrent = (key: string): boolean => {
      const [, , period, start] = key.split(':');
      return current.has(`${period ?? ''}:${start ?? ''}`);
    };
    for (const map of [this.baseline, this.shared])
      for (const key of map.keys()) if (!isCurrent(key)) map.delete(key);
    for (const key of this.watched) if (!isCurrent(key)) this.watched.delete(key);
    for (const id of this.seeded.keys()) if (!current.has(id)) this.seeded.delete(id);
  }

  private seed(period: BudgetPeriod, start: number): Promise<void> {
    const id = `${period}:${start}`;
    let seeding = this.seeded.get(id);
    if (seeding === undefined) {
      seeding = this.seedPeriod(period, start);
      this.seeded.set(id, seeding);
      seeding.catch(() => this.seeded.delete(id));
    }
    return seeding;
  }

  private async seedPeriod(period: BudgetPeriod, start: number): Promise<void> {
    const now = this.clock.now();
    const epochKey = `spillway:budget:epoch:${period}:${start}`;
    const ttl = 2 * periodMaxLengthMs(period);
    const claimed = await this.store.compareAndSet(epochKey, undefined, String(now), ttl);
    const epoch = claimed ? now : Number((await this.store.get(epochKey)) ?? now);
    if (this.spend === undefined || epoch <= start) return;
    for (const scope of ['tenant', 'key'] as const) {
      const sums = await this.spend.sum({ groupBy: scope, since: start, until: epoch });
      for (const sum of sums)
        this.baseline.set(BudgetTracker.counterKey(scope, sum.key, period, start), sum.costUsd);
    }
  }

  /** Stops the refresh timer after one last push of pending spend. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.refresh().catch((error: unknown) => {
      this.onError(error, 'final budget push failed');
    });
  }
}
