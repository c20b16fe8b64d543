import { randomUUID } from 'node:crypto';
import type { StateStore } from '../../core/state-store.ts';
import type { VectorAnnouncer } from './semantic-locator.ts';
import type { IndexEntry, VectorIndex } from './vector-index.ts';

/** The channel on which replicas announce the semantic entries they keep. */
export const vectorChannel = 'cache:vectors';

interface Announcement {
  /** The announcing replica (its own announcements come back to it and are skipped). */
  readonly from: string;
  readonly group: string;
  readonly shape: string;
  readonly key: string;
  /** base64 of the Float32Array's bytes; absent for an exact-shape entry. */
  readonly vector?: string | undefined;
  readonly textHash?: string | undefined;
  readonly expiresAt: number;
}

function decode(message: string): Announcement | undefined {
  try {
    const value = JSON.parse(message) as Partial<Announcement> | null;
    if (
      typeof value?.from !== 'string' ||
      typeof value.group !== 'string' ||
      typeof value.shape !== 'string' ||
      typeof value.key !== 'string' ||
      typeof value.expiresAt !== 'number' ||
      (value.vector !== undefined && typeof value.vector !== 'string') ||
      (value.textHash !== undefined && typeof value.textHash !== 'string')
    ) {
      return undefined;
    }
    return value as Announcement;
  } catch {
    return undefined;
  }
}

function vectorOf(base64: string): Float32Array | undefined {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0 || bytes.length % 4 !== 0) return undefined;
  // Copied into its own buffer: a Float32Array needs 4-byte alignment.
  return new Float32Array(new Uint8Array(bytes).buffer);
}

/**
 * The semantic cache across replicas (decision 0023): each replica keeps its own index, and announces
 * every entry it keeps on the state store's pub/sub (Redis); the others add it to theirs. The answers
 * themselves are in the shared answer store. A replica therefore knows the entries kept since it
 * subscribed; one that starts later, or misses an announcement while Redis is away, misses those
 * (their TTL ends them anyway). Failures are misses, never errors.
 */
export class SharedVectors {
  private readonly state: StateStore;
  private readonly self = randomUUID();
  private readonly indexes = new Map<string, VectorIndex>();
  private subscribed: Promise<unknown> | undefined;

  constructor(state: StateStore) {
    this.state = state;
  }

  /** Routes announcements for `group` into `index` (replacing the previous one of the group), and subscribes once. */
  attach(group: string, index: VectorIndex): VectorAnnouncer {
    this.indexes.set(group, index);
    this.subscribed ??= this.state
      .subscribe(vectorChannel, (message) => {
        this.receive(message);
      })
      .catch(() => undefined);
    return {
      announce: (shape, entry) => {
        this.announce(group, shape, entry);
      },
    };
  }

  /** Resolves once the subscription is in place (or has failed). */
  ready(): Promise<unknown> {
    return this.subscribed ?? Promise.resolve();
  }

  private receive(message: string): void {
    const announcement = decode(message);
    if (announcement === undefined || announcement.from === this.self) return;
    const index = this.indexes.get(announcement.group);
    if (index === undefined) return;
    const vector = announcement.vector === undefined ? undefined : vectorOf(announcement.vector);
    if (announcement.vector !== undefined && vector === undefined) return;
    index.add(announcement.shape, {
      key: announcement.key,
      vector,
      textHash: announcement.textHash,
      expiresAt: announcement.expiresAt,
    });
  }

  private announce(group: string, shape: string, entry: IndexEntry): void {
    const announcement: Announcement = {
      from: this.self,
      group,
      shape,
      key: entry.key,
      vector:
        entry.vector === undefined
          ? undefined
          : Buffer.from(entry.vector.buffer, entry.vector.byteOffset, entry.vector.byteLength).toString(
              'base64',
            ),
      textHash: entry.textHash,
      expiresAt: entry.expiresAt,
    };
    this.state.publish(vectorChannel, JSON.stringify(announcement)).catch(() => undefined);
  }
}
