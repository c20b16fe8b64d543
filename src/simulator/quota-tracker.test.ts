import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { QuotaTracker } from './quota-tracker.ts';

describe('QuotaTracker', () => {
  it('lets a burst of rpm through, then refills continuously', async () => {
    const clock = new FakeClock();
    const quotas = new QuotaTracker(clock);
    const limit = { rpm: 3, tpm: 1000 };
    for (let index = 0; index < 3; index += 1) expect(quotas.acquire('k', limit, 10)).toBeUndefined();
    expect(quotas.acquire('k', limit, 10)).toEqual({ reason: 'rpm', retryAfterMs: 20_000 });
    await clock.advance(20_000);
    expect(quotas.acquire('k', limit, 10)).toBeUndefined();
  });

  it('reserves tokens and reconciles them', () => {
    const quotas = new QuotaTracker(new FakeClock());
    const limit = { rpm: 100, tpm: 1000 };
    expect(quotas.acquire('k', limit, 900)).toBeUndefined();
    expect(quotas.acquire('k', limit, 200)?.reason).toBe('tpm');
    quotas.adjust('k', limit, 800);
    expect(quotas.remaining('k', limit).tokens).toBe(900);
    expect(quotas.wouldAdmit('k', limit, 200)).toBe(true);
  });
});
