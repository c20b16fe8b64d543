import type { MessagePort } from 'node:worker_threads';
import type {
  AdmitRequest,
  AdmitResult,
  ReserveRequest,
  ReserveResult,
  StateStore,
} from '../core/state-store.ts';

/**
 * The state store of a worker thread (`server.workers` > 1 without Redis): every call goes over a
 * MessagePort to the one MemoryStateStore the main thread owns, so limits stay exact across workers
 * (one owner answers every reserve, in order). Calls are forwarded by method name; the calls issued
 * in one event-loop turn travel as one message, and their replies come back as one message.
 * docs/decisions/0027-workers.md.
 */

/**
 * The StateStore methods forwarded as they are. A method added to StateStore fails to compile here
 * until it is listed (one line); subscribe and close are the client's own.
 */
export const forwardedMethods = {
  reserve: true,
  admit: true,
  adjustRate: true,
  release: true,
  settle: true,
  incrementWindow: true,
  addToWindow: true,
  readWindow: true,
  get: true,
  getMany: true,
  set: true,
  compareAndSet: true,
  delete: true,
  scan: true,
  publish: true,
} as const satisfies Record<Exclude<keyof StateStore, 'subscribe' | 'close'>, true>;

type ForwardedMethod = keyof typeof forwardedMethods;
/** Remote-only calls: the client's channel subscriptions. */
type ControlMethod = '$subscribe' | '$unsubscribe';

/** One call: [id, method, arguments]. */
type Call = readonly [number, ForwardedMethod | ControlMethod, readonly unknown[]];
/** One reply: [id, ok, value or error message]. */
type Reply = readonly [number, boolean, unknown];

type ToOwner = { readonly kind: 'calls'; readonly calls: readonly Call[] };
type ToClient =
  | { readonly kind: 'replies'; readonly replies: readonly Reply[] }
  | { readonly kind: 'message'; readonly channel: string; readonly message: string };

/** Batches values pushed in one event-loop turn and sends them once, at the turn's end. */
function batcher<T>(send: (items: T[]) => void): (item: T) => void {
  let pending: T[] = [];
  return (item) => {
    pending.push(item);
    if (pending.length > 1) return;
    setImmediate(() => {
      const items = pending;
      pending = [];
      send(items);
    });
  };
}

/** The worker's side: a StateStore whose every call is answered by the owner across `port`. */
export function createPortStateStore(
  port: MessagePort,
  onSubscriberError: (error: unknown, channel: string) => void = () => undefined,
): StateStore {
  let nextId = 1;
  let closed = false;
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const handlers = new Map<string, Set<(message: string) => void>>();
  const send = batcher<Call>((calls) => {
    port.postMessage({ kind: 'calls', calls } satisfies ToOwner);
  });
  const call = (method: Call[1], args: readonly unknown[]): Promise<unknown> => {
    if (closed) return Promise.reject(new Error('state store closed'));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      send([id, method, args]);
    });
  };
  port.on('message', (message: ToClient) => {
    if (message.kind === 'message') {
      // A subscriber that throws does not keep the message from the others.
      for (const handler of handlers.get(message.channel) ?? []) {
        try {
          handler(message.message);
        } catch (error) {
          onSubscriberError(error, message.channel);
        }
      }
      return;
    }
    for (const [id, ok, value] of message.replies) {
      const entry = waiting.get(id);
      waiting.delete(id);
      if (ok) entry?.resolve(value);
      else entry?.reject(new Error(String(value)));
    }
  });
  const store: Record<string, unknown> = {};
  for (const method of Object.keys(forwardedMethods) as ForwardedMethod[]) {
    store[method] = (...args: unknown[]) => call(method, args);
  }
  const subscribe: StateStore['subscribe'] = async (channel, handler) => {
    let set = handlers.get(channel);
    if (set === undefined) {
      set = new Set();
      handlers.set(channel, set);
      await call('$subscribe', [channel]);
    }
    set.add(handler);
    return async () => {
      const current = handlers.get(channel);
      if (current?.delete(handler) !== true || current.size > 0) return;
      handlers.delete(channel);
      if (!closed) await call('$unsubscribe', [channel]);
    };
  };
  const close: StateStore['close'] = () => {
    if (closed) return Promise.resolve();
    closed = true;
    for (const entry of waiting.values()) entry.reject(new Error('state store closed'));
    waiting.clear();
    port.close();
    return Promise.resolve();
  };
  return Object.assign(store, { subscribe, close }) as unknown as StateStore;
}

