import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SpendRecord, SpendRepository } from '../persistence/repositories.ts';
import { FakeClock } from '../../test/support/fake-clock.ts';
import {
  openTemporaryRepositories,
  requestFinished,
} from '../../test/support/governance/governance-test-fixtures.ts';
import { spendRecordFromEvent } from './spend-record-from-event.ts';
import { SpendRecorder } from './spend-recorder.ts';

/** A spend repository whose database can be switched off, like an outage. */
class SwitchableSpend implements SpendRepository {
  down = false;
  inserts = 0;
  private readonly inner: SpendRepository;
  constructor(inner: SpendRepository) {
    this.inner = inner;
  }
  insertMany(records: readonly SpendRecord[]): Promise<number> {
    this.inserts += 1;
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    return this.inner.insertMany(records);
  }
  sum: SpendRepository['sum'] = (query) => this.inner.sum(query);
  list: SpendRepository['list'] = (query) => this.inner.list(query);
}

describe('SpendRecorder', () => {
  let fixture: Awaited<ReturnType<typeof openTemporaryRepositories>>;
  let spend: SwitchableSpend;
  let clock: FakeClock;
  let spoolDirectory: string;
  beforeEach(async () => {
    fixture = await openTemporaryRepositories();
    spend = new SwitchableSpend(fixture.repositories.spend);
    clock = new FakeClock();
    spoolDirectory = join(fixture.directory, 'spool');
  });
  afterEach(async () => {
    await fixture.dispose();
  });

  const stored = async (): Promise<string[]> =>
    (await fixture.repositories.spend.list({ limit: 100_000 })).map((r) => r.requestId);
  const emitMany = (recorder: SpendRecorder, from: number, count: number): void => {
    for (let i = from; i < from + count; i++)
      recorder.emit(
        requestFinished({ requestId: `req_${String(i).padStart(6, '0')}`, startedAt: 1_700_000_000_000 + i }),
      );
  };
  const ids = (from: number, count: number): string[] =>
    Array.from({ length: count }, (_, i) => `req_${String(from + i).padStart(6, '0')}`);

  it('stores records in batches: early when a batch is full, otherwise on its interval', async () => {
    const recorder = new SpendRecorder({ spend, spoolDirectory, clock, batchSize: 100 });
    recorder.start();
    await expect.poll(() => clock.pendingSleeps()).toBe(1);
    recorder.emit({
      type: 'request-started',
      requestId: 'x',
      tenant: 'acme',
      group: 'claude',
      stream: false,
    });
    emitMany(recorder, 0, 250);
    await expect.poll(stored).toEqual(ids(0, 250));
    expect(spend.inserts).toBe(3);
    emitMany(recorder, 250, 50);
    await expect.poll(() => clock.pendingSleeps()).toBe(1);
    expect(await stored()).toHaveLength(250);
    await clock.advance(250);
    await expect.poll(stored).toEqual(ids(0, 300));
    expect(spend.inserts).toBe(4);
    await recorder.close();
    // Stored records leave nothing on disk: the journal segments are gone too.
    expect(readdirSync(spoolDirectory)).toEqual([]);
  });

  it('a recorder that dies without closing loses nothing: the next start replays its journal, once', async () => {
    const crashed = new SpendRecorder({ spend, spoolDirectory, clock });
    crashed.start();
    await expect.poll(() => clock.pendingSleeps()).toBe(1);
    emitMany(crashed, 0, 10);
    await clock.advance(250);
    await expect.poll(() => crashed.stats().stored).toBe(10);
    await expect.poll(() => clock.pendingSleeps()).toBe(1);
    // Finished after the last flush: in memory and in the journal only, when the process dies.
    emitMany(crashed, 10, 15);
    // Their answers end once the records are in the journal (decision 0033): wait for that.
    await new Promise<void>((resolve) => {
      expect(crashed.holdResponse(resolve)).toBe(true);
    });
    expect(await stored()).toEqual(ids(0, 10));
    const journals = readdirSync(spoolDirectory).filter((name) => name.startsWith('journal-'));
    expect(journals).toHaveLength(1);

    // The next process (the dead one's pid no longer runs); its own clock: the dead recorder stays asleep.
    const next = new SpendRecorder({
      spend,
      spoolDirectory,
      clock: new FakeClock(),
      isProcessRunning: () => false,
    });
    next.start();
    await expect.poll(stored).toEqual(ids(0, 25));
    expect(next.stats().stored).toBe(15);
    await next.close();
    expect(readdirSync(spoolDirectory)).toEqual([]);
  });

  it('keeps its journal while the database is down, and deletes it once the records are stored', async () => {
    const recorder = new SpendRecorder({ spend, spoolDirectory, clock });
    recorder.start();
    spend.down = true;
    emitMany(recorder, 0, 5);
    await clock.advance(250);
    await expect.poll(() => recorder.stats().consecutiveFailures).toBeGreaterThan(0);
    expect(readdirSync(spoolDirectory).some((name) => name.startsWith('journal-'))).toBe(true);
    spend.down = false;
    await clock.advance(10_000);
    await expect.poll(stored).toEqual(ids(0, 5));
    await expect.poll(() => readdirSync(spoolDirectory)).toEqual([]);
    await recorder.close();
  });

  it('keeps records through an outage, spills overflow to the spool, and stores each exactly once after recovery', async () => {
    const recorder = new SpendRecorder({
      spend,
      spoolDirectory,
      clock,
      batchSize: 50,
      maxBufferedRecords: 200,
    });
    recorder.start();
    emitMany(recorder, 0, 30);
    await expect.poll(() => recorder.stats().stored).toBe(30);
    spend.down = true;
    emitMany(recorder, 30, 470);
    await clock.advance(250);
    await expect.poll(() => recorder.stats().consecutiveFailures).toBeGreaterThan(0);
    expect(recorder.stats().buffered).toBeLessThan(200);
    await expect.poll(() => recorder.stats().spooled).toBeGreaterThan(0);
    // A replay of stored ids must not duplicate them.
    recorder.emit(requestFinished({ requestId: 'req_000001' }));
    spend.down = false;
    await clock.advance(10_000);
    await expect.poll(stored).toEqual(ids(0, 500));
    await expect.poll(() => recorder.stats().buffered).toBe(0);
    await recorder.close();
    expect(readdirSync(spoolDirectory)).toEqual([]);
  });

  it('spools what it cannot store by the close deadline and replays it at the next start', async () => {
    const first = new SpendRecorder({ spend, spoolDirectory, clock });
    first.start();
    spend.down = true;
    emitMany(first, 0, 120);
    await first.close(50);
    first.emit(requestFinished({ requestId: 'req_000120', startedAt: 1_700_000_000_120 }));
    await expect.poll(() => first.stats().spooled).toBe(121);
    expect(await stored()).toEqual([]);

    spend.down = false;
    const second = new SpendRecorder({ spend, spoolDirectory, clock });
    second.start();
    await expect.poll(stored).toEqual(ids(0, 121));
    await second.close();
    expect(readdirSync(spoolDirectory)).toEqual([]);
  });

  it('replays spool lines written before records had their own id, keyed by their request id', async () => {
    const {
      id: _id,
      usageEstimated: _estimated,
      ...old
    } = spendRecordFromEvent(requestFinished({ requestId: 'req_old', clientRequestId: 'client-1' }));
    mkdirSync(spoolDirectory, { recursive: true });
    writeFileSync(
      join(spoolDirectory, 'spend.jsonl'),
      `${JSON.stringify({ ...old, requestId: 'req_old' })}\n`,
    );
    const recorder = new SpendRecorder({ spend, spoolDirectory, clock });
    recorder.start();
    await expect.poll(stored).toEqual(['req_old']);
    expect((await fixture.repositories.spend.list({ limit: 10 }))[0]).toMatchObject({
      id: 'req_old',
      requestId: 'req_old',
      usageEstimated: false,
    });
    await recorder.close();
  });
});
