import { describe, expect, it } from 'vitest';
import { LearnedLimits } from './learned-limits.ts';

describe('learned limits', () => {
  it('avoids a deployment whose upstream said 0 remaining, until the reset', () => {
    const learned = new LearnedLimits();
    learned.observe('d', { requestsRemaining: 0, requestsResetMs: 5000 }, 1000, false);
    expect(learned.avoid('d', 1000)).toBe(true);
    expect(learned.avoid('d', 5999)).toBe(true);
    expect(learned.avoid('d', 6000)).toBe(false);
    learned.observe('d', { tokensRemaining: 0, tokensResetMs: 100 }, 7000, false);
    expect(learned.avoid('d', 7050)).toBe(true);
    expect(learned.avoid('other', 7050)).toBe(false);
  });

  it('AIMD: a throttle halves the rate the deployment took, successes raise it slowly', () => {
    const learned = new LearnedLimits();
    for (let index = 0; index < 40; index += 1) learned.started('d', 1000 + index);
    expect(learned.learnedRpm('d')).toBeUndefined();
    expect(learned.avoid('d', 2000)).toBe(false);
    learned.throttled('d', 2000, false);
    expect(learned.learnedRpm('d')).toBe(20);
    // 40 requests this minute, learned 20: avoided until the window moves on.
    expect(learned.avoid('d', 2000)).toBe(true);
    for (let index = 0; index < 10; index += 1) learned.succeeded('d');
    expect(learned.learnedRpm('d')).toBeCloseTo(21, 9);
    // Two minutes later the old requests no longer count.
    expect(learned.avoid('d', 1000 + 120_001)).toBe(false);
    // A throttle at a trickle (another caller's traffic) teaches nothing: the cooldown handles it.
    learned.started('d', 1000 + 120_001);
    learned.throttled('d', 1000 + 120_001, false);
    expect(learned.learnedRpm('d')).toBeCloseTo(21, 9);
  });

  it('a configured rpm is never overridden; a limit header is learned as the rpm', () => {
    const learned = new LearnedLimits();
    for (let index = 0; index < 10; index += 1) learned.started('d', index);
    learned.throttled('d', 10, true);
    learned.observe('d', { requestsLimit: 5, requestsRemaining: 3 }, 10, true);
    expect(learned.learnedRpm('d')).toBeUndefined();
    learned.observe('e', { requestsLimit: 5, requestsRemaining: 3 }, 10, false);
    expect(learned.learnedRpm('e')).toBe(5);
  });

  it('learns a tpm the same way: from the limit header, or halved from the token rate at a throttle', () => {
    const learned = new LearnedLimits();
    learned.observe('h', { tokensLimit: 40_000 }, 0, false, false);
    expect(learned.learnedTpm('h')).toBe(40_000);
    learned.observe('c', { tokensLimit: 40_000 }, 0, false, true);
    expect(learned.learnedTpm('c')).toBeUndefined();

    // 8 requests of 1,000 tokens this minute, then a 429: the tpm learned is half the token rate.
    for (let index = 0; index < 8; index += 1) {
      learned.started('d', 1000 + index);
      learned.used('d', 1000, 1000 + index);
      learned.succeeded('d', 1000);
    }
    expect(learned.learnedTpm('d')).toBeUndefined();
    learned.throttled('d', 2000, false, false);
    expect(learned.learnedTpm('d')).toBe(4000);
    // Below 10 requests a minute no rpm is learned; tokens taught the tpm alone.
    expect(learned.learnedRpm('d')).toBeUndefined();
    expect(learned.avoid('d', 2000)).toBe(true);
    learned.succeeded('d', 500);
    expect(learned.learnedTpm('d')).toBe(4050);
    // Two minutes on, the tokens of the past no longer count.
    expect(learned.avoid('d', 1000 + 120_001)).toBe(false);
    // A configured tpm is never overridden.
    learned.used('e', 5000, 0);
    learned.throttled('e', 10, false, true);
    expect(learned.learnedTpm('e')).toBeUndefined();
  });
});
