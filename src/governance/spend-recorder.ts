import type { Clock } from '../core/clock.ts';
import { systemClock } from '../core/clock.ts';
import type { EventSink, GatewayEvent } from '../core/gateway-events.ts';
import type { SpendRecord, SpendRepository } from '../persistence/repositories.ts';
import { SpendJournal } from './spend-journal.ts';
import { spendRecordFromEvent } from './spend-record-from-event.ts';
import { SpendSpool } from './spend-spool.ts';

export interface SpendRecorderOptions {
  readonly spend: SpendRepository;
  /** Where records that cannot reach the database wait (default `.spillway/spool`). */
  readonly spoolDirectory?: string;
  readonly clock?: Clock;
  /** Records per insert, and the queue length that triggers an early flush (default 500). */
  readonly batchSize?: number;
  /** Time between flushes while healthy (default 250 ms). */
  readonly flushIntervalMs?: number;
  /** Records held in memory before the oldest go to the spool file (default 50 000). */
  readonly maxBufferedRecords?: number;
  /** Longest wait between retries while the database is down (default 10 000 ms). */
  readonly maxBackoffMs?: number;
  /**
   * Whether each record is also written to a local journal until the database has it, so that a
   * killed process loses none (default true; see docs/decisions/0008-spend-journal.md).
   */
  readonly journal?: boolean;
  /** Whether the process that wrote a journal segment still runs (tests; default: a signal-0 probe). */
  readonly isProcessRunning?: (pid: number) => boolean;
  /** Told about database and disk failures (log them); never throws back. */
  readonly onError?: (error: unknown, context: string) => void;
}

/** Counters for health checks and metrics. */
export interface SpendRecorderStats {
  /** Records in memory waiting for the database. */
  readonly buffered: number;
  /** Records written to the database by this recorder (new ones; replays of stored ids not counted). */
  readonly stored: number;
  /** Records moved to the spool file because memory was full or the recorder closed. */
  readonly spooled: number;
  /** Failed flush attempts in a row (0: healthy). */
  readonly consecutiveFailures: number;
}

/** Why the flush loop's wait was cut short (the sleep's rejection, which the loop ignores). */
const batchFull = new Error('a spend batch is full');
const closing = new Error('the spend recorder is closing');

/**
 * Turns `request-finished` events into spend records and stores them in batches, off the hot path.
 * emit() only queues. While the database is down, records wait in memory (bounded; the oldest
 * overflow to a JSONL spool file) and flushes retry with exponential backoff; on recovery the spool
 * is replayed first, then memory. Inserts are idempotent on the record id, so a replay after a
 * partial failure stores each record exactly once. close() flushes until its deadline and spools
 * the rest, which the next start replays. Every record is also in a local journal (SpendJournal)
 * from before its response ends until the database has it; the journals of a killed process are
 * replayed through the spool at the next start.
 */
export class SpendRecorder implements EventSink {
  private readonly spend: SpendRepository;
  private readonly spool: SpendSpool;
  private readonly journal: SpendJournal | undefined;
  /** Spool writes that failed (their records went back to memory only). */
  private spoolFailures = 0;
  private readonly clock: Clock;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly maxBuffered: number;
  private readonly maxBackoffMs: number;
  private readonly onError: (error: unknown, context: string) => void;
  private queue: SpendRecord[] = [];
  /** Records at the queue's front being inserted right now (never spilled). */
  private inFlight = 0;
  private stored = 0;
  private spooled = 0;
  private failures = 0;
  private closed = false;
  private running: Promise<void> | undefined;
  private wake: AbortController = new AbortController();
  private drainChain: Promise<unknown> = Promise.resolve();
  private spoolWrites: Promise<unknown> = Promise.resolve();

  constructor(options: SpendRecorderOptions) {
    this.spend = options.spend;
    this.spool = new SpendSpool(options.spoolDirectory ?? '.spillway/spool');
    this.clock = options.clock ?? systemClock;
    this.batchSize = options.batchSize ?? 500;
    this.flushIntervalMs = options.flushIntervalMs ?? 250;
    this.maxBuffered = options.maxBufferedRecords ?? 50_000;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.onError = options.onError ?? (() => undefined);
    this.journal =
      options.journal === false
        ? undefined
        : new SpendJournal({
            directory: this.spool.directory,
            onError: this.onError,
            ...(options.isProcessRunning === undefined ? {} : { isProcessRunning: options.isProcessRunning }),
          });
  }

  /** Starts the flush loop; its first pass replays what a previous run left in the spool. */
  start(): void {
    this.running ??= this.loop();
  }

  emit(event: GatewayEvent): void {
    if (event.type !== 'request-finished') return;
    const record = spendRecordFromEvent(event);
    if (this.closed) {
      this.writeSpool([record]);
      return;
    }
    this.queue.push(record);
    this.journal?.append(record);
    if (this.queue.length >= this.maxBuffered) this.spill();
    // Once: until the loop takes the batch, every emit finds it full, and abort() with no reason
    // builds a DOMException (with its stack) on each call, aborted or not.
    if (this.queue.length >= this.batchSize && this.failures === 0 && !this.wake.signal.aborted)
      this.wake.abort(batchFull);
  }

