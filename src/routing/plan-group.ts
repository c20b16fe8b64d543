import { availabilityOf, parseHealth, type HealthSnapshot } from '../policies/deployment-health.ts';
import type { LearnedLimits } from './learned-limits.ts';
import { orderItems, type OrderingInputs } from './order-candidates.ts';
import type { DeploymentRoute, GroupRoute } from './routing-table.ts';

/** A deployment that may take the request, in the order to try. */
export interface Candidate {
  readonly deployment: DeploymentRoute;
  readonly health: HealthSnapshot;
  /** Its breaker is open and due: this request may be its one probe (if it wins the claim). */
  readonly probe: boolean;
}

/** What the request needs from a deployment. */
export interface PlanFilters {
  /** Region prefixes of the principal; undefined means every region. */
  readonly allowedRegions?: readonly string[] | undefined;
  /** Region prefixes of the request; undefined means every region. */
  readonly requestedRegions?: readonly string[] | undefined;
  /** Estimated prompt tokens + max output tokens, checked against context windows. */
  readonly contextTokens: number;
}

export interface GroupPlan {
  /** Usable candidates in strategy order. */
  readonly candidates: readonly Candidate[];
  /** Soonest time an unhealthy (open or cooling) deployment frees up; Infinity if none. */
  readonly freeAt: number;
  /** Some deployments matched everything but were too small for the request's context. */
  readonly contextTooSmall: boolean;
  /** Some deployments matched the regions but were open or cooling down. */
  readonly unhealthy: boolean;
}

function matchesRegions(region: string, prefixes: readonly string[] | undefined): boolean {
  return prefixes === undefined || prefixes.some((prefix) => region.startsWith(prefix));
}

function deploymentOf(candidate: Candidate): DeploymentRoute {
  return candidate.deployment;
}

/**
 * `candidates` with those the upstream said are out of requests or tokens (or at a learned rpm)
 * moved to the end, each part in its order; the same array when none is (the usual case).
 */
function avoidedLast(candidates: Candidate[], learned: LearnedLimits, now: number): Candidate[] {
  let avoided: Candidate[] | undefined;
  let kept: Candidate[] | undefined;
  for (let index = 0; index < candidates.length; index += 1) {
    const candidate = candidates[index] as Candidate;
    if (learned.avoid(candidate.deployment.id, now)) {
      kept ??= candidates.slice(0, index);
      (avoided ??= []).push(candidate);
    } else kept?.push(candidate);
  }
  return avoided === undefined || kept === undefined ? candidates : kept.concat(avoided);
}

/**
 * The candidates of a group for one request: filtered by region (principal and request), health
 * (breaker not open, not cooling down) and context window, then ordered by the group's strategy.
 * `healthValues` are the stored values of `group.healthKeys` (one getMany).
 */
export function planGroup(
  group: GroupRoute,
  healthValues: readonly (string | undefined)[],
  now: number,
  filters: PlanFilters,
  ordering: OrderingInputs,
): GroupPlan {
  // `ordered` is the same order for every request: walk the deployments in it, nothing to sort.
  const inOrder = group.strategy === 'ordered';
  const usable: Candidate[] = [];
  let freeAt = Infinity;
  let contextTooSmall = false;
  let unhealthy = false;
  for (const deployment of inOrder ? group.inOrder : group.deployments) {
    const region = deployment.target.region;
    if (!matchesRegions(region, filters.allowedRegions) || !matchesRegions(region, filters.requestedRegions))
      continue;
    const window = deployment.config.context_window;
    if (window !== undefined && filters.contextTokens > window) {
      contextTooSmall = true;
      continue;
    }
    const index = deployment.index;
    const health = parseHealth(healthValues[index * 2], healthValues[index * 2 + 1]);
    const availability = availabilityOf(health, now);
    if (!availability.usable) {
      unhealthy = true;
      freeAt = Math.min(freeAt, availability.freeAt);
      continue;
    }
    usable.push({ deployment, health, probe: availability.probe });
  }
  const ordered =
    inOrder || usable.length <= 1 ? usable : orderItems(group.strategy, usable, deploymentOf, ordering);
  const candidates = ordering.learned === undefined ? ordered : avoidedLast(ordered, ordering.learned, now);
  return {
    candidates,
    freeAt,
    contextTooSmall: contextTooSmall && candidates.length === 0 && !unhealthy,
    unhealthy,
  };
}
