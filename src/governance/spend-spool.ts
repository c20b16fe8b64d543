import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { SpendRecord } from '../persistence/repositories.ts';

// Files spooled before records had their own id (schema 1) are keyed by the request id then.
const spendRecordSchema = z.object({
  id: z.string().optional(),
  requestId: z.string(),
  time: z.number(),
  tenant: z.string(),
  keyId: z.string(),
  requestedGroup: z.string(),
  servedGroup: z.string(),
  deployment: z.string(),
  provider: z.string(),
  providerType: z.string(),
  region: z.string(),
  account: z.string(),
  model: z.string(),
  dialect: z.string(),
  endpoint: z.string(),
  stream: z.boolean(),
  status: z.number(),
  errorCode: z.string().optional(),
  attempts: z.number(),
  fallbacks: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
  cacheReadTokens: z.number(),
  cacheWriteTokens: z.number(),
  costUsd: z.number().optional(),
  latencyMs: z.number(),
  firstTokenMs: z.number().optional(),
  overheadMs: z.number(),
  usageEstimated: z.boolean().default(false),
  answeredBy: z.string().optional(),
  savedUsd: z.number().optional(),
  route: z.string().optional(),
});

const liveFileName = 'spend.jsonl';
const claimedSuffix = '.replaying';

/** A unique claimed-file name; claimed files replay in name (time) order. */
function claimedName(): string {
  return `spend-${Date.now().toString().padStart(15, '0')}-${randomBytes(4).toString('hex')}${claimedSuffix}`;
}

/** What reading a claimed spool file found. */
export interface SpoolContents {
  readonly records: SpendRecord[];
  /** Lines that did not parse (a torn last line after a crash); reported, not retried. */
  readonly corruptLines: number;
}

/**
 * Spend records that could not reach the database, on local disk as JSON lines. Appends go to
 * `spend.jsonl`; a replay first claims it by renaming it to a unique `*.replaying` file (atomic), so
 * appends during a replay start a new file and nothing is read twice or missed. Claimed files left
 * by a crash are picked up by the next claim.
 */
export class SpendSpool {
  /** Directory holding the spool files. */
  readonly directory: string;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(directory: string) {
    this.directory = directory;
  }

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Appends records (in order) to the live file. */
  append(records: readonly SpendRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const text = records.map((record) => JSON.stringify(record)).join('\n') + '\n';
    return this.serialize(async () => {
      await mkdir(this.directory, { recursive: true });
      await appendFile(join(this.directory, liveFileName), text, { encoding: 'utf8', mode: 0o600 });
    });
  }

  /** Claims everything spooled so far; returns claimed file paths, oldest first. */
  claim(): Promise<string[]> {
    return this.serialize(async () => {
      let names: string[];
      try {
        names = await readdir(this.directory);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      if (names.includes(liveFileName)) {
        const claimed = claimedName();
        await rename(join(this.directory, liveFileName), join(this.directory, claimed));
        names.push(claimed);
      }
      return names
        .filter((name) => name.endsWith(claimedSuffix))
        .sort()
        .map((name) => join(this.directory, name));
    });
  }

  /**
   * Takes over a file of records written elsewhere (a dead process's journal segment): it becomes a
   * claimed file, replayed and removed by the next `claim`. A file another process took first is skipped.
   */
  adopt(file: string): Promise<void> {
    return this.serialize(async () => {
      await mkdir(this.directory, { recursive: true });
      try {
        await rename(file, join(this.directory, claimedName()));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    });
  }

  /** Whether anything is spooled (live or claimed files). */
  async isEmpty(): Promise<boolean> {
    try {
      const names = await readdir(this.directory);
      return !names.some((name) => name === liveFileName || name.endsWith(claimedSuffix));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
      throw error;
    }
  }

  /** The records of a claimed file (empty if another process already replayed and removed it). */
  async read(file: string): Promise<SpoolContents> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], corruptLines: 0 };
      throw error;
    }
    const records: SpendRecord[] = [];
    let corruptLines = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const { id, ...record } = spendRecordSchema.parse(JSON.parse(line));
        records.push({ ...record, id: id ?? record.requestId });
      } catch {
        corruptLines += 1;
      }
    }
    return { records, corruptLines };
  }

  /** Deletes a claimed file once its records are stored. */
  async remove(file: string): Promise<void> {
    await rm(file, { force: true });
  }
}
