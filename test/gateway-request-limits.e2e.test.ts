import { request } from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/simulator/start-simulator.ts';
import { simGatewayConfig, singleDeploymentGroup } from './support/gateway-config.ts';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.ts';
import { openaiClient } from './support/sdk-clients.ts';
import { startTestSimulator } from './support/simulator.ts';

// Issue 12, item 10: a body over server.max_body_bytes reaches the client as a 413 in its dialect,
// not as a connection reset. The gateway is a separate process, so the client writes its body
// faster than the gateway reads it: answering after the first chunk and closing (the old behaviour)
// reset most of these connections.

const key = 'sk-limits-key-0001';
const maxBodyBytes = 1024 * 1024;
const oversizeContent = 'x'.repeat(8 * maxBodyBytes);
let sim: RunningSimulator;
let gateway: GatewayProcess;

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 12 });
  gateway = await startGatewayProcess({
    config: simGatewayConfig(sim.url, {
      models: { small: singleDeploymentGroup('small', 'openai', 'gpt-4o-mini') },
      tenants: { team: { keys: [key] } },
      server: { max_body_bytes: maxBodyBytes },
    }),
  });
});
afterAll(async () => {
  await gateway.stop();
  await sim.close();
});

/** A raw node:http POST with a declared length: its status, or the socket error it ended with. */
function rawPost(body: string): Promise<string> {
  return new Promise((resolve) => {
    const outgoing = request(
      `${gateway.url}/v1/chat/completions`,
      {
        method: 'POST',
        agent: false,
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const parsed = JSON.parse(text) as { error: { code: string } };
          resolve(`${res.statusCode ?? 0} ${parsed.error.code}`);
        });
      },
    );
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      resolve(`error ${error.code ?? error.message}`);
    });
    outgoing.end(body);
  });
}

describe('a body over server.max_body_bytes', () => {
  it('reaches the OpenAI SDK as a 413 request_too_large, every time', async () => {
    const client = openaiClient(gateway.url, key);
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      try {
        await client.chat.completions.create({
          model: 'small',
          messages: [{ role: 'user', content: oversizeContent }],
        });
        outcomes.push('200');
      } catch (error) {
        outcomes.push(
          error instanceof OpenAI.APIError
            ? `${error.status ?? 'no status'} ${String(error.code)}`
            : String(error),
        );
      }
    }
    expect(outcomes).toEqual(Array.from({ length: 6 }, () => '413 request_too_large'));
  });

  it('reaches a raw HTTP client as a 413, not ECONNRESET', async () => {
    const body = JSON.stringify({ model: 'small', messages: [{ role: 'user', content: oversizeContent }] });
    const outcomes: string[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1) outcomes.push(await rawPost(body));
    expect(outcomes).toEqual(Array.from({ length: 6 }, () => '413 request_too_large'));
  });
});
