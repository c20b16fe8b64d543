import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';
import { stringify } from 'yaml';
import { ConfigError } from '../config/load-config.ts';
import { strategySchema } from '../config/schema.ts';
import { DemoSetupError } from '../demo/demo-context.ts';
import { SimulatorControlError } from '../demo/simulator-control.ts';
import { renderHtml } from '../drill/drill-html.ts';
import { renderTable } from '../drill/drill-table.ts';
import { gatewayDocument, loadDrillFile } from '../drill/load-drill.ts';
import type { Drill } from '../drill/drill-spec.ts';
import { NaiveClientError } from '../drill/naive-client.ts';
import { runDrill } from '../drill/run-drill.ts';

const defaultDrill = fileURLToPath(new URL('../../examples/drills/bad-day.yaml', import.meta.url));

interface DrillOptions {
  readonly out: string;
  readonly strategy?: string;
  readonly latencyScale?: number;
  readonly drain: number;
  readonly check?: boolean;
  readonly quiet?: boolean;
  readonly printConfig?: boolean;
  readonly sim?: string;
  readonly gateway?: string;
}

function nonNegative(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new InvalidArgumentError(`not a valid number: ${value}`);
  return parsed;
}

function strategy(value: string): string {
  if (!strategySchema.safeParse(value).success) {
    throw new InvalidArgumentError(`unknown strategy ${value} (known: ${strategySchema.options.join(', ')})`);
  }
  return value;
}

const helpText = `
A drill file declares the load, the gateway config, the naive-client baseline, the fault timeline
and the goals (docs/operations.md, "Drills"; examples in examples/drills/). The drill starts the
simulator and a gateway in this process unless the file gives their URLs, prints a progress line
while it runs and the table at the end, and writes DIR/NAME.json and DIR/NAME.html.

Exit status: 0 when every goal of the file is met, 1 when one is not or the drill cannot run.
`;

function printedConfig(drill: Drill, source: string): string {
  const header = [
    `# Gateway config of the drill ${drill.name} (${source}), for a running gateway:`,
    '#   spillway sim --port 9100 &',
    '#   SPILLWAY_SIM_URL=http://127.0.0.1:9100 spillway serve --config THIS_FILE --port 4000 &',
    `#   spillway drill ${source} --sim http://127.0.0.1:9100 --gateway http://127.0.0.1:4000`,
    '# Limits live in the gateway: restart it before running the drill again.',
    '',
  ];
  return header.join('\n') + stringify(gatewayDocument(drill), { lineWidth: 0 });
}

/** `spillway drill [FILE]`: a declared load under a fault timeline, measured, against a naive client. */
export function registerDrillCommand(program: Command): void {
  program
    .command('drill')
    .description(
      'run a resilience drill: load and a fault timeline against the simulator; report the figures',
    )
    .argument('[file]', 'drill file (default: examples/drills/bad-day.yaml)')
    .option('-o, --out <dir>', 'directory for NAME.json and NAME.html', 'drill-results')
    .option('--strategy <name>', 'override every model group strategy (e.g. cost, to compare)', strategy)
    .option('--latency-scale <x>', 'override simulator.latency_scale of the file', nonNegative)
    .option('--drain <s>', 'seconds to wait for open requests after the last phase', nonNegative, 10)
    .option('--sim <url>', 'a running simulator (instead of simulator.url or one in this process)')
    .option('--gateway <url>', 'a running gateway serving the --print-config config (needs --sim)')
    .option('--print-config', 'print the gateway config of the drill (for a running gateway) and exit')
    .option('--check', 'validate the drill file and exit')
    .option('--quiet', 'no progress line')
    .addHelpText('after', helpText)
    .action(async (file: string | undefined, options: DrillOptions) => {
      const source = file ?? defaultDrill;
      try {
        let drill = await loadDrillFile(source);
        if (options.printConfig === true) {
          process.stdout.write(printedConfig(drill, source));
          return;
        }
        if (options.sim !== undefined)
          drill = { ...drill, simulator: { ...drill.simulator, url: options.sim } };
        if (options.gateway !== undefined) {
          if (drill.simulator.url === undefined) {
            throw new DemoSetupError(
              '--gateway needs --sim (or simulator.url): the simulator the gateway calls',
            );
          }
          drill = { ...drill, gateway: { ...drill.gateway, url: options.gateway } };
        }
        if (options.check === true) {
          process.stdout.write(`${source}: valid drill "${drill.name}"\n`);
          return;
        }
        if (options.strategy !== undefined) {
          drill = {
            ...drill,
            gateway: { ...drill.gateway, strategy: strategySchema.parse(options.strategy) },
          };
        }
        if (options.latencyScale !== undefined) {
          drill = { ...drill, simulator: { ...drill.simulator, latency_scale: options.latencyScale } };
        }
        const report = await runDrill(drill, {
          out: { write: (text) => process.stderr.write(text), isTTY: process.stderr.isTTY },
          progress: options.quiet !== true,
          drainSeconds: options.drain,
        });
        process.stdout.write(`\n${renderTable(report)}`);
        await mkdir(options.out, { recursive: true });
        const base = path.join(options.out, drill.name);
        await writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
        await writeFile(`${base}.html`, renderHtml(report));
        process.stdout.write(`\nWrote ${base}.json and ${base}.html\n`);
        if (report.goals.some((goal) => !goal.met)) process.exitCode = 1;
      } catch (error) {
        if (
          error instanceof ConfigError ||
          error instanceof DemoSetupError ||
          error instanceof SimulatorControlError ||
          error instanceof NaiveClientError
        ) {
          process.stderr.write(`spillway drill: ${error.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw error;
      }
    });
}
