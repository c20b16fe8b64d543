import pino, { type Logger } from 'pino';
import { request } from 'undici';
import { z } from 'zod';
import { startGateway } from '../main.ts';
import { localSimulatorControl, remoteSimulatorControl, type SimulatorControl } from './simulator-control.ts';
import { resolveConfig, type ConfigDocument } from './demo-config.ts';
import { startSimulator } from '../simulator/start-simulator.ts';

/** Where the demo writes its progress lines and tables. */
export interface DemoOutput {
  /** Writes `text` as is (lines end with \n). */
  write(text: string): void;
}

/** A gateway a scenario drives. */
export interface DemoGateway {
  /** Base URL (OpenAI clients add /v1). */
  readonly url: string;
  /** Stops the gateway if the demo started it; leaves a running one alone. */
  close(): Promise<void>;
}

/** What a scenario runs against. */
export interface DemoContext {
  /** The provider simulator behind the gateway. */
  readonly simulator: SimulatorControl;
  /**
   * A gateway serving `config`: a fresh in-process one (port 0), or the running one given by URL after
   * checking that it knows every group and tenant key of `config` (it must have been started with
   * the config `--print-config` prints). `scenario` names the scenario in error messages.
   */
  openGateway(config: ConfigDocument, scenario: string): Promise<DemoGateway>;
  /** Progress lines and tables go here. */
  readonly out: DemoOutput;
  /** Print a line per completed request (default true). */
  readonly progress: boolean;
}

/** The gateway or simulator the demo was pointed at cannot run a scenario. */
export class DemoSetupError extends Error {
  override readonly name = 'DemoSetupError';
}

/** Fresh in-process gateways on `simulator`, each with its own config, port and state. */
export function inProcessGateways(
  simulator: SimulatorControl,
  logger: Logger = pino({ level: 'silent' }),
): DemoContext['openGateway'] {
  return async (config, scenario) => {
    const gateway = await startGateway({
      config: resolveConfig(config, simulator.url, `demo ${scenario}`),
      port: 0,
      host: '127.0.0.1',
      accessLog: false,
      logger,
    });
    return { url: gateway.url, close: () => gateway.close() };
  };
}

const modelListSchema = z.object({ data: z.array(z.object({ id: z.string() })) });

/** The running gateway at `url`, checked against each scenario's config before use. */
export function runningGateway(url: string): DemoContext['openGateway'] {
  const base = url.replace(/\/+$/, '');
  const hint = (scenario: string) =>
    `start it with the config of \`spillway demo --print-config ${scenario}\` (or \`--print-config all\`)`;
  return async (config, scenario) => {
    const keys = Object.values(config.tenants ?? {}).flatMap((tenant) => tenant.keys ?? []);
    for (const key of keys) {
      let status: number;
      let text: string;
      try {
        const response = await request(`${base}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
        status = response.statusCode;
        text = await response.body.text();
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new DemoSetupError(`cannot reach the gateway at ${base}: ${reason}`);
      }
      if (status !== 200) {
        throw new DemoSetupError(
          `the gateway at ${base} refused the demo key ${key} (HTTP ${status}): ${hint(scenario)}`,
        );
      }
      const listed = new Set(modelListSchema.parse(JSON.parse(text)).data.map((model) => model.id));
      const missing = Object.keys(config.models ?? {}).filter((group) => !listed.has(group));
      if (missing.length > 0) {
        throw new DemoSetupError(
          `the gateway at ${base} has no model group ${missing.join(', ')} for key ${key}: ${hint(scenario)}`,
        );
      }
    }
    return { url: base, close: () => Promise.resolve() };
  };
}

/** Where to find the gateway and simulator; absent URLs: start them in this process. */
export interface DemoSessionOptions {
  /** A running gateway (already configured with the scenarios' groups). */
  readonly gatewayUrl?: string | undefined;
  /** A running simulator. */
  readonly simulatorUrl?: string | undefined;
  /** Seed of an in-process simulator (default 1). */
  readonly seed?: number | undefined;
  /** Latency scale of an in-process simulator (default: the world's, 1 = realistic; 0 = instant). */
  readonly latencyScale?: number | undefined;
  /** Output (default: stdout). */
  readonly out?: DemoOutput | undefined;
  /** Per-request lines (default true). */
  readonly progress?: boolean | undefined;
}

/** A demo context and what to stop afterwards. */
export interface DemoSession {
  /** The context the scenarios run in. */
  readonly context: DemoContext;
  /** Stops the in-process simulator, if one was started. */
  close(): Promise<void>;
}

/** Starts what is not given by URL (one simulator per session) and builds the context. */
export async function openDemoSession(options: DemoSessionOptions = {}): Promise<DemoSession> {
  const out = options.out ?? { write: (text: string) => process.stdout.write(text) };
  const progress = options.progress ?? true;
  if (options.simulatorUrl !== undefined) {
    const simulator = remoteSimulatorControl(options.simulatorUrl);
    const openGateway =
      options.gatewayUrl === undefined ? inProcessGateways(simulator) : runningGateway(options.gatewayUrl);
    return { context: { simulator, openGateway, out, progress }, close: () => Promise.resolve() };
  }
  if (options.gatewayUrl !== undefined) {
    throw new DemoSetupError('--gateway needs --sim: the tables come from the simulator the gateway calls');
  }
  const running = await startSimulator({
    seed: options.seed ?? 1,
    ...(options.latencyScale === undefined ? {} : { latencyScale: options.latencyScale }),
  });
  const simulator = localSimulatorControl(running);
  return {
    context: { simulator, openGateway: inProcessGateways(simulator), out, progress },
    close: () => running.close(),
  };
}
