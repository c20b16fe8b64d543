import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { adoptWorkerSpools, workerSpoolDirectory } from './worker-spools.ts';

let directory: string | undefined;
afterEach(async () => {
  if (directory !== undefined) await rm(directory, { recursive: true, force: true });
});

it('hands the spool and dead journals of workers beyond the count to worker 0, and leaves the others', async () => {
  directory = await mkdtemp(join(tmpdir(), 'spillway-worker-spools-'));
  const write = async (index: number, file: string) => {
    await mkdir(workerSpoolDirectory(directory ?? '', index), { recursive: true });
    await writeFile(join(workerSpoolDirectory(directory ?? '', index), file), '{}\n');
  };
  // pid 2^22+1 is above Linux's pid_max default: no such process runs.
  await write(3, 'spend.jsonl');
  await write(3, 'spend-000000000000001-aaaa.replaying');
  await write(2, 'journal-4194305-abcdef12-000000001.jsonl');
  await write(2, `journal-${process.ppid}-abcdef12-000000001.jsonl`); // a live process's: kept
  await write(1, 'spend.jsonl'); // worker 1 still exists with 2 workers: kept
  expect(await adoptWorkerSpools(directory, 2)).toBe(3);
  const base = (await readdir(directory)).filter((name) => name.endsWith('.replaying'));
  expect(base).toHaveLength(3);
  expect(await readdir(join(directory, 'worker-3'))).toEqual([]);
  expect(await readdir(join(directory, 'worker-2'))).toEqual([
    `journal-${process.ppid}-abcdef12-000000001.jsonl`,
  ]);
  expect(await readdir(join(directory, 'worker-1'))).toEqual(['spend.jsonl']);
});

it('has nothing to do without a spool directory', async () => {
  expect(await adoptWorkerSpools(join(tmpdir(), 'spillway-no-such-spool-dir'), 1)).toBe(0);
});
