import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CallDeadlines } from './call-deadlines.ts';

const timeout = (): Error => new Error('timed out');

/** A promise and the functions that settle it. */
function pending<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

/** What a promise came to so far: 'waiting', or its value or error message. */
function outcome<T>(promise: Promise<T>): { value: T | string } {
  const seen: { value: T | string } = { value: 'waiting' };
  promise.then(
    (value) => (seen.value = value),
    (error: unknown) => (seen.value = `error: ${(error as Error).message}`),
  );
  return seen;
}

describe('CallDeadlines', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('passes answers through and times out, in order, only the calls still waiting at their deadline', async () => {
    const deadlines = new CallDeadlines(1000);
    const first = pending<string>();
    const a = outcome(deadlines.within(first.promise, timeout));
    await vi.advanceTimersByTimeAsync(400);
    const second = pending<string>();
    const third = pending<string>();
    const b = outcome(deadlines.within(second.promise, timeout));
    const c = outcome(deadlines.within(third.promise, timeout));
    third.resolve('third');
    await vi.advanceTimersByTimeAsync(0);
    expect(c.value).toBe('third');
    expect(deadlines.size).toBe(3); // the answered third waits behind the first two

    await vi.advanceTimersByTimeAsync(599);
    expect(a.value).toBe('waiting');
    await vi.advanceTimersByTimeAsync(1);
    await vi.advanceTimersByTimeAsync(1); // the check phase after the deadline's timer (a fake one runs a tick later)
    expect(a.value).toBe('error: timed out');
    expect(b.value).toBe('waiting');
    second.reject(new Error('refused'));
    await vi.advanceTimersByTimeAsync(0);
    expect(b.value).toBe('error: refused');
    expect(deadlines.size).toBe(0);

    first.resolve('too late'); // ignored
    await vi.advanceTimersByTimeAsync(2000);
    expect(a.value).toBe('error: timed out');
  });

  it('keeps one timer for any number of waiting calls', async () => {
    const deadlines = new CallDeadlines(1000);
    const calls = Array.from({ length: 100 }, () => pending<number>());
    const outcomes = calls.map((call, index) => {
      vi.advanceTimersByTime(index % 2); // calls spread over 50 ms
      return outcome(deadlines.within(call.promise, timeout));
    });
    expect(vi.getTimerCount()).toBe(1);
    calls.forEach((call, index) => {
      if (index % 3 === 0) call.resolve(index);
    });
    await vi.advanceTimersByTimeAsync(1100);
    expect(vi.getTimerCount()).toBe(0);
    outcomes.forEach((seen, index) => {
      expect(seen.value).toBe(index % 3 === 0 ? index : 'error: timed out');
    });
  });

  it('an answer that arrives in the same turn as the deadline wins', async () => {
    const deadlines = new CallDeadlines(1000);
    const call = pending<string>();
    const seen = outcome(deadlines.within(call.promise, timeout));
    // due together: the deadline's timer, and an answer settled by another timer of the same instant
    setTimeout(() => {
      call.resolve('answer');
    }, 1000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(seen.value).toBe('answer');
  });
});
