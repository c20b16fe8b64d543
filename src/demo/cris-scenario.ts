import {
  demoKey,
  firstAccountProvider,
  scenarioConfig,
  simAccounts,
  simModels,
  usRegions,
  type ConfigDocument,
} from './demo-config.ts';
import type { DemoContext, DemoGateway } from './demo-context.ts';
import { Expectations, percent, renderTable, renderVerdict, type ScenarioOutcome } from './demo-report.ts';
import { countBy, sendRequests, type RequestOutcome } from './send-requests.ts';
import type { DemoInvocation } from './simulator-control.ts';

/**
 * Scenario 1, cross-region inference: one Bedrock deployment whose model id is the `us.` Claude
 * Sonnet profile; 10 requests; the per-region table comes from the simulator's invocation log (as the
 * reference reads CloudWatch), the split is the service's choice. Beyond the reference: a
 * gateway-level cross-region group (one deployment per US region) where the gateway picks the region
 * and reports it in `x-spillway-region`, first healthy, then with one region throttled (a simulator
 * fault) where every request still succeeds. With a running gateway (`--gateway`), start it with
 * `spillway demo --print-config cris`.
 */

export const crisGroup = 'claude-sonnet-cris-demo';
export const crossRegionGroup = 'nova-pro-cross-region-demo';

/** The numbers of the scenario. */
export interface CrisOptions {
  /** Requests of each run (default 10). */
  readonly requests?: number;
  /** Region throttled in the outage run (default us-east-2; must be one of the US regions). */
  readonly outageRegion?: string;
}

/** Requests per region of one run. */
export type RegionCounts = Readonly<Record<string, number>>;

/** What the scenario saw. */
export interface CrisResult extends ScenarioOutcome {
  /** Profile run: invocations per inference region, from the simulator's log. */
  readonly profileRegions: RegionCounts;
  /** Gateway-level group: successes per `x-spillway-region`. */
  readonly gatewayRegions: RegionCounts;
  /** The same group with `outageRegion` throttled: successes per `x-spillway-region`. */
  readonly outageRegions: RegionCounts;
  /** Successful requests of the three runs. */
  readonly served: { readonly profile: number; readonly gateway: number; readonly outage: number };
  readonly requests: readonly RequestOutcome[];
}

function settings(options: CrisOptions) {
  return { requests: options.requests ?? 10, outageRegion: options.outageRegion ?? 'us-east-2' };
}

/** The gateway config of the scenario. */
export function crisConfig(): ConfigDocument {
  return scenarioConfig({
    [crisGroup]: {
      description: 'Claude Sonnet through the us. cross-region inference profile (Bedrock picks the region)',
      deployments: [
        { id: 'sonnet-us-profile', provider: firstAccountProvider('us-east-1'), model: simModels.sonnetUs },
      ],
    },
    [crossRegionGroup]: {
      description: 'Amazon Nova Pro in three US regions; the gateway picks by health and spare capacity',
      strategy: 'least-busy',
      deployments: usRegions.map((region) => ({
        id: `nova-pro-${region}`,
        provider: firstAccountProvider(region),
        model: simModels.novaPro,
      })),
    },
  });
}

function regionTable(counts: RegionCounts, total: number, heading = 'Invocations'): string {
  const regions = [
    ...usRegions,
    ...Object.keys(counts).filter((region) => !usRegions.some((r) => r === region)),
  ];
  const rows = regions.map((region) => [region, counts[region] ?? 0, percent(counts[region] ?? 0, total)]);
  return renderTable(['Region', heading, 'Percentage'], rows);
}

const servingRegion = (record: DemoInvocation) => record.inferenceRegion ?? record.region;

async function send(context: DemoContext, gateway: DemoGateway, model: string, count: number) {
  return sendRequests(context, { gatewayUrl: gateway.url, apiKey: demoKey, model, count, sender: 'request' });
}

/** Runs the three runs and prints their tables. */
export async function runCrisScenario(context: DemoContext, options: CrisOptions = {}): Promise<CrisResult> {
  const { requests, outageRegion } = settings(options);
  const { out, simulator } = context;
  const expect = new Expectations();
  const account = simAccounts.first.id;
  await simulator.reset();
  const gateway = await context.openGateway(crisConfig(), 'cris');
  try {
    out.write(`\n== cris: ${requests} requests to ${crisGroup} (model ${simModels.sonnetUs})\n`);
    const profileOutcomes = await send(context, gateway, crisGroup, requests);
    const log = await simulator.invocations({ account, model: simModels.sonnetUs });
    const profileRegions = Object.fromEntries(countBy(log, servingRegion));
    out.write('\nFrom the simulator invocation log (account ' + account + '):\n');
    out.write(regionTable(profileRegions, log.length));
    const profileServed = profileOutcomes.filter((outcome) => outcome.status === 200).length;
    out.write(`Served: ${profileServed} of ${requests}   Invocations: ${log.length}\n`);
    expect.equal('profile run: served', profileServed, requests);
    expect.equal('profile run: invocations in the log', log.length, requests);
    const outside = log.filter((record) => !usRegions.some((region) => region === servingRegion(record)));
    expect.equal('profile run: invocations outside the us profile regions', outside.length, 0);

    const gatewayRun = async (title: string) => {
      out.write(`\n== cris (beyond the reference): ${requests} requests to ${crossRegionGroup}, ${title}\n`);
      const outcomes = await send(context, gateway, crossRegionGroup, requests);
      const served = outcomes.filter((outcome) => outcome.status === 200);
      const regions = Object.fromEntries(countBy(served, (outcome) => outcome.region ?? '?'));
      const novaLog = await simulator.invocations({ account, model: simModels.novaPro });
      const logServed = Object.fromEntries(
        countBy(
          novaLog.filter((record) => record.status === 200),
          servingRegion,
        ),
      );
      const throttled = novaLog.filter((record) => record.status === 429).length;
      out.write('\nFrom x-spillway-region (the gateway chose the region):\n');
      out.write(regionTable(regions, served.length, 'Requests'));
      out.write(
        `Served: ${served.length} of ${requests}   Throttled upstream attempts (simulator log): ${throttled}\n`,
      );
      for (const region of new Set([...Object.keys(regions), ...Object.keys(logServed)])) {
        expect.equal(
          `${title}: ${region} in the log vs x-spillway-region`,
          logServed[region] ?? 0,
          regions[region] ?? 0,
        );
      }
      expect.equal(`${title}: served`, served.length, requests);
      return { outcomes, regions, served: served.length };
    };

    await simulator.reset();
    const healthy = await gatewayRun('all regions healthy');
    await simulator.reset();
    await simulator.addFault({ kind: 'throttle', region: outageRegion, model: simModels.novaPro });
    const outage = await gatewayRun(`${outageRegion} throttled (simulator fault)`);
    await simulator.clearFaults();
    expect.equal(`outage run: served in ${outageRegion}`, outage.regions[outageRegion] ?? 0, 0);

    const result: CrisResult = {
      scenario: 'cris',
      ok: expect.ok,
      problems: expect.problems,
      profileRegions,
      gatewayRegions: healthy.regions,
      outageRegions: outage.regions,
      served: { profile: profileServed, gateway: healthy.served, outage: outage.served },
      requests: [...profileOutcomes, ...healthy.outcomes, ...outage.outcomes],
    };
    out.write(renderVerdict(result));
    return result;
  } finally {
    await gateway.close();
  }
}
