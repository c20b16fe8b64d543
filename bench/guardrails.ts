/**
 * Issue 16, measured: the added cost of the PII guardrail (every entity, action mask, on input and
 * output) on a 4 KB prompt. CPU per request: the guardrail stage's input scan of the prompt and its
 * output scan of a 1 KB answer, complete and streamed (4-character deltas through the sliding window),
 * timed with process.cpuUsage over many requests. This is all the code a guardrail adds to a
 * request (the pipeline's other work is the same with or without it). First-token delay on a stream:
 * the characters the window holds before the first text leaves, and what that is in time at a stated
 * upstream speed (characters per token 4). `node bench/guardrails.ts [--requests 2000] [--tokens-per-s 80]`;
 * `npm run bench` runs it after its table (`--no-guardrails` skips it).
 */
import { parseArgs } from 'node:util';
import type { ChatRequest } from '../src/core/chat-request.ts';
import type { ChatResponse } from '../src/core/chat-response.ts';
import type { GatewayEvent } from '../src/core/gateway-events.ts';
import { piiEntities } from '../src/core/guardrail-settings.ts';
import type { ChatStreamEvent } from '../src/core/stream-event.ts';
import type { RequestContext } from '../src/pipeline/gateway.ts';
import { GuardrailCatalog } from '../src/stages/guardrails/build-guardrails.ts';

export interface GuardrailBenchOptions {
  readonly requests: number;
  readonly tokensPerS: number;
}

export interface GuardrailBenchResult {
  readonly promptBytes: number;
  readonly inputUs: number;
  readonly outputUs: number;
  readonly streamUs: number;
  readonly firstTextAfterChars: number;
  readonly firstTokenDelayMs: number;
  readonly masked: number;
}

const filler =
  'The quarterly report covers traffic through the gateway, the latency of each region and the cost per team. ';

/** A 4 KB prompt with a few PII items among ordinary text (numbers that are not PII too). */
function prompt(): string {
  let text = '';
  let index = 0;
  while (text.length < 4096) {
    text += filler;
    if (index % 8 === 3) text += `Write to user${index}@example.com or call +1 415 555 01${index % 10}0. `;
    if (index % 8 === 6) text += `Order 1234 5678 9012 ${3456 + index} paid with 4111 1111 1111 1111. `;
    index += 1;
  }
  return text.slice(0, 4096);
}

const answerText = `${filler.repeat(8)}Contact ops@example.com about 4111 1111 1111 1111.`.slice(0, 1024);

function deltas(text: string): ChatStreamEvent[] {
  const events: ChatStreamEvent[] = [{ type: 'message_start', id: 'm', model: 'x' }];
  for (let at = 0; at < text.length; at += 4)
    events.push({ type: 'text_delta', index: 0, text: text.slice(at, at + 4) });
  events.push({ type: 'content_block_stop', index: 0 }, { type: 'message_stop', stopReason: 'end_turn' });
  return events;
}

// eslint-disable-next-line @typescript-eslint/require-await -- a stream source
async function* replay(events: readonly ChatStreamEvent[], arrived: { chars: number }) {
  for (const event of events) {
    if (event.type === 'text_delta') arrived.chars += event.text.length;
    yield event;
  }
}

const cpuUs = (run: () => void | Promise<void>) => async (count: number) => {
  const start = process.cpuUsage();
  for (let index = 0; index < count; index += 1) await run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / count;
};

export async function measureGuardrails(options: GuardrailBenchOptions): Promise<GuardrailBenchResult> {
  const events: GatewayEvent[] = [];
  const catalog = new GuardrailCatalog(
    { pii: { type: 'pii', entities: [...piiEntities], action: 'mask', on: ['input', 'output'] } },
    { emit: (event) => events.length < 10 && events.push(event) },
  );
  const stage = catalog.stageOf(['pii']);
  if (stage === undefined) throw new Error('no guardrail stage');
  const text = prompt();
  const request: ChatRequest = {
    model: 'g',
    stream: false,
    messages: [{ role: 'user', content: [{ type: 'text', text }] }],
  };
  const response: ChatResponse = {
    id: 'r',
    model: 'x',
    content: [{ type: 'text', text: answerText }],
    stopReason: 'end_turn',
    usage: { inputTokens: 1000, outputTokens: 256 },
  };
  const context = { requestId: 'b', principal: { tenant: 't' } } as unknown as RequestContext;
  const streamEvents = deltas(answerText);
  let firstTextAfterChars = 0;
  let masked = 0;
  const input = cpuUs(() => {
    const decision = stage.beforePlan(request, context);
    if (decision?.kind === 'change') masked += 1;
  });
  const output = cpuUs(() => {
    stage.afterAnswer(response, request, context);
  });
  const stream = cpuUs(async () => {
    const arrived = { chars: 0 };
    let first = -1;
    for await (const event of stage.transformStream(replay(streamEvents, arrived), request, context)) {
      if (first < 0 && event.type === 'text_delta') first = arrived.chars;
    }
    firstTextAfterChars = first;
  });
  const warm = Math.max(50, options.requests / 10);
  await input(warm);
  await output(warm);
  await stream(warm);
  const inputUs = await input(options.requests);
  const outputUs = await output(options.requests);
  const streamUs = await stream(options.requests);
  const charsPerS = options.tokensPerS * 4;
  return {
    promptBytes: Buffer.byteLength(text),
    inputUs,
    outputUs,
    streamUs,
    firstTextAfterChars,
    firstTokenDelayMs: ((firstTextAfterChars - 4) / charsPerS) * 1000,
    masked,
  };
}

export function formatGuardrails(result: GuardrailBenchResult, options: GuardrailBenchOptions): string {
  return [
    `PII guardrail (8 entities, mask, input+output), ${result.promptBytes} B prompt, 1 KB answer, ${options.requests} requests:`,
    `  CPU per request: input scan ${result.inputUs.toFixed(1)} µs, complete answer ${result.outputUs.toFixed(1)} µs, streamed answer ${result.streamUs.toFixed(1)} µs (4-char deltas)`,
    `  stream first-token delay: first text leaves after ${result.firstTextAfterChars} chars arrived (window 256 + step 64);`,
    `    at ${options.tokensPerS} tokens/s (4 chars/token) that is +${result.firstTokenDelayMs.toFixed(0)} ms before the first token`,
  ].join('\n');
}

export const defaultGuardrailBenchOptions: GuardrailBenchOptions = { requests: 2000, tokensPerS: 80 };

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '2000' },
      'tokens-per-s': { type: 'string', default: '80' },
    },
  });
  const options = { requests: Number(values.requests), tokensPerS: Number(values['tokens-per-s']) };
  process.stdout.write(`${formatGuardrails(await measureGuardrails(options), options)}\n`);
}
