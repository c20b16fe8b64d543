import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ConfigError, loadConfigFile } from '../config/load-config.ts';
import { startGateway } from '../main.ts';
import { startSimulator } from '../simulator/start-simulator.ts';
import { superviseGateway } from './run-gateway-process.ts';

const exampleConfig = fileURLToPath(new URL('../../examples/simulated-world.yaml', import.meta.url));

interface UpOptions {
  readonly config?: string;
  readonly port: string;
  readonly simPort: string;
  readonly seed: string;
  readonly latencyScale?: string;
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
    .action(async (options: UpOptions) => {
      const simulator = await startSimulator({
        port: Number(options.simPort),
        seed: Number(options.seed),
        ...(options.latencyScale === undefined ? {} : { latencyScale: Number(options.latencyScale) }),
      });
      const env = { ...process.env, SPILLWAY_SIM_URL: simulator.url, SPILLWAY_PORT: options.port };
      const configPath = options.config ?? exampleConfig;
      try {
        const config = await loadConfigFile(configPath, env);
        const gateway = await startGateway({ config, port: Number(options.port) });
        superviseGateway(gateway, configPath, env, () => simulator.close());
        const groups = Object.keys(config.models).join(', ');
        process.stderr.write(
          [
            '',
            `Spillway gateway   ${gateway.url}   (config: ${configPath})`,
            `Provider simulator ${simulator.url}   (invocation log: ${simulator.url}/_sim/invocations)`,
            ...(gateway.metricsUrl === undefined ? [] : [`Metrics            ${gateway.metricsUrl}`]),
            `Model groups: ${groups}`,
            '',
            'Try:',
            `  curl -s ${gateway.url}/v1/chat/completions -H 'content-type: application/json' \\`,
            `    -d '{"model":"claude-sonnet","messages":[{"role":"user","content":"Hello"}]}'`,
            '',
          ].join('\n'),
        );
      } catch (error) {
        await simulator.close();
        if (error instanceof ConfigError) {
          process.stderr.write(`${error.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw error;
      }
    });
}
