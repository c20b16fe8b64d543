import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SpendJournal } from './spend-journal.ts';

describe('SpendJournal orphans', () => {
  const directory = mkdtempSync(join(tmpdir(), 'spillway-journal-'));
  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });
  const onError = (error: unknown): void => {
    throw error;
  };

  it("adopts a previous incarnation's segments under this pid (pid 1 in a container), never a live journal's", async () => {
    const live = new SpendJournal({ directory, onError });
    live.append({ id: 'a' } as never);
    await Promise.resolve();
    const previous = `journal-${process.pid}-deadbeef-000000000.jsonl`;
    writeFileSync(join(directory, previous), '{}\n');
    const deadPid = `journal-999999999-cafebabe-000000003.jsonl`;
    writeFileSync(join(directory, deadPid), '{}\n');

    const next = new SpendJournal({ directory, onError, isProcessRunning: (pid) => pid !== 999_999_999 });
    expect(next.orphans().sort()).toEqual([join(directory, deadPid), join(directory, previous)].sort());
    live.close(true);
    next.close(true);
  });
});