/**
 * The concurrency leases one worker holds: granted by its reserve/admit calls, given back by its
 * release/settle calls. When the worker dies with requests in flight, these are what it never gave
 * back; the owner releases them then, instead of leaving the slots taken until each lease's TTL
 * (the group's timeout: minutes for a streaming group).
 */
class HeldLeases {
  /** leaseId → the concurrency keys it holds. */
  private readonly held = new Map<string, Set<string>>();

  /** Notes what a call did to the worker's leases (`value` is its answer). */
  note(method: string, args: readonly unknown[], value: unknown): void {
    if (method === 'admit') {
      const request = args[0] as AdmitRequest;
      const result = value as AdmitResult;
      if (!result.reservation.granted) return;
      this.hold(request.reserve);
      if (request.also !== undefined && result.also?.granted === true) this.hold(request.also);
    } else if (method === 'reserve') {
      if ((value as ReserveResult).granted) this.hold(args[0] as ReserveRequest);
    } else if (method === 'release' || method === 'settle') {
      const keys = args[method === 'release' ? 0 : 1] as readonly string[];
      const leaseId = args[method === 'release' ? 1 : 2] as string;
      const held = this.held.get(leaseId);
      if (held === undefined) return;
      for (const key of keys) held.delete(key);
      if (held.size === 0) this.held.delete(leaseId);
    }
  }

  private hold(request: ReserveRequest): void {
    if (request.concurrency.length === 0) return;
    let held = this.held.get(request.leaseId);
    if (held === undefined) {
      held = new Set();
      this.held.set(request.leaseId, held);
    }
    for (const limit of request.concurrency) held.add(limit.key);
  }

  /** Every lease still held, emptied. */
  take(): [leaseId: string, keys: string[]][] {
    const all = [...this.held].map(([leaseId, keys]): [string, string[]] => [leaseId, [...keys]]);
    this.held.clear();
    return all;
  }
}

/**
 * The owner's side: answers one worker's calls on `port` from `store` (the main thread's
 * MemoryStateStore) and relays the channels it subscribed to. close() drops its subscriptions and
 * releases the concurrency leases the worker still holds (it is gone: nothing will release them).
 */
export function serveStateStore(
  port: MessagePort,
  store: StateStore,
  onError: (error: unknown) => void,
): { close(): Promise<void> } {
  const subscriptions = new Map<string, () => Promise<void>>();
  const leases = new HeldLeases();
  let closed = false;
  const releaseHeld = async (): Promise<void> => {
    await Promise.all(leases.take().map(([leaseId, keys]) => store.release(keys, leaseId)));
  };
  const reply = batcher<Reply>((replies) => {
    port.postMessage({ kind: 'replies', replies } satisfies ToClient);
  });
  const run = async (method: Call[1], args: readonly unknown[]): Promise<unknown> => {
    const channel = String(args[0]);
    if (method === '$subscribe') {
      if (!subscriptions.has(channel)) {
        const unsubscribe = await store.subscribe(channel, (message) => {
          port.postMessage({ kind: 'message', channel, message } satisfies ToClient);
        });
        subscriptions.set(channel, unsubscribe);
      }
      return undefined;
    }
    if (method === '$unsubscribe') {
      const unsubscribe = subscriptions.get(channel);
      subscriptions.delete(channel);
      await unsubscribe?.();
      return undefined;
    }
    if (!Object.hasOwn(forwardedMethods, method)) throw new Error(`unknown state store method ${method}`);
    const target = store as unknown as Record<ForwardedMethod, (...values: unknown[]) => Promise<unknown>>;
    return target[method](...args);
  };
  port.on('message', (message: ToOwner) => {
    for (const [id, method, args] of message.calls) {
      run(method, args).then(
        (value) => {
          leases.note(method, args, value);
          // A reservation that completes after the worker is gone is given back at once.
          if (closed) void releaseHeld().catch(onError);
          else reply([id, true, value]);
        },
        (error: unknown) => {
          onError(error);
          reply([id, false, error instanceof Error ? error.message : String(error)]);
        },
      );
    }
  });
  return {
    async close() {
      closed = true;
      const all = [...subscriptions.values()];
      subscriptions.clear();
      await Promise.all([...all.map((unsubscribe) => unsubscribe()), releaseHeld()]);
      port.close();
    },
  };
}
