import { describe, expect, it } from 'vitest';
import { computeBackoffMs, retryDelayMs } from './backoff.ts';

const backoff = { base_ms: 200, max_ms: 8000 };

describe('computeBackoffMs', () => {
  it('is full jitter within [0, min(max, base·2^n)]', () => {
    for (const retry of [0, 1, 2, 3, 4, 5, 6, 10]) {
      const ceiling = Math.min(8000, 200 * 2 ** retry);
      expect(computeBackoffMs(retry, backoff, () => 0)).toBe(0);
      expect(computeBackoffMs(retry, backoff, () => 0.5)).toBe(Math.floor(ceiling / 2));
      expect(computeBackoffMs(retry, backoff, () => 0.999999)).toBe(ceiling - 1);
    }
  });

  it('Retry-After wins when longer than the backoff', () => {
    expect(retryDelayMs(0, backoff, () => 0.5, 5000)).toBe(5000);
    expect(retryDelayMs(5, backoff, () => 0.5, 10)).toBe(3200);
    expect(retryDelayMs(1, backoff, () => 0.5, undefined)).toBe(200);
  });
});
