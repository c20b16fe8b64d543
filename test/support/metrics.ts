import { request } from 'undici';

/** The gateway's Prometheus text from GET /metrics. */
export async function scrapeMetrics(gatewayUrl: string): Promise<string> {
  const response = await request(`${gatewayUrl}/metrics`);
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`GET /metrics: ${response.statusCode} ${text}`);
  return text;
}

/**
 * The value of the sample `name` whose labels include every pair of `labels`, or undefined when
 * there is none.
 */
export function metricValue(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^[^{\s]+(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (match === null) continue;
    const found = new Map<string, string>();
    for (const pair of (match[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      found.set(pair[1] ?? '', pair[2] ?? '');
    }
    if (Object.entries(labels).every(([key, value]) => found.get(key) === value)) return Number(match[2]);
  }
  return undefined;
}

/** Circuit breaker state of a deployment from /metrics: closed, half-open, open (or undefined). */
export async function circuitState(
  gatewayUrl: string,
  deployment: string,
): Promise<'closed' | 'half-open' | 'open' | undefined> {
  const value = metricValue(await scrapeMetrics(gatewayUrl), 'spillway_circuit_state', { deployment });
  if (value === undefined) return undefined;
  return value === 0 ? 'closed' : value === 1 ? 'half-open' : 'open';
}
