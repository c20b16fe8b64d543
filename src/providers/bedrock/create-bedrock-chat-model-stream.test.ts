import { describe, expect, it } from 'vitest';
import {
  eventFrame,
  exceptionFrame,
  sendFrames,
} from '../../../test/support/providers/bedrock-fixture-server.ts';
import {
  collect,
  context,
  failure,
  request,
  streamFixture,
  useFixtureServer,
} from '../../../test/support/providers/bedrock-test-harness.ts';

const { model, server } = useFixtureServer();

describe('stream', () => {
  it('decodes frames cut at arbitrary boundaries into canonical events', async () => {
    server().handle((_request, response) => {
      sendFrames(response, streamFixture('converse-stream-tool-use.json'), { chunkSize: 7 });
    });
    const { events, error } = await collect(model().stream({ ...request, stream: true }, context()));
    expect(error).toBeUndefined();
    expect(server().requests[0]?.rawPath).toBe(
      '/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream',
    );
    expect(events).toEqual([
      { type: 'message_start', id: 'fixture-stream-id', model: 'anthropic.claude-3-haiku-20240307-v1:0' },
      { type: 'text_delta', index: 0, text: 'Let me ' },
      { type: 'text_delta', index: 0, text: 'check.' },
      { type: 'content_block_stop', index: 0 },
      { type: 'tool_call_start', index: 1, id: 'tooluse_1', name: 'get_weather' },
      { type: 'tool_call_delta', index: 1, argumentsDelta: '{"city":' },
      { type: 'tool_call_delta', index: 1, argumentsDelta: '"Paris"}' },
      { type: 'content_block_stop', index: 1 },
      { type: 'message_stop', stopReason: 'tool_use' },
      { type: 'usage', usage: { inputTokens: 380, outputTokens: 54 } },
    ]);
  });

  const head = (): Uint8Array[] => [
    eventFrame('messageStart', { role: 'assistant' }),
    eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hel' } }),
  ];

  it.each([
    ['throttlingException', 'upstream_rate_limited', true],
    ['modelStreamErrorException', 'upstream_model_error', false],
  ] as const)('throws an in-stream %s as %s after the events before it', async (type, code, retryable) => {
    server().handle((_request, response) => {
      sendFrames(response, [...head(), exceptionFrame(type, 'stream failed')]);
    });
    const { events, error } = await collect(model().stream(request, context()));
    expect(events.map((event) => event.type)).toEqual(['message_start', 'text_delta']);
    expect(error).toMatchObject({ code, retryable, fallbackEligible: true, upstreamCode: type });
  });

  it('fails a stream that ends after a delta without messageStop and metadata', async () => {
    server().handle((_request, response) => {
      sendFrames(response, head());
    });
    const { events, error } = await collect(model().stream(request, context()));
    expect(events).toHaveLength(2);
    expect(error?.code).toBe('upstream_stream_interrupted');
    expect(error?.message).toContain('messageStop and metadata');
  });

  const corrupt = (): Uint8Array => {
    const frame = Buffer.from(
      eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'x' } }),
    );
    frame[frame.byteLength - 1] = (frame[frame.byteLength - 1] ?? 0) ^ 0x01;
    return frame;
  };
  const tail = (): Uint8Array[] => [
    eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'lo' } }),
    eventFrame('contentBlockStop', { contentBlockIndex: 0 }),
    eventFrame('messageStop', { stopReason: 'end_turn' }),
  ];
  const metadata = (): Uint8Array =>
    eventFrame('metadata', {
      usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 },
      metrics: { latencyMs: 1 },
    });

  it('skips a frame with a bad CRC and a payload of the wrong shape, and reports them', async () => {
    server().handle((_request, response) => {
      const wrongShape = eventFrame('contentBlockDelta', { delta: 'nope' });
      sendFrames(response, [...head(), corrupt(), wrongShape, ...tail(), metadata()]);
    });
    const skipped: string[] = [];
    const { events, error } = await collect(
      model().stream(request, { ...context(), onMalformedEvent: (reason) => skipped.push(reason) }),
    );
    expect(error).toBeUndefined();
    expect(skipped).toHaveLength(2);
    expect(events.flatMap((event) => (event.type === 'text_delta' ? [event.text] : [])).join('')).toBe(
      'Hello',
    );
    expect(events.at(-1)).toEqual({ type: 'usage', usage: { inputTokens: 3, outputTokens: 2 } });
  });

  it('fails three malformed frames in a row as a bad response', async () => {
    server().handle((_request, response) => {
      sendFrames(response, [...head(), corrupt(), corrupt(), corrupt(), ...tail(), metadata()]);
    });
    const { error } = await collect(model().stream(request, context()));
    expect(error?.code).toBe('upstream_bad_response');
  });

  it('completes a stream that ends cleanly after messageStop without metadata, with estimated usage', async () => {
    server().handle((_request, response) => {
      sendFrames(response, [...head(), ...tail(), eventFrame('messageStop', { stopReason: 'end_turn' })]);
    });
    const { events, error } = await collect(model().stream(request, context()));
    expect(error).toBeUndefined();
    expect(events.filter((event) => event.type === 'message_stop')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'usage', usage: { outputTokens: 2, estimated: true } });
  });

  it('fails a socket reset mid-stream as interrupted', async () => {
    let reset = (): void => undefined;
    server().handle((_request, response) => {
      sendFrames(response, head(), { end: false });
      reset = () => response.socket?.destroy();
    });
    const seen: string[] = [];
    const outcome = await failure(
      (async () => {
        for await (const event of model().stream(request, context())) {
          seen.push(event.type);
          reset();
        }
      })(),
    );
    expect(seen[0]).toBe('message_start');
    expect(outcome).toMatchObject({ code: 'upstream_stream_interrupted', retryable: true });
  });
});
