import type { Clock } from '../core/clock.ts';
import { faultSpecSchema, type FaultSpec } from './fault-spec.ts';
import type { SimApi } from './invocation-log.ts';
import type { Prng } from './prng.ts';

/** A fault in force. */
export interface ActiveFault extends FaultSpec {
  /** The fault's id (given or generated). */
  readonly id: string;
  /** Creation time, ms since the epoch. */
  readonly created_at: number;
  /** Requests hit so far. */
  hits: number;
}

/** What a request is, for fault matching. */
export interface FaultTarget {
  readonly api: SimApi;
  readonly operation: string;
  readonly accountId: string;
  readonly region: string;
  readonly inferenceRegion: string | undefined;
  readonly modelId: string;
  readonly baseModelId: string | undefined;
}

/** Faults in force, matched per request with the seeded PRNG deciding the `rate` share. */
export class FaultRegistry {
  private faults: ActiveFault[] = [];
  private counter = 0;
  private readonly clock: Clock;
  private readonly prng: Prng;

  constructor(clock: Clock, prng: Prng) {
    this.clock = clock;
    this.prng = prng;
  }

  /** Validates and adds a fault; throws the zod error on a bad spec. */
  add(input: unknown): ActiveFault {
    const spec = faultSpecSchema.parse(input);
    this.counter += 1;
    const id = spec.id ?? `fault-${this.counter}`;
    this.faults = this.faults.filter((fault) => fault.id !== id);
    const fault: ActiveFault = { ...spec, id, created_at: this.clock.now(), hits: 0 };
    this.faults.push(fault);
    return fault;
  }

  /** Faults in force (expired ones are dropped first). */
  list(): ActiveFault[] {
    this.expire();
    return [...this.faults];
  }

  /** Removes one fault; false if there was none with that id. */
  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((fault) => fault.id !== id);
    return this.faults.length < before;
  }

  /** Removes every fault. */
  clear(): void {
    this.faults = [];
  }

  /** The first fault that matches `target` and is drawn for it (counting the hit), if any. */
  match(target: FaultTarget): ActiveFault | undefined {
    if (this.faults.length === 0) return undefined;
    this.expire();
    for (const fault of this.faults) {
      if (!matches(fault, target)) continue;
      if (fault.rate < 1 && this.prng.next() >= fault.rate) continue;
      fault.hits += 1;
      if (fault.count !== undefined && fault.hits >= fault.count) this.remove(fault.id);
      return fault;
    }
    return undefined;
  }

  private expire(): void {
    const now = this.clock.now();
    this.faults = this.faults.filter(
      (fault) => fault.duration_ms === undefined || now < fault.created_at + fault.duration_ms,
    );
  }
}

function matches(fault: FaultSpec, target: FaultTarget): boolean {
  return (
    (fault.api === undefined || fault.api === target.api) &&
    (fault.operation === undefined || fault.operation === target.operation) &&
    (fault.account === undefined || fault.account === target.accountId) &&
    (fault.region === undefined ||
      fault.region === target.region ||
      fault.region === target.inferenceRegion) &&
    (fault.model === undefined || fault.model === target.modelId || fault.model === target.baseModelId)
  );
}
