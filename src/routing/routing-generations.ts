import type { RoutingTable } from './routing-table.ts';

/** A routing table in use by some requests. */
export interface Generation {
  readonly table: RoutingTable;
  /** Call once when the request that acquired it has ended (streams: when the stream ends). */
  release(): void;
}

interface Slot {
  readonly table: RoutingTable;
  inFlight: number;
}

/** One request's pin on a slot (a class, not a closure per request). */
class Pin implements Generation {
  readonly table: RoutingTable;
  private readonly owner: RoutingGenerations;
  private readonly slot: Slot;
  private released = false;

  constructor(owner: RoutingGenerations, slot: Slot) {
    this.owner = owner;
    this.slot = slot;
    this.table = slot.table;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.owner.unpin(this.slot);
  }
}

/**
 * The current routing table plus the older ones still used by in-flight requests. A reload swaps
 * the table for new requests; requests already running finish on theirs. `onDrained` runs when no
 * request of any older table is left (time to close connections the reload dropped).
 */
export class RoutingGenerations {
  private current: Slot;
  private readonly older = new Set<Slot>();
  private readonly onDrained: () => void;

  constructor(table: RoutingTable, onDrained: () => void) {
    this.current = { table, inFlight: 0 };
    this.onDrained = onDrained;
  }

  /** The table new requests use. */
  get table(): RoutingTable {
    return this.current.table;
  }

  /** Pins the current table for one request. */
  acquire(): Generation {
    const slot = this.current;
    slot.inFlight += 1;
    return new Pin(this, slot);
  }

  /** A request pinned to `slot` has ended (once per pin: `Pin.release`). */
  unpin(slot: Slot): void {
    slot.inFlight -= 1;
    if (slot.inFlight === 0 && this.older.delete(slot) && this.older.size === 0) this.onDrained();
  }

  /** Makes `table` current; the old one retires once its requests end. */
  swap(table: RoutingTable): void {
    const previous = this.current;
    this.current = { table, inFlight: 0 };
    if (previous.inFlight > 0) this.older.add(previous);
    else if (this.older.size === 0) this.onDrained();
  }

  /** Requests in flight on any table. */
  inFlight(): number {
    let total = this.current.inFlight;
    for (const slot of this.older) total += slot.inFlight;
    return total;
  }
}
