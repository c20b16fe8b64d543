import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.ts';
import {
  bedrockEvent,
  hostileProviders,
  startHostileUpstream,
  streamChunks,
  streamContentType,
  type HostileUpstream,
  type Wire,
} from './support/hostile-upstream.ts';
import { metricValue, scrapeMetrics } from './support/metrics.ts';
import { anthropicClient, openaiClient } from './support/sdk-clients.ts';

// Issue 15: streams that misbehave after their first byte, through a real `spillway serve` process
// and the official SDKs, against a scripted upstream speaking OpenAI, Anthropic and Bedrock streams.

const key = 'sk-stream-recovery-key';
const wires: readonly Wire[] = ['openai', 'anthropic', 'bedrock'];
let upstream: HostileUpstream;
let gateway: GatewayProcess;

/** The words of `streamChunks(wire, count)`: `w0 w1 ... `. */
const words = (count: number): string => Array.from({ length: count }, (_, index) => `w${index} `).join('');

/** A malformed event in `wire`'s framing (not JSON; a Bedrock frame with a bad checksum). */
function garbage(wire: Wire): Buffer {
  if (wire !== 'bedrock') return Buffer.from('event: content_block_delta\ndata: {"type":"content_bl\n\n');
  const frame = bedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'x' } });
  frame[frame.length - 1] = (frame[frame.length - 1] ?? 0) ^ 1;
  return frame;
}

/** Defines a scenario answering a stream with `chunks(wire)` and ending the response cleanly. */
function defineStream(name: string, chunks: (wire: Wire) => Buffer[]): void {
  upstream.define(name, ({ wire, response }) => {
    response.writeHead(200, { 'content-type': streamContentType(wire) });
    for (const chunk of chunks(wire)) response.write(chunk);
    response.end();
  });
}

function group(provider: Wire, scenario: string) {
  return { deployments: [{ id: `${provider}-${scenario}`, provider, model: scenario }] };
}

beforeAll(async () => {
  upstream = await startHostileUpstream();
  // Four words with one malformed event after the second.
  defineStream('one-malformed', (wire) => {
    const chunks = streamChunks(wire, 4);
    chunks.splice(3, 0, garbage(wire));
    return chunks;
  });
  defineStream('three-malformed', (wire) => {
    const chunks = streamChunks(wire, 4);
    chunks.splice(3, 0, garbage(wire), garbage(wire), garbage(wire));
    return chunks;
  });
  // Complete but for the last event: [DONE], message_stop, metadata.
  defineStream('no-sentinel', (wire) => streamChunks(wire, 4).slice(0, -1));
  const models = Object.fromEntries(
    wires.flatMap((wire) =>
      ['one-malformed', 'three-malformed', 'no-sentinel'].map((scenario) => [
        `${wire}-${scenario}`,
        group(wire, scenario),
      ]),
    ),
  );
  gateway = await startGatewayProcess({
    config: {
      providers: hostileProviders(upstream.url),
      models,
      tenants: { streams: { keys: [key] } },
      router: { retries: 0, first_token_timeout_ms: 5000, stream_idle_timeout_ms: 5000, timeout_ms: 20_000 },
    },
  });
});

afterAll(async () => {
  await gateway.stop();
  await upstream.close();
});

/** The text and usage of a stream read with the SDK of the wire's own dialect (Bedrock: openai). */
async function streamText(
  wire: Wire,
  model: string,
): Promise<{ text: string; usage: { input: number; output: number } | undefined }> {
  if (wire === 'anthropic') {
    const stream = anthropicClient(gateway.url, key).messages.stream({
      model,
      max_tokens: 50,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const message = await stream.finalMessage();
    const text = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
    return { text, usage: { input: message.usage.input_tokens, output: message.usage.output_tokens } };
  }
  const stream = await openaiClient(gateway.url, key).chat.completions.create({
    model,
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'hi' }],
  });
  let text = '';
  let usage: { input: number; output: number } | undefined;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? '';
    if (chunk.usage) usage = { input: chunk.usage.prompt_tokens, output: chunk.usage.completion_tokens };
  }
  return { text, usage };
}

describe('a malformed stream event', () => {
  it.each(wires)('%s: one is skipped and counted; the client gets the whole answer', async (wire) => {
    const { text, usage } = await streamText(wire, `${wire}-one-malformed`);
    expect(text).toBe(words(4));
    expect(usage).toEqual({ input: 3, output: 4 });
    const metrics = await scrapeMetrics(gateway.url);
    expect(
      metricValue(metrics, 'spillway_stream_malformed_events_total', {
        deployment: `${wire}-one-malformed`,
      }),
    ).toBe(1);
  });

  it.each(wires)('%s: three in a row are an honest upstream_bad_response', async (wire) => {
    const failure = await streamText(wire, `${wire}-three-malformed`).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(String(failure)).toMatch(/upstream|malformed|bad/i);
    const metrics = await scrapeMetrics(gateway.url);
    expect(
      metricValue(metrics, 'spillway_requests_total', {
        group: `${wire}-three-malformed`,
        outcome: 'error',
      }),
    ).toBe(1);
    expect(
      metricValue(metrics, 'spillway_request_errors_total', { error_code: 'upstream_bad_response' }),
    ).toBeGreaterThanOrEqual(1);
  });
});

describe('a finished stream without its sentinel', () => {
  it.each(wires)('%s: ends normally, with the usage it sent (estimated when none)', async (wire) => {
    const { text, usage } = await streamText(wire, `${wire}-no-sentinel`);
    expect(text).toBe(words(4));
    // OpenAI and Anthropic sent their usage before the missing sentinel; Bedrock's was in metadata.
    if (wire === 'bedrock') expect(usage?.output).toBeGreaterThan(0);
    else expect(usage).toEqual({ input: 3, output: 4 });
  });
});
