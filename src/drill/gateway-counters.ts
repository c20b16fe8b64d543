/**
 * What the gateway did that its answers do not show: hedges and stream recoveries, read from its
 * Prometheus counters (`spillway_hedges_total`, `spillway_stream_recoveries_total`, summed over
 * groups) at the phase boundaries. A hedge that lost, or a stream continued on another deployment,
 * leaves no trace in the client's headers (a stream's headers are sent before it is cut).
 */

/** Counts by outcome, summed over model groups. */
export interface GatewayCounters {
  /** `won`, `lost`, `failed`, `denied` (decision 0016). */
  readonly hedges: Readonly<Record<string, number>>;
  /** `continued`, `failed`, `refused` (decision 0015). */
  readonly stream_recoveries: Readonly<Record<string, number>>;
}

const series = {
  spillway_hedges_total: 'hedges',
  spillway_stream_recoveries_total: 'stream_recoveries',
} as const;

/** The counters in a Prometheus text exposition. */
export function parseCounters(text: string): GatewayCounters {
  const counters = { hedges: {} as Record<string, number>, stream_recoveries: {} as Record<string, number> };
  for (const line of text.split('\n')) {
    const match = /^(\w+)\{([^}]*)\}\s+(\S+)/.exec(line);
    if (match === null) continue;
    const key = series[match[1] as keyof typeof series] as keyof GatewayCounters | undefined;
    if (key === undefined) continue;
    const outcome = /(?:^|,)outcome="([^"]*)"/.exec(match[2] ?? '')?.[1] ?? '?';
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    counters[key][outcome] = (counters[key][outcome] ?? 0) + value;
  }
  return counters;
}

/** What happened between two readings (`before` absent: since the start). */
export function countersBetween(after: GatewayCounters, before?: GatewayCounters): GatewayCounters {
  const minus = (a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>> = {}) =>
    Object.fromEntries(
      Object.entries(a)
        .map(([outcome, value]) => [outcome, value - (b[outcome] ?? 0)] as const)
        .filter(([, value]) => value > 0),
    );
  return {
    hedges: minus(after.hedges, before?.hedges),
    stream_recoveries: minus(after.stream_recoveries, before?.stream_recoveries),
  };
}

/** The sum of several stretches. */
export function sumCounters(parts: readonly GatewayCounters[]): GatewayCounters {
  const add = (key: keyof GatewayCounters) => {
    const total: Record<string, number> = {};
    for (const part of parts)
      for (const [outcome, value] of Object.entries(part[key]))
        total[outcome] = (total[outcome] ?? 0) + value;
    return total;
  };
  return { hedges: add('hedges'), stream_recoveries: add('stream_recoveries') };
}

/**
 * Reads the counters from the gateway's /metrics; undefined when they cannot be read (metrics off,
 * a token required, another port), so the drill reports `n/a` rather than a made-up zero.
 */
export async function readCounters(metricsUrl: string | undefined): Promise<GatewayCounters | undefined> {
  if (metricsUrl === undefined) return undefined;
  try {
    const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) return undefined;
    return parseCounters(await response.text());
  } catch {
    return undefined;
  }
}
