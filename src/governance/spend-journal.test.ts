import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { maxRecordsPerWrite, SpendJournal } from './spend-journal.ts';

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
    await new Promise((resolve) => setImmediate(resolve));
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

describe('SpendJournal writes once per event-loop turn and holds what waits for it', () => {
  let directory = '';
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'spillway-journal-turn-'));
  });
  afterEach(() => {
    rmSync(directory, { recursive: true, force: true });
  });
  const onError = (error: unknown): void => {
    throw error;
  };
  /** The records in this directory's segments, by id. */
  const written = (): string[] =>
    readdirSync(directory)
      .filter((name) => name.startsWith('journal-'))
      .flatMap((name) => readFileSync(join(directory, name), 'utf8').split('\n'))
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as { id: string }).id);
  const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it("releases a held end only after all the turn's records are in the file", async () => {
    const journal = new SpendJournal({ directory, onError });
    const seenAtRelease: string[][] = [];
    journal.append({ id: 'a' } as never);
    expect(journal.holdUntilWritten(() => seenAtRelease.push(written()))).toBe(true);
    journal.append({ id: 'b' } as never);
    journal.append({ id: 'c' } as never);
    expect(journal.holdUntilWritten(() => seenAtRelease.push(written()))).toBe(true);
    await Promise.resolve();
    // Still the same turn: nothing written, nothing released.
    expect(written()).toEqual([]);
    expect(seenAtRelease).toEqual([]);
    await nextTurn();
    expect(seenAtRelease).toEqual([
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
    ]);
    journal.close(true);
  });

  it('holds nothing when nothing is pending, or once the journal is closed', async () => {
    const journal = new SpendJournal({ directory, onError });
    let released = 0;
    expect(journal.holdUntilWritten(() => (released += 1))).toBe(false);
    journal.append({ id: 'a' } as never);
    await nextTurn();
    expect(journal.holdUntilWritten(() => (released += 1))).toBe(false);
    journal.close(true);
    journal.append({ id: 'b' } as never);
    expect(journal.holdUntilWritten(() => (released += 1))).toBe(false);
    expect(released).toBe(0);
  });

  it('a rotation writes the pending records and releases what waited, before the turn ends', () => {
    const journal = new SpendJournal({ directory, onError });
    let seen: string[] = [];
    journal.append({ id: 'a' } as never);
    journal.holdUntilWritten(() => (seen = written()));
    journal.rotate();
    expect(seen).toEqual(['a']);
    journal.close(true);
  });

  it(`writes at once, releasing what waited, when ${maxRecordsPerWrite} records are pending`, async () => {
    const journal = new SpendJournal({ directory, onError });
    const seenAtRelease: number[] = [];
    for (let i = 0; i < maxRecordsPerWrite - 1; i += 1) {
      journal.append({ id: `r${i}` } as never);
      journal.holdUntilWritten(() => seenAtRelease.push(written().length));
    }
    expect(written()).toEqual([]);
    journal.append({ id: 'last' } as never);
    // The same turn: written, and every held end released after the write.
    expect(written()).toHaveLength(maxRecordsPerWrite);
    expect(seenAtRelease).toEqual(Array.from({ length: maxRecordsPerWrite - 1 }, () => maxRecordsPerWrite));
    // The next record waits for the turn's end again.
    journal.append({ id: 'next' } as never);
    expect(journal.holdUntilWritten(() => seenAtRelease.push(written().length))).toBe(true);
    await nextTurn();
    expect(seenAtRelease.at(-1)).toBe(maxRecordsPerWrite + 1);
    journal.close(true);
  });

  it('a failed write is reported and still releases the held ends (the records stay in memory)', async () => {
    const blocked = join(directory, 'not-a-directory');
    writeFileSync(blocked, '');
    const errors: string[] = [];
    const journal = new SpendJournal({
      directory: blocked,
      onError: (_error, context) => errors.push(context),
    });
    let released = false;
    journal.append({ id: 'a' } as never);
    journal.holdUntilWritten(() => (released = true));
    await nextTurn();
    expect(released).toBe(true);
    expect(errors).toEqual(['spend journal write failed; records kept in memory only']);
  });
});
