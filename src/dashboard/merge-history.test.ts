import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { requestFinished } from '../../test/support/telemetry/request-finished.ts';
import { countsOf } from './history-bucket.ts';
import { mergeHistory, snapshotOf } from './merge-history.ts';
import { TrafficHistory } from './traffic-history.ts';

// Several worker threads' histories merged into the process's: the same buckets summed, the
// answering worker's range kept, the breaker timelines of the shared breakers merged.

const start = 1_800_000_000_000;
const target = {
  group: 'g',
  deployment: 'g-a',
  provider: 'p',
  providerType: 'openai',
  region: 'r',
  account: 'a',
  model: 'm',
} as const;

function historyWith(clock: FakeClock, requests: number, errors: number): TrafficHistory {
  const history = new TrafficHistory({ clock, knownGroup: (name) => name === 'g' });
  for (let index = 0; index < requests; index += 1)
    history.emit(
      requestFinished({
        requestId: `r${index}`,
        requestedGroup: 'g',
        target,
        startedAt: clock.now() - 10,
        ...(index < errors ? { status: 503, errorCode: 'upstream_unavailable' as const } : {}),
      }),
    );
  return history;
}

const total = (counts: Map<string, number>): number => [...counts.values()].reduce((a, b) => a + b, 0);

describe('mergeHistory', () => {
  it('sums the workers’ buckets of the same start and leaves every worker’s own history as it was', () => {
    const clock = new FakeClock(start + 5_000);
    const one = historyWith(clock, 3, 1);
    const two = historyWith(clock, 4, 2);
    const own = snapshotOf(one.read(60_000));
    const merged = mergeHistory(own, [snapshotOf(two.read(60_000))]);
    expect(merged.starts).toEqual(own.starts);
    const last = merged.buckets.at(-1);
    expect(last === undefined ? 0 : total(countsOf(last, 'requests'))).toBe(7);
    expect(last === undefined ? 0 : total(countsOf(last, 'error_classes'))).toBe(3);
    // The workers' own reads are unchanged by the merge.
    const ownLast = one.read(60_000).buckets.at(-1);
    expect(ownLast === undefined ? 0 : total(countsOf(ownLast, 'requests'))).toBe(3);
  });

  it('leaves out a bucket outside the answering worker’s range and a read of another resolution', async () => {
    const clock = new FakeClock(start + 5_000);
    const own = snapshotOf(historyWith(clock, 1, 0).read(60_000));
    await clock.advance(20_000); // two fine buckets later: the other read ends after own's range
    const later = snapshotOf(historyWith(clock, 5, 0).read(60_000));
    const coarse = snapshotOf(historyWith(clock, 9, 0).read(6 * 3_600_000));
    const merged = mergeHistory(own, [later, coarse]);
    expect(merged.buckets.reduce((sum, bucket) => sum + total(countsOf(bucket, 'requests')), 0)).toBe(1);
  });

  it('merges breaker timelines: spans seen by any worker, once; the state now of the latest change', async () => {
    const clock = new FakeClock(start);
    const one = new TrafficHistory({ clock, knownGroup: () => true });
    const two = new TrafficHistory({ clock, knownGroup: () => true });
    await clock.advance(1_000);
    one.emit({ type: 'circuit-changed', deployment: 'g-a', from: 'closed', to: 'open' });
    two.emit({ type: 'circuit-changed', deployment: 'g-a', from: 'closed', to: 'open' });
    await clock.advance(3_000);
    two.emit({ type: 'circuit-changed', deployment: 'g-a', from: 'open', to: 'closed' });
    two.emit({ type: 'cooldown-started', deployment: 'g-b', durationMs: 2_000, errorCode: 'rate_limited' });
    await clock.advance(5_000);
    const merged = mergeHistory(snapshotOf(one.read(60_000)), [snapshotOf(two.read(60_000))]);
    expect(merged.timelineDeployments.sort()).toEqual(['g-a', 'g-b']);
    const timeline = merged.timeline('g-a');
    // Worker one still had it open; worker two saw it close at 4 s: one span, ended there.
    expect(timeline.states).toEqual([{ from: start + 1_000, to: start + 4_000, state: 'open' }]);
    expect(timeline.state_now).toBe('closed');
    expect(merged.timeline('g-b').cooldowns).toHaveLength(1);
  });
});
