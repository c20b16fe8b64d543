import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../core/clock.ts';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { upstreamTimeout } from '../errors/upstream-errors.ts';
import { AttemptScope } from './attempt-scope.ts';

const never = new Promise<never>(() => {
  // An adapter that ignores its signal and never answers.
});

function scopeOn(clock: Clock, signal = new AbortController().signal, timeoutMs = 10_000): AttemptScope {
  return new AttemptScope(clock, signal, clock.now() + timeoutMs, timeoutMs);
}

describe('AttemptScope', () => {
  it('fails with upstream_timeout when the first token is late, and race stops waiting', async () => {
    const clock = new FakeClock();
    const scope = scopeOn(clock);
    scope.startFirstToken(2000);
    const raced = scope.race(never).catch((error: unknown) => error);
    await clock.advance(1999);
    expect(scope.signal.aborted).toBe(false);
    await clock.advance(1);
    expect(await raced).toMatchObject({ code: 'upstream_timeout' });
    expect(scope.errorOf(new Error('aborted'))).toMatchObject({ code: 'upstream_timeout' });
    scope.dispose();
    expect(clock.pendingSleeps()).toBe(0);
  });

  it('a cleared first token does not fire; the deadline still does', async () => {
    const clock = new FakeClock();
    const scope = scopeOn(clock, undefined, 5000);
    scope.startFirstToken(1000);
    scope.clearFirstToken();
    await clock.advance(4999);
    expect(scope.signal.aborted).toBe(false);
    await clock.advance(1);
    expect(scope.signal.reason).toMatchObject({ code: 'timeout', status: 504 });
    scope.dispose();
  });

  it('re-arming the first token counts from the latest start', async () => {
    const clock = new FakeClock();
    const scope = scopeOn(clock);
    scope.startFirstToken(1000);
    await clock.advance(600);
    scope.startFirstToken(1000);
    await clock.advance(600);
    expect(scope.signal.aborted).toBe(false);
    await clock.advance(400);
    expect(scope.signal.reason).toMatchObject({ code: 'upstream_timeout' });
    scope.dispose();
  });

  it('the idle watch re-arms on activity and fires after a silent gap', async () => {
    const clock = new FakeClock();
    const scope = scopeOn(clock);
    scope.startIdleWatch(500);
    await clock.advance(400);
    scope.touch();
    await clock.advance(400);
    expect(scope.signal.aborted).toBe(false);
    await clock.advance(100);
    expect(scope.signal.reason).toMatchObject({ code: 'upstream_timeout' });
    scope.dispose();
    expect(clock.pendingSleeps()).toBe(0);
  });

  it('the client closing aborts with client_closed; an already closed client aborts at once', async () => {
    const clock = new FakeClock();
    const client = new AbortController();
    const scope = scopeOn(clock, client.signal);
    const raced = scope.race(never).catch((error: unknown) => error);
    client.abort();
    expect(await raced).toMatchObject({ code: 'client_closed' });
    scope.dispose();
    const late = scopeOn(clock, client.signal);
    expect(late.signal.reason).toMatchObject({ code: 'client_closed' });
    await expect(late.race(never)).rejects.toMatchObject({ code: 'client_closed' });
    late.dispose();
  });

  it('the first reason wins', () => {
    const clock = new FakeClock();
    const client = new AbortController();
    const scope = scopeOn(clock, client.signal);
    scope.abort(upstreamTimeout('first'));
    client.abort();
    expect(scope.signal.reason).toMatchObject({ code: 'upstream_timeout', message: 'first' });
    scope.dispose();
  });

  it('dispose stops every timer and unlinks the client signal (system clock)', async () => {
    const client = new AbortController();
    const scope = new AttemptScope(systemClock, client.signal, Date.now() + 20, 20);
    scope.startFirstToken(10);
    scope.startIdleWatch(10);
    scope.dispose();
    client.abort();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(scope.signal.aborted).toBe(false);
  });

  it('times out on the system clock too', async () => {
    const scope = new AttemptScope(systemClock, new AbortController().signal, Date.now() + 1000, 1000);
    scope.startFirstToken(5);
    await expect(scope.race(never)).rejects.toMatchObject({ code: 'upstream_timeout' });
    scope.dispose();
  });

  it('every waiting race rejects on abort, and a raced promise that fails afterwards is handled', async () => {
    const clock = new FakeClock();
    const scope = scopeOn(clock);
    let failLate: (error: Error) => void = () => undefined;
    const late = new Promise<never>((_, reject) => {
      failLate = reject;
    });
    const raced = [scope.race(never), scope.race(late), scope.race(never)].map((race) =>
      race.catch((error: unknown) => error),
    );
    expect(await scope.race(Promise.resolve('settled'))).toBe('settled');
    scope.abort(upstreamTimeout('over'));
    for (const outcome of await Promise.all(raced)) expect(outcome).toMatchObject({ message: 'over' });
    failLate(new Error('after the abort'));
    const afterwards = scope.race(Promise.reject(new Error('also after')));
    await expect(afterwards).rejects.toMatchObject({ message: 'over' });
    scope.dispose();
  });

  it('a delivered race keeps nothing alive until the attempt ends (one per streamed event)', async () => {
    // 100,000 races of a long stream; a Promise.race against one long-lived abort promise kept a
    // reaction per race (~30 MB here) until the attempt ended.
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as () => void;
    const scope = scopeOn(new FakeClock());
    collect();
    const before = process.memoryUsage().heapUsed;
    for (let event = 0; event < 100_000; event += 1) await scope.race(Promise.resolve(event));
    collect();
    const retainedMb = (process.memoryUsage().heapUsed - before) / 1e6;
    expect(retainedMb).toBeLessThan(5);
    scope.dispose();
  });
});
