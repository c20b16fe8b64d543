import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';
import { afterAll, beforeAll, expect } from 'vitest';
import type { InvocationRecord } from '../../src/simulator/invocation-log.ts';
import type { RunningSimulator, SimulatorOptions } from '../../src/simulator/start-simulator.ts';
import { simGatewayConfig, type SimGatewayConfigOptions } from './gateway-config.ts';
import { startGatewayProcess, type GatewayProcess } from './gateway-process.ts';
import { anthropicClient, openaiClient } from './sdk-clients.ts';
import { startTestSimulator } from './simulator.ts';

/** A simulator, a gateway process in front of it, and both SDKs pointed at the gateway. */
export interface SimulatedGateway {
  readonly sim: RunningSimulator;
  readonly gateway: GatewayProcess;
  readonly openai: OpenAI;
  readonly anthropic: Anthropic;
  /** The simulator's record of the last upstream call (for files whose tests run one at a time). */
  lastInvocation(): InvocationRecord;
}

/**
 * Starts the simulator (in process) and a `spillway serve` process on `simGatewayConfig` before the
 * file's tests, and stops both after them. The fields are set once `beforeAll` has run.
 */
export function useSimulatedGateway(options: {
  readonly simulator?: SimulatorOptions;
  readonly gateway: SimGatewayConfigOptions;
}): SimulatedGateway {
  const world = {} as { -readonly [K in keyof SimulatedGateway]: SimulatedGateway[K] };
  world.lastInvocation = () => {
    const record = world.sim.invocations().at(-1);
    expect(record, 'an upstream call recorded by the simulator').toBeDefined();
    return record as InvocationRecord;
  };
  beforeAll(async () => {
    world.sim = await startTestSimulator(options.simulator);
    world.gateway = await startGatewayProcess({ config: simGatewayConfig(world.sim.url, options.gateway) });
    world.openai = openaiClient(world.gateway.url);
    world.anthropic = anthropicClient(world.gateway.url);
  });
  afterAll(async () => {
    await world.gateway.stop();
    await world.sim.close();
  });
  return world;
}
