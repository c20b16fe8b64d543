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

/** The answer every continuation completes: twelve words. */
const fullAnswer = words(12);

/** Each message of a request body (any wire) as its role and text. */
function turnsOf(body: Buffer): { role: string; text: string }[] {
  const parsed = JSON.parse(body.toString('utf8')) as { messages?: { role: string; content: unknown }[] };
  return (parsed.messages ?? []).map(({ role, content }) => ({
    role,
    text:
      typeof content === 'string'
        ? content
        : Array.isArray(content)
          ? content
              .map((part) => {
                const text = (part as { text?: unknown }).text;
                return typeof text === 'string' ? text : '';
              })
              .join('')
          : '',
  }));
}

/**
 * What a well-behaved model answers to a continuation of `fullAnswer`: after a prefill (a trailing
 * assistant turn), the rest of it; after a "continue" user turn, the rest with the last two words
 * written again (the overlap the gateway trims); otherwise the whole answer.
 */
function continuationOf(turns: readonly { role: string; text: string }[]): string {
  const last = turns.at(-1);
  const previous = turns.at(-2);
  if (last?.role === 'assistant') return fullAnswer.slice(last.text.length);
  if (previous?.role === 'assistant') {
    const words = previous.text.match(/\S+\s*/g) ?? [];
    const repeated = words.slice(-2).join('').length;
    return fullAnswer.slice(Math.max(0, previous.text.length - repeated));
  }
  return fullAnswer;
}

/** A continuer (`rejectPrefill`: a 400 to a trailing assistant turn, as some models give). */
function defineContinuer(name: string, rejectPrefill: boolean): void {
  upstream.define(name, ({ wire, response, body }) => {
    const turns = turnsOf(body);
    if (rejectPrefill && turns.at(-1)?.role === 'assistant') {
      response.writeHead(400, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          type: 'error',
          error: {
            type: 'invalid_request_error',
            message: 'This model does not support assistant message prefill.',
          },
        }),
      );
      return;
    }
    const texts = continuationOf(turns).match(/\s*\S+\s*/g) ?? [];
    response.writeHead(200, { 'content-type': streamContentType(wire) });
    for (const chunk of streamChunks(wire, 0, { texts })) response.write(chunk);
    response.end();
  });
}

