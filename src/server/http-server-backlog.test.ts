import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterEach, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/support/server/start-test-server.ts';
import { listenBacklog } from '../core/h2c-front.ts';

// A burst of connections that arrives while the event loop is busy waits in the kernel's accept
// queue (the listen backlog) instead of being dropped. Node's default backlog, 511, drops the SYNs
// past it: those clients wait for a retransmission (1 s, 3 s, ...) and, in the 5,000-stream burst of
// the benchmark, 1,332 of them gave up with a connect timeout. Here the gateway's thread is blocked
// (Atomics.wait) while a worker thread opens 1,000 connections: the ones whose handshake completes
// without the gateway accepting are those the backlog holds.

let server: TestServer | undefined;
afterEach(async () => {
  await server?.edge.shutdown(0);
  server = undefined;
});

/** The kernel's cap on any backlog (net.core.somaxconn); 4096 on Linux 5.4 and later. */
function somaxconn(): number {
  try {
    return Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
  } catch {
    return 4096;
  }
}

// The worker: opens `count` connections at once to `port`, counts those connected within `windowMs`.
const opener = `
const { connect } = require('node:net');
const { parentPort, workerData } = require('node:worker_threads');
const { port, count, windowMs } = workerData;
const sockets = [];
let connected = 0;
for (let i = 0; i < count; i += 1) {
  const socket = connect(port, '127.0.0.1');
  socket.on('connect', () => { connected += 1; });
  socket.on('error', () => {});
  sockets.push(socket);
}
parentPort.postMessage('opening');
setTimeout(() => {
  parentPort.postMessage(connected);
  for (const socket of sockets) socket.destroy();
}, windowMs);
`;

it('1,000 connections that arrive while the gateway is busy all complete their handshake', async () => {
  const count = 1000;
  expect(listenBacklog).toBeGreaterThanOrEqual(count);
  server = await startTestServer();
  const port = Number(new URL(server.origin).port);
  const worker = new Worker(opener, { eval: true, workerData: { port, count, windowMs: 1500 } });
  const messages: unknown[] = [];
  const result = new Promise<number>((resolve, reject) => {
    worker.on('message', (message: unknown) => {
      messages.push(message);
      if (typeof message === 'number') resolve(message);
    });
    worker.on('error', reject);
  });
  await new Promise<void>((resolve) => {
    worker.once('message', () => {
      resolve();
    });
  });
  // The gateway's thread accepts nothing for 2 s: only the kernel answers the handshakes.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
  const connected = await result;
  await worker.terminate();
  // The accept queue holds backlog + 1 connections; the kernel caps the backlog at somaxconn.
  expect(connected).toBeGreaterThanOrEqual(Math.min(count, somaxconn()));
});
