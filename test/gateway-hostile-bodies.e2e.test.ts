import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../src/simulator/start-simulator.ts';
import { expectAnthropicError, expectOpenaiError } from './support/dialect-bodies.ts';
import { simGatewayConfig, simModels, singleDeploymentGroup } from './support/gateway-config.ts';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.ts';
import { hostileProviders, startHostileUpstream, type HostileUpstream } from './support/hostile-upstream.ts';
import { startTestSimulator } from './support/simulator.ts';

// Issue 12 items 1 and 2 at a real `spillway serve` process: bodies that are legal JSON but hostile
// in shape (thousands of levels of nesting, tens of thousands of messages) get a 400 in the client's
// dialect naming the field, on every provider type, and the process keeps answering.

const teamKey = 'sk-team-key-hostile-0001';
const deepLevels = 5000;
let sim: RunningSimulator;
let gateway: GatewayProcess;

/** Groups on each provider type the gateway speaks to (Bedrock Converse for two model families). */
const groups = ['bedrock-claude', 'bedrock-nova', 'openai', 'anthropic'] as const;

beforeAll(async () => {
  sim = await startTestSimulator({ seed: 12 });
  gateway = await startGatewayProcess({
    config: simGatewayConfig(sim.url, {
      models: {
        'bedrock-claude': singleDeploymentGroup('bedrock-claude', 'a1-us-east-1', simModels.sonnetUsProfile),
        'bedrock-nova': singleDeploymentGroup('bedrock-nova', 'a1-us-east-1', simModels.novaLite),
        openai: singleDeploymentGroup('openai', 'openai', simModels.gpt),
        anthropic: singleDeploymentGroup('anthropic', 'anthropic', simModels.claudeDirect),
      },
      tenants: { team: { keys: [teamKey] } },
    }),
  });
});
afterAll(async () => {
  expect((await gateway.stop()).code).toBe(0);
  await sim.close();
});

/** `{"a":{"a":...1...}}`, `levels` deep: JSON.parse takes it, JSON.stringify of it overflows the stack. */
const deepObject = (levels: number): string => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

async function post(
  path: string,
  body: string,
  dialect: 'openai' | 'anthropic',
): Promise<{ status: number; body: unknown }> {
  const response = await request(`${gateway.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${teamKey}`,
      ...(dialect === 'anthropic' ? { 'anthropic-version': '2023-06-01' } : {}),
    },
    body,
  });
  return { status: response.statusCode, body: await response.body.json() };
}

async function liveStatus(): Promise<number> {
  const response = await request(`${gateway.url}/health/live`);
  await response.body.dump();
  return response.statusCode;
}

describe.each(groups)('deeply nested JSON for group %s', (group) => {
  const user = `{"role":"user","content":"hi"}`;

  it('in an OpenAI tool schema: 400 naming tools[0].function.parameters', async () => {
    const body = `{"model":"${group}","messages":[${user}],"tools":[{"type":"function","function":{"name":"f","parameters":${deepObject(deepLevels)}}}]}`;
    const answer = await post('/v1/chat/completions', body, 'openai');
    expect(answer.status, JSON.stringify(answer.body).slice(0, 300)).toBe(400);
    const error = expectOpenaiError(answer.body).error;
    expect(error.type).toBe('invalid_request_error');
    expect(error.param).toMatch(/^tools\[0\]\.function\.parameters\.a\.a/);
    expect(error.message).toContain('nested more than');
  });

  it('in an OpenAI response_format schema: 400 naming response_format.json_schema.schema', async () => {
    const body = `{"model":"${group}","messages":[${user}],"response_format":{"type":"json_schema","json_schema":{"name":"s","schema":${deepObject(deepLevels)}}}}`;
    const answer = await post('/v1/chat/completions', body, 'openai');
    expect(answer.status, JSON.stringify(answer.body).slice(0, 300)).toBe(400);
    expect(expectOpenaiError(answer.body).error.param).toMatch(/^response_format\.json_schema\.schema\.a/);
  });

  it('in an Anthropic tool_use input: 400 in the Anthropic dialect naming the field', async () => {
    const body = `{"model":"${group}","max_tokens":10,"messages":[${user},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":${deepObject(deepLevels)}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}]}`;
    const answer = await post('/v1/messages', body, 'anthropic');
    expect(answer.status, JSON.stringify(answer.body).slice(0, 300)).toBe(400);
    const error = expectAnthropicError(answer.body).error;
    expect(error.type).toBe('invalid_request_error');
    expect(error.message).toMatch(/^messages\[1\]\.content\[0\]\.input\.a\.a/);
  });

  it('in OpenAI tool call arguments (a JSON string): never a 500', async () => {
    const args = JSON.stringify(deepObject(deepLevels));
    const body = `{"model":"${group}","messages":[${user},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":${args}}}]},{"role":"tool","tool_call_id":"c1","content":"ok"}]}`;
    const answer = await post('/v1/chat/completions', body, 'openai');
    // An OpenAI-style upstream gets the string as sent; the others need it as JSON and refuse it.
    if (group === 'openai') expect(answer.status).toBeLessThan(500);
    else expect(answer.status, JSON.stringify(answer.body).slice(0, 300)).toBe(400);
    if (answer.status !== 200) expect(expectOpenaiError(answer.body).error.message).not.toContain('internal');
  });
});

