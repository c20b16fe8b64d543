import { computeCostUsd } from '../core/cost.ts';
import type { Strategy } from '../config/schema.ts';
import type { DeploymentStats } from './deployment-stats.ts';
import type { DeploymentRoute } from './routing-table.ts';

/** What the strategies look at besides the candidates. */
export interface OrderingInputs {
  /** Uniform in [0, 1). */
  readonly random: () => number;
  readonly stats: DeploymentStats;
  /** Round-robin position per group, kept by the caller across requests (and reloads). */
  readonly rotations: Map<string, number>;
  readonly group: string;
  readonly promptTokens: number;
  /** Output tokens expected (max tokens, or a default). */
  readonly outputTokens: number;
}

/**
 * Weighted shuffle (Efraimidis–Spirakis): each candidate draws random^(1/weight) and the largest
 * goes first, so the first pick is proportional to weight and the rest follow in weighted order.
 * Weight 0 only serves when nothing else can.
 */
function weighted(candidates: readonly DeploymentRoute[], random: () => number): DeploymentRoute[] {
  const keyed = candidates.map((candidate) => {
    const weight = candidate.config.weight;
    const key = weight > 0 ? Math.pow(random(), 1 / weight) : -1 - random();
    return { candidate, key };
  });
  keyed.sort((a, b) => b.key - a.key);
  return keyed.map((entry) => entry.candidate);
}

function roundRobin(candidates: readonly DeploymentRoute[], inputs: OrderingInputs): DeploymentRoute[] {
  const position = inputs.rotations.get(inputs.group) ?? 0;
  inputs.rotations.set(inputs.group, (position + 1) % 1_000_000_007);
  const start = position % candidates.length;
  return [...candidates.slice(start), ...candidates.slice(0, start)];
}

function sortBy(
  candidates: readonly DeploymentRoute[],
  score: (candidate: DeploymentRoute) => number,
  random: () => number,
): DeploymentRoute[] {
  // Random tie-breaks spread equal candidates instead of always favouring the first listed.
  const keyed = candidates.map((candidate) => ({ candidate, score: score(candidate), tie: random() }));
  keyed.sort((a, b) => a.score - b.score || a.tie - b.tie);
  return keyed.map((entry) => entry.candidate);
}

/**
 * Power of two choices: two random candidates, the faster first; then the rest by expected
 * latency. Sampling two (rather than always the best) keeps every replica from piling onto the
 * same deployment on stale averages.
 */
function latency(candidates: readonly DeploymentRoute[], inputs: OrderingInputs): DeploymentRoute[] {
  const expected = (candidate: DeploymentRoute): number =>
    inputs.stats.expectedLatencyMs(candidate.id, inputs.outputTokens);
  const byLatency = sortBy(candidates, expected, inputs.random);
  if (candidates.length < 2) return byLatency;
  const first = Math.floor(inputs.random() * candidates.length);
  let second = Math.floor(inputs.random() * (candidates.length - 1));
  if (second >= first) second += 1;
  const a = candidates[first];
  const b = candidates[second];
  if (a === undefined || b === undefined) return byLatency;
  const winner = expected(b) < expected(a) ? b : a;
  return [winner, ...byLatency.filter((candidate) => candidate !== winner)];
}

function cost(candidates: readonly DeploymentRoute[], inputs: OrderingInputs): DeploymentRoute[] {
  const usage = { inputTokens: inputs.promptTokens, outputTokens: inputs.outputTokens };
  return sortBy(
    candidates,
    (candidate) => (candidate.price === undefined ? Infinity : computeCostUsd(candidate.price, usage)),
    inputs.random,
  );
}

function ordered(candidates: readonly DeploymentRoute[]): DeploymentRoute[] {
  return [...candidates].sort(
    (a, b) => (a.config.order ?? a.index) - (b.config.order ?? b.index) || a.index - b.index,
  );
}

/** Orders a group's usable candidates by its strategy: the first is tried first, the rest in turn. */
export function orderCandidates(
  strategy: Strategy,
  candidates: readonly DeploymentRoute[],
  inputs: OrderingInputs,
): DeploymentRoute[] {
  if (candidates.length <= 1) return [...candidates];
  switch (strategy) {
    case 'weighted':
      return weighted(candidates, inputs.random);
    case 'round-robin':
      return roundRobin(candidates, inputs);
    case 'least-busy':
      return sortBy(candidates, (candidate) => inputs.stats.inFlightOf(candidate.id), inputs.random);
    case 'latency':
      return latency(candidates, inputs);
    case 'cost':
      return cost(candidates, inputs);
    case 'ordered':
      return ordered(candidates);
  }
}
