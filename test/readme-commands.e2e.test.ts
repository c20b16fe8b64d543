import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Every command of the README, read from the README itself and run as written, in its order, against
 * a gateway started the README's way (`npm start`, on the README's fixed ports 4000 and 9100: this
 * is the only test that uses them). Each must exit 0 and print what the README says it prints, so
 * the README cannot drift from the code.
 */

const root = resolve(import.meta.dirname, '..');
const readmeText = readFileSync(join(root, 'README.md'), 'utf8');

/** The commands of the README's shell code blocks, continuation lines kept, comment lines left out. */
export function shellCommands(markdown: string): string[] {
  const commands: string[] = [];
  for (const block of markdown.matchAll(/^```(?:sh|bash|shell)\n([\s\S]*?)^```/gm)) {
    let pending = '';
    for (const line of (block[1] ?? '').split('\n')) {
      if (pending === '' && (line.trim() === '' || line.trim().startsWith('#'))) continue;
      pending += (pending === '' ? '' : '\n') + line;
      if (!/\\\s*$/.test(line)) {
        commands.push(pending);
        pending = '';
      }
    }
    if (pending !== '') commands.push(pending);
  }
  return commands;
}

/** The command without its trailing `# comment` (outside quotes). */
function withoutComment(command: string): string {
  let quote: string | undefined;
  for (let index = 0; index < command.length; index += 1) {
    const char = command[index];
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"') quote = char;
    else if (char === '#' && (index === 0 || /\s/.test(command[index - 1] ?? ''))) {
      return command.slice(0, index).trim();
    }
  }
  return command.trim();
}

/** Commands this test cannot run as written: why, and what it runs or checks instead. */
const notRunAsWritten: ReadonlyArray<{ command: string; reason: string }> = [
  {
    command: 'npm run setup && npm start',
    reason:
      '`npm run setup` is `npm ci` and `npm run build`: it reinstalls node_modules from the registry (minutes, network, and it would replace the modules of the running test); `npm start` runs until stopped. The test runs `npm start` itself, in the background, as the gateway every other command talks to, and checks what it prints.',
  },
  {
    command: 'npm test',
    reason:
      'it runs the whole suite, this test included. The test checks that the `test` script does what the README says: lint, typecheck and every test.',
  },
];

interface Expectation {
  /** Which README command this is. */
  readonly command: RegExp;
  /** What the README says it prints (or does), checked on its output. */
  readonly check: (output: string) => void;
}

function headers(output: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of output.split(/\r?\n/)) {
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon > 0) map.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  return map;
}

/** The README's first chat request (with `-i`), run again where the README says to watch it. */
const chatCommand = /^curl -s localhost:4000\/v1\/chat\/completions[\s\S]* -i$/;

