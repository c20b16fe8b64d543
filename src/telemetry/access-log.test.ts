import { describe, expect, it } from 'vitest';
import { pino, type DestinationStream } from 'pino';
import type { RequestFinished } from '../core/gateway-events.ts';
import { accessLine, accessLogText, createAccessLog, writeAccessLogLine } from './access-log.ts';
import { LineBatcher } from './line-batcher.ts';
import { scriptedEvents, west } from '../../test/support/telemetry/scripted-events.ts';
import { requestFinished } from '../../test/support/telemetry/request-finished.ts';

function memoryDestination(): { destination: DestinationStream; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  return {
    destination: { write: (chunk: string) => chunks.push(chunk) },
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

const finishedOnly = scriptedEvents.filter(
  (event): event is RequestFinished => event.type === 'request-finished',
);

describe('createAccessLog', () => {
  it('writes one line per finished request with the fields an operator needs', async () => {
    const { destination, lines } = memoryDestination();
    const log = createAccessLog({ destination });
    for (const event of scriptedEvents) log.sink.emit(event);
    await log.flush();
    const written = lines();
    expect(written.map((line) => line['requestId'])).toEqual(['req-1', 'req-2', 'req-3', 'req-5']);
    expect(written[0]).toMatchObject({
      level: 'info',
      msg: 'request finished',
      requestId: 'req-1',
      tenant: 'acme',
      keyId: 'key-acme-1',
      group: 'sonnet',
      servedGroup: 'sonnet',
      deployment: 'sonnet-west',
      region: 'us-west-2',
      account: 'account-2',
      attempts: 2,
      status: 200,
      inputTokens: 100,
      outputTokens: 50,
      costUsd: 0.0015,
      totalMs: 1000,
      firstTokenMs: 1000,
      overheadMs: 1.5,
    });
    expect(typeof written[0]?.['time']).toBe('string');
    expect(written[1]).toMatchObject({ servedGroup: 'haiku', fallbacks: 1, cacheReadInputTokens: 10 });
    expect(written[2]).toMatchObject({ level: 'info', status: 429, errorCode: 'rate_limited' });
    expect(written[2]).not.toHaveProperty('deployment');
    // a stream that failed after its first byte is a server-side failure: warn
    expect(written[3]).toMatchObject({
      level: 'warn',
      status: 200,
      errorCode: 'upstream_stream_interrupted',
    });
  });

  it('never writes bodies or anything from them', async () => {
    const { destination, lines } = memoryDestination();
    const log = createAccessLog({ destination });
    const secret = 'sk-spillway-0123456789abcdef';
    const event = requestFinished({
      requestId: 'req-9',
      dialect: 'anthropic',
      tenant: 'acme',
      keyId: 'key-acme-1',
      requestedGroup: 'sonnet',
      target: west,
      startedAt: 0,
      latencyMs: 5,
      overheadMs: 0.1234567,
      bodies: {
        request: { headers: { authorization: `Bearer ${secret}` }, prompt: 'hello' },
        response: 'world',
      },
    });
    log.sink.emit(event);
    await log.flush();
    const [line] = lines();
    const text = JSON.stringify(line);
    expect(text).not.toContain(secret);
    expect(text).not.toContain('hello');
    expect(line).not.toHaveProperty('bodies');
    expect(line?.['overheadMs']).toBe(0.123);
  });

  it('follows the configured level', async () => {
    const { destination, lines } = memoryDestination();
    const log = createAccessLog({ destination, level: 'warn' });
    for (const event of scriptedEvents) log.sink.emit(event);
    await log.flush();
    expect(lines().map((line) => line['requestId'])).toEqual(['req-5']);
    const silent = memoryDestination();
    const quiet = createAccessLog({ destination: silent.destination, level: 'silent' });
    for (const event of scriptedEvents) quiet.sink.emit(event);
    await quiet.flush();
    expect(silent.lines()).toEqual([]);
  });

  it('writes the lines of one event-loop turn as one chunk, in order, by the next turn', async () => {
    const chunks: string[] = [];
    const log = createAccessLog({ destination: { write: (chunk: string) => chunks.push(chunk) } });
    for (const event of scriptedEvents) log.sink.emit(event);
    expect(chunks).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(chunks).toHaveLength(1);
    expect(chunks[0]?.split('\n').map((line) => /"requestId":"([^"]*)"/.exec(line)?.[1])).toEqual([
      'req-1',
      'req-2',
      'req-3',
      'req-5',
      undefined,
    ]);
    // the logger shares the batch: its lines keep their place among the access lines
    log.sink.emit(finishedOnly[0]!);
    log.logger.info('between');
    log.sink.emit(finishedOnly[1]!);
    await log.flush();
    expect(chunks).toHaveLength(2);
    expect(chunks[1]?.split('\n').map((line) => /"(?:requestId|msg)":"([^"]*)"/.exec(line)?.[1])).toEqual([
      'req-1',
      'between',
      'req-2',
      undefined,
    ]);
  });

  it('writes the same JSON, field order and escaping as pino would', () => {
    const awkward = 'a"b\\c\n\u0001\u2028é😀\ud800';
    const events: RequestFinished[] = [
      ...finishedOnly,
      {
        type: 'request-finished',
        requestId: awkward,
        dialect: 'openai',
        endpoint: 'chat',
        tenant: awkward,
        keyId: awkward,
        requestedGroup: awkward,
        target: { ...west, deployment: awkward },
        stream: true,
        status: 502,
        attempts: 3,
        fallbacks: 2,
        inputTokens: 0,
        outputTokens: 0,
        cacheReadInputTokens: 0,
        cacheWriteInputTokens: 7,
        costUsd: 1e-7,
        startedAt: 0,
        latencyMs: Number.NaN,
        overheadMs: 0.0004,
        firstTokenMs: 12.3456,
        errorCode: 'upstream_5xx',
        clientRequestId: awkward,
        usageEstimated: true,
      },
    ];
    for (const event of events) {
      const chunks: string[] = [];
      pino(
        { base: null, timestamp: () => ',"time":"T"', formatters: { level: (label) => ({ level: label }) } },
        { write: (chunk: string) => chunks.push(chunk) },
      ).warn(accessLine(event), 'request finished');
      const ours = accessLogText('warn', event).replace(/"time":"[^"]*"/, '"time":"T"');
      expect(ours).toBe(chunks.join(''));
    }
  });

  it('writes lines with non-ASCII names to a byte destination as UTF-8, ASCII ones as the same bytes', async () => {
    const chunks: Buffer[] = [];
    const lines = new LineBatcher({ bytes: { write: (chunk: Buffer) => chunks.push(chunk) } });
    const plain = finishedOnly[0]!;
    const named = { ...plain, requestId: 'req-é', tenant: 'zürich 😀', target: { ...west, region: 'eu-ü' } };
    for (const event of [plain, named, plain]) {
      writeAccessLogLine(lines, 'info', event);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const texts = chunks.map((chunk) => chunk.toString('utf8'));
    expect(texts).toHaveLength(3);
    expect(JSON.parse(texts[1]!)).toMatchObject({ requestId: 'req-é', tenant: 'zürich 😀', region: 'eu-ü' });
    expect(JSON.parse(texts[2]!)).toMatchObject({ requestId: 'req-1', tenant: 'acme', region: 'us-west-2' });
    expect(chunks[0]!.length).toBe(texts[0]!.length);
  });
});