/** A recovering group: its one deployment cuts the stream; the fallback group continues it. */
function recovering(name: string, provider: Wire, scenario: string, fallback: string) {
  return {
    deployments: [{ id: `${name}-cut`, provider, model: scenario }],
    stream_recovery: 'continue' as const,
    fallbacks: [fallback],
  };
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
  // The start and the last three events (finish/usage/[DONE], block stop/delta/stop, ...) sent twice.
  defineStream('duplicates', (wire) => {
    const chunks = streamChunks(wire, 4);
    const first = chunks.slice(0, 1);
    return [
      ...first,
      ...first,
      ...chunks.slice(1, -3),
      ...chunks.slice(-3).flatMap((chunk) => [chunk, chunk]),
    ];
  });
  // Complete but for the last event: [DONE], message_stop, metadata.
  defineStream('no-sentinel', (wire) => streamChunks(wire, 4).slice(0, -1));
  defineContinuer('continuer', false);
  defineContinuer('no-prefill', true);
  // A tool call whose arguments are cut half way.
  upstream.define('cut-in-tool-call', ({ response }) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (delta: unknown): string =>
      `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
    response.write(chunk({ role: 'assistant', content: '' }));
    response.write(
      chunk({
        tool_calls: [
          { index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"ci' } },
        ],
      }),
    );
    setTimeout(() => response.socket?.destroy(), 50);
  });
  // Three words, then an upstream error event (overloaded) mid-stream.
  defineStream('error-event-after-chunks', (wire) => [
    ...streamChunks(wire, 3, { end: false }),
    Buffer.from(
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
    ),
  ]);
  // Three words, then a run of garbage.
  defineStream('malformed-run-after-chunks', (wire) => [
    ...streamChunks(wire, 3, { end: false }),
    garbage(wire),
    garbage(wire),
    garbage(wire),
  ]);
  const models = {
    ...Object.fromEntries(
      wires.flatMap((wire) =>
        ['one-malformed', 'three-malformed', 'no-sentinel', 'duplicates'].map((scenario) => [
          `${wire}-${scenario}`,
          group(wire, scenario),
        ]),
      ),
    ),
    ...Object.fromEntries(
      wires.flatMap((wire) => [
        [`${wire}-continuer`, group(wire, 'continuer')],
        [
          `recover-${wire}`,
          recovering(`recover-${wire}`, wire, 'stream-reset-after-chunks', `${wire}-continuer`),
        ],
      ]),
    ),
    'anthropic-no-prefill': group('anthropic', 'no-prefill'),
    'recover-via-no-prefill': recovering(
      'recover-via-no-prefill',
      'openai',
      'stream-reset-after-chunks',
      'anthropic-no-prefill',
    ),
    'recover-idle': {
      ...recovering('recover-idle', 'openai', 'stream-idle-after-chunks', 'openai-continuer'),
      stream_idle_timeout_ms: 1000,
    },
    'recover-error-event': recovering(
      'recover-error-event',
      'anthropic',
      'error-event-after-chunks',
      'anthropic-continuer',
    ),
    'recover-malformed': recovering(
      'recover-malformed',
      'openai',
      'malformed-run-after-chunks',
      'openai-continuer',
    ),
    'recover-tool-call': recovering('recover-tool-call', 'openai', 'cut-in-tool-call', 'openai-continuer'),
    'no-recovery': {
      deployments: [{ id: 'no-recovery-cut', provider: 'openai', model: 'stream-reset-after-chunks' }],
      fallbacks: ['openai-continuer'],
    },
  };
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

/** An OpenAI-SDK stream's text, its finish reasons and usage chunks (each must come once). */
async function openaiStream(model: string): Promise<{
  text: string;
  finishReasons: string[];
  usages: { prompt_tokens: number; completion_tokens: number }[];
}> {
  const stream = await openaiClient(gateway.url, key).chat.completions.create({
    model,
    stream: true,
    stream_options: { include_usage: true },
    max_completion_tokens: 100,
    messages: [{ role: 'user', content: 'Count to twelve.' }],
  });
  let text = '';
  const finishReasons: string[] = [];
  const usages: { prompt_tokens: number; completion_tokens: number }[] = [];
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    text += choice?.delta.content ?? '';
    if (choice?.finish_reason) finishReasons.push(choice.finish_reason);
    if (chunk.usage) usages.push(chunk.usage);
  }
  return { text, finishReasons, usages };
}

describe('an upstream that repeats its start, its end and its usage', () => {
  it.each(wires)('%s: the client gets one start, one end and one usage', async (wire) => {
    if (wire === 'anthropic') {
      const { text, usage } = await streamText(wire, `${wire}-duplicates`);
      expect(text).toBe(words(4));
      expect(usage).toEqual({ input: 3, output: 4 });
      return;
    }
    const { text, finishReasons, usages } = await openaiStream(`${wire}-duplicates`);
    expect(text).toBe(words(4));
    expect(finishReasons).toEqual(['stop']);
    expect(usages).toEqual([expect.objectContaining({ prompt_tokens: 3, completion_tokens: 4 })]);
  });
});

describe('stream recovery after the first byte (stream_recovery: continue)', () => {
  it.each(wires)(
    '%s: a stream cut after 3 words is completed from the fallback; one answer, one end, one usage (the sum)',
    async (wire) => {
      const before = upstream.exchanges.length;
      if (wire === 'anthropic') {
        const stream = anthropicClient(gateway.url, key).messages.stream({
          model: `recover-${wire}`,
          max_tokens: 100,
          messages: [{ role: 'user', content: 'Count to twelve.' }],
        });
        const stops: string[] = [];
        stream.on('streamEvent', (event) => {
          if (event.type === 'message_delta' && event.delta.stop_reason) stops.push(event.delta.stop_reason);
        });
        const message = await stream.finalMessage();
        expect(message.content.map((block) => (block.type === 'text' ? block.text : '')).join('')).toBe(
          fullAnswer,
        );
        expect(message.content).toHaveLength(1);
        expect(stops).toEqual(['end_turn']);
        // 3 words cut (estimated) + 9 words reported by the continuation.
        expect(message.usage.output_tokens).toBeGreaterThanOrEqual(10);
      } else {
        const { text, finishReasons, usages } = await openaiStream(`recover-${wire}`);
        expect(text).toBe(fullAnswer);
        expect(finishReasons).toEqual(['stop']);
        expect(usages).toHaveLength(1);
        expect(usages[0]?.completion_tokens).toBeGreaterThanOrEqual(10);
      }
      const exchanges = upstream.exchanges.slice(before).map((exchange) => exchange.scenario);
      expect(exchanges).toEqual(['stream-reset-after-chunks', 'continuer']);
    },
  );

  it('a target that rejects prefill gets the plain continuation; the client never sees its 400', async () => {
    const before = upstream.exchanges.length;
    const { text, finishReasons } = await openaiStream('recover-via-no-prefill');
    expect(text).toBe(fullAnswer);
    expect(finishReasons).toEqual(['stop']);
    // The prefill was refused once, then the same deployment continued without it ...
    const scenarios = upstream.exchanges.slice(before).map((exchange) => exchange.scenario);
    expect(scenarios).toEqual(['stream-reset-after-chunks', 'no-prefill', 'no-prefill']);
    // ... and the next recovery does not try a prefill there again (learned).
    const again = upstream.exchanges.length;
    expect((await openaiStream('recover-via-no-prefill')).text).toBe(fullAnswer);
    expect(upstream.exchanges.slice(again).map((exchange) => exchange.scenario)).toEqual([
      'stream-reset-after-chunks',
      'no-prefill',
    ]);
  });

  it('a stream gone silent (idle timeout) is continued too', async () => {
    const { text, finishReasons } = await openaiStream('recover-idle');
    expect(text).toBe(fullAnswer);
    expect(finishReasons).toEqual(['stop']);
  });

  it('an upstream error event and a run of malformed events mid-stream are continued too', async () => {
    for (const model of ['recover-error-event', 'recover-malformed']) {
      const { text, finishReasons, usages } = await openaiStream(model);
      expect(text).toBe(fullAnswer);
      expect(finishReasons).toEqual(['stop']);
      expect(usages).toHaveLength(1);
    }
  });

  it('a cut inside a tool call is not spliced: an honest in-band error', async () => {
    const before = upstream.exchanges.length;
    const failure = await openaiStream('recover-tool-call').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(String(failure)).toMatch(/interrupt|ended|upstream/i);
    expect(upstream.exchanges.slice(before).map((exchange) => exchange.scenario)).toEqual([
      'cut-in-tool-call',
    ]);
  });

  it('without stream_recovery a cut stream still ends in the honest in-band error', async () => {
    const failure = await openaiStream('no-recovery').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeDefined();
  });

  it('counts recoveries by group and outcome, and both attempts', async () => {
    const metrics = await scrapeMetrics(gateway.url);
    const recoveries = (group: string, outcome: string): number | undefined =>
      metricValue(metrics, 'spillway_stream_recoveries_total', { group, outcome });
    for (const wire of wires) expect(recoveries(`recover-${wire}`, 'continued')).toBe(1);
    expect(recoveries('recover-via-no-prefill', 'continued')).toBe(2);
    expect(recoveries('recover-tool-call', 'refused')).toBe(1);
    expect(recoveries('no-recovery', 'continued')).toBeUndefined();
    const attempts = (deployment: string, outcome: string): number | undefined =>
      metricValue(metrics, 'spillway_upstream_attempts_total', { deployment, outcome });
    expect(attempts('openai-continuer', 'success')).toBeGreaterThanOrEqual(2);
    expect(attempts('recover-openai-cut', 'error')).toBe(1);
  });
});
