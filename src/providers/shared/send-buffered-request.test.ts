import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isGatewayError } from '../../errors/gateway-error.ts';
import { readJsonBody } from './read-json-body.ts';
import { readErrorBody, sendBufferedRequest, sendUpstreamRequest } from './send-upstream-request.ts';

let server: Server;
let pool: Pool;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    switch (req.url ?? '') {
      case '/ok':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
        return;
      case '/chunks':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"ok":');
        setTimeout(() => res.end('true}'), 5);
        return;
      case '/big':
        res.writeHead(200, { 'content-type': 'application/json' });
        for (let i = 0; i < 8; i += 1) res.write(' '.repeat(1024));
        res.end('{"ok":true}');
        return;
      case '/not-json':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":tru');
        return;
      case '/reset':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"ok":');
        setTimeout(() => res.socket?.destroy(), 5);
        return;
      case '/short':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"ok":');
        setTimeout(() => res.socket?.end(), 5);
        return;
      case '/hang':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"ok":');
        return;
      case '/error':
        res.writeHead(500, { 'content-type': 'application/json', 'x-extra': 'yes' });
        res.end('{"error":{"message":"boom"}}');
        return;
      case '/huge-error':
        res.writeHead(503, { 'content-type': 'text/plain' });
        for (let i = 0; i < 100; i += 1) res.write('é'.repeat(512));
        res.end();
        return;
      case '/broken-error':
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.write('partial');
        setTimeout(() => res.socket?.destroy(), 5);
        return;
      default:
        res.socket?.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  pool = new Pool(`http://127.0.0.1:${String((server.address() as AddressInfo).port)}`);
});

afterAll(async () => {
  await pool.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const schema = z.object({ ok: z.boolean() });

function request(path: string, signal: AbortSignal) {
  return {
    path,
    headers: ['content-type', 'application/json'],
    body: '{}',
    signal,
    upstream: 'test upstream',
  };
}

type Outcome =
  | { ok: unknown }
  | { status: number; text: string; header: unknown }
  | { code: string; status: number; message: string };

function settle(promise: Promise<Outcome>): Promise<Outcome> {
  return promise.catch((error: unknown) => {
    if (!isGatewayError(error)) throw error;
    return { code: error.code, status: error.status, message: error.message };
  });
}

/** The stream path: request(), then readJsonBody or readErrorBody. */
function viaStream(path: string, signal: AbortSignal, maxBytes: number): Promise<Outcome> {
  return settle(
    (async (): Promise<Outcome> => {
      const response = await sendUpstreamRequest(pool, request(path, signal));
      if (response.statusCode >= 300) {
        const text = await readErrorBody(response.body);
        return { status: response.statusCode, text, header: response.headers['x-extra'] };
      }
      return {
        ok: await readJsonBody(response.body, schema, { signal, upstream: 'test upstream' }, maxBytes),
      };
    })(),
  );
}

/** The buffered path: sendBufferedRequest, then the same parse. */
function viaBuffer(path: string, signal: AbortSignal, maxBytes: number): Promise<Outcome> {
  return settle(
    (async (): Promise<Outcome> => {
      const response = await sendBufferedRequest(pool, request(path, signal), maxBytes);
      if (response.statusCode >= 300)
        return { status: response.statusCode, text: response.text, header: response.headers['x-extra'] };
      const { parseJsonWith } = await import('./read-json-body.ts');
      return { ok: parseJsonWith(response.text, schema, 'test upstream response') };
    })(),
  );
}

describe('sendBufferedRequest answers exactly as request() plus readJsonBody / readErrorBody', () => {
  it.each([
    ['/ok'],
    ['/chunks'],
    ['/big'],
    ['/not-json'],
    ['/reset'],
    ['/short'],
    ['/error'],
    ['/huge-error'],
    ['/broken-error'],
    ['/refused'],
  ])('%s', async (path) => {
    const signal = new AbortController().signal;
    const expected = await viaStream(path, signal, 4096);
    const actual = await viaBuffer(path, signal, 4096);
    expect(actual).toEqual(expected);
  });

  it('a hang ends with the abort reason of the signal', async () => {
    const outcomes = [];
    for (const via of [viaStream, viaBuffer]) {
      const controller = new AbortController();
      const pending = via('/hang', controller.signal, 4096);
      setTimeout(() => {
        controller.abort();
      }, 20);
      outcomes.push(await pending);
    }
    expect(outcomes[0]).toMatchObject({ code: 'client_closed', status: 499 });
    expect(outcomes[1]).toEqual(outcomes[0]);
  });

  it('an error body is cut at 64 KiB', async () => {
    const outcome = await viaBuffer('/huge-error', new AbortController().signal, 4096);
    expect(outcome).toMatchObject({ status: 503 });
    expect(Buffer.byteLength((outcome as { text: string }).text)).toBeLessThanOrEqual(64 * 1024);
  });

  it('an aborted signal rejects before sending', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(viaBuffer('/ok', controller.signal, 4096)).resolves.toMatchObject({ code: 'client_closed' });
  });
});
