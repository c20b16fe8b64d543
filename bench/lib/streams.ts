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
  /** Start of the request, ms on the process's monotonic clock. */
  readonly startedAtMs: number;
  /** When the last byte arrived, ms after the start. */
  readonly endMs: number;
  readonly firstTokenMs: number;
  readonly gapsMs: readonly number[];
  readonly contentChunks: number;
  readonly completed: boolean;
}

/** One streamed request: times each SSE event that carries content. */
async function streamOnce(pool: Pool, target: Target, body: string = streamBody): Promise<StreamSample> {
  const started = process.hrtime.bigint();
  const startedAtMs = Number(started) / 1e6;
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
  const endMs = Number(process.hrtime.bigint() - started) / 1e6;
  return {
    startedAtMs,
    endMs,
    firstTokenMs,
    gapsMs,
    contentChunks,
    completed: completed && answer.statusCode === 200,
  };
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
  /** Most streams streaming at once: past their first token and not yet ended. */
  readonly concurrentPeak: number;
  /** Time to first token of these streams, all opened at once. */
  readonly firstTokenP50Ms: number;
  readonly firstTokenP99Ms: number;
}

/** The most intervals [first token, end] that overlap: how many streams were streaming at once. */
function overlapPeak(samples: readonly StreamSample[]): number {
  const edges: [number, number][] = [];
  for (const sample of samples) {
    if (!Number.isFinite(sample.firstTokenMs)) continue;
    edges.push([sample.startedAtMs + sample.firstTokenMs, 1], [sample.startedAtMs + sample.endMs, -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let peak = 0;
  for (const [, change] of edges) {
    open += change;
    peak = Math.max(peak, open);
  }
  return peak;
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
    const samples: StreamSample[] = [];
    for (const result of results) {
      if (result.status !== 'fulfilled') continue;
      samples.push(result.value);
      if (result.value.completed) completed += 1;
      droppedChunks += Math.max(0, expectedChunks - result.value.contentChunks);
    }
    const firstTokens = samples
      .map((sample) => sample.firstTokenMs)
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    return {
      opened: count,
      completed,
      failed: count - completed,
      droppedChunks,
      concurrentPeak: overlapPeak(samples),
      firstTokenP50Ms: percentile(firstTokens, 50),
      firstTokenP99Ms: percentile(firstTokens, 99),
    };
  } finally {
    await pool.close();
  }
}
