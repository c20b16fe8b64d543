/** Load generation: autocannon for throughput, a precise undici probe for sub-millisecond latency. */
import autocannon from 'autocannon';
import { Pool } from 'undici';

export interface Target {
  readonly name: string;
  readonly url: string;
  readonly headers: Record<string, string>;
}

export interface ThroughputResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly errors: number;
  readonly non2xx: number;
}

export const chatBody = JSON.stringify({
  model: 'bench',
  messages: [{ role: 'user', content: 'Say hello.' }],
  max_tokens: 32,
});

/** A closed-loop autocannon run (or open-loop at `rate` requests/s overall). */
export async function runAutocannon(
  target: Target,
  connections: number,
  durationS: number,
  rate?: number,
): Promise<ThroughputResult> {
  const result = await autocannon({
    url: `${target.url}/v1/chat/completions`,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...target.headers },
    body: chatBody,
    connections,
    duration: durationS,
    pipelining: 1,
    ...(rate === undefined ? {} : { overallRate: rate }),
  });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

/**
 * Sequential requests at one connection, timed with hrtime: `rounds` rounds, each sending `perRound`
 * requests to every target in turn (A B C A B C ...), so drift affects all targets alike.
 */
export async function probeLatency(
  targets: readonly Target[],
  rounds: number,
  perRound: number,
): Promise<Map<string, number[]>> {
  const pools = new Map(targets.map((t) => [t.name, new Pool(t.url, { connections: 1, pipelining: 1 })]));
  const samples = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  try {
    for (let round = 0; round < rounds; round += 1) {
      for (const target of targets) {
        const pool = pools.get(target.name);
        const list = samples.get(target.name);
        if (pool === undefined || list === undefined) continue;
        for (let i = 0; i < perRound; i += 1) {
          const started = process.hrtime.bigint();
          const answer = await pool.request({
            method: 'POST',
            path: '/v1/chat/completions',
            headers: { 'content-type': 'application/json', ...target.headers },
            body: chatBody,
          });
          await answer.body.arrayBuffer();
          const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
          if (answer.statusCode === 200 && round > 0) list.push(elapsed);
        }
      }
    }
  } finally {
    await Promise.all([...pools.values()].map((pool) => pool.close()));
  }
  for (const list of samples.values()) list.sort((a, b) => a - b);
  return samples;
}

/** Exactly `count` chat requests at `connections` concurrency; throws if any answer is not 200. */
export async function sendRequests(
  url: string,
  headers: Record<string, string>,
  count: number,
  connections: number,
): Promise<void> {
  const pool = new Pool(url, { connections, pipelining: 1 });
  let next = 0;
  let failures = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next += 1;
      const answer = await pool.request({
        method: 'POST',
        path: '/v1/chat/completions',
        headers: { 'content-type': 'application/json', ...headers },
        body: chatBody,
      });
      await answer.body.arrayBuffer();
      if (answer.statusCode !== 200) failures += 1;
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, worker));
  } finally {
    await pool.close();
  }
  if (failures > 0) throw new Error(`${String(failures)} of ${String(count)} requests failed`);
}

/** The median; of an even number of values, the mean of the middle two. NaN for none. */
export const median = (list: readonly number[]): number => {
  const sorted = [...list].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 0)
    return ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
  return sorted[middle] ?? Number.NaN;
};
