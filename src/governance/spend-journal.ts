import { randomBytes } from 'node:crypto';
import { close, fdatasync, mkdirSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { SpendRecord } from '../persistence/repositories.ts';

const journalPattern = /^journal-(\d+)-([0-9a-f]+)-(\d+)\.jsonl$/;

/**
 * Records written together at most (about 37 KB): under load a turn finishes ~30 requests (64
 * connections, measured), so this bounds how long a burst holds a response's end, not the usual write.
 */
export const maxRecordsPerWrite = 64;

/** Owners (`pid-token`) of the journals open in this process: their segments are never orphans. */
const liveOwners = new Set<string>();

/** Whether a process with this pid is running (EPERM: running, as another user). */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface SpendJournalOptions {
  /** The spool directory: segments are `journal-<pid>-<token>-<n>.jsonl` in it. */
  readonly directory: string;
  /** Told about disk failures (the records stay in memory; only the crash guarantee is lost). */
  readonly onError: (error: unknown, context: string) => void;
  /** Whether the process that wrote a segment still runs (default: a signal-0 probe). */
  readonly isProcessRunning?: (pid: number) => boolean;
}

/**
 * A write-ahead copy of the spend records this process has not yet stored, so that a process killed
 * outright (SIGKILL, OOM, crash) loses none. `append` queues a record; the records queued in one
 * event-loop turn are written with one synchronous `write` when the turn's I/O callbacks are done
 * (`setImmediate`; at once when {@link maxRecordsPerWrite} are pending), and a response that ends
 * meanwhile is held until then (`holdUntilWritten`), so a
 * record is in the kernel before the response of its request ends (decision 0033). The recorder
 * `rotate`s before each flush and `removeBefore` the rotation once the flush stored everything; a
 * rotated segment is fdatasync'ed (off the request path) before its descriptor closes. At start,
 * segments whose process no longer runs are handed to the spool's replay (`orphans`). Each process
 * writes its own segments.
 */
export class SpendJournal {
  private readonly directory: string;
  private readonly onError: (error: unknown, context: string) => void;
  private readonly isRunning: (pid: number) => boolean;
  private readonly owner = `${process.pid}-${randomBytes(4).toString('hex')}`;
  private segment = 0;
  /** Numbers of this process's segments on disk, oldest first. */
  private readonly segments: number[] = [];
  private fd: number | undefined;
  private pending: string[] = [];
  /** What waits for the pending records to be written: the ends of responses (`holdUntilWritten`). */
  private waiting: (() => void)[] = [];
  private scheduled = false;
  private failing = false;
  private closed = false;
  private readonly writePending = (): void => {
    this.scheduled = false;
    this.write();
  };

  constructor(options: SpendJournalOptions) {
    this.directory = options.directory;
    this.onError = options.onError;
    this.isRunning = options.isProcessRunning ?? isProcessRunning;
    liveOwners.add(this.owner);
  }

  /**
   * Queues a record. It is written with the others of this event-loop turn once the turn's I/O
   * callbacks have run: one `write` per turn rather than one per request, which was the gateway's
   * only syscall per request beyond a proxy's (decision 0033).
   */
  append(record: SpendRecord): void {
    if (this.closed) return;
    this.pending.push(JSON.stringify(record));
    // A turn with very many callbacks (a burst of answers arriving together) would hold its first
    // ends until its last: past this many records the write, and the release, happen now.
    if (this.pending.length >= maxRecordsPerWrite) {
      this.write();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.writePending);
    }
  }

  /**
   * Runs `release` once the records queued so far are written (or their write failed, which is
   * reported), and returns true; returns false, and does not call it, when nothing is pending. The
   * edge passes a response's `end` here: the client cannot have an answer whose record a kill
   * could still lose.
   */
  holdUntilWritten(release: () => void): boolean {
    if (this.pending.length === 0) return false;
    this.waiting.push(release);
    return true;
  }

  /**
   * Writes what is queued and closes the current segment; returns the boundary to pass to
   * `removeBefore` once every record appended so far is stored (or spooled).
   */
  rotate(): number {
    this.write();
    const fd = this.fd;
    if (fd !== undefined) {
      this.fd = undefined;
      // Durable against power loss too, without blocking: the descriptor closes after the sync.
      fdatasync(fd, () => {
        close(fd, () => undefined);
      });
    }
    this.segment += 1;
    return this.segment;
  }

  /** Deletes this process's segments numbered below `boundary` (their records are stored). */
  removeBefore(boundary: number): void {
    while (this.segments[0] !== undefined && this.segments[0] < boundary) {
      this.remove(this.segmentName(this.segments[0]));
      this.segments.shift();
    }
  }

  /**
   * Paths of segments left by processes that no longer run (to replay, then delete). A segment with
   * this process's pid but no open journal of this process behind it is a previous incarnation's:
   * in a container the gateway is pid 1 at every start.
   */
  orphans(): string[] {
    return this.names()
      .filter((name) => {
        const match = journalPattern.exec(name);
        const owner = `${match?.[1]}-${match?.[2]}`;
        if (match === null || owner === this.owner) return false;
        const pid = Number(match[1]);
        return (pid === process.pid && !liveOwners.has(owner)) || !this.isRunning(pid);
      })
      .sort()
      .map((name) => join(this.directory, name));
  }

  /** Stops journaling; with `removeAll`, deletes this process's segments (everything is stored or spooled). */
  close(removeAll: boolean): void {
    const boundary = this.rotate();
    this.closed = true;
    liveOwners.delete(this.owner);
    if (removeAll) this.removeBefore(boundary);
  }

  private write(): void {
    if (this.pending.length === 0) return;
    const text = `${this.pending.join('\n')}\n`;
    this.pending = [];
    try {
      this.writeText(text);
    } finally {
      this.releaseWaiting();
    }
  }

  private releaseWaiting(): void {
    if (this.waiting.length === 0) return;
    const waiting = this.waiting;
    this.waiting = [];
    for (const release of waiting) {
      try {
        release();
      } catch (error) {
        this.onError(error, 'releasing a response held for the spend journal');
      }
    }
  }

  private writeText(text: string): void {
    try {
      if (this.fd === undefined) {
        mkdirSync(this.directory, { recursive: true });
        this.fd = openSync(join(this.directory, this.segmentName(this.segment)), 'a', 0o600);
        this.segments.push(this.segment);
      }
      const bytes = Buffer.from(text, 'utf8');
      let offset = 0;
      while (offset < bytes.length) offset += writeSync(this.fd, bytes, offset);
      this.failing = false;
    } catch (error) {
      // Reported once per failing spell; the records are still in the recorder's memory.
      if (!this.failing) this.onError(error, 'spend journal write failed; records kept in memory only');
      this.failing = true;
    }
  }

  private segmentName(segment: number): string {
    return `journal-${this.owner}-${String(segment).padStart(9, '0')}.jsonl`;
  }

  private names(): string[] {
    try {
      return readdirSync(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.onError(error, 'spend journal listing');
      return [];
    }
  }

  private remove(name: string): void {
    try {
      rmSync(join(this.directory, name), { force: true });
    } catch (error) {
      this.onError(error, 'spend journal cleanup');
    }
  }
}