describe('counts past the bounds', () => {
  // The repro: 40,000 one-character user messages, 1.2 MB, used to hold the event loop 11-15 s.
  const manyMessages = Array.from({ length: 40_000 }, () => ({ role: 'user', content: 'x' }));

  it('40,000 messages in the OpenAI dialect: 400 naming messages', async () => {
    const answer = await post(
      '/v1/chat/completions',
      JSON.stringify({ model: 'openai', messages: manyMessages }),
      'openai',
    );
    expect(answer.status).toBe(400);
    const error = expectOpenaiError(answer.body).error;
    expect(error.param).toBe('messages');
    expect(error.message).toContain('at most 10000 messages');
    expect(await liveStatus()).toBe(200);
  });

  it('40,000 messages in the Anthropic dialect: 400 naming messages', async () => {
    const answer = await post(
      '/v1/messages',
      JSON.stringify({ model: 'anthropic', max_tokens: 10, messages: manyMessages }),
      'anthropic',
    );
    expect(answer.status).toBe(400);
    expect(expectAnthropicError(answer.body).error.message).toMatch(/^messages: at most 10000 messages/);
    expect(await liveStatus()).toBe(200);
  });
});

describe('an upstream answering with deeply nested JSON', () => {
  // The same overflow from the other side: a provider (or something posing as one) that answers
  // with a tool input thousands of levels deep. The client gets a 502 in its dialect, not a 500.
  let upstream: HostileUpstream;
  let hostileGateway: GatewayProcess;
  const deep = deepObject(deepLevels);

  beforeAll(async () => {
    upstream = await startHostileUpstream();
    upstream.define('deep-tool-input', ({ wire, stream, response }) => {
      if (stream) {
        // Anthropic streams carry the tool input as JSON in content_block_start.
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write(
          'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}\n\n',
        );
        response.end(
          `event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t1","name":"f","input":${deep}}}\n\n`,
        );
        return;
      }
      const text =
        wire === 'anthropic'
          ? `{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"tool_use","id":"t1","name":"f","input":${deep}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}`
          : wire === 'bedrock'
            ? `{"output":{"message":{"role":"assistant","content":[{"toolUse":{"toolUseId":"t1","name":"f","input":${deep}}}]}},"stopReason":"tool_use","usage":{"inputTokens":3,"outputTokens":1,"totalTokens":4},"metrics":{"latencyMs":1}}`
            : `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":${JSON.stringify(deep)}}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4},"extra":${deep}}`;
      response.writeHead(200, { 'content-type': 'application/json' }).end(text);
    });
    const group = (provider: string) => ({
      deployments: [{ id: `${provider}-deep`, provider, model: 'deep-tool-input' }],
    });
    hostileGateway = await startGatewayProcess({
      config: {
        providers: hostileProviders(upstream.url),
        models: { openai: group('openai'), anthropic: group('anthropic'), bedrock: group('bedrock') },
        tenants: { team: { keys: [teamKey] } },
        router: { retries: 0 },
      },
    });
  });
  afterAll(async () => {
    await hostileGateway.stop();
    await upstream.close();
  });

  it.each([
    { model: 'openai', stream: false },
    { model: 'anthropic', stream: false },
    { model: 'anthropic', stream: true },
    { model: 'bedrock', stream: false },
  ])('$model upstream (stream: $stream): never a 500', async ({ model, stream }) => {
    const response = await request(`${hostileGateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${teamKey}` },
      body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const body: unknown = await response.body.json();
    expect(response.statusCode, JSON.stringify(body).slice(0, 300)).not.toBe(500);
    if (response.statusCode !== 200) {
      // A stream skips one malformed (too deep) event and goes on: then it ends without its end.
      const expected = stream ? 'upstream_stream_interrupted' : 'upstream_bad_response';
      expect(expectOpenaiError(body).error.code).toBe(expected);
    }
  });
});
