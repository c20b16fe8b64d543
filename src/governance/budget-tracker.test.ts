import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Principal } from '../core/principal.ts';
import { MemoryStateStore } from '../state/memory-state-store.ts';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { BudgetTracker } from './budget-tracker.ts';
import {
  openTemporaryRepositories,
  requestFinished,
} from '../../test/support/governance/governance-test-fixtures.ts';
import { spendRecordFromEvent } from './spend-record-from-event.ts';

const principal = (overrides: Partial<Principal> = {}): Principal => ({
  tenant: 'acme',
  keyId: 'key_1',
  tenantLimits: {},
  keyLimits: {},
  tenantBudget: { usd: 1, period: 'day' },
  logBodies: false,
  ...overrides,
});

describe('BudgetTracker', () => {
  let clock: FakeClock;
  let store: MemoryStateStore;
  beforeEach(() => {
    clock = new FakeClock(Date.UTC(2026, 0, 10, 23, 0));
    store = new MemoryStateStore(clock);
  });
  afterEach(async () => {
    await store.close();
  });

  it('refuses with 402 once the tenant budget of the day is spent, and allows again the next UTC day', async () => {
    const tracker = new BudgetTracker({ store, clock });
    await tracker.refresh();
    tracker.check(principal());
    tracker.emit(requestFinished({ requestId: 'r1', costUsd: 0.6 }));
    tracker.check(principal());
    tracker.emit(requestFinished({ requestId: 'r2', costUsd: 0.4 }));
    expect(() => {
      tracker.check(principal());
    }).toThrow(
      expect.objectContaining({
        status: 402,
        code: 'budget_exceeded',
        message: expect.stringContaining('tenant "acme" has spent $1.0000 of its $1 budget this day'),
      }),
    );
    await clock.advance(60 * 60_000);
    await tracker.refresh();
    tracker.check(principal());
    expect(tracker.spent('tenant', 'acme', 'day')).toBe(0);
    expect(tracker.spent('tenant', 'acme', 'month')).toBeCloseTo(1);
  });

  it('enforces key budgets separately and ignores unpriced requests', () => {
    const tracker = new BudgetTracker({ store, clock });
    const keyOnly = principal({ tenantBudget: undefined, keyBudget: { usd: 0.5, period: 'month' } });
    tracker.emit(requestFinished({ requestId: 'r1', costUsd: undefined }));
    tracker.emit(requestFinished({ requestId: 'r2', keyId: 'key_2', costUsd: 3 }));
    tracker.check(keyOnly);
    tracker.emit(requestFinished({ requestId: 'r3', costUsd: 0.5 }));
    expect(() => {
      tracker.check(keyOnly);
    }).toThrow(/key key_1 has spent/);
  });

  it('shares spend between replicas through the state store', async () => {
    const first = new BudgetTracker({ store, clock });
    const second = new BudgetTracker({ store, clock });
    await Promise.all([first.refresh(), second.refresh()]);
    second.check(principal());
    first.emit(requestFinished({ requestId: 'r1', costUsd: 1.2 }));
    second.check(principal());
    await first.refresh();
    await second.refresh();
    expect(() => {
      second.check(principal());
    }).toThrow(/budget exceeded/);
  });

  it('loses no spend emitted while a push is in flight, nor at the day boundary', async () => {
    const tracker = new BudgetTracker({ store, clock });
    await tracker.refresh();
    tracker.emit(requestFinished({ requestId: 'r1', costUsd: 0.25 }));
    const pushing = tracker.refresh();
    tracker.emit(requestFinished({ requestId: 'r2', costUsd: 0.5 }));
    await pushing;
    tracker.emit(requestFinished({ requestId: 'r3', costUsd: 0.125 }));
    expect(tracker.spent('tenant', 'acme', 'day')).toBeCloseTo(0.875);
    await tracker.refresh();
    expect(tracker.spent('key', 'key_1', 'day')).toBeCloseTo(0.875);
    // 23:00 + 1 h: a new UTC day, no refresh yet; the spend goes to the new day's counters
    await clock.advance(60 * 60_000);
    tracker.emit(requestFinished({ requestId: 'r4', costUsd: 2 }));
    expect(tracker.spent('tenant', 'acme', 'day')).toBeCloseTo(2);
    await tracker.refresh();
    expect(tracker.spent('tenant', 'acme', 'day')).toBeCloseTo(2);
    expect(tracker.spent('tenant', 'acme', 'total')).toBeCloseTo(2.875);
  });

  it('seeds the current period from spend stored before counting began', async () => {
    const fixture = await openTemporaryRepositories();
    try {
      await fixture.repositories.spend.insertMany([
        spendRecordFromEvent(
          requestFinished({ requestId: 'old', startedAt: clock.now() - 2 * 86_400_000, costUsd: 7 }),
        ),
        spendRecordFromEvent(
          requestFinished({ requestId: 'today', startedAt: clock.now() - 60_000, costUsd: 0.75 }),
        ),
      ]);
      const tracker = new BudgetTracker({ store, clock, spend: fixture.repositories.spend });
      await tracker.refresh();
      expect(tracker.spent('tenant', 'acme', 'day')).toBeCloseTo(0.75);
      expect(tracker.spent('key', 'key_1', 'total')).toBeCloseTo(7.75);
      // A replica started later uses the same epoch: it does not count the seeded spend twice.
      tracker.emit(requestFinished({ requestId: 'new', costUsd: 0.25 }));
      await tracker.refresh();
      await clock.advance(1000);
      const later = new BudgetTracker({ store, clock, spend: fixture.repositories.spend });
      await later.refresh();
      later.check(principal({ tenantBudget: { usd: 1.01, period: 'day' } }));
      await later.refresh();
      expect(later.spent('tenant', 'acme', 'day')).toBeCloseTo(1);
    } finally {
      await fixture.dispose();
    }
  });
});
