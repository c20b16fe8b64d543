import type { ChatResponse } from '../../core/chat-response.ts';
import type { Clock } from '../../core/clock.ts';
import type { StateStore } from '../../core/state-store.ts';

/** A cached answer: the answer itself and what it cost when a deployment made it. */
export interface CachedAnswer {
  readonly response: ChatResponse;
  /** USD at the serving deployment's prices; undefined when it had none. */
  readonly costUsd: number | undefined;
  /** Epoch ms when it was stored. */
  readonly storedAt: number;
}

/**
 * Where answers are kept. `get` and `set` never throw: a backend that fails is a miss (get) or an
 * answer not kept (set), never an error for the request.
 */
export interface AnswerStore {
  get(key: string): Promise<CachedAnswer | undefined>;
  /** Keeps `text` (the answer serialised by `serializeAnswer`) for `ttlMs`. */
  set(key: string, text: string, ttlMs: number): Promise<void>;
}

export function serializeAnswer(answer: CachedAnswer): string {
  return JSON.stringify(answer);
}

/** Parses what `serializeAnswer` wrote; anything else (a foreign or corrupt value) is a miss. */
export function parseAnswer(text: string): CachedAnswer | undefined {
  try {
    const value = JSON.parse(text) as { response?: unknown; costUsd?: unknown; storedAt?: unknown } | null;
    const response = value?.response as ChatResponse | null | undefined;
    if (
      typeof value?.storedAt !== 'number' ||
      typeof response !== 'object' ||
      response === null ||
      typeof response.id !== 'string' ||
      !Array.isArray(response.content) ||
      typeof response.stopReason !== 'string' ||
      typeof response.usage !== 'object'
    ) {
      return undefined;
    }
    return {
      response,
      costUsd: typeof value.costUsd === 'number' ? value.costUsd : undefined,
      storedAt: value.storedAt,
    };
  } catch {
    return undefined;
  }
}

interface MemoryEntry {
  readonly text: string;
  readonly bytes: number;
  readonly expiresAt: number;
}

/**
 * Answers in this process's memory, at most `maxBytes` of serialised answers (UTF-16 code units × 2,
 * what the strings occupy): the least recently used leave first, expired ones when met.
 */
export class MemoryAnswerStore implements AnswerStore {
  private readonly entries = new Map<string, MemoryEntry>();
  private bytes = 0;
  private readonly maxBytes: number;
  private readonly clock: Clock;

  constructor(options: { maxBytes: number; clock: Clock }) {
    this.maxBytes = options.maxBytes;
    this.clock = options.clock;
  }

  /** Bytes held now (for tests and the dashboard). */
  get size(): { readonly entries: number; readonly bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  get(key: string): Promise<CachedAnswer | undefined> {
    const entry = this.entries.get(key);
    if (entry === undefined) return Promise.resolve(undefined);
    this.entries.delete(key);
    if (entry.expiresAt <= this.clock.now()) {
      this.bytes -= entry.bytes;
      return Promise.resolve(undefined);
    }
    // Map order is insertion order: re-inserting makes it the most recently used.
    this.entries.set(key, entry);
    return Promise.resolve(parseAnswer(entry.text));
  }

  set(key: string, text: string, ttlMs: number): Promise<void> {
    const bytes = text.length * 2;
    const previous = this.entries.get(key);
    if (previous !== undefined) {
      this.entries.delete(key);
      this.bytes -= previous.bytes;
    }
    if (bytes > this.maxBytes) return Promise.resolve();
    this.entries.set(key, { text, bytes, expiresAt: this.clock.now() + ttlMs });
    this.bytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.bytes;
    }
    return Promise.resolve();
  }
}

/**
 * Answers in the shared state store (Redis when `state.redis_url` is set), so replicas share hits.
 * Redis bounds the total (its maxmemory and the TTLs); the cache bounds each entry. A store that
 * fails or is away is a miss.
 */
export class SharedAnswerStore implements AnswerStore {
  private readonly state: StateStore;
  private readonly prefix: string;

  constructor(state: StateStore, prefix = 'cache:') {
    this.state = state;
    this.prefix = prefix;
  }

  async get(key: string): Promise<CachedAnswer | undefined> {
    try {
      const text = await this.state.get(this.prefix + key);
      return text === undefined ? undefined : parseAnswer(text);
    } catch {
      return undefined;
    }
  }

  async set(key: string, text: string, ttlMs: number): Promise<void> {
    try {
      await this.state.set(this.prefix + key, text, ttlMs);
    } catch {
      // not kept: the next identical request is a miss
    }
  }
}
