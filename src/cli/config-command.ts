import type { Command } from 'commander';
import { ConfigError, loadConfigFile } from '../config/load-config.ts';
import { probeBackends, startProblems } from '../main.ts';

/**
 * `spillway config check FILE`: validates a config file as `serve` does before it starts (the
 * schema, references, what the gateway would refuse at start) and prints one line per problem with
 * its path; with `--connect` it also connects to the configured PostgreSQL and Redis.
 */
export function registerConfigCommand(program: Command): void {
  const config = program.command('config').description('work with configuration files');
  config
    .command('check')
    .description('validate a configuration file; prints one line per problem with its path')
    .argument('<file>', 'path of the YAML configuration file')
    .option(
      '--connect',
      'also connect to the configured PostgreSQL (database.url) and Redis (state.redis_url)',
    )
    .action(async (file: string, options: { connect?: boolean }) => {
      try {
        const loaded = await loadConfigFile(file);
        const problems = startProblems(loaded);
        if (problems.length === 0 && options.connect === true)
          problems.push(...(await probeBackends(loaded)));
        if (problems.length > 0) throw new ConfigError(file, problems);
        const groups = Object.keys(loaded.models).length;
        const providers = Object.keys(loaded.providers).length;
        const tenants = Object.keys(loaded.tenants).length;
        const connected = options.connect === true ? '; database and Redis answered' : '';
        process.stdout.write(
          `${file}: ok (${providers} providers, ${groups} model groups, ${tenants} tenants${connected})\n`,
        );
      } catch (error) {
        if (error instanceof ConfigError) {
          process.stderr.write(`${error.message}\n`);
          process.exitCode = 1;
          return;
        }
        throw error;
      }
    });
}
