/**
 * `npm run bench -- --peers` keeps a peer gateway on loopback: bench/peers/loopback.ts, preloaded with
 * --import, binds a server that listens without a host (as Portkey's start-server does) to 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** The address a server started with `listen(...args)` binds to, in a child Node process. */
function boundAddress(preload: boolean, listenArgs: string): string {
  const script = `const s = require('node:net').createServer(); s.listen(${listenArgs}); s.on('listening', () => { console.log(s.address().address); s.close(); });`;
  return execFileSync(
    process.execPath,
    [...(preload ? ['--import', './bench/peers/loopback.ts'] : []), '-e', script],
    { encoding: 'utf8', timeout: 10_000 },
  ).trim();
}

describe('bench peers loopback preload', () => {
  it('binds a server that names no host to 127.0.0.1 (every interface without it)', () => {
    expect(boundAddress(false, '0')).not.toBe('127.0.0.1');
    expect(boundAddress(true, '0')).toBe('127.0.0.1');
    expect(boundAddress(true, '0, undefined, () => {}')).toBe('127.0.0.1');
    expect(boundAddress(true, '0, () => {}')).toBe('127.0.0.1');
  });

  it('leaves a server that names its host alone', () => {
    expect(boundAddress(true, "0, '127.0.0.2'")).toBe('127.0.0.2');
  });
});
