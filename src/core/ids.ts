import { randomFillSync } from 'node:crypto';

/**
 * Random bytes drawn 4 KiB at a time and handed out in slices. Why: one `randomBytes` call per
 * request id cost about 2% of the gateway's CPU (a call into the CSPRNG plus a Buffer each time).
 */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function randomHex(bytes: number): string {
  if (bytes > pool.length) return randomFillSync(Buffer.alloc(bytes)).toString('hex');
  if (poolOffset + bytes > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const start = poolOffset;
  poolOffset += bytes;
  return pool.toString('hex', start, poolOffset);
}

/** A request id: sortable by time, unique, short enough for logs. */
export function createRequestId(now: number = Date.now()): string {
  return `req_${now.toString(36)}${randomHex(8)}`;
}

/** A random id with a prefix, for upstream-less ids (tool calls, messages). */
export function createId(prefix: string, bytes = 12): string {
  return `${prefix}${randomHex(bytes)}`;
}
