import { describe, expect, it } from 'vitest';
import { SqliteDriver } from './sqlite-driver.ts';

async function withTable(test: (driver: SqliteDriver) => Promise<void>): Promise<void> {
  const driver = new SqliteDriver(':memory:');
  try {
    await driver.query('CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER NOT NULL)');
    await test(driver);
  } finally {
    await driver.close();
  }
}

const insert = 'INSERT INTO t (id, n) VALUES (?, ?) ON CONFLICT (id) DO NOTHING';

describe('SqliteDriver', () => {
  it('runs a statement per row and counts the rows changed, skipping conflicts', async () => {
    await withTable(async (driver) => {
      expect(
        await driver.queryEach(insert, [
          ['a', 1],
          ['b', 2],
        ]),
      ).toBe(2);
      expect(
        await driver.queryEach(insert, [
          ['b', 3],
          ['c', 4],
        ]),
      ).toBe(1);
      // the same (kept) statements, again
      expect(await driver.queryEach(insert, [['d', 5]])).toBe(1);
      const { rows } = await driver.query('SELECT id, n FROM t ORDER BY id');
      expect(rows).toEqual([
        { id: 'a', n: 1 },
        { id: 'b', n: 2 },
        { id: 'c', n: 4 },
        { id: 'd', n: 5 },
      ]);
    });
  });

  it('stores all rows or none', async () => {
    await withTable(async (driver) => {
      await expect(
        driver.queryEach(insert, [
          ['a', 1],
          ['b', null],
        ]),
      ).rejects.toThrow(/NOT NULL/);
      expect((await driver.query('SELECT COUNT(*) AS n FROM t')).rows).toEqual([{ n: 0 }]);
      // inside a caller's transaction it joins it (and rolls back with it)
      await expect(
        driver.transaction(async (executor) => {
          await executor.queryEach?.(insert, [['c', 3]]);
          throw new Error('abandon');
        }),
      ).rejects.toThrow('abandon');
      await driver.transaction(async (executor) => {
        await executor.queryEach?.(insert, [['d', 4]]);
      });
      expect((await driver.query('SELECT id FROM t')).rows).toEqual([{ id: 'd' }]);
    });
  });

  it('answers a kept statement after the schema changed', async () => {
    await withTable(async (driver) => {
      await driver.queryEach(insert, [['a', 1]]);
      expect((await driver.query('SELECT * FROM t')).rows).toEqual([{ id: 'a', n: 1 }]);
      await driver.query('ALTER TABLE t ADD COLUMN note TEXT');
      expect((await driver.query('SELECT * FROM t')).rows).toEqual([{ id: 'a', n: 1, note: null }]);
    });
  });
});
