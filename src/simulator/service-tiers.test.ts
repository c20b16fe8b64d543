import { describe, expect, it } from 'vitest';
import { flexRefusal, tierLatencyFactor } from './service-tiers.ts';

const limit = { rpm: 100, tpm: 10_000 };
const full = { requests: 100, tokens: 10_000, resetRequestsMs: 0, resetTokensMs: 0 };

describe('service tiers in the simulator', () => {
  it('answers priority faster and flex slower than the default', () => {
    expect(tierLatencyFactor('priority')).toBeLessThan(tierLatencyFactor(undefined));
    expect(tierLatencyFactor('default')).toBe(1);
    expect(tierLatencyFactor('flex')).toBeGreaterThan(1);
  });

  it('throttles flex once half the request or token quota is used, not before', () => {
    expect(flexRefusal(full, limit)).toBeUndefined();
    expect(flexRefusal({ ...full, requests: 50 }, limit)).toBeUndefined();
    expect(flexRefusal({ ...full, requests: 40 }, limit)).toEqual({ reason: 'rpm', retryAfterMs: 6000 });
    expect(flexRefusal({ ...full, tokens: 4000 }, limit)).toEqual({ reason: 'tpm', retryAfterMs: 6000 });
  });
});
