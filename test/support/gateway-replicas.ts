import { afterAll, beforeAll } from 'vitest';
import type { GatewayConfigInput } from './gateway-config.ts';
import { startGatewayProcess, type GatewayProcess } from './gateway-process.ts';

/**
 * `count` gateway processes on one config (replicas sharing its Redis and database), started before
 * the enclosing describe's tests and stopped after them. The array is filled once `beforeAll` ran.
 */
export function useGatewayReplicas(config: () => GatewayConfigInput, count = 2): GatewayProcess[] {
  const replicas: GatewayProcess[] = [];
  beforeAll(async () => {
    const shared = config();
    for (let index = 0; index < count; index += 1)
      replicas.push(await startGatewayProcess({ config: shared }));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
  });
  return replicas;
}
