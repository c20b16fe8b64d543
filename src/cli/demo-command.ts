import { InvalidArgumentError, type Command } from 'commander';
import { DemoSetupError } from '../demo/demo-context.ts';
import {
  configFor,
  isScenarioName,
  runDemo,
  scenarioNames,
  scenarios,
  type ScenarioName,
} from '../demo/demo-scenarios.ts';
import { SimulatorControlError } from '../demo/simulator-control.ts';

interface DemoOptions {
  readonly gateway?: string;
  readonly sim?: string;
  readonly printConfig?: string;
  readonly seed: number;
  readonly latencyScale?: number;
  readonly quiet?: boolean;
}

function parseNonNegative(kind: string, integer: boolean) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < 0 || (integer && !Number.isInteger(parsed))) {
      throw new InvalidArgumentError(`not a valid ${kind}: ${value}`);
    }
    return parsed;
  };
}

const scenarioList = scenarioNames
  .map((name) => `  ${name.padEnd(12)} ${scenarios[name].summary}`)
  .join('\n');

const helpText = `
Scenarios (all of them, in this order, when none is named):
${scenarioList}

By default the demo starts the provider simulator and, for each scenario, a fresh gateway with the
scenario's config in this process. To run against a running gateway and simulator instead:
  spillway sim --port 9100 &
  spillway demo --print-config all > demo.yaml
  SPILLWAY_SIM_URL=http://127.0.0.1:9100 spillway serve --config demo.yaml --port 4000 &
  spillway demo --gateway http://127.0.0.1:4000 --sim http://127.0.0.1:9100
The gateway must have been started with the printed config (the demo checks its groups and keys).
Limits live in the gateway: restart it (or wait a minute) before running the demo against it again.
The demo resets the simulator (invocation log, quotas, faults) before each scenario.

Exit status: 0 when every scenario's outcome is as expected, 1 otherwise.
`;

/** `spillway demo [scenario]`: the five resilience patterns of docs/scenarios.md, with their tables. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the resilience scenarios against the simulator and print their tables')
    .argument('[scenario]', `one of ${scenarioNames.join(', ')} (default: all)`)
    .option('--gateway <url>', 'a running gateway started with the --print-config config (needs --sim)')
    .option('--sim <url>', 'a running provider simulator (default: start one in this process)')
    .option(
      '--print-config <name>',
      `print the gateway config a scenario needs (${scenarioNames.join(', ')}, all) and exit`,
    )
    .option('--seed <n>', 'seed of the in-process simulator', parseNonNegative('seed', true), 1)
    .option(
      '--latency-scale <x>',
      'latency scale of the in-process simulator (0 = instant)',
      parseNonNegative('scale', false),
    )
    .option('--quiet', 'no line per request; tables only')
    .addHelpText('after', helpText)
    .action(async (scenario: string | undefined, options: DemoOptions) => {
      if (options.printConfig !== undefined) {
        const name = options.printConfig;
        if (name !== 'all' && !isScenarioName(name)) {
          process.stderr.write(
            `spillway demo: unknown scenario "${name}" (known: ${scenarioNames.join(', ')}, all)\n`,
          );
          process.exitCode = 1;
          return;
        }
        process.stdout.write(configFor(name));
        return;
      }
      let names: readonly ScenarioName[] = scenarioNames;
      if (scenario !== undefined) {
        if (!isScenarioName(scenario)) {
          process.stderr.write(
            `spillway demo: unknown scenario "${scenario}" (known: ${scenarioNames.join(', ')})\n`,
          );
          process.exitCode = 1;
          return;
        }
        names = [scenario];
      }
      try {
        const run = await runDemo(names, {
          gatewayUrl: options.gateway,
          simulatorUrl: options.sim,
          seed: options.seed,
          latencyScale: options.latencyScale,
          progress: options.quiet !== true,
        });
        if (!run.ok) process.exitCode = 1;
      } catch (error) {
        if (error instanceof DemoSetupError || error instanceof SimulatorControlError) {
          process.stderr.write(`spillway demo: ${error.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw error;
      }
    });
}
