import { connect } from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import { EchoGateway } from '../../test/support/server/echo-gateway.ts';
import { startTestServer, type TestServer } from '../../test/support/server/start-test-server.ts';

/**
 * The edge asks `holdResponseEnd` before any response ends (decision 0033: the spend recorder holds
 * an end until the turn's records are in its journal). While an end is held the client has nothing
 * of a whole answer and not the last frames of a stream; released, the answer completes.
 */

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.gateway.release();
    await server.edge.shutdown(0);
  }
});

/** A hold that keeps every end until the test releases it (`holding`: whether to hold at all). */
function manualHold(): {
  hold: (release: () => void) => boolean;
  held: (() => void)[];
  holding: { on: boolean };
} {
  const held: (() => void)[] = [];
  const holding = { on: true };
  return {
    held,
    holding,
    hold: (release) => {
      if (!holding.on) return false;
      held.push(release);
      return true;
    },
  };
}

async function start(hold: (release: () => void) => boolean): Promise<TestServer> {
  const server = await startTestServer({ holdResponseEnd: hold });
  servers.push(server);
  return server;
}

/** Lets the event loop run `turns` full turns (I/O included), for a negative check. */
async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) await new Promise((resolve) => setTimeout(resolve, 1));
}

const chat = (stream: boolean) =>
  JSON.stringify({ model: 'echo', stream, messages: [{ role: 'user', content: 'hello' }] });
const headers = { authorization: `Bearer ${EchoGateway.key}`, 'content-type': 'application/json' };

describe('response ends held for the spend journal', () => {
  it('HTTP/1.1: nothing of a whole answer reaches the client until its end is released', async () => {
    const { hold, held } = manualHold();
    const test = await start(hold);
    let settled = false;
    const answer = fetch(`${test.origin}/v1/chat/completions`, {
      method: 'POST',
      headers,
      body: chat(false),
    });
    void answer.then(() => (settled = true));
    await expect.poll(() => held.length).toBe(1);
    await turns(20);
    expect(settled).toBe(false);
    held[0]!();
    const response = await answer;
    expect(response.status).toBe(200);
    expect(
      ((await response.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message
        .content,
    ).toBe('echo: hello');
  });

  it('HTTP/1.1 stream: the frames before the end arrive, the end ([DONE]) only once released', async () => {
    const { hold, held } = manualHold();
    const test = await start(hold);
    const response = await fetch(`${test.origin}/v1/chat/completions`, {
      method: 'POST',
      headers,
      body: chat(true),
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let seen = '';
    let ended = false;
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += decoder.decode(value, { stream: true });
      }
      ended = true;
    })();
    await expect.poll(() => held.length).toBe(1);
    await expect.poll(() => seen).toContain('"finish_reason":"stop"');
    await turns(20);
    expect(seen).not.toContain('[DONE]');
    expect(ended).toBe(false);
    held[0]!();
    await reading;
    expect(seen).toMatch(/data: \[DONE\]\n\n$/);
  });

  it('HTTP/2 (h2c): the body and end of a whole answer are held the same way', async () => {
    const { hold, held } = manualHold();
    const test = await start(hold);
    const session = connect(test.origin);
    try {
      const stream = session.request({ ':method': 'POST', ':path': '/v1/chat/completions', ...headers });
      stream.end(chat(false));
      let status: number | undefined;
      let body = '';
      let ended = false;
      stream.on('response', (responseHeaders) => (status = Number(responseHeaders[':status'])));
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (body += chunk));
      stream.on('end', () => (ended = true));
      await expect.poll(() => held.length).toBe(1);
      await turns(20);
      // HTTP/2's compatibility API sends the headers at writeHead; the body goes with the end.
      expect(body).toBe('');
      expect(ended).toBe(false);
      held[0]!();
      await expect.poll(() => ended).toBe(true);
      expect(status).toBe(200);
      expect(body).toContain('echo: hello');
    } finally {
      session.close();
    }
  });

  it('ends at once when the hold has nothing to wait for', async () => {
    const { hold, held, holding } = manualHold();
    holding.on = false;
    const test = await start(hold);
    const response = await fetch(`${test.origin}/v1/chat/completions`, {
      method: 'POST',
      headers,
      body: chat(false),
    });
    expect(response.status).toBe(200);
    expect(held).toHaveLength(0);
  });
});
