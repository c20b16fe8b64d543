import { request } from 'undici';
import { z } from 'zod';
import type { FaultSpecInput } from '../simulator/fault-spec.ts';
import type { InvocationFilter, InvocationRecord } from '../simulator/invocation-log.ts';
import type { RunningSimulator } from '../simulator/start-simulator.ts';

/** The fields of an invocation record the demo tables read. */
export type DemoInvocation = Pick<
  InvocationRecord,
  'accountId' | 'region' | 'inferenceRegion' | 'modelId' | 'status' | 'errorCode' | 'latencyMs'
>;

/** What the demo needs of the provider simulator, in-process or over its /_sim API. */
export interface SimulatorControl {
  /** Base URL of the simulator (providers in gateway configs point here). */
  readonly url: string;
  /** Invocation log records matching `filter`, oldest first. */
  invocations(filter?: InvocationFilter): Promise<DemoInvocation[]>;
  /** Injects a fault; resolves with its id. */
  addFault(spec: FaultSpecInput): Promise<string>;
  /** Removes every fault. */
  clearFaults(): Promise<void>;
  /** Clears the invocation log, quotas and faults. */
  reset(): Promise<void>;
}

/** Control of a simulator running in this process. */
export function localSimulatorControl(simulator: RunningSimulator): SimulatorControl {
  return {
    url: simulator.url,
    invocations: (filter) => Promise.resolve(simulator.invocations(filter)),
    addFault: (spec) => Promise.resolve(simulator.addFault(spec).id),
    clearFaults: () => {
      simulator.clearFaults();
      return Promise.resolve();
    },
    reset: () => {
      simulator.reset();
      return Promise.resolve();
    },
  };
}

const invocationSchema = z.object({
  accountId: z.string(),
  region: z.string(),
  inferenceRegion: z.string().optional(),
  modelId: z.string(),
  status: z.number(),
  errorCode: z.string().optional(),
  latencyMs: z.number(),
});
const invocationsSchema = z.object({ invocations: z.array(invocationSchema) });
const faultSchema = z.object({ id: z.string() });

/** A simulator /_sim call that did not answer as documented. */
export class SimulatorControlError extends Error {
  override readonly name = 'SimulatorControlError';
}

async function call(method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown): Promise<unknown> {
  let response: Awaited<ReturnType<typeof request>>;
  try {
    response = await request(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SimulatorControlError(`cannot reach the simulator at ${url}: ${reason}`);
  }
  const text = await response.body.text();
  if (response.statusCode >= 300) {
    throw new SimulatorControlError(`${method} ${url} answered ${response.statusCode}: ${text}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SimulatorControlError(`${method} ${url} did not answer JSON`);
  }
}

/** Control of a running simulator through its /_sim API (GET invocations, POST faults, POST reset). */
export function remoteSimulatorControl(baseUrl: string): SimulatorControl {
  const url = baseUrl.replace(/\/+$/, '');
  return {
    url,
    async invocations(filter = {}) {
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries(filter)) {
        if (value !== undefined) query.set(name, String(value));
      }
      const parsed = invocationsSchema.parse(
        await call('GET', `${url}/_sim/invocations?${query.toString()}`),
      );
      return parsed.invocations.map((record) => ({
        ...record,
        inferenceRegion: record.inferenceRegion,
        errorCode: record.errorCode,
      }));
    },
    async addFault(spec) {
      return faultSchema.parse(await call('POST', `${url}/_sim/faults`, spec)).id;
    },
    async clearFaults() {
      await call('DELETE', `${url}/_sim/faults`);
    },
    async reset() {
      await call('POST', `${url}/_sim/reset`);
    },
  };
}
