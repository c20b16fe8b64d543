import { request } from 'undici';
import type { FaultSpecInput } from '../../src/simulator/fault-spec.ts';
import type { InvocationRecord } from '../../src/simulator/invocation-log.ts';
import { defaultSimWorld } from '../../src/simulator/default-sim-world.ts';
import { parseSimWorld } from '../../src/simulator/sim-world.ts';
import { simModels } from './gateway-config.ts';
import {
  startSimulator,
  type RunningSimulator,
  type SimulatorOptions,
} from '../../src/simulator/start-simulator.ts';

/**
 * The default world with Nova Lite answering slowly (15 tokens a second: 30 tokens take 2 s) and
 * every other model at once: with `latencyScale: 1`, a Nova Lite request is still in flight when a
 * test signals, kills or reloads something.
 */
export const slowNovaLiteWorld = parseSimWorld(
  {
    ...defaultSimWorld,
    latency: {
      default: { ttft_ms: 0, tokens_per_second: 1000, jitter: 0 },
      overrides: [{ model: simModels.novaLite, ttft_ms: 0, tokens_per_second: 15, jitter: 0 }],
    },
  },
  'slow world',
);

/** The provider simulator in this process: default world, OS-chosen port, no simulated latency. */
export function startTestSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  return startSimulator({ port: 0, latencyScale: 0, ...options });
}

/**
 * A simulator reached over its control API (`/_sim/*`), for one running in another process (or to
 * drive one the way users do). Same operations as `RunningSimulator`, over HTTP.
 */
export interface SimulatorControl {
  addFault(spec: FaultSpecInput): Promise<{ readonly id: string }>;
  clearFaults(): Promise<void>;
  invocations(query?: Readonly<Record<string, string>>): Promise<InvocationRecord[]>;
  reset(): Promise<void>;
}

async function call(method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown): Promise<unknown> {
  const response = await request(url, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const parsed: unknown = await response.body.json();
  if (response.statusCode >= 400) {
    throw new Error(`${method} ${url}: ${response.statusCode} ${JSON.stringify(parsed)}`);
  }
  return parsed;
}

/** Control API client of the simulator at `simUrl`. */
export function simulatorControl(simUrl: string): SimulatorControl {
  return {
    async addFault(spec) {
      return (await call('POST', `${simUrl}/_sim/faults`, spec)) as { id: string };
    },
    async clearFaults() {
      await call('DELETE', `${simUrl}/_sim/faults`);
    },
    async invocations(query = {}) {
      const search = new URLSearchParams(query).toString();
      const answer = (await call(
        'GET',
        `${simUrl}/_sim/invocations${search === '' ? '' : `?${search}`}`,
      )) as {
        invocations: InvocationRecord[];
      };
      return answer.invocations;
    },
    async reset() {
      await call('POST', `${simUrl}/_sim/reset`);
    },
  };
}
