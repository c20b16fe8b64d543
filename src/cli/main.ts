import { Command } from 'commander';
import { packageVersion } from '../version.ts';
import { registerConfigCommand } from './config-command.ts';
import { registerServeCommand } from './serve-command.ts';
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
registerConfigCommand(program);

await program.parseAsync(process.argv);
