import { Command } from 'commander';
import { packageVersion } from '../version.ts';
import { registerConfigCommand } from './config-command.ts';
import { registerDemoCommand } from './demo-command.ts';
import { registerKeysCommand } from './keys-command.ts';
import { registerReportCommand } from './report-command.ts';
import { registerServeCommand } from './serve-command.ts';
import { registerSimCommand } from './sim-command.ts';
import { registerSpendCommand } from './spend-command.ts';
import { registerUpCommand } from './up-command.ts';

/** The spillway command line: every subcommand is registered here, in one place. */
const program = new Command();
program
  .name('spillway')
  .description('Spillway: a resilient LLM gateway (OpenAI- and Anthropic-compatible)')
  .version(packageVersion)
  .showHelpAfterError();

registerUpCommand(program);
registerServeCommand(program);
registerSimCommand(program);
registerDemoCommand(program);
registerConfigCommand(program);
registerKeysCommand(program);
registerSpendCommand(program);
registerReportCommand(program);

await program.parseAsync(process.argv);
