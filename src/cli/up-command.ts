import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ConfigError, loadConfigFile } from '../config/load-config.ts';
import { listenFailure, StartupError } from '../core/startup-error.ts';
import { startGateway, startProblems } from '../main.ts';
import { startSimulator, type RunningSimulator } from '../simulator/start-simulator.ts';
import { ensureLocalAdminKey, localAdminKeyFile } from './local-admin-key.ts';
import { superviseGateway } from './run-gateway-process.ts';
import { reportStartFailure } from './start-failure.ts';
import { resolveWorkers, workersOptionHelp } from './workers-option.ts';

const exampleConfig = fileURLToPath(new URL('../../examples/simulated-world.yaml', import.meta.url));

interface UpOptions {
  readonly config?: string;
  readonly port: string;
  readonly simPort: string;
  readonly seed: string;
  readonly latencyScale?: string;
  readonly workers?: string;
}

/**
 * `spillway up`: the main job on the embedded defaults. The built-in simulator (Bedrock in several
 * regions and two accounts, an OpenAI-style and an Anthropic-style API) and a gateway in front of it,
 * with in-memory state and a SQLite file: nothing to install, no cloud account.
 */
export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('start the built-in simulator and a gateway in front of it (no cloud account needed)')
    .option('-c, --config <file>', 'gateway configuration (default: examples/simulated-world.yaml)')
    .option('-p, --port <port>', 'gateway port', process.env['SPILLWAY_PORT'] ?? '4000')
    .option('--sim-port <port>', 'simulator port', '9100')
    .option('--seed <n>', 'seed of the simulator', '1')
    .option('--latency-scale <x>', 'multiply simulated latencies (0: instant)')
    .option('-w, --workers <n>', workersOptionHelp)
    .action(async (options: UpOptions) => {
      const simPort = Number(options.simPort);
      let simulator: RunningSimulator | undefined;
      try {
        simulator = await startSimulator({
          port: simPort,
          seed: Number(options.seed),
          ...(options.latencyScale === undefined ? {} : { latencyScale: Number(options.latencyScale) }),
        }).catch((error: unknown) => {
          throw new StartupError(
            'simulator.port',
            `simulator: ${listenFailure(error, '127.0.0.1', simPort)}`,
            {
              cause: error,
            },
          );
        });
        const running = simulator;
        // The local setup's admin key (made once, kept in ./spillway.admin-key, mode 0600) unless the
        // operator set one: spend, report and the dashboard then work with no extra step.
        const adminKeyFromFile = process.env['SPILLWAY_ADMIN_KEY'] === undefined;
        const env = {
          ...process.env,
          SPILLWAY_SIM_URL: running.url,
          SPILLWAY_PORT: options.port,
          ...(adminKeyFromFile ? { SPILLWAY_ADMIN_KEY: ensureLocalAdminKey() } : {}),
        };
        const configPath = options.config ?? exampleConfig;
        const config = await loadConfigFile(configPath, env);
        const problems = startProblems(config);
        if (problems.length > 0) throw new ConfigError(configPath, problems);
        const workers = resolveWorkers(options.workers, config);
        const gateway = await startGateway({ config, port: Number(options.port), workers });
        superviseGateway(gateway, configPath, env, () => running.close());
        const groups = Object.keys(config.models).join(', ');
        const adminKey = config.server.admin_key;
        const keyLines =
          adminKey === undefined || adminKey === ''
            ? ['Admin key          none (admin API, dashboard data, spend and report are off)']
            : [
                `Admin key          ${adminKey}`,
                `                   ${adminKeyFromFile ? `(kept in ./${localAdminKeyFile}; spillway spend, report and keys read it)` : '(from SPILLWAY_ADMIN_KEY)'}`,
              ];
        const requestKeys = gateway.requiresKeys()
          ? 'API keys           required (create one: spillway keys create --tenant NAME)'
          : 'API keys           not required: any key or none is accepted (require them: server.allow_anonymous: false)';
        process.stderr.write(
          [
            '',
            `Spillway gateway   ${gateway.url}   (config: ${configPath})`,
            `Dashboard          ${gateway.url}/dashboard`,
            `Workers            ${workers} (threads on the port: --workers N; limits exact across them)`,
            ...(gateway.metricsUrl === undefined ? [] : [`Metrics            ${gateway.metricsUrl}`]),
            `Provider simulator ${running.url}   (invocation log: ${running.url}/_sim/invocations)`,
            ...keyLines,
            requestKeys,
            `Model groups: ${groups}`,
            '',
            'Try:',
            `  curl -s ${gateway.url}/v1/chat/completions -H 'content-type: application/json' \\`,
            `    -d '{"model":"claude-sonnet","messages":[{"role":"user","content":"Hello"}]}'`,
            '',
          ].join('\n'),
        );
      } catch (error) {
        await simulator?.close();
        reportStartFailure(error, {
          'server.port': 'pass --port N',
          'simulator.port': 'pass --sim-port N',
          '--workers': 'pass --workers N',
        });
        // Whatever was opened before the failure (state, database) must not keep the process alive.
        process.exit();
      }
    });
}
