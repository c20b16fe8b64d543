import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSpillway, spillwayBin } from './support/gateway-process.ts';
import { waitFor } from './support/wait-for.ts';

/**
 * What an operator meets first, through the real `spillway` bin: `config check` refuses what
 * `serve` would die on, and a gateway that cannot start says why in one line (no stack trace) with
 * what to change; `spillway up` (npm start) prints where everything is and an admin key that
 * `spillway spend` and `report` then use with no extra step.
 */

let directory: string;
let busy: Server;
let busyPort: number;

/** A loopback port nothing listens on (bound by the OS, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

async function configFile(name: string, text: string): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, text);
  return path;
}

const oneGroup = `
providers:
  sim: { type: openai, base_url: http://127.0.0.1:9/v1, api_key: x }
models:
  chat:
    deployments: [{ id: d1, provider: sim, model: m }]
`;

/** No stack trace: no `    at fn (file:line)` lines and nothing beyond the given number of lines. */
function expectOneLine(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr.trim().split('\n')).toHaveLength(1);
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'spillway-operator-'));
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const address = busy.address();
  busyPort = typeof address === 'object' && address !== null ? address.port : 0;
});

afterAll(async () => {
  await new Promise((resolve) => busy.close(resolve));
  await rm(directory, { recursive: true, force: true });
});

