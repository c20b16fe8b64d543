import type { CircuitState } from '../core/gateway-events.ts';

/** A span of time a deployment's breaker was not closed (`to` null: still so now). */
export interface StateSpan {
  readonly from: number;
  readonly to: number | null;
  readonly state: Exclude<CircuitState, 'closed'>;
}

/** A cooldown: the deployment was out of every plan from `from` to `to`. */
export interface CooldownSpan {
  readonly from: number;
  readonly to: number;
  readonly error_code: string;
}

/** One deployment's breaker and cooldowns over a range of time. */
export interface DeploymentTimeline {
  readonly states: StateSpan[];
  readonly cooldowns: CooldownSpan[];
  /** The breaker's state at the end of the range (as this process last saw it). */
  readonly state_now: CircuitState;
}

interface Change {
  readonly at: number;
  readonly state: CircuitState;
}

interface Lane {
  /** The state before the first kept change. */
  before: CircuitState;
  readonly changes: Change[];
  readonly cooldowns: CooldownSpan[];
}

export interface BreakerTimelineOptions {
  /** Changes and cooldowns older than this are dropped (ms). */
  readonly retentionMs: number;
  /** At most this many changes and this many cooldowns are kept per deployment (the oldest go first). */
  readonly maxPerDeployment: number;
}

/**
 * Breaker state changes and cooldowns per deployment, as this process saw them (its
 * `circuit-changed` and `cooldown-started` events), kept for a bounded time and count.
 */
export class BreakerTimeline {
  readonly #options: BreakerTimelineOptions;
  readonly #lanes = new Map<string, Lane>();

  constructor(options: BreakerTimelineOptions) {
    this.#options = options;
  }

  #lane(deployment: string): Lane {
    let lane = this.#lanes.get(deployment);
    if (lane === undefined) {
      lane = { before: 'closed', changes: [], cooldowns: [] };
      this.#lanes.set(deployment, lane);
    }
    return lane;
  }

  #prune(lane: Lane, now: number): void {
    const oldest = now - this.#options.retentionMs;
    const max = this.#options.maxPerDeployment;
    // Keep the latest change before the retention start: it says the state the range began in.
    while (lane.changes.length > max || (lane.changes.length > 1 && (lane.changes[1]?.at ?? 0) <= oldest)) {
      const dropped = lane.changes.shift();
      if (dropped !== undefined) lane.before = dropped.state;
    }
    while (
      lane.cooldowns.length > max ||
      (lane.cooldowns.length > 0 && (lane.cooldowns[0]?.to ?? 0) < oldest)
    )
      lane.cooldowns.shift();
  }

  /** The breaker of `deployment` went from `from` to `to` at `at`. */
  changed(deployment: string, from: CircuitState, to: CircuitState, at: number): void {
    const lane = this.#lane(deployment);
    if (lane.changes.length === 0) lane.before = from;
    lane.changes.push({ at, state: to });
    this.#prune(lane, at);
  }

  /** `deployment` started a cooldown of `durationMs` at `at`. */
  cooled(deployment: string, durationMs: number, errorCode: string, at: number): void {
    const lane = this.#lane(deployment);
    lane.cooldowns.push({ from: at, to: at + Math.max(0, durationMs), error_code: errorCode });
    this.#prune(lane, at);
  }

  /** The deployments with anything recorded. */
  deployments(): string[] {
    return [...this.#lanes.keys()];
  }

  /** What `deployment` went through between `start` and `end` (spans clipped to the range). */
  read(deployment: string, start: number, end: number): DeploymentTimeline {
    const lane = this.#lanes.get(deployment);
    if (lane === undefined) return { states: [], cooldowns: [], state_now: 'closed' };
    const states: StateSpan[] = [];
    let state = lane.before;
    let since = start;
    const close = (until: number | null): void => {
      if (state === 'closed') return;
      const from = Math.max(since, start);
      if (until !== null && until <= from) return;
      states.push({ from, to: until, state });
    };
    for (const change of lane.changes) {
      if (change.at > end) break;
      close(change.at);
      state = change.state;
      since = change.at;
    }
    close(null);
    const cooldowns = lane.cooldowns
      .filter((cooldown) => cooldown.to > start && cooldown.from <= end)
      .map((cooldown) => ({ ...cooldown, from: Math.max(cooldown.from, start) }));
    return { states, cooldowns, state_now: state };
  }
}
