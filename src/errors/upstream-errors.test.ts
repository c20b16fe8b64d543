import { describe, expect, it } from 'vitest';
import { maxUpstreamRetryAfterMs, parseRetryAfter } from './upstream-errors.ts';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('reads seconds, milliseconds and HTTP dates', () => {
    expect(parseRetryAfter({ 'retry-after': '2' }, now)).toBe(2000);
    expect(parseRetryAfter({ 'retry-after-ms': '150' }, now)).toBe(150);
    expect(parseRetryAfter({ 'retry-after': new Date(now + 30_000).toUTCString() }, now)).toBe(30_000);
  });

  it('ignores negative and unparseable values', () => {
    expect(parseRetryAfter({ 'retry-after-ms': '-5' }, now)).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after': 'soon' }, now)).toBeUndefined();
  });

  it('caps absurd values at five minutes', () => {
    expect(parseRetryAfter({ 'retry-after': '99999' }, now)).toBe(maxUpstreamRetryAfterMs);
    expect(parseRetryAfter({ 'retry-after-ms': '1e12' }, now)).toBe(maxUpstreamRetryAfterMs);
    const nextWeek = new Date(now + 7 * 86_400_000).toUTCString();
    expect(parseRetryAfter({ 'retry-after': nextWeek }, now)).toBe(maxUpstreamRetryAfterMs);
    expect(maxUpstreamRetryAfterMs).toBe(300_000);
  });
});