describe('spillway config check', () => {
  it('names a database.url that is not PostgreSQL and a redis_url that is not Redis', async () => {
    const file = await configFile(
      'bad-urls.yaml',
      `${oneGroup}state: { redis_url: 'http://127.0.0.1:6379' }\ndatabase: { url: 'sqlite://./spillway.db' }\n`,
    );
    const result = await runSpillway(['config', 'check', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^ {2}state\.redis_url: must be a Redis URL/m);
    expect(result.stderr).toMatch(/^ {2}database\.url: must be a PostgreSQL URL/m);
  });

  it('refuses an empty file: the gateway would serve no models', async () => {
    const result = await runSpillway(['config', 'check', await configFile('empty.yaml', '')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('models: no model groups: the gateway would serve no models');
  });

  it('with --connect, names the PostgreSQL and Redis that do not answer', async () => {
    const [pgPort, redisPort] = [await closedPort(), await closedPort()];
    const file = await configFile(
      'unreachable.yaml',
      `${oneGroup}state: { redis_url: 'redis://127.0.0.1:${redisPort}' }\ndatabase: { url: 'postgres://postgres@127.0.0.1:${pgPort}/spillway' }\n`,
    );
    expect((await runSpillway(['config', 'check', file])).code).toBe(0);
    const result = await runSpillway(['config', 'check', '--connect', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `database.url: cannot connect to PostgreSQL at 127.0.0.1:${pgPort}/spillway`,
    );
    expect(result.stderr).toContain(`state.redis_url: cannot reach Redis at redis://127.0.0.1:${redisPort}`);
  });

  it('with --connect, passes when the real PostgreSQL and Redis answer', async () => {
    const file = await configFile(
      'reachable.yaml',
      `${oneGroup}state: { redis_url: 'redis://127.0.0.1:6379' }\ndatabase: { url: 'postgres://postgres@127.0.0.1:5432/postgres' }\n`,
    );
    const result = await runSpillway(['config', 'check', '--connect', file]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});

describe('spillway serve on a bad environment', () => {
  it('PostgreSQL unreachable at start: one line naming database.url, no stack trace', async () => {
    const pgPort = await closedPort();
    const file = await configFile(
      'pg-down.yaml',
      `${oneGroup}database: { url: 'postgres://postgres@127.0.0.1:${pgPort}/spillway' }\n`,
    );
    const result = await runSpillway(['serve', '--config', file, '--port', '0'], { cwd: directory });
    expect(result.code).toBe(1);
    expectOneLine(result.stderr);
    expect(result.stderr).toContain(`cannot connect to PostgreSQL at 127.0.0.1:${pgPort}/spillway`);
    expect(result.stderr).toContain('set database.url');
  });

  it('a busy port: one line with the --port hint, no stack trace', async () => {
    const file = await configFile('busy.yaml', oneGroup);
    const result = await runSpillway(['serve', '--config', file, '--port', String(busyPort)], {
      cwd: directory,
    });
    expect(result.code).toBe(1);
    expectOneLine(result.stderr);
    expect(result.stderr).toContain(`port ${busyPort} is already in use`);
    expect(result.stderr).toContain('pass --port N');
  });

  it('an empty config file is refused instead of serving no models', async () => {
    const result = await runSpillway(['serve', '--config', await configFile('empty-serve.yaml', '')], {
      cwd: directory,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('models: no model groups');
  });
});

describe('spillway up (npm start)', () => {
  it('a busy simulator port: one line with the --sim-port hint', async () => {
    const result = await runSpillway(['up', '--port', '0', '--sim-port', String(busyPort)], {
      cwd: directory,
    });
    expect(result.code).toBe(1);
    expectOneLine(result.stderr);
    expect(result.stderr).toContain(`simulator: port ${busyPort} is already in use`);
    expect(result.stderr).toContain('pass --sim-port N');
  });

  it('a busy gateway port: one line with the --port hint', async () => {
    const result = await runSpillway(['up', '--port', String(busyPort), '--sim-port', '0'], {
      cwd: directory,
    });
    expect(result.code).toBe(1);
    expectOneLine(result.stderr);
    expect(result.stderr).toContain('pass --port N');
  });

  it('prints where everything is and an admin key that spend and report use with no extra step', async () => {
    const work = await mkdtemp(join(tmpdir(), 'spillway-up-'));
    const env: Record<string, string | undefined> = { ...process.env };
    delete env['SPILLWAY_ADMIN_KEY'];
    delete env['SPILLWAY_URL'];
    const child = spawn(
      process.execPath,
      [spillwayBin, 'up', '--port', '0', '--sim-port', '0', '--latency-scale', '0'],
      { cwd: work, env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    try {
      await waitFor(() => stderr.includes('Model groups:'), { timeoutMs: 30_000 });
      const url = /Spillway gateway +(http:\/\/\S+)/.exec(stderr)?.[1] ?? '';
      expect(stderr).toContain(`Dashboard          ${url}/dashboard`);
      expect(stderr).toContain(`Metrics            ${url}/metrics`);
      expect(stderr).toMatch(/Provider simulator http:\/\/127\.0\.0\.1:\d+/);
      expect(stderr).toContain('API keys           not required: any key or none is accepted');
      expect(stderr).toContain('server.allow_anonymous: false');
      const adminKey = /Admin key +(\S+)/.exec(stderr)?.[1] ?? '';
      expect(adminKey).toMatch(/^sk-spillway-admin-/);
      const keyFile = await stat(join(work, 'spillway.admin-key'));
      expect(keyFile.mode & 0o777).toBe(0o600);

      const chat = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'claude-sonnet', messages: [{ role: 'user', content: 'Hello' }] }),
      });
      expect(chat.status).toBe(200);
      await chat.text();
      const unknown = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'no-such-model', messages: [{ role: 'user', content: 'Hello' }] }),
      });
      expect(unknown.status).toBe(404);
      await unknown.text();
      let spend = await runSpillway(['spend', '--url', url, '--by', 'group'], { cwd: work });
      await waitFor(
        async () => {
          spend = await runSpillway(['spend', '--url', url, '--by', 'group'], { cwd: work });
          return spend.stdout.includes('claude-sonnet') && spend.stdout.includes('(not served)');
        },
        { timeoutMs: 20_000 },
      );
      expect(spend.code).toBe(0);
      // The request no group served is named, not a blank row.
      expect(spend.stdout).toMatch(/^\(not served\) +1 +1 /m);
      const report = await runSpillway(['report', '--url', url], { cwd: work });
      expect(report.stderr).toBe('');
      expect(report.stdout).toContain('Total Requests: 2');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('close', resolve));
      await rm(work, { recursive: true, force: true });
    }
  });
});
