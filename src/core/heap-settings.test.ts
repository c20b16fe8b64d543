import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { gatewayNodeFlags, workerResourceLimits } from './heap-settings.ts';

const root = new URL('../../', import.meta.url);

/** The heap limit (old + young generation) of a worker thread started with these limits. */
function workerHeapLimit(resourceLimits: { maxYoungGenerationSizeMb: number }): Promise<number> {
  const code = `require('node:worker_threads').parentPort.postMessage(require('node:v8').getHeapStatistics().heap_size_limit);`;
  const worker = new Worker(code, { eval: true, resourceLimits });
  return new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  }).finally(() => worker.terminate());
}

describe('heap settings', () => {
  it('bin/spillway.js re-execs with exactly the gateway flags', () => {
    const bin = readFileSync(new URL('bin/spillway.js', root), 'utf8');
    const literal = /const tunedFlags = (\[[^\]]*\]);/.exec(bin)?.[1];
    expect(literal).toBeDefined();
    expect(JSON.parse((literal ?? '').replaceAll("'", '"'))).toEqual(gatewayNodeFlags);
  });

  it('the Dockerfile entry point runs with the gateway flags', () => {
    const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
    const entry = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]';
    const args = JSON.parse(entry) as string[];
    for (const flag of gatewayNodeFlags) expect(args).toContain(flag);
  });

  it("gives a worker the young generation the gateway's flags give a process", async () => {
    // Both take V8's default old generation for this machine, so equal heap limits mean equal young
    // generations (a worker without limits gets V8's machine-sized young generation instead).
    const processLimit = Number(
      execFileSync(process.execPath, [
        ...gatewayNodeFlags,
        '-p',
        'require("node:v8").getHeapStatistics().heap_size_limit',
      ]).toString(),
    );
    expect(await workerHeapLimit(workerResourceLimits())).toBe(processLimit);
  });
});
