import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/load-config.ts';
import { loadDrillFile, parseDrill } from './load-drill.ts';

const valid = `
name: unit
gateway:
  config:
    models:
      nova:
        deployments: [{ id: a, provider: sim-acct1-us-east-1, model: amazon.nova-pro-v1:0 }]
    tenants: { t: { keys: [sk-unit-test-key] } }
load: { rate: 5, model: nova }
naive: { sdk: bedrock, provider: sim-acct1-us-east-1, model: amazon.nova-pro-v1:0 }
phases:
  - { name: healthy, start_s: 0, end_s: 5 }
  - { name: down, start_s: 5, end_s: 10, faults: [{ kind: error, status: 503, region: us-east-1 }] }
`;

function problems(text: string): string[] {
  try {
    parseDrill(text, 'unit.yaml');
  } catch (error) {
    if (error instanceof ConfigError)
      return error.problems.map((problem) => `${problem.path}: ${problem.message}`);
    throw error;
  }
  return [];
}

describe('a drill file', () => {
  it('parses with defaults: the simulator in process, half streamed, the goals of the issue', () => {
    const drill = parseDrill(valid, 'unit.yaml');
    expect(drill.simulator).toEqual({ seed: 1, latency_scale: 1 });
    expect(drill.load.stream_share).toBe(0.5);
    expect(drill.goals).toEqual({ availability: 0.999, ttft_p99_ratio: 1.5, cost_ratio: 1.1 });
  });

  it('names the path of every problem in its own shape', () => {
    const text = valid
      .replace('start_s: 5, end_s: 10', 'start_s: 6, end_s: 4')
      .replace('{ rate: 5, model: nova }', '{ rate: 5, concurrency: 2, model: nova }')
      .replace('status: 503,', 'status: 503, duration_ms: 10,');
    expect(problems(text)).toEqual([
      'load.rate: give exactly one of rate and concurrency',
      'phases[1].start_s: phases must follow each other without gaps: the previous phase ends at 5',
      'phases[1].end_s: must be after start_s',
      'phases[1].faults[0].duration_ms: a phase fault lasts as long as its phase (set end_s instead)',
    ]);
  });

  it('names the path of a problem in its gateway config and of references into it', () => {
    expect(
      problems(
        valid.replace(
          'provider: sim-acct1-us-east-1, model: amazon.nova-pro-v1:0 }]',
          'provider: east, model: x }]',
        ),
      ),
    ).toEqual([
      expect.stringMatching(
        /^gateway\.config\.models\.nova\.deployments\[0\]\.provider: unknown provider "east"/,
      ),
    ]);
    expect(
      problems(
        valid
          .replace('model: nova }', 'model: claude }')
          .replace(
            'sdk: bedrock, provider: sim-acct1-us-east-1',
            'sdk: openai, provider: sim-acct1-us-east-1',
          ),
      ),
    ).toEqual([
      'load.model: unknown model group "claude" (known: nova)',
      'naive.sdk: provider "sim-acct1-us-east-1" is of type bedrock, not openai',
    ]);
  });

  it('validates every example drill: the five patterns and bad-day', async () => {
    const directory = path.join(import.meta.dirname, '../../examples/drills');
    const files = readdirSync(directory).filter((file) => file.endsWith('.yaml'));
    expect(files.sort()).toEqual([
      'accounts.yaml',
      'bad-day.yaml',
      'cris.yaml',
      'fallback.yaml',
      'loadbalance.yaml',
      'quota.yaml',
    ]);
    for (const file of files) {
      const drill = await loadDrillFile(path.join(directory, file));
      expect(drill.name).toBe(file.replace('.yaml', ''));
      expect(drill.naive).toBeDefined();
    }
  });
});
