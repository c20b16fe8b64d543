import { describe, expect, it } from 'vitest';
import type { ChatModel } from '../core/chat-model.ts';
import { configSchema, type Strategy } from '../config/schema.ts';
import { DeploymentStats } from './deployment-stats.ts';
import { orderCandidates, type OrderingInputs } from './order-candidates.ts';
import { buildRoutingTable, type DeploymentRoute } from './routing-table.ts';

const model = {} as ChatModel;

function deployments(): readonly DeploymentRoute[] {
  const config = configSchema.parse({
    providers: { east: { type: 'bedrock', region: 'us-east-1' } },
    models: {
      g: {
        deployments: [
          { id: 'a', provider: 'east', model: 'a', weight: 1, order: 3, price: { input: 3, output: 15 } },
          { id: 'b', provider: 'east', model: 'b', weight: 0, order: 1, price: { input: 0.8, output: 4 } },
          { id: 'c', provider: 'east', model: 'c', weight: 3 },
        ],
      },
    },
  });
  return buildRoutingTable(config, () => model).groups.get('g')?.deployments ?? [];
}

function inputs(extra: Partial<OrderingInputs> = {}): OrderingInputs {
  return {
    random: () => 0.5,
    stats: new DeploymentStats(),
    rotations: new Map(),
    group: 'g',
    promptTokens: 1000,
    outputTokens: 100,
    ...extra,
  };
}

const ids = (strategy: Strategy, extra: Partial<OrderingInputs> = {}) =>
  orderCandidates(strategy, deployments(), inputs(extra)).map((deployment) => deployment.id);

describe('orderCandidates', () => {
  it('ordered: by `order` (default: list position)', () => {
    expect(ids('ordered')).toEqual(['b', 'c', 'a']);
  });

  it('cost: cheapest first, unpriced last', () => {
    expect(ids('cost')).toEqual(['b', 'a', 'c']);
  });

  it('round-robin: rotates the start per request', () => {
    const shared = inputs();
    const first = () => orderCandidates('round-robin', deployments(), shared)[0]?.id;
    expect([first(), first(), first(), first()]).toEqual(['a', 'b', 'c', 'a']);
  });

  it('least-busy: fewest in flight first', () => {
    const stats = new DeploymentStats();
    stats.start('a');
    stats.start('a');
    stats.start('c');
    expect(ids('least-busy', { stats })).toEqual(['b', 'c', 'a']);
    stats.finish('a');
    stats.finish('a');
    expect(ids('least-busy', { stats })[2]).toBe('c');
  });

  it('weighted: first pick proportional to weight; weight 0 only last', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const counts: Record<string, number> = {};
    for (let index = 0; index < 4000; index += 1) {
      const order = ids('weighted', { random });
      counts[order[0] ?? ''] = (counts[order[0] ?? ''] ?? 0) + 1;
      expect(order[2]).toBe('b');
    }
    expect(counts.c! / 4000).toBeGreaterThan(0.72);
    expect(counts.c! / 4000).toBeLessThan(0.78);
    expect(counts.b).toBeUndefined();
  });

  it('latency: the faster of two sampled candidates first, the rest by expected latency', () => {
    const stats = new DeploymentStats();
    stats.recordStream('a', 500, 1500, 100);
    stats.recordStream('b', 100, 300, 100);
    stats.recordStream('c', 50, 2050, 100);
    // Samples a (index 0) and b (index 1): b is faster; then by expected latency for 100 tokens.
    const sequence = [0.5, 0, 0];
    const random = () => sequence.shift() ?? 0.5;
    expect(ids('latency', { stats, random })).toEqual(['b', 'a', 'c']);
    expect(stats.expectedLatencyMs('b', 100)).toBe(300);
    expect(stats.expectedLatencyMs('unknown', 100)).toBe(0);
  });
});