const expectations: readonly Expectation[] = [
  {
    // "Every answer says where it ran: x-spillway-deployment, ..."; x-request-id and x-spillway-request-id.
    command: chatCommand,
    check: (output) => {
      expect(output).toMatch(/^HTTP\/1\.1 200 /);
      const fields = headers(output);
      for (const name of [
        'x-spillway-deployment',
        'x-spillway-region',
        'x-spillway-attempts',
        'x-spillway-cost-usd',
        'x-request-id',
        'x-spillway-request-id',
      ]) {
        expect(fields.get(name), name).toMatch(/\S/);
      }
      expect(fields.get('x-spillway-model-group')).toBe('claude-sonnet');
      const body = JSON.parse(output.slice(output.indexOf('\r\n\r\n') + 4)) as { choices: unknown[] };
      expect(body.choices.length).toBe(1);
    },
  },
  {
    // An Anthropic Messages stream: its events, first to last.
    command: /^curl -s localhost:4000\/v1\/messages /,
    check: (output) => {
      expect(output).toMatch(/^event: message_start\n/);
      expect(output).toContain('event: content_block_delta\n');
      expect(output.trimEnd()).toMatch(/event: message_stop\ndata: \{"type":"message_stop"\}$/);
    },
  },
  {
    command: /^curl -s localhost:4000\/v1\/models$/,
    check: (output) => {
      const ids = (JSON.parse(output) as { data: Array<{ id: string }> }).data.map((model) => model.id);
      expect(ids).toEqual(expect.arrayContaining(['claude-sonnet', 'claude-haiku']));
    },
  },
  {
    command: /^curl -s localhost:4000\/metrics \| grep spillway_requests_total$/,
    check: (output) => {
      expect(output).toMatch(/^spillway_requests_total\{[^}]*group="claude-sonnet"[^}]*\} [1-9]/m);
      expect(output).toMatch(
        /^spillway_requests_total\{[^}]*group="claude-haiku"[^}]*stream="true"[^}]*\} [1-9]/m,
      );
    },
  },
  {
    // "where each call really ran": the simulator's log names the account and the region.
    command: /^curl -s localhost:9100\/_sim\/invocations \| head -c 400$/,
    check: (output) => {
      expect(output.length).toBe(400);
      expect(output).toMatch(/^\{"invocations":\[\{/);
      expect(output).toMatch(/"accountId":"\d{12}"/);
      expect(output).toMatch(/"inferenceRegion":"[a-z]{2}-[a-z]+-\d"/);
    },
  },
  {
    // "account 2 out of quota: account 1 absorbs it": every answer still 200, none from account 2.
    command: /^curl -s localhost:9100\/_sim\/faults -H [\s\S]*"kind":"throttle","account":"222222222222"/,
    check: (output) => {
      expect(JSON.parse(output)).toMatchObject({ kind: 'throttle', account: '222222222222' });
      const chat = commands.find((command) => chatCommand.test(withoutComment(command)));
      expect(chat, 'the README keeps its chat request').toBeDefined();
      const deployments = Array.from({ length: 6 }, () => {
        const answer = run(chat ?? '');
        expect(answer.status).toBe(0);
        expect(answer.stdout).toMatch(/^HTTP\/1\.1 200 /);
        return headers(answer.stdout).get('x-spillway-deployment');
      });
      expect(deployments.filter((deployment) => deployment === 'sonnet-acct2-us')).toEqual([]);
    },
  },
  {
    command: /^curl -s localhost:9100\/_sim\/faults -X DELETE$/,
    check: (output) => {
      expect(JSON.parse(output)).toEqual({ deleted: true });
    },
  },
];

const commands = shellCommands(readmeText);

function run(command: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('bash', ['-c', command], {
    cwd: root,
    encoding: 'utf8',
    timeout: 15_000,
    env: gatewayEnv(),
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The environment of a newcomer: none of the gateway's own variables set. */
function gatewayEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith('SPILLWAY_') && !name.startsWith('OTEL_'),
    ),
  );
}

async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolvePort, reject) => {
    const server = createServer();
    server.once('error', () => {
      reject(
        new Error(
          `port ${port} is in use: this test runs the README's commands on its fixed ports 4000 and 9100`,
        ),
      );
    });
    server.listen(port, '127.0.0.1', () => {
      server.close(() => {
        resolvePort();
      });
    });
  });
}

let gateway: ChildProcess | undefined;
let startOutput = '';
/** What `npm start` writes in the working directory: its SQLite file and the local admin key. */
const localFiles = ['spillway.db', 'spillway.db-wal', 'spillway.db-shm', 'spillway.admin-key'];
const localFilesExisted =
  existsSync(join(root, 'spillway.db')) || existsSync(join(root, 'spillway.admin-key'));

beforeAll(async () => {
  await assertPortFree(4000);
  await assertPortFree(9100);
  // `npm start`, as the README runs it; its own process group so the whole tree stops at the end.
  const child = spawn('npm', ['start'], {
    cwd: root,
    env: gatewayEnv(),
    detached: true,
  });
  gateway = child;
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (startOutput += chunk));
  child.stderr.on('data', (chunk: string) => (startOutput += chunk));
  const deadline = Date.now() + 50_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}):\n${startOutput}`);
    const ready = await fetch('http://127.0.0.1:4000/health/ready').then(
      (response) => response.ok,
      () => false,
    );
    if (ready && startOutput.includes('Provider simulator')) break;
    if (Date.now() > deadline) throw new Error(`npm start did not get ready:\n${startOutput}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
}, 60_000);

afterAll(async () => {
  const child = gateway;
  if (child?.pid !== undefined && child.exitCode === null) {
    const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
    process.kill(-child.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, 15_000);
    await exited;
    clearTimeout(timer);
  }
  // The gateway of `npm start` writes ./spillway.db and ./spillway.admin-key: removed when this test made them.
  if (!localFilesExisted) for (const file of localFiles) rmSync(join(root, file), { force: true });
}, 30_000);

