/** Streaming measurements: time to first token, gaps between chunks, and many concurrent streams. */
import { Pool } from 'undici';
import type { Target } from './load.ts';
import { percentile } from './load.ts';
import { memoryMb } from './processes.ts';

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
  /** Why streams failed: the error's code (or message), by count; "incomplete" for one without [DONE]. */
  readonly failures: Readonly<Record<string, number>>;
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
  maxTokens?: number,
): Promise<ConcurrentStreams> {
  const pool = new Pool(target.url, { connections: count, pipelining: 1 });
  const body = maxTokens === undefined ? streamBody : streamBodyOf(maxTokens);
  try {
    const results = await Promise.allSettled(
      Array.from({ length: count }, () => streamOnce(pool, target, body)),
    );
    let completed = 0;
    let droppedChunks = 0;
    const samples: StreamSample[] = [];
    const failures: Record<string, number> = {};
    const failedWith = (reason: string): void => {
      failures[reason] = (failures[reason] ?? 0) + 1;
    };
    for (const result of results) {
      if (result.status !== 'fulfilled') {
        const error = result.reason as { code?: unknown; message?: unknown };
        failedWith(String(error.code ?? error.message));
        continue;
      }
      samples.push(result.value);
      if (result.value.completed) completed += 1;
      else failedWith('incomplete');
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
      failures,
      droppedChunks,
      concurrentPeak: overlapPeak(samples),
      firstTokenP50Ms: percentile(firstTokens, 50),
      firstTokenP99Ms: percentile(firstTokens, 99),
    };
  } finally {
    await pool.close();
  }
}

/** First-token latency percentiles of one target's probe streams. */
export interface FirstTokenProbe {
  readonly samples: number;
  readonly p50: number;
  readonly p99: number;
}

/** One-token streams: the probe's only content event is its first token. */
const oneTokenBody = streamBodyOf(1);

/**
 * `pairs` probe streams per target, each target's probe sent at the same moment as the others' (so
 * whatever else is running hits all alike), pairs one after another, one connection per target.
 */
export async function probeFirstTokens(
  targets: readonly Target[],
  pairs: number,
): Promise<Map<string, FirstTokenProbe>> {
  const pools = targets.map((target) => new Pool(target.url, { connections: 1 }));
  const firsts = targets.map((): number[] => []);
  try {
    for (let i = 0; i < pairs; i += 1) {
      // a probe that fails is left out of the samples (their count is printed)
      const samples = await Promise.all(
        targets.map((target, index) =>
          streamOnce(pools[index] as Pool, target, oneTokenBody).catch(() => undefined),
        ),
      );
      samples.forEach((sample, index) => {
        if (sample?.completed === true && Number.isFinite(sample.firstTokenMs))
          firsts[index]?.push(sample.firstTokenMs);
      });
    }
  } finally {
    await Promise.all(pools.map((pool) => pool.close()));
  }
  return new Map(
    targets.map((target, index) => {
      const sorted = (firsts[index] ?? []).sort((a, b) => a - b);
      return [
        target.name,
        { samples: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) },
      ];
    }),
  );
}

export interface SteadyStreams<T> {
  readonly completed: number;
  readonly droppedChunks: number;
  readonly concurrentPeak: number;
  /** How many background streams were streaming (past their first token, not ended) while `during` ran. */
  readonly streamingDuringProbes: { readonly min: number; readonly max: number };
  readonly during: T;
}

/**
 * `count` streams of `tokens` tokens each, opened evenly over `rampMs`; once all of them are
 * streaming (or the ramp plus 5 s has passed), runs `during`, then waits for every stream to end.
 * The background streams are read cheaply (their content tokens counted, not parsed), so that the
 * load generator spends its CPU on the probes.
 */
