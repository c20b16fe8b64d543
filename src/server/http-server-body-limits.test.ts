import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.ts';
import { EchoGateway } from '../../test/support/server/echo-gateway.ts';
import { startTestServer, type TestServer } from '../../test/support/server/start-test-server.ts';

const maxBodyBytes = 64 * 1024;
const servers: TestServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.edge.shutdown(1000)));
});

async function start(options: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const server = await startTestServer(options);
  servers.push(server);
  return server;
}

describe('the request body timeout', () => {
  it('answers a body that does not arrive within body_timeout_ms with 408 in the dialect, and closes', async () => {
    const clock = new FakeClock();
    const { origin } = await start({ maxBodyBytes, bodyTimeoutMs: 30_000, clock });
    const answered = new Promise<{ status: number; body: string; closed: Promise<void> }>(
      (resolve, reject) => {
        const outgoing = request(
          `${origin}/v1/messages`,
          {
            method: 'POST',
            agent: false,
            headers: {
              'x-api-key': EchoGateway.key,
              'anthropic-version': '2023-06-01',
              'content-type': 'application/json',
              'content-length': '1000',
            },
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
            res.on('end', () => {
              resolve({
                status: res.statusCode ?? 0,
                body,
                closed: new Promise((done) => {
                  outgoing.socket?.once('close', () => {
                    done();
                  });
                }),
              });
            });
          },
        );
        outgoing.on('error', reject);
        // a few bytes of the 1000 declared, then nothing: a dripping (or stalled) client
        outgoing.write('{"model":"echo",');
      },
    );
    for (let poll = 0; poll < 200 && clock.pendingSleeps() === 0; poll += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await clock.advance(29_999);
    expect(clock.pendingSleeps()).toBe(1);
    await clock.advance(1);
    const response = await answered;
    expect(response.status).toBe(408);
    expect(JSON.parse(response.body)).toEqual({
      type: 'error',
      error: { type: 'timeout_error', message: 'request body not received within 30000 ms' },
    });
    await response.closed;
  });
});