  /**
   * Runs `release` (a response's end) once the records emitted so far are in the journal, and
   * returns true; returns false when no record waits to be written (or there is no journal), and
   * the caller ends the response itself. Decision 0033.
   */
  holdResponse(release: () => void): boolean {
    return this.journal?.holdUntilWritten(release) ?? false;
  }

  stats(): SpendRecorderStats {
    return {
      buffered: this.queue.length,
      stored: this.stored,
      spooled: this.spooled,
      consecutiveFailures: this.failures,
    };
  }

  /** Stores everything spooled and buffered now; rejects if the database fails (records are kept). */
  flush(): Promise<void> {
    const next = this.drainChain.then(() => this.drain());
    this.drainChain = next.catch(() => undefined);
    return next;
  }

  /**
   * Stops the loop, flushes for at most `deadlineMs`, then writes whatever is left (and anything
   * emitted later) to the spool file for the next start. Resolves once the spool is on disk.
   */
  async close(deadlineMs = 5000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake.abort(closing);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => {
        resolve('deadline');
      }, deadlineMs);
    });
    try {
      await Promise.race([this.flush(), deadline]);
    } catch (error) {
      this.onError(error, 'final spend flush failed; spooling the rest');
    } finally {
      clearTimeout(timer);
    }
    // Records still in memory (including a batch whose insert is still pending: replays are idempotent).
    const rest = this.queue;
    this.queue = [];
    this.inFlight = 0;
    const failuresBefore = this.spoolFailures;
    this.writeSpool(rest);
    await this.spoolWrites;
    // Everything is stored or spooled now, unless the disk failed: then the journal stays for the next start.
    this.journal?.close(this.spoolFailures === failuresBefore);
  }

  private async loop(): Promise<void> {
    await this.adoptOrphanJournals();
    while (!this.closed) {
      // A fresh signal per pass: emit() (a full batch) and close() cut the wait short.
      this.wake = new AbortController();
      const signal = this.wake.signal;
      let delay = this.flushIntervalMs;
      try {
        await this.flush();
        this.failures = 0;
      } catch (error) {
        this.failures += 1;
        delay = Math.min(this.maxBackoffMs, this.flushIntervalMs * 2 ** this.failures);
        this.onError(error, `spend flush failed (${this.failures} in a row); retrying in ${delay} ms`);
      }
      await this.clock.sleep(delay, signal).catch(() => undefined);
    }
  }

  /** Hands the journals of processes that died before storing their records to the spool replay. */
  private async adoptOrphanJournals(): Promise<void> {
    if (this.journal === undefined) return;
    try {
      for (const file of this.journal.orphans()) await this.spool.adopt(file);
    } catch (error) {
      this.onError(error, 'spend journal replay');
    }
  }

  private async drain(): Promise<void> {
    // Records appended so far are in segments below `boundary`: removable once this drain succeeds.
    const boundary = this.journal?.rotate();
    const failuresBefore = this.spoolFailures;
    await this.drainStores();
    // A spill's spool write may still be on its way to disk: the journal keeps its records until then.
    await this.spoolWrites;
    if (boundary !== undefined && this.spoolFailures === failuresBefore) this.journal?.removeBefore(boundary);
  }

  private async drainStores(): Promise<void> {
    if (!(await this.spool.isEmpty())) {
      for (const file of await this.spool.claim()) {
        const contents = await this.spool.read(file);
        if (contents.corruptLines > 0) {
          this.onError(
            new Error(`${contents.corruptLines} unreadable lines in ${file}`),
            'spend spool replay',
          );
        }
        for (let start = 0; start < contents.records.length; start += this.batchSize) {
          this.stored += await this.spend.insertMany(contents.records.slice(start, start + this.batchSize));
        }
        await this.spool.remove(file);
      }
    }
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.batchSize);
      this.inFlight = batch.length;
      try {
        this.stored += await this.spend.insertMany(batch);
      } finally {
        this.inFlight = 0;
      }
      // close() may have taken the queue while the insert ran; it spooled the batch then.
      if (this.queue[0] === batch[0]) this.queue.splice(0, batch.length);
    }
  }

  /** Moves the oldest records (behind any batch in flight) to the spool, keeping half the buffer. */
  private spill(): void {
    const keep = Math.floor(this.maxBuffered / 2);
    const count = this.queue.length - this.inFlight - keep;
    if (count <= 0) return;
    this.writeSpool(this.queue.splice(this.inFlight, count));
  }

  private writeSpool(records: SpendRecord[]): void {
    if (records.length === 0) return;
    const write = this.spool.append(records).then(
      () => {
        this.spooled += records.length;
      },
      (error: unknown) => {
        // The disk failed too: keep the records in memory rather than lose them.
        this.spoolFailures += 1;
        this.onError(error, 'spend spool write failed; keeping records in memory');
        if (this.closed) throw error;
        this.queue.splice(this.inFlight, 0, ...records);
      },
    );
    this.spoolWrites = Promise.all([this.spoolWrites, write]).catch((error: unknown) => {
      this.onError(error, 'spend records could not be stored or spooled');
    });
  }
}
