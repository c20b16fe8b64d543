/** Reads a V8 .cpuprofile (from `node --cpu-prof`) and ranks functions by self time. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileEntry {
  /** `function (file:line)`, or a V8 pseudo-frame such as `(garbage collector)`. */
  readonly name: string;
  readonly selfMs: number;
  /** Share of all sampled time, idle included. */
  readonly selfPercent: number;
  /** Share of the non-idle time (what the process spent working). */
  readonly busyPercent: number;
}

export interface ProfileSummary {
  readonly file: string;
  readonly totalMs: number;
  readonly idleMs: number;
  readonly top: readonly ProfileEntry[];
  /** Self time grouped by where the code lives: spillway src/<folder>, a package, node internals. */
  readonly byArea: readonly ProfileEntry[];
}

function label(node: ProfileNode, root: string): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName === '' ? '(anonymous)' : functionName;
  if (url === '') return name;
  const file = url.startsWith('file://') ? relative(root, new URL(url).pathname) : url;
  return `${name} (${file}:${lineNumber + 1})`;
}

function area(node: ProfileNode, root: string): string {
  const { url, functionName } = node.callFrame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const file = url.startsWith('file://') ? relative(root, new URL(url).pathname) : url;
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (inPackage?.[1] !== undefined) return `package ${inPackage[1]}`;
  const inSource = /^src\/([^/]+)\//.exec(file);
  if (inSource?.[1] !== undefined) return `src/${inSource[1]}`;
  return file;
}

/** Self time per function of one profile, the `limit` largest first. */
export function summariseProfile(file: string, limit = 25, root = process.cwd()): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const byName = new Map<string, number>();
  const byAreaName = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    totalUs += us;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const name = label(node, root);
    byName.set(name, (byName.get(name) ?? 0) + us);
    const where = area(node, root);
    byAreaName.set(where, (byAreaName.get(where) ?? 0) + us);
  }
  const busyUs = Math.max(1, totalUs - idleUs);
  const entries = (map: Map<string, number>, count: number): ProfileEntry[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, us]) => ({
        name,
        selfMs: us / 1000,
        selfPercent: (100 * us) / Math.max(1, totalUs),
        busyPercent: (100 * us) / busyUs,
      }));
  return {
    file,
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    top: entries(byName, limit),
    byArea: entries(byAreaName, 15),
  };
}

/** The coarse groups of {@link splitProfile}, in the order a table prints them. */
export const profileGroups = [
  'own code',
  'node internals',
  'packages',
  '(native)',
  '(garbage collector)',
  '(program)',
] as const;
export type ProfileGroup = (typeof profileGroups)[number];

/**
 * A profile's busy (non-idle) main-thread time in coarse groups: the target's own code (Spillway's
 * `src/` or `dist/`, the no-op proxy's script), node internals, packages (undici, ioredis, ...), native code without a JS frame (syscalls,
 * node:sqlite, crypto), the garbage collector and V8's own work. What is not Spillway's is what any
 * Node gateway on node:http and undici pays; set against the no-op proxy's, it bounds what cutting
 * Spillway's own code could reach.
 */
export function splitProfile(file: string): { busyMs: number; ms: Record<ProfileGroup, number> } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const ms: Record<ProfileGroup, number> = {
    'own code': 0,
    'node internals': 0,
    packages: 0,
    '(native)': 0,
    '(garbage collector)': 0,
    '(program)': 0,
  };
  let busyUs = 0;
  profile.samples.forEach((id, index) => {
    const node = byId.get(id);
    const us = profile.timeDeltas[index] ?? 0;
    if (node === undefined || node.callFrame.functionName === '(idle)') return;
    busyUs += us;
    ms[group(node)] += us / 1000;
  });
  return { busyMs: busyUs / 1000, ms };
}

function group(node: ProfileNode): ProfileGroup {
  const { url, functionName } = node.callFrame;
  if (functionName === '(garbage collector)' || functionName === '(program)') return functionName;
  if (url === '') return '(native)';
  if (url.startsWith('node:')) return 'node internals';
  // wasm: undici's HTTP parser (llhttp compiled to WebAssembly)
  if (url.includes('/node_modules/') || url.startsWith('wasm://')) return 'packages';
  return 'own code';
}

/**
 * The .cpuprofile that process `pid` wrote into `directory` (`CPU.<date>.<time>.<pid>.<thread>.<n>`).
 * `bin/spillway.js` re-execs itself under the same pid, so a gateway leaves two: the short one of the
 * process before the exec and the one of the gateway's run, the larger, which is the one returned.
 */
export function profileOfProcess(directory: string, pid: number): string | undefined {
  const files = readdirSync(directory)
    .filter((entry) => entry.endsWith('.cpuprofile') && entry.split('.')[3] === String(pid))
    .map((entry) => join(directory, entry));
  return files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
}

/** The summary as two text tables. */
export function formatProfile(summary: ProfileSummary): string {
  const row = (e: ProfileEntry): string =>
    `${e.busyPercent.toFixed(1).padStart(6)}%  ${e.selfMs.toFixed(0).padStart(7)} ms  ${e.name}`;
  return [
    `CPU profile ${summary.file}: ${summary.totalMs.toFixed(0)} ms sampled, ${summary.idleMs.toFixed(0)} ms idle`,
    'Self time by area (% of busy time):',
    ...summary.byArea.map(row),
    'Top functions by self time (% of busy time):',
    ...summary.top.map(row),
  ].join('\n');
}

// `node bench/lib/profile-summary.ts FILE [LIMIT]` summarises an existing profile.
if (import.meta.main) {
  const [file, limit] = process.argv.slice(2);
  if (file === undefined) throw new Error('usage: node bench/lib/profile-summary.ts FILE.cpuprofile [LIMIT]');
  process.stdout.write(`${formatProfile(summariseProfile(file, Number(limit ?? 25)))}\n`);
}
