import { describe, expect, it } from 'vitest';
import { parseGoDuration, readAnthropicRateLimits, readOpenaiRateLimits } from './rate-limit-headers.ts';

describe('upstream rate-limit headers', () => {
  it('reads Go durations as OpenAI sends them, refusing anything else', () => {
    expect(parseGoDuration('1s')).toBe(1000);
    expect(parseGoDuration('6m0s')).toBe(360_000);
    expect(parseGoDuration('12ms')).toBe(12);
    expect(parseGoDuration('1m2.5s')).toBe(62_500);
    expect(parseGoDuration('999h')).toBe(3_600_000);
    for (const bad of ['', 's', '1x', '1s junk', '-1s', undefined])
      expect(parseGoDuration(bad)).toBeUndefined();
  });

  it('OpenAI: x-ratelimit-* into a hint; none without remaining headers', () => {
    expect(
      readOpenaiRateLimits({
        'x-ratelimit-limit-requests': '60',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '20s',
        'x-ratelimit-limit-tokens': '150000',
        'x-ratelimit-remaining-tokens': '149984',
        'x-ratelimit-reset-tokens': '6m0s',
      }),
    ).toEqual({
      requestsLimit: 60,
      requestsRemaining: 0,
      requestsResetMs: 20_000,
      tokensLimit: 150_000,
      tokensRemaining: 149_984,
      tokensResetMs: 360_000,
    });
    expect(readOpenaiRateLimits({ 'content-type': 'application/json' })).toBeUndefined();
    expect(readOpenaiRateLimits({ 'x-ratelimit-remaining-requests': 'lots' })).toBeUndefined();
  });

  it('Anthropic: anthropic-ratelimit-* with RFC 3339 resets relative to now', () => {
    const now = Date.parse('2026-12-06T10:00:00Z');
    expect(
      readAnthropicRateLimits(
        {
          'anthropic-ratelimit-requests-limit': '50',
          'anthropic-ratelimit-requests-remaining': '0',
          'anthropic-ratelimit-requests-reset': '2026-12-06T10:00:30Z',
          'anthropic-ratelimit-tokens-remaining': '1000',
          'anthropic-ratelimit-tokens-reset': 'not a date',
        },
        now,
      ),
    ).toMatchObject({
      requestsLimit: 50,
      requestsRemaining: 0,
      requestsResetMs: 30_000,
      tokensRemaining: 1000,
    });
  });
});
