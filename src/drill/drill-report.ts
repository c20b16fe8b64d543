import type { SpillwayConfig } from '../config/schema.ts';
import {
  accountOf,
  cheapestMix,
  costOf,
  feasibleRoutes,
  RouteCapacity,
  routesOf,
  type RouteInfo,
} from './drill-cost.ts';
import type { DrillSample } from './drill-sample.ts';
import { sumCounters, type GatewayCounters } from './gateway-counters.ts';
import type { Drill, DrillPhase } from './drill-spec.ts';
import { clientStats, type ClientStats, type CostedSample } from './drill-stats.ts';

/** One phase's figures. */
export interface PhaseReport {
  readonly name: string;
  readonly start_s: number;
  readonly end_s: number;
  readonly faults: DrillPhase['faults'];
  /** Healthy capacity existed (declared, or some route of the group chain had no fault). */
  readonly capacity: boolean;
  /** The routes of the cheapest feasible mix, cheapest first. */
  readonly cheapest_routes: readonly string[];
  readonly gateway: ClientStats;
  readonly naive: ClientStats | null;
}

/** A goal of the drill file, checked. */
export interface GoalResult {
  readonly goal: string;
  /** The phase it was checked in, or `overall`. */
  readonly scope: string;
  readonly value: number | null;
  readonly target: string;
  readonly met: boolean;
}

/** What `spillway drill` writes as JSON (and renders as the table and HTML report). */
export interface DrillReport {
  readonly drill: string;
  readonly description: string | undefined;
  readonly started_at: string;
  readonly model: string;
  /** The strategy override of the run, or `config` (each group's own). */
  readonly strategy: string;
  readonly load: Drill['load'];
  readonly naive_target: string | null;
  readonly phases: readonly PhaseReport[];
  readonly overall: { readonly gateway: ClientStats; readonly naive: ClientStats | null };
  readonly goals: readonly GoalResult[];
  readonly samples: readonly CostedSample[];
}

function naivePrice(config: SpillwayConfig, drill: Drill): RouteInfo | undefined {
  const naive = drill.naive;
  if (naive === undefined) return undefined;
  for (const group of Object.keys(config.models)) {
    const route = routesOf(config, group).find((candidate) => {
      const deployment = config.models[candidate.group]?.deployments.find((d) => d.id === candidate.id);
      return deployment?.provider === naive.provider && deployment.model === naive.model;
    });
    if (route !== undefined) return route;
  }
  return undefined;
}

function average(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Costs each sample, computes per-phase and overall figures and checks the goals. */
export function buildReport(
  drill: Drill,
  config: SpillwayConfig,
  samples: readonly DrillSample[],
  startedAt: Date,
  /** The gateway's hedge and stream-recovery counters per phase, where they could be read. */
  counters?: readonly GatewayCounters[],
): DrillReport {
  const routes = routesOf(config, drill.load.model);
  const prices = new Map(routes.map((route) => [route.id, route]));
  const naiveRoute = naivePrice(config, drill);
  const costed: CostedSample[] = [];
  const phases: PhaseReport[] = [];
  const capacity = new RouteCapacity();
  drill.phases.forEach((phase, index) => {
    const seconds = phase.end_s - phase.start_s;
    const inPhase = samples.filter((sample) => sample.phase === index);
    const gatewayOk = inPhase.filter((sample) => sample.client === 'gateway' && sample.ok);
    const feasible = feasibleRoutes(routes, phase.faults);
    const mix = cheapestMix(
      feasible,
      inPhase.filter((sample) => sample.client === 'gateway').length,
      average(gatewayOk.map((sample) => sample.input_tokens)),
      average(gatewayOk.map((sample) => sample.output_tokens)),
      (route) => capacity.available(route, seconds),
    );
    capacity.use(routes, seconds, mix?.taken ?? new Map<string, number>());
    const phaseCosted = inPhase.map((sample): CostedSample => {
      const route = sample.client === 'gateway' ? prices.get(sample.deployment ?? '') : naiveRoute;
      const account =
        sample.client === 'gateway' ? accountOf(config, sample.deployment) : naiveRoute?.account;
      if (!sample.ok || route === undefined) return { ...sample, account };
      return {
        ...sample,
        account,
        cost_usd: costOf(route, sample.input_tokens, sample.output_tokens),
        ...(mix === undefined
          ? {}
          : { cheapest_usd: costOf(mix, sample.input_tokens, sample.output_tokens) }),
      };
    });
    costed.push(...phaseCosted);
    const naive = phaseCosted.filter((sample) => sample.client === 'naive');
    phases.push({
      name: phase.name,
      start_s: phase.start_s,
      end_s: phase.end_s,
      faults: phase.faults,
      capacity: phase.capacity ?? feasible.length > 0,
      cheapest_routes: mix?.routes ?? [],
      gateway: clientStats(
        phaseCosted.filter((sample) => sample.client === 'gateway'),
        seconds,
        drill.load.model,
        counters?.[index],
      ),
      naive: drill.naive === undefined ? null : clientStats(naive, seconds, drill.load.model),
    });
  });
  const total = drill.phases[drill.phases.length - 1]?.end_s ?? 0;
  const overall = {
    gateway: clientStats(
      costed.filter((sample) => sample.client === 'gateway'),
      total,
      drill.load.model,
      counters === undefined ? undefined : sumCounters(counters),
    ),
    naive:
      drill.naive === undefined
        ? null
        : clientStats(
            costed.filter((sample) => sample.client === 'naive'),
            total,
            drill.load.model,
          ),
  };
  return {
    drill: drill.name,
    description: drill.description,
    started_at: startedAt.toISOString(),
    model: drill.load.model,
    strategy: drill.gateway.strategy ?? 'config',
    load: drill.load,
    naive_target:
      drill.naive === undefined ? null : `${drill.naive.sdk} ${drill.naive.provider} ${drill.naive.model}`,
    phases,
    overall,
    goals: checkGoals(drill, phases, overall.gateway),
    samples: costed,
  };
}

/** The drill's goals against the gateway's figures. */
export function checkGoals(drill: Drill, phases: readonly PhaseReport[], overall: ClientStats): GoalResult[] {
  const goals = drill.goals;
  const results: GoalResult[] = [];
  for (const phase of phases) {
    if (!phase.capacity) continue;
    results.push({
      goal: 'availability',
      scope: phase.name,
      value: phase.gateway.success_rate,
      target: `>= ${goals.availability}`,
      met: phase.gateway.success_rate >= goals.availability,
    });
  }
  const healthy = phases.find((phase) => phase.faults.length === 0 && phase.gateway.ttft_ms !== null);
  for (const phase of phases) {
    if (phase.faults.length === 0 || healthy === undefined || healthy.gateway.ttft_ms === null) continue;
    const p99 = phase.gateway.ttft_ms?.p99;
    const ratio =
      p99 === undefined ? null : Math.round((p99 / Math.max(healthy.gateway.ttft_ms.p99, 1e-9)) * 100) / 100;
    results.push({
      goal: 'ttft_p99_ratio',
      scope: phase.name,
      value: ratio,
      target: `<= ${goals.ttft_p99_ratio} x ${healthy.name}`,
      met: ratio !== null && ratio <= goals.ttft_p99_ratio,
    });
  }
  const costRatio = overall.cost?.ratio ?? null;
  results.push({
    goal: 'cost_ratio',
    scope: 'overall',
    value: costRatio,
    target: `<= ${goals.cost_ratio}`,
    met: costRatio === null || costRatio <= goals.cost_ratio,
  });
  return results;
}