/** The README's command table: each row's command, as written (`npx spillway demo [cris\|...]`). */
export function tableCommands(markdown: string): string[] {
  return [...markdown.matchAll(/^\| `((?:npx spillway|npm run) [^`]*)` \|/gm)].map((match) =>
    (match[1] ?? '').replaceAll('\\|', '|'),
  );
}

/** A table row is a synopsis (FILE, [options]): the concrete command this test runs for it, and what it checks. */
interface TableRun {
  /** The row's command, exactly as the README writes it. */
  readonly synopsis: string;
  /** The command run for it; absent when it cannot run here. */
  readonly run?: string;
  /** Why it is not run, or what stands for it. */
  readonly note?: string;
  /** Runs until stopped: serves until its output matches this, then gets SIGTERM. */
  readonly serves?: RegExp;
  /** What its output must contain (stdout and stderr). */
  readonly prints?: RegExp;
}

const tableRuns: readonly TableRun[] = [
  {
    synopsis: 'npx spillway up',
    note: 'what `npm start` runs: the gateway of this test (the README ports are taken by it)',
  },
  {
    synopsis: 'npx spillway serve --config FILE',
    run: 'npx spillway serve --config examples/simulated-world.yaml --port 0',
    serves: /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*"msg":"listening"/,
  },
  {
    synopsis: 'npx spillway sim [--world FILE] [--seed N]',
    run: 'npx spillway sim --port 0 --seed 1',
    serves: /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*spillway sim ready/,
  },
  {
    synopsis: 'npx spillway demo [cris|accounts|fallback|loadbalance|quota]',
    run: 'npx spillway demo fallback --quiet',
    prints: /Total Requests: 10 +Successful: 10 +Failed: 0 +Primary Model Used: 3 +Fallback Triggered: 7/,
  },
  {
    synopsis: 'npx spillway drill [FILE]',
    run: 'npx spillway drill --check examples/drills/bad-day.yaml',
    prints: /examples\/drills\/bad-day\.yaml: valid drill "bad-day"/,
  },
  {
    synopsis: 'npx spillway config check FILE',
    run: 'npx spillway config check examples/simulated-world.yaml',
    prints: /examples\/simulated-world\.yaml: ok/,
  },
  {
    synopsis: 'npx spillway spend [--by tenant|key|group|deployment|region|day]',
    run: 'npx spillway spend --by deployment',
    prints: /sonnet-acct1-/,
  },
  {
    synopsis: 'npx spillway report [--since 1h]',
    run: 'npx spillway report --since 1h',
    prints: /us-east-1/,
  },
  {
    // The tenant comes first, over the admin API (`keys create` takes an existing tenant).
    synopsis: 'npx spillway keys create|list|revoke',
    run: [
      'set -euo pipefail',
      `curl -fsS localhost:4000/admin/tenants -H "authorization: Bearer $(cat spillway.admin-key)" -H 'content-type: application/json' -d '{"name":"readme-test"}' >/dev/null`,
      'id=$(npx spillway keys create --tenant readme-test | sed -n "s/^id: \\([^ ]*\\).*/\\1/p")',
      'npx spillway keys list | grep -q "$id"',
      'npx spillway keys revoke "$id"',
    ].join('\n'),
  },
  {
    synopsis: 'npm run bench',
    note: 'minutes of load on every core: a benchmark, not a test (docs/performance.md)',
  },
];

/**
 * `npx spillway` as a user whose machine has an older Node runs it: that Node first on PATH (the bin
 * must then re-run itself under the project's Node 24), when the machine has one.
 */
function olderNodeEnv(): NodeJS.ProcessEnv {
  const env = gatewayEnv();
  const node = spawnSync('/usr/bin/node', ['-p', 'process.versions.node.split(".")[0]'], {
    encoding: 'utf8',
  });
  if (node.status === 0 && Number(node.stdout) < 24) env['PATH'] = `/usr/bin:${env['PATH'] ?? ''}`;
  return env;
}

async function runToEnd(command: string): Promise<{ status: number | null; output: string }> {
  const child = spawn('bash', ['-c', command], { cwd: root, env: olderNodeEnv() });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const status = await new Promise<number | null>((resolveExit) => child.once('exit', resolveExit));
  return { status, output };
}

async function runUntilServing(command: string, serves: RegExp): Promise<void> {
  const child = spawn('bash', ['-c', command], { cwd: root, env: olderNodeEnv(), detached: true });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<void>((resolveExit) => {
    child.once('exit', () => {
      resolveExit();
    });
  });
  try {
    const deadline = Date.now() + 30_000;
    let match = serves.exec(output);
    while (match === null) {
      if (child.exitCode !== null) throw new Error(`${command} exited (${child.exitCode}):\n${output}`);
      if (Date.now() > deadline) throw new Error(`${command} did not start:\n${output}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
      match = serves.exec(output);
    }
    const url = match[1] ?? '';
    const answer = await fetch(
      url.endsWith('/') ? url : `${url}/${command.includes(' sim ') ? '_sim/invocations' : 'health/ready'}`,
    );
    expect(answer.status, `${command}: ${url}`).toBe(200);
  } finally {
    if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
    await exited;
  }
}

