#!/usr/bin/env node
// The spillway command. It runs the compiled dist/ when `npm run build` made it from the sources as
// they are now (scripts/source-stamp.js, decision 0026), else the TypeScript sources directly under
// Node 24's type stripping, so a checkout needs no build step and never runs a stale dist/.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { arch } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  // An older system Node (npx, the installed bin): run under the project's own Node 24 when
  // scripts/with-node24.sh (npm start, npm test) has installed it, else say exactly what to run.
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const packageArch = arch() === 'arm64' ? 'arm64' : 'x64';
  const node24 = join(root, '.spillway', 'node', 'node_modules', `node-linux-${packageArch}`, 'bin', 'node');
  if (process.env.SPILLWAY_REEXEC !== '1' && existsSync(node24)) {
    const child = spawn(node24, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, SPILLWAY_REEXEC: '1' },
    });
    // Ctrl-C reaches the child through the terminal's process group: this process only waits.
    // SIGTERM and SIGHUP sent to this pid alone (a supervisor, `kill PID`) are passed on.
    process.on('SIGINT', () => {});
    for (const signal of ['SIGTERM', 'SIGHUP'])
      process.on(signal, () => {
        child.kill(signal);
      });
    child.on('exit', (code, signal) => {
      if (signal !== null) process.kill(process.pid, signal);
      else process.exit(code ?? 1);
    });
  } else {
    process.stderr.write(
      `spillway needs Node.js 24 or newer (this is ${process.version}).\n` +
        `Run it as \`npm run spillway -- ${process.argv.slice(2).join(' ')}\` (it installs Node 24 into ` +
        '.spillway/node once), or install Node 24.\n',
    );
    process.exit(1);
  }
} else {
  await main();
}

async function main() {
  // The long-running commands re-exec themselves once (same process id, stdio and signals: execve
  // replaces the process image) with V8 flags tuned for a gateway. V8 sizes the young generation from
  // the machine's memory (on 24 GB, ~130 MB of a loaded gateway's RSS); 16 MB semi-spaces keep the
  // RSS low at no measurable CPU cost (docs/performance.md). Skipped when the user set the flag
  // (node options or NODE_OPTIONS) or SPILLWAY_V8_FLAGS=off.
  const tunedFlags = ['--max-semi-space-size=16'];
  const command = process.argv.slice(2).find((argument) => !argument.startsWith('-'));
  const longRunning = command === 'serve' || command === 'up' || command === 'sim';
  const alreadySet = (flag) => {
    // V8 takes --a-b and --a_b alike.
    const nameOf = (option) => option.split('=')[0].replaceAll('_', '-');
    const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
    return given.some((option) => nameOf(option) === nameOf(flag));
  };
  if (
    longRunning &&
    process.env.SPILLWAY_V8_FLAGS !== 'off' &&
    typeof process.execve === 'function' &&
    !tunedFlags.every(alreadySet)
  ) {
    const flags = tunedFlags.filter((flag) => !alreadySet(flag));
    process.execve(process.execPath, [
      process.execPath,
      ...flags,
      ...process.execArgv,
      ...process.argv.slice(1),
    ]);
  }
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const { currentEntry } = await import('../scripts/source-stamp.js');
  if (currentEntry(root) === 'dist') await import('../dist/cli/main.js');
  else await import('../src/cli/main.ts');
}
