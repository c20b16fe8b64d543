import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { waitUntil } from './gateway-replica.ts';

/** Every `request_id` in `spend_records` of the database at `url`, with how often it occurs. */
export async function spendRequestIds(url: string): Promise<Map<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ request_id: string; copies: string }>(
      'SELECT request_id, COUNT(*) AS copies FROM spend_records GROUP BY request_id',
    );
    return new Map(result.rows.map((row) => [row.request_id, Number(row.copies)]));
  } finally {
    await client.end();
  }
}

/** Waits until `spend_records` holds at least `count` rows (the recorder flushes in the background). */
export async function waitForSpendRows(
  url: string,
  count: number,
  timeoutMs: number,
): Promise<Map<string, number>> {
  let rows = new Map<string, number>();
  await waitUntil(
    async () => {
      rows = await spendRequestIds(url);
      return rows.size >= count;
    },
    timeoutMs,
    `${count} spend records`,
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message} (have ${rows.size})`, { cause: error });
  });
  return rows;
}

/**
 * Request ids of the records in the spool files of `directory` (one JSON record per line), its
 * worker threads' subfolders (`worker-N/`) included.
 */
export async function spooledRequestIds(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
  const ids: string[] = [];
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      ids.push(...(await spooledRequestIds(path)));
      continue;
    }
    const text = await readFile(path, 'utf8');
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const record = JSON.parse(line) as { requestId?: unknown };
      if (typeof record.requestId === 'string') ids.push(record.requestId);
    }
  }
  return ids;
}
