import { computeCostUsd } from '../core/cost.ts';
import type { Strategy } from '../config/schema.ts';
import type { DeploymentStats } from './deployment-stats.ts';
import type { LearnedLimits } from './learned-limits.ts';
import { compareOrder, type DeploymentRoute } from './routing-table.ts';

/** What the strategies look at besides the candidates. */
export interface OrderingInputs {
  /** Uniform in [0, 1). */
  readonly random: () => number;
  readonly stats: DeploymentStats;
  /** What upstreams said about their limits: avoided deployments go last (absent: none is). */
  readonly learned?: LearnedLimits | undefined;
  /** Round-robin position per group, kept by the caller across requests (and reloads). */
  readonly rotations: Map<string, number>;
  readonly group: string;
  readonly promptTokens: number;
  /** Output tokens expected (max tokens, or a default). */
  readonly outputTokens: number;
}

/** The deployment an item to order stands for. */
export type DeploymentOf<T> = (item: T) => DeploymentRoute;

/**
 * Items in ascending order of (score, tie), built by stable insertion into parallel arrays: the
 * order a stable sort by `a.score - b.score || a.tie - b.tie` gives, without a key object per item
 * or a sort buffer (a group has a handful of deployments).
 */
class SortedItems<T> {
  readonly items: T[] = [];
  private readonly scores: number[] = [];
  private readonly ties: number[] = [];

  add(item: T, score: number, tie: number): void {
    const { items, scores, ties } = this;
    let position = items.length;
    while (position > 0) {
      const before = position - 1;
      const beforeScore = scores[before] ?? 0;
      const beforeTie = ties[before] ?? 0;
      if (!((beforeScore - score || beforeTie - tie) > 0)) break;
      items[position] = items[before] as T;
      scores[position] = beforeScore;
      ties[position] = beforeTie;
      position = before;
    }
    items[position] = item;
    scores[position] = score;
    ties[position] = tie;
  }
}

/**
 * Weighted shuffle (Efraimidis–Spirakis): each candidate draws random^(1/weight) and the largest
 * goes first, so the first pick is proportional to weight and the rest follow in weighted order.
 * Weight 0 only serves when nothing else can.
 */
function weighted<T>(items: readonly T[], deploymentOf: DeploymentOf<T>, random: () => number): T[] {
  const sorted = new SortedItems<T>();
  for (const item of items) {
    const weight = deploymentOf(item).config.weight;
    const key = weight > 0 ? Math.pow(random(), 1 / weight) : -1 - random();
    // Largest key first: ascending by the negated key.
    sorted.add(item, -key, 0);
  }
  return sorted.items;
}

function roundRobin<T>(items: readonly T[], inputs: OrderingInputs): T[] {
  const position = inputs.rotations.get(inputs.group) ?? 0;
  inputs.rotations.set(inputs.group, (position + 1) % 1_000_000_007);
  const start = position % items.length;
  const rotated: T[] = [];
  for (let offset = 0; offset < items.length; offset += 1) {
    rotated.push(items[(start + offset) % items.length] as T);
  }
  return rotated;
}

function sortBy<T>(
  items: readonly T[],
  score: (deployment: DeploymentRoute) => number,
  deploymentOf: DeploymentOf<T>,
  random: () => number,
): T[] {
  // Random tie-breaks spread equal candidates instead of always favouring the first listed.
  const sorted = new SortedItems<T>();
  for (const item of items) sorted.add(item, score(deploymentOf(item)), random());
  return sorted.items;
}

/**
 * Power of two choices: two random candidates, the faster first; then the rest by expected
 * latency. Sampling two (rather than always the best) keeps every replica from piling onto the
 * same deployment on stale averages.
 */
function latency<T>(items: readonly T[], deploymentOf: DeploymentOf<T>, inputs: OrderingInputs): T[] {
  const expected = (deployment: DeploymentRoute): number =>
    inputs.stats.expectedLatencyMs(deployment.id, inputs.outputTokens);
  const byLatency = sortBy(items, expected, deploymentOf, inputs.random);
  if (items.length < 2) return byLatency;
  const first = Math.floor(inputs.random() * items.length);
  let second = Math.floor(inputs.random() * (items.length - 1));
  if (second >= first) second += 1;
  const a = items[first];
  const b = items[second];
  if (a === undefined || b === undefined) return byLatency;
  const winner = expected(deploymentOf(b)) < expected(deploymentOf(a)) ? b : a;
  return [winner, ...byLatency.filter((item) => item !== winner)];
}

function cost<T>(items: readonly T[], deploymentOf: DeploymentOf<T>, inputs: OrderingInputs): T[] {
  const usage = { inputTokens: inputs.promptTokens, outputTokens: inputs.outputTokens };
  return sortBy(
    items,
    (deployment) => (deployment.price === undefined ? Infinity : computeCostUsd(deployment.price, usage)),
    deploymentOf,
    inputs.random,
  );
}

function ordered<T>(items: readonly T[], deploymentOf: DeploymentOf<T>): T[] {
  return [...items].sort((a, b) => compareOrder(deploymentOf(a), deploymentOf(b)));
}

/**
 * Orders items that stand for a group's usable deployments (`deploymentOf` says which) by the
 * group's strategy: the first is tried first, the rest in turn. Returns a new array.
 */
export function orderItems<T>(
  strategy: Strategy,
  items: readonly T[],
  deploymentOf: DeploymentOf<T>,
  inputs: OrderingInputs,
): T[] {
  if (items.length <= 1) return [...items];
  switch (strategy) {
    case 'weighted':
      return weighted(items, deploymentOf, inputs.random);
    case 'round-robin':
      return roundRobin(items, inputs);
    case 'least-busy':
      return sortBy(
        items,
        (deployment) => inputs.stats.inFlightOf(deployment.id),
        deploymentOf,
        inputs.random,
      );
    case 'latency':
      return latency(items, deploymentOf, inputs);
    case 'cost':
      return cost(items, deploymentOf, inputs);
    case 'ordered':
      return ordered(items, deploymentOf);
  }
}

function itself(deployment: DeploymentRoute): DeploymentRoute {
  return deployment;
}

/** Orders a group's usable candidates by its strategy: the first is tried first, the rest in turn. */
export function orderCandidates(
  strategy: Strategy,
  candidates: readonly DeploymentRoute[],
  inputs: OrderingInputs,
): DeploymentRoute[] {
  return orderItems(strategy, candidates, itself, inputs);
}
