/** Streaming measurements: time to first token, gaps between chunks, and many concurrent streams. */
import { Pool } from 'undici';
import type { Target } from './load.ts';
import { percentile } from './load.ts';

const streamBody = JSON.stringify({
  model: 'bench',
  messages: [{ role: 'user', content: 'Stream to me.' }],
  max_tokens: 128,
  stream: true,
});

export interface StreamSample {
  readonly firstTokenMs: number;
  readonly gapsMs: readonly number[];
  readonly contentChunks: number;
  readonly completed: boolean;
}

/** One streamed request: times each SSE event that carries content. */
async function streamOnce(pool: Pool, target: Target): Promise<StreamSample> {
  const started = process.hrtime.bigint();
  const answer = await pool.request({
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json', ...target.headers },
    body: streamBody,
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

/** `count` streams one after another. */
export async function measureStreams(target: Target, count: number): Promise<StreamLatency> {
  const pool = new Pool(target.url, { connections: 1 });
  const firsts: number[] = [];
  const gaps: number[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const sample = await streamOnce(pool, target);
      firsts.push(sample.firstTokenMs);
      gaps.push(...sample.gapsMs);
    }
  } finally {
    await pool.close();
  }
  firsts.sort((a, b) => a - b);
  gaps.sort((a, b) => a - b);
  return {
    firstTokenP50Ms: percentile(firsts, 50),
    firstTokenP99Ms: percentile(firsts, 99),
    gapP50Ms: percentile(gaps, 50),
    gapP99Ms: percentile(gaps, 99),
  };
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
