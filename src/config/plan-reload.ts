import { ConfigError, type ConfigProblem } from './load-config.ts';
import { configSchema, type SpillwayConfig } from './schema.ts';

/**
 * Config paths read once at start (listeners, connections, the logger, telemetry exporters): a
 * reload that changes one keeps the running value until a restart. Every other key applies on
 * reload. A section (`state`, `database`) stands for every key under it.
 */
export const restartOnlyPaths: readonly string[] = [
  'server.host',
  'server.port',
  'server.max_body_bytes',
  'server.body_timeout_ms',
  'server.log_level',
  'server.workers',
  'state',
  'database',
  'telemetry.metrics',
  'telemetry.traces',
  'telemetry.access_log',
  'telemetry.metrics_port',
  'telemetry.tenant_labels',
];

/** Whether requests without a key are refused, before and after the reload (KeyRegistry.requiresKeys). */
export interface ReloadAuthentication {
  /** Under the running config. */
  readonly before: boolean;
  /** Under the new file's tenants and `server.allow_anonymous` (database tenants and keys unchanged). */
  readonly after: boolean;
}

export interface ReloadPlan {
  /** What to apply: the new file, with every restart-only value that it changes kept as it runs. */
  readonly config: SpillwayConfig;
  /** The restart-only key paths the new file changes (not applied), e.g. `server.port`. */
  readonly notApplied: readonly string[];
}

type Tree = Record<string, unknown>;

const isTree = (value: unknown): value is Tree =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function valueAt(tree: Tree, path: readonly string[]): unknown {
  let value: unknown = tree;
  for (const key of path) value = isTree(value) ? value[key] : undefined;
  return value;
}

function setAt(tree: Tree, path: readonly string[], value: unknown): void {
  const parents = path.slice(0, -1);
  const last = path.at(-1) ?? '';
  let node = tree;
  for (const key of parents) {
    const child = node[key];
    if (!isTree(child)) {
      if (value === undefined) return;
      node[key] = {};
    }
    node = node[key] as Tree;
  }
  if (value === undefined) Reflect.deleteProperty(node, last);
  else node[last] = value;
}

/** The leaf paths under `prefix` whose values differ between `before` and `after`. */
function changedLeaves(before: unknown, after: unknown, prefix: string): string[] {
  if (isTree(before) && isTree(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    return [...keys].flatMap((key) => changedLeaves(before[key], after[key], `${prefix}.${key}`));
  }
  if (isTree(before) || isTree(after)) {
    const tree = isTree(before) ? before : (after as Tree);
    return Object.keys(tree).flatMap((key) =>
      changedLeaves(
        isTree(before) ? before[key] : undefined,
        isTree(after) ? after[key] : undefined,
        `${prefix}.${key}`,
      ),
    );
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [prefix];
}

/**
 * Decides what a reload applies. Throws a ConfigError (the running config keeps serving) when the
 * new file would leave no model groups where there were some (an empty or truncated file), or would
 * stop requiring API keys without saying so (`server.allow_anonymous: true` is the explicit way).
 * Otherwise returns the new config with restart-only values kept, and the paths that were kept.
 */
export function planReload(
  current: SpillwayConfig,
  next: SpillwayConfig,
  authentication: ReloadAuthentication,
): ReloadPlan {
  const problems: ConfigProblem[] = [];
  if (Object.keys(next.models).length === 0 && Object.keys(current.models).length > 0) {
    problems.push({
      path: 'models',
      message: 'the new file has no model groups (empty or truncated?); every model would answer 404',
    });
  }
  if (authentication.before && !authentication.after && next.server.allow_anonymous !== true) {
    problems.push({
      path: 'tenants',
      message:
        'the new file leaves no tenants or keys, so requests would stop needing an API key; ' +
        'set server.allow_anonymous: true to allow that on purpose',
    });
  }
  if (problems.length > 0) throw new ConfigError('reload', problems);

  const kept = structuredClone(next) as unknown as Tree;
  // an absent optional section means its defaults: writing them out changes nothing
  const defaults = (config: SpillwayConfig): Tree => ({
    ...config,
    state: config.state ?? configSchema.shape.state.unwrap().parse({}),
    database: config.database ?? configSchema.shape.database.unwrap().parse({}),
    telemetry: config.telemetry ?? configSchema.shape.telemetry.unwrap().parse({}),
  });
  const [running, incoming] = [defaults(current), defaults(next)];
  const notApplied: string[] = [];
  for (const dotted of restartOnlyPaths) {
    const path = dotted.split('.');
    const runningValue = valueAt(running, path);
    const changed = changedLeaves(runningValue, valueAt(incoming, path), dotted);
    if (changed.length === 0) continue;
    notApplied.push(...changed);
    setAt(kept, path, structuredClone(runningValue));
  }
  return { config: kept as unknown as SpillwayConfig, notApplied };
}
