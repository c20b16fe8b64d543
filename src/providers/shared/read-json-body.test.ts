import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readJsonBody } from './read-json-body.ts';

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    if (req.url === '/big') {
      // A runaway answer, sent in several writes.
      for (let i = 0; i < 8; i += 1) res.write(' '.repeat(1024));
      res.end('{"ok":true}');
      return;
    }
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const context = { signal: new AbortController().signal, upstream: 'test upstream' };

describe('readJsonBody', () => {
  it('parses and validates a body within the limit', async () => {
    const response = await request(`${url}/small`);
    await expect(readJsonBody(response.body, z.object({ ok: z.boolean() }), context, 1024)).resolves.toEqual({
      ok: true,
    });
  });

  it('cuts a body over the limit as upstream_bad_response instead of buffering it', async () => {
    const response = await request(`${url}/big`);
    await expect(readJsonBody(response.body, z.unknown(), context, 4096)).rejects.toMatchObject({
      code: 'upstream_bad_response',
      retryable: true,
      fallbackEligible: true,
    });
  });
});
