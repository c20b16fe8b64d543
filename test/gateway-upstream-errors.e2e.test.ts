import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/simulator/start-simulator.ts';
import { simGatewayConfig } from './support/gateway-config.ts';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.ts';
import { openaiClient } from './support/sdk-clients.ts';
import { startTestSimulator } from './support/simulator.ts';

// Issue 12 item 10: what an upstream says in an error reaches the client in the gateway's words,
// with the upstream's status, code and parameter, never the provider's name, key fragments or its
// own text; that text goes to the gateway's log, key-like tokens redacted.

const key = 'sk-team-key-0001';
let sim: RunningSimulator;
let upstream: Server;
let gateway: GatewayProcess;

/** An OpenAI-compatible upstream that fails every request the way the model id says. */
function startFailingUpstream(): Promise<Server> {
  const server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const model = (JSON.parse(text) as { model: string }).model;
      const [status, error] =
        model === 'bad-key'
          ? [
              401,
              {
                message:
                  'Incorrect API key provided: sk-proj-*****-qqq. You can find your API key at https://platform.openai.com/account/api-keys.',
                type: 'invalid_request_error',
                param: null,
                code: 'invalid_api_key',
              },
            ]
          : [
              400,
              {
                message: "Invalid value for 'temperature' at acme-openai org org-8f3k: sk-live-abcdef123456",
                type: 'invalid_request_error',
                param: 'temperature',
                code: 'invalid_value',
              },
            ];
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error }));
    });
  });
  server.listen(0, '127.0.0.1');
  return once(server, 'listening').then(() => server);
}

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 12 });
  upstream = await startFailingUpstream();
  const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
  const group = (model: string) => ({
    deployments: [{ id: model, provider: 'acme-openai', model }],
  });
  gateway = await startGatewayProcess({
    config: simGatewayConfig(sim.url, {
      providers: { 'acme-openai': { type: 'openai', base_url: url, api_key: 'sk-gateway-secret-0001' } },
      models: { 'bad-key': group('bad-key'), invalid: group('invalid') },
      tenants: { team: { keys: [key] } },
      router: { retries: 0 },
    }),
  });
});
afterAll(async () => {
  await gateway.stop();
  await sim.close();
  upstream.close();
});

async function failure(model: string): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await openaiClient(gateway.url, key).chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'hi' }],
    });
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error;
    throw error;
  }
  throw new Error('the request succeeded');
}

describe('upstream errors at the client', () => {
  it('an upstream 401 becomes the gateway’s wording with the upstream status and code, no key fragment', async () => {
    const error = await failure('bad-key');
    expect(error.status).toBe(502);
    expect(error.error).toEqual({
      message: 'the upstream refused the gateway’s credentials (upstream status 401, code invalid_api_key)',
      type: 'server_error',
      param: null,
      code: 'upstream_auth_failed',
    });
  });

  it('an upstream 400 keeps what the client needs (status, code, param) and drops the upstream text', async () => {
    const error = await failure('invalid');
    expect(error.status).toBe(400);
    expect(error.error).toEqual({
      message: 'the upstream rejected the request (upstream status 400, code invalid_value)',
      type: 'invalid_request_error',
      param: 'temperature',
      code: 'upstream_invalid_request',
    });
  });

  it('logs the upstream text, key-like tokens redacted', async () => {
    const line = await gateway.waitForLog((entry) =>
      String(entry['message']).includes("Invalid value for 'temperature'"),
    );
    expect(line).toMatchObject({ upstreamStatus: 400, upstreamCode: 'invalid_value' });
    expect(String(line['message'])).toContain('acme-openai');
    expect(String(line['message'])).not.toContain('sk-live-abcdef123456');
    expect(gateway.output()).not.toContain('sk-proj-*****-qqq');
  });
});
