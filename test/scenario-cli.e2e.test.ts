import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load-config.ts';

/**
 * `spillway demo` as a command: registerDemoCommand on a fresh commander program in a child process
 * (the lead registers it in src/cli/main.ts), run as a person would, checking output and exit status.
 */

const repository = join(import.meta.dirname, '..');
const runner = [
  "import { Command } from 'commander';",
  "import { registerDemoCommand } from './src/cli/demo-command.ts';",
  "const program = new Command().name('spillway');",
  'registerDemoCommand(program);',
  "await program.parseAsync(process.argv.slice(1), { from: 'user' });",
].join('\n');

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function demo(args: readonly string[]): Promise<Finished> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', runner, 'demo', ...args], {
    cwd: repository,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('spillway demo', () => {
  it('runs a scenario on its own simulator and gateway, prints the figures, exits 0', async () => {
    const run = await demo(['fallback', '--latency-scale', '0', '--seed', '3']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(
      'Total Requests: 10   Successful: 10   Failed: 0   Primary Model Used: 3   Fallback Triggered: 7',
    );
    expect(run.stdout.match(/^ {2}request #\d\d {2}200 /gm)).toHaveLength(10);
    expect(run.code).toBe(0);
  });

  it('prints a config that `serve` accepts, with every scenario group', async () => {
    const run = await demo(['--print-config', 'all']);
    expect(run.code).toBe(0);
    const config = parseConfig(run.stdout, 'printed', { SPILLWAY_SIM_URL: 'http://127.0.0.1:9100' });
    expect(Object.keys(config.models)).toEqual(
      expect.arrayContaining([
        'claude-sonnet-cris-demo',
        'claude-sonnet-accounts-demo',
        'claude-sonnet-fallback-demo',
        'claude-sonnet-loadbalance-demo',
        'claude-sonnet-quota-demo',
      ]),
    );
    expect(config.models['claude-sonnet-fallback-demo']?.deployments[0]?.rpm).toBe(3);
  });

  it('exits 1 on an unknown scenario and on a gateway that cannot run it', async () => {
    const unknown = await demo(['nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown scenario "nope"');
    const alone = await demo(['quota', '--gateway', 'http://127.0.0.1:9']);
    expect(alone.code).toBe(1);
    expect(alone.stderr).toContain('--gateway needs --sim');
  });
});
