import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isProcessRunning } from './spend-journal.ts';
import { SpendSpool } from './spend-spool.ts';

const workerDirectory = /^worker-(\d+)$/;
const journalSegment = /^journal-(\d+)-[0-9a-f]+-\d+\.jsonl$/;

/** The spool directory of worker `index` of a multi-worker process: worker 0 uses `directory` itself. */
export function workerSpoolDirectory(directory: string, index: number): string {
  return index === 0 ? directory : join(directory, `worker-${index}`);
}

/**
 * Hands the spend files left in `worker-N/` by a run with more workers than `workers` (its spool,
 * claimed files and the journal segments of processes that no longer run, or of an earlier process
 * with this pid) to the spool of `directory`, whose recorder replays them at start: a run with fewer
 * workers loses none. Returns how many files were taken over.
 */
export async function adoptWorkerSpools(directory: string, workers: number): Promise<number> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  const spool = new SpendSpool(directory);
  let adopted = 0;
  for (const name of names) {
    const index = Number(workerDirectory.exec(name)?.[1] ?? Number.NaN);
    if (!Number.isInteger(index) || index < workers) continue;
    const files = await readdir(join(directory, name)).catch(() => []);
    for (const file of files) {
      const pid = Number(journalSegment.exec(file)?.[1] ?? Number.NaN);
      const spooled = file === 'spend.jsonl' || file.endsWith('.replaying');
      const orphanSegment = Number.isInteger(pid) && (pid === process.pid || !isProcessRunning(pid));
      if (!spooled && !orphanSegment) continue;
      await spool.adopt(join(directory, name, file));
      adopted += 1;
    }
  }
  return adopted;
}