export async function holdSteadyStreams<T>(
  target: Target,
  count: number,
  tokens: number,
  rampMs: number,
  during: () => Promise<T>,
): Promise<SteadyStreams<T>> {
  const pool = new Pool(target.url, { connections: count, pipelining: 1 });
  const body = streamBodyOf(tokens);
  let streaming = 0;
  let peak = 0;
  const one = async (): Promise<StreamSample> => {
    const started = process.hrtime.bigint();
    const answer = await pool.request({
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { 'content-type': 'application/json', ...target.headers },
      body,
    });
    let contentChunks = 0;
    let carry = '';
    let firstTokenMs = Number.NaN;
    try {
      for await (const part of answer.body) {
        const text = carry + (part as Buffer).toString('latin1');
        let at = text.indexOf('"content":"tok');
        while (at !== -1) {
          contentChunks += 1;
          at = text.indexOf('"content":"tok', at + 14);
        }
        if (contentChunks > 0 && Number.isNaN(firstTokenMs)) {
          firstTokenMs = Number(process.hrtime.bigint() - started) / 1e6;
          streaming += 1;
          peak = Math.max(peak, streaming);
        }
        carry = text.slice(-14);
      }
    } finally {
      if (!Number.isNaN(firstTokenMs)) streaming -= 1;
    }
    return {
      startedAtMs: Number(started) / 1e6,
      endMs: Number(process.hrtime.bigint() - started) / 1e6,
      firstTokenMs,
      gapsMs: [],
      contentChunks,
      completed: answer.statusCode === 200 && contentChunks === tokens,
    };
  };
  try {
    const running: Promise<StreamSample>[] = [];
    const stepMs = 10;
    const perStep = Math.max(1, Math.ceil((count * stepMs) / Math.max(stepMs, rampMs)));
    while (running.length < count) {
      for (let i = 0; i < perStep && running.length < count; i += 1) {
        const stream = one();
        // a stream that fails (connect timeout under overload) is counted below, not thrown unhandled
        stream.catch(() => undefined);
        running.push(stream);
      }
      await new Promise((resolve) => setTimeout(resolve, stepMs));
    }
    const deadline = Date.now() + 5000;
    while (streaming < count && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    let min = streaming;
    let max = streaming;
    const sampler = setInterval(() => {
      min = Math.min(min, streaming);
      max = Math.max(max, streaming);
    }, 50);
    let result: T;
    try {
      result = await during();
    } finally {
      clearInterval(sampler);
    }
    min = Math.min(min, streaming);
    const settled = await Promise.allSettled(running);
    let completed = 0;
    let droppedChunks = 0;
    for (const outcome of settled) {
      if (outcome.status !== 'fulfilled') {
        droppedChunks += tokens;
        continue;
      }
      if (outcome.value.completed) completed += 1;
      droppedChunks += Math.max(0, tokens - outcome.value.contentChunks);
    }
    return {
      completed,
      droppedChunks,
      concurrentPeak: peak,
      streamingDuringProbes: { min, max },
      during: result,
    };
  } finally {
    await pool.close();
  }
}

/** Long streams held at once through a gateway, with its RSS while they streamed. */
export interface LongStreams extends ConcurrentStreams {
  readonly tokens: number;
  readonly seconds: number;
  readonly rssBeforeMb: number;
  /** The highest RSS of 250 ms samples while the streams ran. */
  readonly rssMaxMb: number;
  readonly rssAfterMb: number;
}

/**
 * `count` streams of `tokens` tokens each opened at once through `target`, with process `pid`'s RSS
 * sampled every 250 ms: a relay that keeps something per event grows with the tokens.
 */
export async function holdLongStreams(
  target: Target,
  pid: number,
  count: number,
  tokens: number,
): Promise<LongStreams> {
  const rssBeforeMb = memoryMb(pid).rss;
  let rssMaxMb = rssBeforeMb;
  const sampler = setInterval(() => {
    rssMaxMb = Math.max(rssMaxMb, memoryMb(pid).rss);
  }, 250);
  const started = performance.now();
  try {
    const held = await holdStreams(target, count, tokens, tokens);
    return {
      ...held,
      tokens,
      seconds: (performance.now() - started) / 1000,
      rssBeforeMb,
      rssMaxMb,
      rssAfterMb: memoryMb(pid).rss,
    };
  } finally {
    clearInterval(sampler);
  }
}
