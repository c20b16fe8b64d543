/** Streaming measurements: time to first token, gaps between chunks, and many concurrent streams. */
import { Pool } from 'undici';
import type { Target } from './load.ts';
import { percentile } from './load.ts';

const streamBodyOf = (maxTokens: number): string =>
  JSON.stringify({
    model: 'bench',
    messages: [{ role: 'user', content: 'Stream to me.' }],
    max_tokens: maxTokens,
    stream: true,
  });
/** The fast upstream streams min(--chunks, max_tokens) content chunks. */
const streamBody = streamBodyOf(128);
/** Short streams (4 chunks) for the time-to-first-token probe, so it can take many samples. */
const probeBody = streamBodyOf(4);

export interface StreamSample {
  readonly firstTokenMs: number;
  readonly gapsMs: readonly number[];
  readonly contentChunks: number;
  readonly completed: boolean;
}

/** One streamed request: times each SSE event that carries content. */
async function streamOnce(pool: Pool, target: Target, body: string = streamBody): Promise<StreamSample> {
  const started = process.hrtime.bigint();
  const answer = await pool.request({
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json', ...target.headers },
    body,
  });
  let firstTokenMs = Number.NaN;
  let last = 0;
  const gapsMs: number[] = [];
  let contentChunks = 0;
  let completed = false;
  let pending = '';
  for await (const part of answer.body) {
    const now = Number(process.hrtime.bigint() - started) / 1e6;
    pending += (part as Buffer).toString('utf8');
    let boundary = pending.indexOf('\n\n');
    while (boundary !== -1) {
      const event = pending.slice(0, boundary);
      pending = pending.slice(boundary + 2);
      boundary = pending.indexOf('\n\n');
      if (event.includes('[DONE]')) completed = true;
      if (!event.includes('"content":"tok')) continue;
      contentChunks += 1;
      if (Number.isNaN(firstTokenMs)) firstTokenMs = now;
      else gapsMs.push(now - last);
      last = now;
    }
  }
  return { firstTokenMs, gapsMs, contentChunks, completed: completed && answer.statusCode === 200 };
}

export interface StreamLatency {
  readonly firstTokenP50Ms: number;
  readonly firstTokenP99Ms: number;
  readonly gapP50Ms: number;
  readonly gapP99Ms: number;
}

/**
 * Time to first token and chunk gaps of short streams, interleaved: `rounds` rounds, each sending
 * `perRound` sequential streams to every target in turn (A B C A B C ...), so drift hits all alike;
 * the first round is a warm-up and not counted.
 */
export async function measureStreamsInterleaved(
  targets: readonly Target[],
  rounds: number,
  perRound: number,
): Promise<Map<string, StreamLatency & { samples: number }>> {
  const pools = new Map(targets.map((t) => [t.name, new Pool(t.url, { connections: 1 })]));
  const firsts = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  const gaps = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  try {
    for (let round = 0; round < rounds; round += 1) {
      for (const target of targets) {
        const pool = pools.get(target.name);
        if (pool === undefined) continue;
        for (let i = 0; i < perRound; i += 1) {
          const sample = await streamOnce(pool, target, probeBody);
          if (round === 0 || !sample.completed) continue;
          firsts.get(target.name)?.push(sample.firstTokenMs);
          gaps.get(target.name)?.push(...sample.gapsMs);
        }
      }
    }
  } finally {
    await Promise.all([...pools.values()].map((pool) => pool.close()));
  }
  const result = new Map<string, StreamLatency & { samples: number }>();
  for (const target of targets) {
    const f = (firsts.get(target.name) ?? []).sort((a, b) => a - b);
    const g = (gaps.get(target.name) ?? []).sort((a, b) => a - b);
    result.set(target.name, {
      samples: f.length,
      firstTokenP50Ms: percentile(f, 50),
      firstTokenP99Ms: percentile(f, 99),
      gapP50Ms: percentile(g, 50),
      gapP99Ms: percentile(g, 99),
    });
  }
  return result;
}

export interface ConcurrentStreams {
  readonly opened: number;
  readonly completed: number;
  readonly failed: number;
  readonly droppedChunks: number;
}

/** `count` streams at once, each checked for completion and its full chunk count. */
export async function holdStreams(
  target: Target,
  count: number,
  expectedChunks: number,
): Promise<ConcurrentStreams> {
  const pool = new Pool(target.url, { connections: count, pipelining: 1 });
  try {
    const results = await Promise.allSettled(Array.from({ length: count }, () => streamOnce(pool, target)));
    let completed = 0;
    let droppedChunks = 0;
    for (const result of results) {
      if (result.status !== 'fulfilled') continue;
      if (result.value.completed) completed += 1;
      droppedChunks += Math.max(0, expectedChunks - result.value.contentChunks);
    }
    return { opened: count, completed, failed: count - completed, droppedChunks };
  } finally {
    await pool.close();
  }
}
