/**
 * Latency of one `reserve` (tenant rpm + tpm + deployment rpm + one concurrency slot, the shape of a
 * real request) on MemoryStateStore vs RedisStateStore, sequential calls, after a warm-up.
 * `node bench/state-store-latency.ts [--redis redis://127.0.0.1:6379] [--count 20000]`
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { MemoryStateStore } from '../src/state/memory-state-store.ts';
import { RedisStateStore } from '../src/state/redis-state-store.ts';
import { deleteKeysWithPrefix } from '../test/support/state/redis-test-support.ts';
import type { ReserveRequest, StateStore } from '../src/core/state-store.ts';

const { values } = parseArgs({
  options: {
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
    count: { type: 'string', default: '20000' },
  },
});
const count = Number(values.count);

function requestFor(index: number): ReserveRequest {
  const tenant = `tenant${index % 50}`;
  return {
    rates: [
      { key: `${tenant}:rpm`, limit: 1e9, windowMs: 60_000, cost: 1 },
      { key: `${tenant}:tpm`, limit: 1e12, windowMs: 60_000, cost: 1500 },
      { key: 'deployment:rpm', limit: 1e9, windowMs: 60_000, cost: 1 },
    ],
    concurrency: [{ key: `${tenant}:concurrent`, limit: 1e6 }],
    leaseId: `lease${index}`,
    leaseTtlMs: 60_000,
  };
}

async function measure(name: string, store: StateStore): Promise<void> {
  for (let index = 0; index < 1000; index += 1) {
    const request = requestFor(index);
    await store.reserve(request);
    await store.release(
      request.concurrency.map((limit) => limit.key),
      request.leaseId,
    );
  }
  const samples = new Float64Array(count);
  for (let index = 0; index < count; index += 1) {
    const request = requestFor(index);
    const start = process.hrtime.bigint();
    await store.reserve(request);
    samples[index] = Number(process.hrtime.bigint() - start) / 1e6;
    await store.release(
      request.concurrency.map((limit) => limit.key),
      request.leaseId,
    );
  }
  samples.sort();
  const mean = samples.reduce((sum, value) => sum + value, 0) / count;
  const at = (q: number): number => samples[Math.min(count - 1, Math.floor(q * count))] ?? NaN;
  console.log(
    `${name.padEnd(18)} reserve: mean ${mean.toFixed(4)} ms  p50 ${at(0.5).toFixed(4)} ms  p99 ${at(0.99).toFixed(4)} ms  (n=${count})`,
  );
}

await measure('MemoryStateStore', new MemoryStateStore());
const prefix = `spillway-bench-${randomUUID().slice(0, 8)}:`;
const redis = new RedisStateStore({ url: values.redis, prefix });
await redis.ready();
try {
  await measure('RedisStateStore', redis);
} finally {
  await redis.close();
  await deleteKeysWithPrefix(prefix, values.redis);
}
