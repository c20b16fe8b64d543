import { describe, expect, it } from 'vitest';
import { periodStart } from './budget-period.ts';
import { parseDuration } from './parse-duration.ts';

describe('periodStart', () => {
  const now = Date.UTC(2026, 0, 15, 13, 45); // a Thursday
  it('starts days, weeks (Monday) and months at UTC midnight', () => {
    expect(periodStart('day', now)).toBe(Date.UTC(2026, 0, 15));
    expect(periodStart('week', now)).toBe(Date.UTC(2026, 0, 12));
    expect(periodStart('week', Date.UTC(2026, 0, 18, 23))).toBe(Date.UTC(2026, 0, 12));
    expect(periodStart('month', now)).toBe(Date.UTC(2026, 0, 1));
    expect(periodStart('total', now)).toBe(0);
  });
});

describe('parseDuration', () => {
  it('reads the units the CLI accepts and rejects the rest', () => {
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('0d')).toBeUndefined();
  });
});
