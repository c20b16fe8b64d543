import type { Command } from 'commander';
import { ConfigError, loadConfigFile } from '../config/load-config.ts';

/** `spillway config check FILE`: validates a config file and prints one line per problem. */
export function registerConfigCommand(program: Command): void {
  const config = program.command('config').description('work with configuration files');
  config
    .command('check')
    .description('validate a configuration file; prints one line per problem with its path')
    .argument('<file>', 'path of the YAML configuration file')
    .action(async (file: string) => {
      try {
        const loaded = await loadConfigFile(file);
        const groups = Object.keys(loaded.models).length;
        const providers = Object.keys(loaded.providers).length;
        const tenants = Object.keys(loaded.tenants).length;
        process.stdout.write(
          `${file}: ok (${providers} providers, ${groups} model groups, ${tenants} tenants)\n`,
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
