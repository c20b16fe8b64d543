import type { Budget } from '../core/principal.ts';

export type BudgetPeriod = Budget['period'];

export const budgetPeriods: readonly BudgetPeriod[] = ['day', 'week', 'month', 'total'];

const dayMs = 86_400_000;

/** First millisecond (UTC) of the period that contains `now`; weeks start on Monday; "total" at 0. */
export function periodStart(period: BudgetPeriod, now: number): number {
  switch (period) {
    case 'day':
      return Math.floor(now / dayMs) * dayMs;
    case 'week': {
      const day = Math.floor(now / dayMs) * dayMs;
      const sinceMonday = (new Date(now).getUTCDay() + 6) % 7;
      return day - sinceMonday * dayMs;
    }
    case 'month': {
      const date = new Date(now);
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
    }
    case 'total':
      return 0;
  }
}

/** A length every instance of the period fits in (for counter windows and expiries). */
export function periodMaxLengthMs(period: BudgetPeriod): number {
  switch (period) {
    case 'day':
      return dayMs;
    case 'week':
      return 7 * dayMs;
    case 'month':
      return 31 * dayMs;
    case 'total':
      return 100 * 366 * dayMs;
  }
}
