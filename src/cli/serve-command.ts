import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError, loadConfigFile } from '../config/load-config.ts';
import { startGateway, startProblems } from '../main.ts';
import { reportStartFailure } from './start-failure.ts';
import { superviseGateway } from './run-gateway-process.ts';
import { resolveWorkers, workersOptionHelp } from './workers-option.ts';

/** Where the config comes from: --config, then SPILLWAY_CONFIG, then ./spillway.yaml. */
export function resolveConfigPath(option: string | undefined): string {
  return option ?? process.env['SPILLWAY_CONFIG'] ?? 'spillway.yaml';
}

interface ServeOptions {
  readonly config?: string;
  readonly port?: string;
  readonly host?: string;
  readonly workers?: string;
}

/** `spillway serve`: the gateway alone, on a configuration file. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('start the gateway on a configuration file (reloads on SIGHUP and on file change)')
    .option('-c, --config <file>', 'configuration file (default: $SPILLWAY_CONFIG or ./spillway.yaml)')
    .option('-p, --port <port>', 'listen on this port instead of server.port')
    .option('--host <host>', 'listen on this interface instead of server.host')
    .option('-w, --workers <n>', workersOptionHelp)
    .action(async (options: ServeOptions) => {
      const configPath = resolveConfigPath(options.config);
      if (!existsSync(configPath)) {
        process.stderr.write(
          `spillway: no configuration file at ${configPath}.\n` +
            'Pass --config FILE, or run `spillway up` for a gateway with the built-in simulator behind it.\n',
        );
        process.exitCode = 1;
        return;
      }
      try {
        const config = await loadConfigFile(configPath);
        const problems = startProblems(config);
        if (problems.length > 0) throw new ConfigError(configPath, problems);
        const gateway = await startGateway({
          config,
          port: options.port === undefined ? undefined : Number(options.port),
          host: options.host,
          workers: resolveWorkers(options.workers, config),
        });
        superviseGateway(gateway, configPath, process.env);
      } catch (error) {
        reportStartFailure(error, {
          'server.port': 'pass --port N or set server.port',
          '--workers': 'pass --workers N, or omit it for server.workers or every core',
        });
        // Whatever was opened before the failure (state, database) must not keep the process alive.
        process.exit();
      }
    });
}