describe('the README, run as written', () => {
  it('has its two first commands: start the gateway, run the tests', () => {
    expect(commands.slice(0, 2).map(withoutComment)).toEqual(['npm run setup && npm start', 'npm test']);
  });

  it('`npm start` starts and prints what the README says: gateway on 4000, simulator on 9100, the admin key', () => {
    expect(startOutput).toMatch(/gateway\s+http:\/\/127\.0\.0\.1:4000\b/);
    expect(startOutput).toMatch(/simulator\s+http:\/\/127\.0\.0\.1:9100\b/);
    expect(startOutput).toContain('examples/simulated-world.yaml');
    // "It prints where everything is (gateway, dashboard, metrics, simulator), whether API keys are
    // required, and the admin key of this local setup ... kept in ./spillway.admin-key".
    expect(startOutput).toMatch(/Dashboard\s+http:\/\/127\.0\.0\.1:4000\/dashboard/);
    expect(startOutput).toMatch(/Metrics\s+http:\/\/127\.0\.0\.1:4000\/metrics/);
    expect(startOutput).toMatch(/API keys\s+not required/);
    const adminKey = readFileSync(join(root, 'spillway.admin-key'), 'utf8').trim();
    expect(startOutput).toContain(`Admin key          ${adminKey}`);
  });

  it('`npm test` is lint, typecheck and every test', () => {
    const scripts = (
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts['test']).toContain('npm run check');
    expect(scripts['check']).toBe('npm run lint && npm run typecheck && vitest run');
  });

  it('every other command exits 0 and prints what the README says', () => {
    const skipped = new Set(notRunAsWritten.map((entry) => entry.command));
    const ran: string[] = [];
    for (const command of commands) {
      const bare = withoutComment(command);
      if (skipped.has(bare)) continue;
      const expectation = expectations.find((entry) => entry.command.test(bare));
      // A curl without -f exits 0 on an error answer: such a command needs a check of what it prints.
      if (expectation === undefined && /^curl /.test(bare) && !/\s-[a-zA-Z]*f/.test(bare)) {
        throw new Error(`README command with nothing to check (say what it prints here): ${bare}`);
      }
      const result = run(command);
      expect(result.status, `${bare}\n${result.stderr}`).toBe(0);
      expectation?.check(result.stdout);
      ran.push(bare);
    }
    expect(ran.length).toBeGreaterThanOrEqual(expectations.length);
    // Every expectation met its command: a README command changed under it is a failure, not a skip.
    for (const expectation of expectations) {
      expect(
        ran.some((command) => expectation.command.test(command)),
        `no README command matches ${String(expectation.command)}`,
      ).toBe(true);
    }
  }, 60_000);

  it("every command of the command table runs, with `npx` under the machine's own Node", async () => {
    const rows = tableCommands(readmeText);
    expect(rows.length).toBeGreaterThan(0);
    // A row added or changed in the README needs its run here: nothing in the table goes unchecked.
    expect([...rows].sort()).toEqual(tableRuns.map((entry) => entry.synopsis).sort());
    // Independent of each other: run at once, so that the npm start-up of each npx overlaps. Every
    // run settles (a serving one is stopped) before a failure is reported: none is left running.
    const outcomes = await Promise.allSettled(
      tableRuns.map(async (entry) => {
        if (entry.run === undefined) return;
        if (entry.serves !== undefined) {
          await runUntilServing(entry.run, entry.serves);
          return;
        }
        const result = await runToEnd(entry.run);
        expect(result.status, `${entry.run}\n${result.output}`).toBe(0);
        if (entry.prints !== undefined) expect(result.output).toMatch(entry.prints);
      }),
    );
    for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
  }, 120_000);

  // Last: it stops the gateway every other test talks to.
  it('SIGTERM to `npm start` itself (a supervisor signalling the pid it started) drains and stops the gateway; nothing is left serving', async () => {
    const child = gateway;
    if (child?.pid === undefined) throw new Error('npm start is not running');
    const exited = new Promise<number | null>((resolveExit) => child.once('exit', resolveExit));
    // npm passes the signal to its script's process: the gateway itself, not a shell that would
    // die of it and leave the gateway running without its parent.
    process.kill(child.pid, 'SIGTERM');
    await exited;
    const stopped = (): boolean => /"msg":"stopped"/.test(startOutput);
    const deadline = Date.now() + 10_000;
    while (!stopped() && Date.now() < deadline) await new Promise((wait) => setTimeout(wait, 100));
    expect(stopped()).toBe(true);
    await expect(fetch('http://127.0.0.1:4000/health/ready')).rejects.toThrow();
  }, 30_000);
});
