import type { DeploymentTimeline, StateSpan } from './breaker-timeline.ts';
import { copyBucket, emptyBucket, mergeBucket, type HistoryBucket } from './history-bucket.ts';
import type { HistoryRange } from './traffic-history.ts';

/**
 * The dashboard history of a process with several worker threads (`server.workers`): each worker
 * counts the requests it served; the worker that answers GET /admin/dashboard/history gathers every
 * worker's read of the same range (a structured-clonable snapshot, sent over the workers' message
 * ports) and merges them here into one range, as /metrics merges the workers' counters.
 */

/** A HistoryRange as plain data (Maps and arrays: it crosses threads by structured clone). */
export interface HistorySnapshot {
  readonly intervalMs: number;
  readonly starts: readonly number[];
  readonly buckets: readonly HistoryBucket[];
  readonly now: number;
  readonly timelines: Readonly<Record<string, DeploymentTimeline>>;
}

export function snapshotOf(range: HistoryRange): HistorySnapshot {
  const timelines: Record<string, DeploymentTimeline> = {};
  for (const deployment of range.timelineDeployments) timelines[deployment] = range.timeline(deployment);
  return {
    intervalMs: range.intervalMs,
    starts: range.starts,
    buckets: range.buckets,
    now: range.now,
    timelines,
  };
}

/** When a timeline last changed: the start of its open span, else the end of its last span. */
function lastChange(timeline: DeploymentTimeline): number {
  let latest = Number.NEGATIVE_INFINITY;
  for (const span of timeline.states) latest = Math.max(latest, span.to ?? span.from);
  return latest;
}

const spanKey = (span: StateSpan): string => `${span.from}|${span.to ?? ''}|${span.state}`;

/**
 * One deployment's timelines as several workers saw them (each records the changes it saw): every
 * span and cooldown any of them recorded, the same one seen twice kept once; the state now is that
 * of the worker that saw the latest change, and a span another worker still has open ends there.
 */
function mergeTimelines(timelines: readonly DeploymentTimeline[]): DeploymentTimeline {
  let latest: DeploymentTimeline | undefined;
  for (const timeline of timelines)
    if (latest === undefined || lastChange(timeline) > lastChange(latest)) latest = timeline;
  const ended = latest === undefined ? Number.NEGATIVE_INFINITY : lastChange(latest);
  const states = new Map<string, StateSpan>();
  const cooldowns = new Map<string, DeploymentTimeline['cooldowns'][number]>();
  for (const timeline of timelines) {
    for (const span of timeline.states) {
      const closed =
        timeline !== latest && span.to === null && ended > span.from ? { ...span, to: ended } : span;
      states.set(spanKey(closed), closed);
    }
    for (const cooldown of timeline.cooldowns)
      cooldowns.set(`${cooldown.from}|${cooldown.to}|${cooldown.error_code}`, cooldown);
  }
  return {
    states: [...states.values()].sort((a, b) => a.from - b.from),
    cooldowns: [...cooldowns.values()].sort((a, b) => a.from - b.from),
    state_now: latest?.state_now ?? 'closed',
  };
}

/**
 * `own` (the answering worker's read) with the other workers' reads of the same range added: their
 * buckets are summed into the bucket with the same start (a bucket outside `own`'s range, read
 * across a bucket boundary, is left out), and their timelines merged. `own` is not changed.
 */
export function mergeHistory(own: HistorySnapshot, others: readonly HistorySnapshot[]): HistoryRange {
  const buckets = own.buckets.map(copyBucket);
  const index = new Map(own.starts.map((start, position) => [start, position]));
  for (const other of others) {
    if (other.intervalMs !== own.intervalMs) continue;
    for (const bucket of other.buckets) {
      const position = index.get(bucket.start);
      if (position !== undefined) mergeBucket(buckets[position] ?? emptyBucket(bucket.start), bucket);
    }
  }
  const all = [own, ...others];
  const deployments = [...new Set(all.flatMap((snapshot) => Object.keys(snapshot.timelines)))];
  const timelines = new Map(
    deployments.map((deployment) => [
      deployment,
      mergeTimelines(all.flatMap((snapshot) => snapshot.timelines[deployment] ?? [])),
    ]),
  );
  return {
    intervalMs: own.intervalMs,
    starts: [...own.starts],
    buckets,
    now: own.now,
    timeline: (deployment) => timelines.get(deployment) ?? { states: [], cooldowns: [], state_now: 'closed' },
    timelineDeployments: deployments,
  };
}
