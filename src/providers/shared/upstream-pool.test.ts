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
});
