import type { SpillwayConfig } from '../config/schema.ts';
import type { FaultSpec } from '../simulator/fault-spec.ts';

/** A deployment of the drill's group chain, with what fault matching and costing need. */
export interface RouteInfo {
  readonly id: string;
  readonly group: string;
  /** 0: the requested group; 1: its fallbacks; 2: theirs… (a fallback serves only what the group cannot). */
  readonly tier: number;
  readonly api: 'bedrock' | 'openai' | 'anthropic';
  readonly model: string;
  readonly region: string;
  readonly account: string;
  /** USD per million input / output tokens (0 without a price). */
  readonly input: number;
  readonly output: number;
  /** Requests per minute it takes (Infinity without a limit). */
  readonly rpm: number;
}

/** The deployments of `group` and of its fallbacks (transitively), in the order they are tried. */
export function routesOf(config: SpillwayConfig, group: string): RouteInfo[] {
  const routes: RouteInfo[] = [];
  const seen = new Set<string>();
  const pending: [string, number][] = [[group, 0]];
  for (let next = pending.shift(); next !== undefined; next = pending.shift()) {
    const [name, tier] = next;
    if (seen.has(name)) continue;
    seen.add(name);
    const models = config.models[name];
    if (models === undefined) continue;
    for (const deployment of models.deployments) {
      const provider = config.providers[deployment.provider];
      if (provider === undefined) continue;
      routes.push({
        id: deployment.id,
        group: name,
        tier,
        api: provider.type,
        model: deployment.model,
        region: deployment.region ?? provider.region ?? deployment.provider,
        account: provider.account ?? deployment.provider,
        input: deployment.price?.input ?? 0,
        output: deployment.price?.output ?? 0,
        rpm: deployment.rpm ?? Number.POSITIVE_INFINITY,
      });
    }
    pending.push(...models.fallbacks.map((fallback): [string, number] => [fallback, tier + 1]));
  }
  return routes;
}

/** Account label of a deployment id (for traffic by account), from the config. */
export function accountOf(config: SpillwayConfig, deploymentId: string | undefined): string | undefined {
  if (deploymentId === undefined) return undefined;
  for (const group of Object.values(config.models)) {
    const deployment = group.deployments.find((candidate) => candidate.id === deploymentId);
    if (deployment === undefined) continue;
    return config.providers[deployment.provider]?.account ?? deployment.provider;
  }
  return undefined;
}

function sameModel(route: RouteInfo, model: string): boolean {
  // A fault on the base model also hits its cross-region profiles (us.…, eu.…, global.…).
  return route.model === model || route.model.replace(/^(us|eu|apac|global)\./, '') === model;
}

/**
 * Whether `fault` takes `route` out: it matches the route (api, account, source region, model) and
 * hits at least half its requests. The operation filter is ignored (a route serves both), and a
 * region fault is matched against the route's own region, not the regions a profile may route to.
 */
export function faultHits(fault: FaultSpec, route: RouteInfo): boolean {
  return (
    fault.rate >= 0.5 &&
    (fault.api === undefined || fault.api === route.api) &&
    (fault.account === undefined || fault.account === route.account) &&
    (fault.region === undefined || fault.region === route.region) &&
    (fault.model === undefined || sameModel(route, fault.model))
  );
}

/** Routes no fault of the phase takes out. */
export function feasibleRoutes(routes: readonly RouteInfo[], faults: readonly FaultSpec[]): RouteInfo[] {
  return routes.filter((route) => !faults.some((fault) => faultHits(fault, route)));
}

/** Price per million tokens of a mix of routes. */
export interface PriceMix {
  readonly input: number;
  readonly output: number;
  /** The routes filled, cheapest first. */
  readonly routes: readonly string[];
  /** Requests put on each route. */
  readonly taken: ReadonlyMap<string, number>;
}

/**
 * The cheapest way the routing could have served the phase's `requests`: the requested group's
 * feasible routes filled cheapest first (per request of `inputTokens`/`outputTokens`) up to
 * `available(route)` requests, then its fallbacks' the same way; the price of that mix. Undefined
 * when no route is feasible.
 */
export function cheapestMix(
  feasible: readonly RouteInfo[],
  requests: number,
  inputTokens: number,
  outputTokens: number,
  available: (route: RouteInfo) => number,
): PriceMix | undefined {
  if (feasible.length === 0) return undefined;
  const perRequest = (route: RouteInfo) => route.input * inputTokens + route.output * outputTokens;
  const sorted = [...feasible].sort((a, b) => a.tier - b.tier || perRequest(a) - perRequest(b));
  let left = Math.max(requests, 1);
  let input = 0;
  let output = 0;
  const taken = new Map<string, number>();
  for (const route of sorted) {
    if (left <= 0) break;
    const take = Math.min(left, available(route));
    if (take <= 0) continue;
    input += route.input * take;
    output += route.output * take;
    left -= take;
    taken.set(route.id, take);
  }
  // More load than the feasible routes' limits: the rest at the last route's price.
  const last = sorted[sorted.length - 1] as RouteInfo;
  if (left > 0) {
    input += last.input * left;
    output += last.output * left;
  }
  const total = Math.max(requests, 1);
  return { input: input / total, output: output / total, routes: [...taken.keys()], taken };
}

/**
 * What each route's rpm limit admits, phase after phase, as the gateway's limiter does (GCRA,
 * decision 0002): a bucket of `rpm` requests, full at the start, refilled at rpm per minute.
 */
export class RouteCapacity {
  private readonly left = new Map<string, number>();

  /** Requests `route` can take in a phase of `seconds` (before `use`). */
  available(route: RouteInfo, seconds: number): number {
    const bucket = this.left.get(route.id) ?? route.rpm;
    return Math.min(route.rpm, bucket) + (route.rpm * seconds) / 60;
  }

  /** Ends a phase of `seconds`: what each route has left after `taken`. */
  use(routes: readonly RouteInfo[], seconds: number, taken: ReadonlyMap<string, number>): void {
    for (const route of routes) {
      const left = this.available(route, seconds) - (taken.get(route.id) ?? 0);
      this.left.set(route.id, Math.min(route.rpm, Math.max(0, left)));
    }
  }
}

/** USD of `input`/`output` tokens at a per-million price. */
export function costOf(price: { input: number; output: number }, input: number, output: number): number {
  return (price.input * input + price.output * output) / 1_000_000;
}
