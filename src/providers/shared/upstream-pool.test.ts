import { describe, expect, it } from 'vitest';
import { SharedPools } from './upstream-pool.ts';

describe('SharedPools', () => {
  it('shares one pool per origin and closes it with its last lease', async () => {
    const pools = new SharedPools();
    const first = pools.acquire('http://127.0.0.1:9');
    const second = pools.acquire('http://127.0.0.1:9');
    const other = pools.acquire('http://127.0.0.1:10');
    expect(second.pool).toBe(first.pool);
    expect(other.pool).not.toBe(first.pool);
    expect(pools.size).toBe(2);
    await first.release();
    await first.release();
    expect(first.pool.closed).toBe(false);
    await second.release();
    expect(first.pool.closed).toBe(true);
    expect(pools.size).toBe(1);
    await other.release();
    expect(pools.size).toBe(0);
    const again = pools.acquire('http://127.0.0.1:9');
    expect(again.pool).not.toBe(first.pool);
    await again.release();
  });

  it('keeps one pool per origin and connection settings', async () => {
    const pools = new SharedPools();
    const plain = pools.acquire('http://127.0.0.1:9');
    const samePlain = pools.acquire('http://127.0.0.1:9', { connections: undefined, http2: false });
    const capped = pools.acquire('http://127.0.0.1:9', { connections: 2 });
    const sameCapped = pools.acquire('http://127.0.0.1:9', { connections: 2 });
    const h2 = pools.acquire('http://127.0.0.1:9', { http2: true });
    expect(samePlain.pool).toBe(plain.pool);
    expect(sameCapped.pool).toBe(capped.pool);
    expect(capped.pool).not.toBe(plain.pool);
    expect(h2.pool).not.toBe(plain.pool);
    expect(pools.size).toBe(3);
    for (const lease of [plain, samePlain, capped, sameCapped, h2]) await lease.release();
    expect(pools.size).toBe(0);
  });
});
