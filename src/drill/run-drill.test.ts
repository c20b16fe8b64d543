import { describe, expect, it } from 'vitest';
import { isStreamed, promptOf } from './run-drill.ts';

describe('the drill load', () => {
  it('streams exactly the stream share of every run of requests, spread evenly', () => {
    const streamed = (share: number, count: number) =>
      Array.from({ length: count }, (_, index) => isStreamed(index, share)).filter(Boolean).length;
    expect(streamed(0.5, 600)).toBe(300);
    expect(streamed(0.25, 8)).toBe(2);
    expect(streamed(0, 100)).toBe(0);
    expect(streamed(1, 100)).toBe(100);
    expect([0, 1, 2, 3].map((index) => isStreamed(index, 0.5))).toEqual([false, true, false, true]);
  });

  it('builds prompts of about the asked number of words', () => {
    expect(promptOf(200, 7).split(' ')).toHaveLength(200);
    expect(promptOf(2, 7)).toBe('Drill request 7: answer briefly.');
  });
});
