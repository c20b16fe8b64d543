/**
 * Instructions per request of the event sinks alone (metrics, access log, budgets + spend records,
 * the dashboard's history), counted by callgrind:
 * `node bench/sink-instructions.ts [--parts none,metrics,log,governance,governance-no-journal,history]
 * [--per-turn 32,1] [--requests 6000] [--root DIR]`.
 *
 * Why beside bench/instructions.ts: a whole gateway under valgrind runs 30-60× slower while its
 * timers (spend flush every 250 ms, budget refresh, the event-loop-delay monitor) keep wall-clock
 * time, so their work lands on fewer requests and moves with the machine's load; with major GCs and
 * recompilations falling in or out of the window, the same variant moves by ±30,000 instructions per
 * request, more than telemetry costs. Here one process emits the pipeline's three events per request
 * (request-started, attempt-finished, request-finished) into the sinks as main.ts composes them, with
 * `per-turn` requests per event-loop turn (1: one connection; 32: a loaded gateway), and nothing else
 * runs. Each part is counted at N and 2N requests; the difference over N is the steady cost per
 * request, without JIT compilation (V8 compiler functions are left out). `none` is the harness
 * itself (building the events): subtract it. The access log writes to this process's stdout
 * (/dev/null), spend records to a temporary SQLite file, flushed every 500 requests.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    parts: { type: 'string', default: 'none,metrics,log,governance' },
    'per-turn': { type: 'string', default: '32,1' },
    requests: { type: 'string', default: '6000' },
    /** Checkout whose src/ is measured (default: this one), e.g. a baseline from `git archive`. */
    root: { type: 'string', default: '.' },
    /** Internal: run the sinks in this process. */
    child: { type: 'string' },
    count: { type: 'string' },
  },
});

type Part = 'none' | 'metrics' | 'log' | 'governance' | 'governance-no-journal' | 'history';
const parts: readonly Part[] = ['none', 'metrics', 'log', 'governance', 'governance-no-journal', 'history'];

interface Sink {
  emit(event: unknown): void;
}

/** What the child uses of a checkout's modules (loaded by path, so typed here by hand). */
interface Modules {
  configSchema: { parse(value: unknown): unknown };
  createTelemetry: (options: { config: unknown; env: Record<string, string> }) => Promise<{ sink: Sink }>;
  combineSinks: (sinks: readonly Sink[]) => Sink;
  BudgetTracker: new (options: { store: unknown; spend: unknown }) => Sink & { refresh(): Promise<void> };
  SpendRecorder: new (options: { spend: unknown; spoolDirectory: string; journal: boolean }) => Sink & {
    flush(): Promise<void>;
  };
  MemoryStateStore: new () => unknown;
  openRepositories: (database: { path: string }) => Promise<{ spend: unknown }>;
  /** Only loaded for the `history` part (a baseline checkout may not have it). */
  TrafficHistory?: new (options: { clock: { now(): number }; knownGroup: (name: string) => boolean }) => Sink;
}

async function loadModules(root: string, part: Part): Promise<Modules> {
  const paths = [
    ...(part === 'history' ? ['src/dashboard/traffic-history.ts'] : []),
    'src/config/schema.ts',
    'src/telemetry/create-telemetry.ts',
    'src/telemetry/combine-sinks.ts',
    'src/governance/budget-tracker.ts',
    'src/governance/spend-recorder.ts',
    'src/state/memory-state-store.ts',
    'src/persistence/open-repositories.ts',
  ];
  const loaded = await Promise.all(paths.map((path) => import(pathToFileURL(join(root, path)).href)));
  return Object.assign({}, ...loaded) as Modules;
}

