import { Command } from 'commander';
import { packageVersion } from '../version.ts';

/**
 * The spillway command line: every subcommand is registered here, in one place. Each registration
 * module is loaded when its command runs (all of them for help): `serve` then never loads the
 * simulator or the demo, which only `up`, `sim` and `demo` use.
 */
const registrations: Readonly<Record<string, () => Promise<(program: Command) => void>>> = {
  up: async () => (await import('./up-command.ts')).registerUpCommand,
  serve: async () => (await import('./serve-command.ts')).registerServeCommand,
  sim: async () => (await import('./sim-command.ts')).registerSimCommand,
  demo: async () => (await import('./demo-command.ts')).registerDemoCommand,
  drill: async () => (await import('./drill-command.ts')).registerDrillCommand,
  config: async () => (await import('./config-command.ts')).registerConfigCommand,
  keys: async () => (await import('./keys-command.ts')).registerKeysCommand,
  spend: async () => (await import('./spend-command.ts')).registerSpendCommand,
  report: async () => (await import('./report-command.ts')).registerReportCommand,
};

const program = new Command();
program
  .name('spillway')
  .description('Spillway: a resilient LLM gateway (OpenAI- and Anthropic-compatible)')
  .version(packageVersion)
  .showHelpAfterError();

const requested = process.argv.slice(2).find((argument) => !argument.startsWith('-'));
const only = requested === undefined ? undefined : registrations[requested];
for (const register of only === undefined ? Object.values(registrations) : [only])
  (await register())(program);

await program.parseAsync(process.argv);
