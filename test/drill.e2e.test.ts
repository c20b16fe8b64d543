import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DrillReport } from '../src/drill/drill-report.ts';

/**
 * `spillway drill` as a person runs it (bin/spillway.js in a child process): a 20-second drill with
 * the simulator's latency scaled down, a region outage, streams cut mid-way (continued by
 * stream_recovery) and an account throttle between healthy phases, the gateway against a naive client calling one deployment with the AWS SDK's defaults.
 */

const repository = join(import.meta.dirname, '..');
const directory = mkdtempSync(join(tmpdir(), 'spillway-drill-'));
afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

const nova = 'amazon.nova-pro-v1:0';
const drillYaml = `
name: short
simulator: { seed: 7, latency_scale: 0.2 }
gateway:
  config:
    router:
      retries: 2
      backoff: { base_ms: 20, max_ms: 200 }
      first_token_timeout_ms: 1000
      circuit_breaker: { failure_ratio: 0.5, min_requests: 3, window_s: 5, open_s: 2 }
    models:
      nova:
        stream_recovery: continue
        deployments:
          - { id: nova-a1-use1, provider: sim-acct1-us-east-1, model: ${nova}, price: { input: 0.8, output: 3.2 } }
          - { id: nova-a1-use2, provider: sim-acct1-us-east-2, model: ${nova}, price: { input: 0.8, output: 3.2 } }
          - { id: nova-a2-use1, provider: sim-acct2-us-east-1, model: ${nova}, price: { input: 0.8, output: 3.2 } }
    tenants:
      drill: { keys: [sk-drill-test-key] }
load: { rate: 8, model: nova, stream_share: 0.5, prompt_tokens: 50, answer_tokens: 24, timeout_s: 15 }
naive: { sdk: bedrock, provider: sim-acct1-us-east-1, model: ${nova} }
phases:
  - { name: healthy, start_s: 0, end_s: 4 }
  - name: region-outage
    start_s: 4
    end_s: 8
    faults: [{ kind: error, status: 503, code: ServiceUnavailableException, region: us-east-1 }]
  - name: mid-stream-cut
    start_s: 8
    end_s: 12
    faults: [{ kind: cut_stream, after_events: 3, account: '111111111111', region: us-east-1, operation: ConverseStream }]
  - name: account-throttle
    start_s: 12
    end_s: 16
    faults: [{ kind: throttle, account: '111111111111' }]
  - { name: recovered, start_s: 16, end_s: 20 }
`;

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function drill(args: readonly string[]): Promise<Finished> {
  const child = spawn(process.execPath, [join(repository, 'bin/spillway.js'), 'drill', ...args], {
    cwd: directory,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 80_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('spillway drill', () => {
  it('measures the gateway against the naive client through a fault timeline and writes the reports', async () => {
    const file = join(directory, 'short.yaml');
    writeFileSync(file, drillYaml);
    const run = await drill([file, '--out', join(directory, 'out'), '--drain', '3']);
    expect(run.stdout).toContain('Drill short: model nova');
    expect(run.stderr).toMatch(/\[\s*\d+s\/20s\] /); // the progress display

    const report = JSON.parse(readFileSync(join(directory, 'out', 'short.json'), 'utf8')) as DrillReport;
    expect(report.phases.map((phase) => phase.name)).toEqual([
      'healthy',
      'region-outage',
      'mid-stream-cut',
      'account-throttle',
      'recovered',
    ]);
    for (const phase of report.phases) {
      expect(phase.capacity).toBe(true);
      expect(phase.gateway.requests).toBeGreaterThanOrEqual(25);
      expect({ phase: phase.name, success: phase.gateway.success_rate }).toEqual({
        phase: phase.name,
        success: 1,
      });
    }
    const [healthy, outage, cut, throttle] = report.phases;
    // Streams cut after their first bytes are continued on another deployment (stream_recovery):
    // the gateway answered every request of the cut phase (above), the naive client lost its cut streams.
    expect(cut?.gateway.stream_recoveries).toBeGreaterThan(0);
    expect(cut?.gateway.stream_recoveries_failed).toBe(0);
    expect(cut?.naive?.success_rate).toBeLessThan(1);
    expect(report.overall.gateway.hedges).toBe(0); // read from /metrics: a number, not n/a
    const share = (counts: Readonly<Record<string, number>> | undefined, key: string): number => {
      const values = Object.values(counts ?? {});
      const total = values.reduce((sum, value) => sum + value, 0);
      return total === 0 ? 0 : (counts?.[key] ?? 0) / total;
    };
    // The naive client's one deployment is down in both fault phases; the gateway routes around it.
    for (const phase of [outage, throttle]) {
      expect(phase?.naive?.success_rate).toBeLessThan(0.5);
      // Nearly none (see below: a request sent just before a phase ends may be served after it).
      expect(share(phase?.gateway.by_deployment, 'nova-a1-use1')).toBeLessThanOrEqual(0.15);
    }
    // (a request sent just before a phase boundary may meet the next phase's fault)
    expect(healthy?.naive?.success_rate).toBeGreaterThan(0.9);
    // Requests count in the phase they were sent in: one sent near the end of a fault phase may be
    // served after the fault ended (by us-east-1, by account 1). So: nearly all, not all.
    expect(share(outage?.gateway.by_region, 'us-east-2')).toBeGreaterThanOrEqual(0.85);
    expect(share(throttle?.gateway.by_account, '222222222222')).toBeGreaterThanOrEqual(0.85);
    expect(outage?.gateway.retries).toBeGreaterThan(0);
    expect(report.overall.gateway.cost?.ratio).toBe(1);
    expect(report.goals.filter((goal) => goal.goal === 'availability').every((goal) => goal.met)).toBe(true);

    const html = readFileSync(join(directory, 'out', 'short.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg');
    expect(html).toContain('region-outage');
    expect(html).not.toMatch(/<script|<link/);
  }, 90_000);

  it('rejects a bad drill file with the path of each problem', async () => {
    const file = join(directory, 'bad.yaml');
    writeFileSync(
      file,
      drillYaml
        .replace('start_s: 12', 'start_s: 13')
        .replace('provider: sim-acct2-us-east-1', 'provider: nowhere')
        .replace('stream_share: 0.5', 'stream_share: 2'),
    );
    const run = await drill([file, '--check']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('phases[3].start_s: phases must follow each other without gaps');
    expect(run.stderr).toContain('load.stream_share');
  });
});