async function runChild(root: string, part: Part, count: number, perTurn: number): Promise<void> {
  const modules = await loadModules(root, part);
  const { configSchema, createTelemetry, combineSinks, BudgetTracker, SpendRecorder } = modules;
  const { MemoryStateStore, openRepositories } = modules;
  const deployments = ['bench-a', 'bench-b', 'bench-c'];
  const config = configSchema.parse({
    providers: { upstream: { type: 'openai', base_url: 'http://127.0.0.1:1/v1', api_key: 'x' } },
    models: {
      bench: {
        deployments: deployments.map((id) => ({
          id,
          provider: 'upstream',
          model: 'bench-model',
          price: { input: 1, output: 2 },
        })),
      },
    },
    server: { log_level: 'info' },
    telemetry: { metrics: part === 'metrics', access_log: part === 'log' },
  });
  const sinks: Sink[] = [];
  const directory = mkdtempSync(join(tmpdir(), 'spillway-sinks-'));
  let spend: { flush(): Promise<void> } | undefined;
  if (part === 'metrics' || part === 'log') sinks.push((await createTelemetry({ config, env: {} })).sink);
  if (part === 'governance' || part === 'governance-no-journal') {
    const repositories = await openRepositories({ path: join(directory, 'spillway.db') });
    const budget = new BudgetTracker({ store: new MemoryStateStore(), spend: repositories.spend });
    await budget.refresh();
    const recorder = new SpendRecorder({
      spend: repositories.spend,
      spoolDirectory: join(directory, 'spool'),
      // The crash journal (decision 0008) on or off, to measure what it costs.
      journal: part === 'governance',
    });
    spend = recorder;
    sinks.push(budget, recorder);
  }
  if (part === 'history' && modules.TrafficHistory !== undefined) {
    sinks.push(
      new modules.TrafficHistory({
        clock: { now: () => Date.now() },
        knownGroup: (name) => name === 'bench',
      }),
    );
  }
  const events = combineSinks(sinks);
  const targets = deployments.map((deployment) => ({
    group: 'bench',
    deployment,
    provider: 'upstream',
    providerType: 'openai',
    region: 'default',
    account: 'default',
    model: 'bench-model',
  }));
  const startedAt = Date.now();
  const request = (index: number): void => {
    const requestId = `req_${(startedAt + index).toString(36)}${index.toString(16).padStart(16, '0')}`;
    const target = targets[index % targets.length];
    const tenant = 'bench';
    events.emit({ type: 'request-started', requestId, tenant, group: 'bench', stream: false });
    events.emit({
      type: 'attempt-finished',
      requestId,
      tenant,
      target,
      attempt: 1,
      outcome: 'success',
      durationMs: 0.31 + (index % 7) / 100,
      endedAt: Date.now(),
      firstTokenMs: 0.31,
    });
    events.emit({
      type: 'request-finished',
      requestId,
      dialect: 'openai',
      endpoint: 'chat',
      tenant,
      keyId: 'key_0123456789abcdef',
      requestedGroup: 'bench',
      target,
      stream: false,
      status: 200,
      attempts: 1,
      fallbacks: 0,
      inputTokens: 12,
      outputTokens: 9,
      cacheReadInputTokens: 0,
      cacheWriteInputTokens: 0,
      costUsd: 0.00003,
      startedAt,
      latencyMs: 0.52 + (index % 11) / 100,
      firstTokenMs: 0.5,
      overheadMs: 0.21 + (index % 5) / 100,
    });
  };
  const nextTurn = (): Promise<void> => new Promise((done) => setImmediate(done));
  const warmup = 3000;
  for (let index = 0; index < warmup + count; index++) {
    request(index);
    if (index % perTurn === perTurn - 1) await nextTurn();
    if (spend !== undefined && index % 500 === 499) await spend.flush();
  }
  await nextTurn();
  await spend?.flush();
  rmSync(directory, { recursive: true, force: true });
  process.exit(0);
}

/** Instructions of a callgrind run, without V8's compilers (JIT work is not a per-request cost). */
function instructionsWithoutCompiler(file: string): number {
  const text = execFileSync('callgrind_annotate', ['--threshold=100', file], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$/.exec(line);
    if (match?.[1] === undefined || match[2] === undefined || match[2].includes('PROGRAM TOTALS')) continue;
    if (/compiler::|maglev|Maglev|turboshaft|LiveRange|RegisterAllocat|InstructionSelector/.test(match[2]))
      continue;
    total += Number(match[1].replace(/,/g, ''));
  }
  return total;
}

function count(root: string, part: Part, requests: number, perTurn: number, directory: string): number {
  const file = join(directory, `${part}-${String(perTurn)}-${String(requests)}.callgrind`);
  const run = spawnSync(
    'valgrind',
    [
      '--tool=callgrind',
      `--callgrind-out-file=${file}`,
      '--smc-check=all-non-file',
      process.execPath,
      '--single-threaded',
      '--max-semi-space-size=16',
      resolve('bench/sink-instructions.ts'),
      '--child',
      part,
      '--root',
      root,
      '--count',
      String(requests),
      '--per-turn',
      String(perTurn),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
  );
  if (run.status !== 0) throw new Error(`${part} run failed: ${run.stderr.slice(-2000)}`);
  return instructionsWithoutCompiler(file);
}

async function main(): Promise<void> {
  const root = resolve(values.root);
  if (values.child !== undefined) {
    await runChild(root, values.child as Part, Number(values.count), Number(values['per-turn']));
    return;
  }
  const requests = Number(values.requests);
  const directory = mkdtempSync(join(tmpdir(), 'spillway-sink-instructions-'));
  const chosen = values.parts.split(',').map((part) => part.trim()) as Part[];
  for (const part of chosen) if (!parts.includes(part)) throw new Error(`unknown part ${part}`);
  try {
    for (const perTurn of values['per-turn'].split(',').map(Number)) {
      const none = new Map<Part, number>();
      for (const part of chosen) {
        const perRequest =
          (count(root, part, 2 * requests, perTurn, directory) -
            count(root, part, requests, perTurn, directory)) /
          requests;
        none.set(part, perRequest);
        const harness = none.get('none');
        const net =
          part === 'none' || harness === undefined
            ? ''
            : `  (${Math.round(perRequest - harness).toLocaleString('en-US')} net of the harness)`;
        console.log(
          `${String(perTurn).padStart(3)} per turn  ${part.padEnd(10)} ${Math.round(perRequest).toLocaleString('en-US').padStart(8)} instructions/request${net}`,
        );
      }
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
