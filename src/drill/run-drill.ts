import pino from 'pino';
import { startGateway } from '../main.ts';
import { runningGateway } from '../demo/demo-context.ts';
import {
  localSimulatorControl,
  remoteSimulatorControl,
  type SimulatorControl,
} from '../demo/simulator-control.ts';
import { startSimulator } from '../simulator/start-simulator.ts';
import { buildReport, type DrillReport } from './drill-report.ts';
import type { DrillClient, DrillClientName, DrillSample } from './drill-sample.ts';
import type { Drill } from './drill-spec.ts';
import { gatewayClient } from './openai-client.ts';
import { gatewayDocument, loadKeys, resolveDrillConfig } from './load-drill.ts';
import { naiveClient } from './naive-client.ts';
import { countersBetween, readCounters, type GatewayCounters } from './gateway-counters.ts';
import { progressLine } from './drill-table.ts';

/** Where progress goes. */
export interface DrillOutput {
  write(text: string): void;
  /** A terminal: the progress line is rewritten in place. */
  readonly isTTY?: boolean | undefined;
}

/** Options of one run. */
export interface DrillRunOptions {
  readonly out: DrillOutput;
  /** Progress display (default true). */
  readonly progress?: boolean;
  /** Seconds to wait for open requests after the last phase before aborting them (default 10). */
  readonly drainSeconds?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** A prompt of about `tokens` tokens (the simulator counts words). */
export function promptOf(tokens: number, index: number): string {
  const words = `Drill request ${index}: answer briefly.`.split(' ');
  while (words.length < tokens) words.push('context');
  return words.join(' ');
}

/** Whether request `index` is streamed: exactly `share` of every run of requests, spread evenly. */
export function isStreamed(index: number, share: number): boolean {
  return Math.floor((index + 1) * share) > Math.floor(index * share);
}

async function openSimulator(
  drill: Drill,
): Promise<{ control: SimulatorControl; close: () => Promise<void> }> {
  if (drill.simulator.url !== undefined) {
    return { control: remoteSimulatorControl(drill.simulator.url), close: () => Promise.resolve() };
  }
  const running = await startSimulator({
    seed: drill.simulator.seed,
    latencyScale: drill.simulator.latency_scale,
  });
  return { control: localSimulatorControl(running), close: () => running.close() };
}

/** Runs the drill: simulator and gateway up, the load and the fault timeline, then the report. */
export async function runDrill(drill: Drill, options: DrillRunOptions): Promise<DrillReport> {
  const simulator = await openSimulator(drill);
  const cleanup: (() => Promise<void>)[] = [simulator.close];
  try {
    await simulator.control.reset();
    const config = resolveDrillConfig(drill, simulator.control.url, drill.name);
    let gatewayUrl: string;
    let metricsUrl: string | undefined;
    if (drill.gateway.url !== undefined) {
      gatewayUrl = (await runningGateway(drill.gateway.url)(gatewayDocument(drill), drill.name)).url;
      metricsUrl = `${gatewayUrl}/metrics`;
    } else {
      const gateway = await startGateway({
        config,
        port: 0,
        host: '127.0.0.1',
        accessLog: false,
        logger: pino({ level: 'silent' }),
      });
      cleanup.unshift(() => gateway.close());
      gatewayUrl = gateway.url;
      metricsUrl = gateway.metricsUrl;
    }
    const clients: [DrillClientName, DrillClient][] = [
      [
        'gateway',
        gatewayClient(gatewayUrl, drill.load.model, loadKeys(drill, config), drill.load.timeout_s * 1000),
      ],
    ];
    if (drill.naive !== undefined) clients.push(['naive', await naiveClient(config, drill.naive)]);
    await warmUp(drill, clients);
    const startedAt = new Date();
    const { samples, readings } = await driveLoad(drill, simulator.control, clients, options, metricsUrl);
    await simulator.control.clearFaults();
    return buildReport(drill, config, samples, startedAt, perPhase(readings));
  } finally {
    for (const close of cleanup) await close().catch(() => undefined);
  }
}

/**
 * A few requests through each client before the clock starts (connections, JIT), so that the first
 * phase's latency is the healthy figure the fault phases are compared with. Not recorded.
 */
async function warmUp(drill: Drill, clients: readonly [DrillClientName, DrillClient][]): Promise<void> {
  const signal = AbortSignal.timeout(drill.load.timeout_s * 1000);
  for (const [, client] of clients) {
    for (let index = 0; index < 4; index += 1) {
      const request = {
        stream: index % 2 === 1,
        prompt: promptOf(drill.load.prompt_tokens, index),
        maxTokens: drill.load.answer_tokens,
        signal,
        index,
      };
      await client.send(request);
    }
  }
}

/** Phase i's counters: from the reading at its start to the next one; undefined if any is missing. */
function perPhase(readings: readonly (GatewayCounters | undefined)[]): GatewayCounters[] | undefined {
  if (readings.some((reading) => reading === undefined)) return undefined;
  const defined = readings as readonly GatewayCounters[];
  return defined.slice(1).map((after, index) => countersBetween(after, defined[index]));
}

async function driveLoad(
  drill: Drill,
  simulator: SimulatorControl,
  clients: readonly [DrillClientName, DrillClient][],
  options: DrillRunOptions,
  metricsUrl: string | undefined,
): Promise<{ samples: DrillSample[]; readings: (GatewayCounters | undefined)[] }> {
  const { load, phases } = drill;
  const totalMs = (phases[phases.length - 1]?.end_s ?? 0) * 1000;
  const abort = new AbortController();
  const samples: DrillSample[] = [];
  const pending = new Set<Promise<void>>();
  const start = performance.now();
  const elapsed = () => performance.now() - start;
  const phaseAt = (ms: number) => {
    const index = phases.findIndex((phase) => ms < phase.end_s * 1000);
    return index === -1 ? phases.length - 1 : index;
  };

  const fire = (index: number, client: DrillClientName, drillClient: DrillClient): Promise<void> => {
    const startMs = elapsed();
    const stream = isStreamed(index, load.stream_share);
    const request = {
      stream,
      prompt: promptOf(load.prompt_tokens, index),
      maxTokens: load.answer_tokens,
      signal: abort.signal,
      index,
    };
    const sent = drillClient.send(request).then((outcome) => {
      samples.push({ ...outcome, client, start_ms: Math.round(startMs), phase: phaseAt(startMs) });
    });
    const tracked = sent.finally(() => pending.delete(tracked));
    pending.add(tracked);
    return tracked;
  };

  // The fault timeline: each phase's faults from its start to its end (phases never overlap). A
  // request waits until its phase's faults are in force, so none is sent into the previous phase's.
  const applied = phases.map(() => Promise.withResolvers<undefined>());
  // The gateway's counters at each phase boundary (hedges and stream recoveries by when they happened).
  const readings: Promise<GatewayCounters | undefined>[] = [];
  const inForce = async () => {
    await applied[phaseAt(elapsed())]?.promise;
  };
  const timeline = (async () => {
    for (const [index, phase] of phases.entries()) {
      await sleep(phase.start_s * 1000 - elapsed());
      readings.push(readCounters(metricsUrl));
      await simulator.clearFaults();
      for (const fault of phase.faults) await simulator.addFault(fault);
      applied[index]?.resolve(undefined);
    }
  })();

  const progress = options.progress ?? true;
  const ticker = progress
    ? setInterval(() => {
        const now = elapsed();
        const phase = now >= totalMs ? '(draining)' : (phases[phaseAt(now)]?.name ?? '');
        const line = progressLine(now / 1000, totalMs / 1000, phase, samples, pending.size);
        options.out.write(options.out.isTTY === true ? `\r${line}` : `${line}\n`);
      }, 1000)
    : undefined;

  const loops: Promise<void>[] = [];
  if (load.rate !== undefined) {
    const interval = 1000 / load.rate;
    loops.push(
      (async () => {
        for (let index = 0; ; index += 1) {
          const at = index * interval;
          if (at >= totalMs) break;
          await sleep(at - elapsed());
          await inForce();
          for (const [name, client] of clients) void fire(index, name, client);
        }
      })(),
    );
  } else {
    const workers = load.concurrency ?? 1;
    for (const [name, client] of clients) {
      let next = 0;
      for (let worker = 0; worker < workers; worker += 1) {
        loops.push(
          (async () => {
            while (elapsed() < totalMs) {
              const index = next;
              next += 1;
              await inForce();
              await fire(index, name, client);
            }
          })(),
        );
      }
    }
  }
  // Requests still open drainSeconds after the last phase are aborted (the naive client may never
  // give up on a hanging deployment: the AWS SDK has no request timeout by default).
  const deadline = setTimeout(
    () => {
      abort.abort();
    },
    totalMs + (options.drainSeconds ?? 10) * 1000 - elapsed(),
  );
  await Promise.all(loops);
  await timeline;
  while (pending.size > 0) await Promise.all([...pending]);
  readings.push(readCounters(metricsUrl));
  clearTimeout(deadline);
  if (ticker !== undefined) clearInterval(ticker);
  if (progress && options.out.isTTY === true) options.out.write('\n');
  return { samples: samples.sort((a, b) => a.start_ms - b.start_ms), readings: await Promise.all(readings) };
}
