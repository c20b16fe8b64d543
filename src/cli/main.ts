import { Command } from 'commander';
import { registerConfigCommand } from './config-command.ts';

/** The spillway command line: every subcommand is registered here, in one place. */
const program = new Command();
program
  .name('spillway')
  .description('Spillway: a resilient LLM gateway (OpenAI- and Anthropic-compatible)')
  .showHelpAfterError();

registerConfigCommand(program);

await program.parseAsync(process.argv);
