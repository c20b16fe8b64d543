import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { interpolate, protect, type InterpolationProblem } from './interpolate.ts';
import { cascadeProblems } from './router-extras-check.ts';
import { configSchema, type SpillwayConfig } from './schema.ts';

/** One problem in a config file, with the path of the offending key. */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

/** A config that does not validate; `problems` has one entry per bad path. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly ConfigProblem[];
  constructor(source: string, problems: readonly ConfigProblem[]) {
    super(`${source}: invalid configuration\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
    this.problems = problems;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let result = '';
  for (const segment of path) {
    if (typeof segment === 'number') result += `[${segment}]`;
    else result += result === '' ? String(segment) : `.${String(segment)}`;
  }
  return result === '' ? '(root)' : result;
}

/** One problem per zod issue, each with its path (`models.a.deployments[0].id`). */
export function zodProblems(error: z.ZodError): ConfigProblem[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return {
        path: formatPath(issue.path),
        message: `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`,
      };
    }
    return { path: formatPath(issue.path), message: issue.message };
  });
}

/** What `crossCheck` reads of a config: the names that refer to each other. */
interface CrossCheckInput {
  readonly providers: Readonly<Record<string, unknown>>;
  readonly models: Readonly<
    Record<
      string,
      {
        readonly deployments: readonly {
          readonly id: string;
          readonly provider: string;
          readonly service_tier?: string | undefined;
        }[];
        readonly fallbacks: readonly string[];
        readonly context_window_fallbacks: readonly string[];
        readonly content_policy_fallbacks: readonly string[];
        readonly cache?: { readonly embedding_group?: string | undefined } | undefined;
        /** A router group's rules: the group each names (`to` or `default`), by rule position. */
        readonly route?: readonly ({ readonly to: string } | { readonly default: string })[] | undefined;
        readonly cascade?: { readonly from: string; readonly to: string } | undefined;
        readonly classifier?: { readonly group: string } | undefined;
      }
    >
  >;
  readonly router?: { readonly cache?: { readonly embedding_group?: string | undefined } | undefined };
  readonly tenants: Readonly<
    Record<
      string,
      {
        readonly keys: readonly string[];
        readonly models?: readonly string[] | undefined;
        readonly model_limits?: Readonly<Record<string, unknown>> | undefined;
      }
    >
  >;
}

/** The keys of a group that name other groups to fall back to. */
const fallbackKeys = ['fallbacks', 'context_window_fallbacks', 'content_policy_fallbacks'] as const;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

/**
 * The references of a file whose shape did not validate, read leniently (what is not where it
 * should be is left out), so that `crossCheck` can report them in the same run as the shape
 * problems instead of only after those are fixed.
 */
function referencesOf(raw: unknown): CrossCheckInput {
  const root = isRecord(raw) ? raw : {};
  const section = (name: string): Record<string, unknown> => {
    const value = root[name];
    return isRecord(value) ? value : {};
  };
  const models: Record<string, CrossCheckInput['models'][string]> = {};
  for (const [name, group] of Object.entries(section('models'))) {
    if (!isRecord(group)) continue;
    const deployments = Array.isArray(group['deployments']) ? group['deployments'] : [];
    models[name] = {
      // Keeps positions, so paths name the right index; an entry without an id or provider is
      // a shape problem already, and names nothing here.
      deployments: deployments.map((deployment: unknown) => ({
        id: isRecord(deployment) && typeof deployment['id'] === 'string' ? deployment['id'] : '',
        provider:
          isRecord(deployment) && typeof deployment['provider'] === 'string' ? deployment['provider'] : '',
        service_tier:
          isRecord(deployment) && typeof deployment['service_tier'] === 'string'
            ? deployment['service_tier']
            : undefined,
      })),
      fallbacks: strings(group['fallbacks']),
      context_window_fallbacks: strings(group['context_window_fallbacks']),
      content_policy_fallbacks: strings(group['content_policy_fallbacks']),
      cache: cacheReference(group['cache']),
      route: routeReferences(group['route']),
      cascade: cascadeReference(group['cascade']),
      classifier: isRecord(group['classifier'])
        ? { group: typeof group['classifier']['group'] === 'string' ? group['classifier']['group'] : '' }
        : undefined,
    };
  }
  const tenants: Record<string, CrossCheckInput['tenants'][string]> = {};
  for (const [name, tenant] of Object.entries(section('tenants'))) {
    if (!isRecord(tenant)) continue;
    const limits = tenant['model_limits'];
    tenants[name] = {
      keys: strings(tenant['keys']),
      models: strings(tenant['models']),
      model_limits: isRecord(limits) ? limits : undefined,
    };
  }
  return {
    providers: section('providers'),
    models,
    tenants,
    router: { cache: cacheReference(section('router')['cache']) },
  };
}

function routeReferences(route: unknown): ({ to: string } | { default: string })[] | undefined {
  if (!Array.isArray(route)) return undefined;
  return route.map((rule: unknown) => {
    if (!isRecord(rule)) return { to: '' };
    const text = (value: unknown): string => (typeof value === 'string' ? value : '');
    return 'default' in rule ? { default: text(rule['default']) } : { to: text(rule['to']) };
  });
}

/** The group a rule sends to. */
const ruleTarget = (rule: { readonly to: string } | { readonly default: string }): string =>
  'to' in rule ? rule.to : rule.default;

/** Router groups whose rules lead back to themselves (a → b → a), each reported once. */
function routeCycles(models: CrossCheckInput['models']): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const visit = (group: string, path: string[]): void => {
    const index = path.indexOf(group);
    if (index >= 0) {
      const cycle = path.slice(index);
      if (!cycle.some((member) => done.has(member))) cycles.push(cycle);
      return;
    }
    const rules = models[group]?.route;
    if (rules === undefined || done.has(group)) return;
    for (const rule of rules) visit(ruleTarget(rule), [...path, group]);
  };
  for (const group of Object.keys(models)) {
    visit(group, []);
    done.add(group);
  }
  return cycles;
}

function cascadeReference(cascade: unknown): { from: string; to: string } | undefined {
  if (!isRecord(cascade)) return undefined;
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  return { from: text(cascade['from']), to: text(cascade['to']) };
}

function cacheReference(cache: unknown): { embedding_group?: string | undefined } | undefined {
  if (!isRecord(cache)) return undefined;
  const group = cache['embedding_group'];
  return { embedding_group: typeof group === 'string' ? group : undefined };
}

/** Checks that need the whole file: references between providers, groups, deployments and tenants. */
export function crossCheck(config: CrossCheckInput): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const providers = Object.keys(config.providers);
  const groups = Object.keys(config.models);
  const seen = new Map<string, string>();
  const list = (names: readonly string[]) => (names.length === 0 ? 'none defined' : names.join(', '));
  for (const [groupName, group] of Object.entries(config.models)) {
    group.deployments.forEach((deployment, index) => {
      const path = `models.${groupName}.deployments[${index}]`;
      if (deployment.provider !== '' && !(deployment.provider in config.providers)) {
        problems.push({
          path: `${path}.provider`,
          message: `unknown provider "${deployment.provider}" (known: ${list(providers)})`,
        });
      }
      const provider = config.providers[deployment.provider];
      if (deployment.service_tier !== undefined && isRecord(provider) && provider['type'] !== 'bedrock') {
        problems.push({
          path: `${path}.service_tier`,
          message: `service tiers are Bedrock's: provider "${deployment.provider}" is ${String(provider['type'])}`,
        });
      }
      const previous = seen.get(deployment.id);
      if (deployment.id === '') {
        // no id: a shape problem, reported by the schema
      } else if (previous !== undefined) {
        problems.push({
          path: `${path}.id`,
          message: `duplicate deployment id "${deployment.id}" (also at ${previous})`,
        });
      } else {
        seen.set(deployment.id, path);
      }
    });
    for (const key of fallbackKeys) {
      group[key].forEach((target, index) => {
        if (!(target in config.models)) {
          problems.push({
            path: `models.${groupName}.${key}[${index}]`,
            message: `unknown model group "${target}" (known: ${list(groups)})`,
          });
        } else if (target === groupName) {
          problems.push({
            path: `models.${groupName}.${key}[${index}]`,
            message: 'a group cannot fall back to itself',
          });
        }
      });
    }
  }
  for (const [groupName, group] of Object.entries(config.models)) {
    if (group.route === undefined && group.deployments.length === 0) {
      problems.push({
        path: `models.${groupName}.deployments`,
        message: 'a model group needs at least one deployment (or route rules: a router group)',
      });
    }
    if (group.route !== undefined) {
      // A router group only chooses: what serves (and falls back) is the target groups' business.
      for (const key of ['deployments', ...fallbackKeys] as const) {
        if (group[key].length > 0) {
          problems.push({
            path: `models.${groupName}.${key}`,
            message: 'a router group (route) has no deployments or fallbacks of its own: its targets do',
          });
        }
      }
    }
    group.route?.forEach((rule, index) => {
      const target = ruleTarget(rule);
      const path = `models.${groupName}.route[${index}].${'to' in rule ? 'to' : 'default'}`;
      if (target === '') return; // a shape problem, reported by the schema
      if (!(target in config.models)) {
        problems.push({ path, message: `unknown model group "${target}" (known: ${list(groups)})` });
      } else if (target === groupName) {
        problems.push({ path, message: 'a router group cannot route to itself' });
      }
    });
    for (const key of fallbackKeys) {
      group[key].forEach((target, index) => {
        if (config.models[target]?.route !== undefined) {
          problems.push({
            path: `models.${groupName}.${key}[${index}]`,
            message: `"${target}" is a router group: fall back to a group with deployments`,
          });
        }
      });
    }
  }
  for (const cycle of routeCycles(config.models)) {
    if (cycle.length < 2) continue; // a group routing to itself is reported above
    problems.push({
      path: `models.${cycle[0] ?? ''}.route`,
      message: `router groups route in a cycle: ${[...cycle, cycle[0]].join(' → ')}`,
    });
  }
  problems.push(...cascadeProblems(config.models));
  const embeddingGroup = (path: string, group: string | undefined): void => {
    if (group !== undefined && !(group in config.models)) {
      problems.push({ path, message: `unknown model group "${group}" (known: ${list(groups)})` });
    }
  };
  embeddingGroup('router.cache.embedding_group', config.router?.cache?.embedding_group);
  for (const [groupName, group] of Object.entries(config.models)) {
    embeddingGroup(`models.${groupName}.cache.embedding_group`, group.cache?.embedding_group);
  }
  const keys = new Map<string, string>();
  for (const [tenantName, tenant] of Object.entries(config.tenants)) {
    tenant.models?.forEach((model, index) => {
      if (!(model in config.models)) {
        problems.push({
          path: `tenants.${tenantName}.models[${index}]`,
          message: `unknown model group "${model}" (known: ${list(groups)})`,
        });
      }
    });
    for (const model of Object.keys(tenant.model_limits ?? {})) {
      if (!(model in config.models)) {
        problems.push({
          path: `tenants.${tenantName}.model_limits.${model}`,
          message: `unknown model group "${model}" (known: ${list(groups)})`,
        });
      }
    }
    tenant.keys.forEach((key, index) => {
      const other = keys.get(key);
      if (other !== undefined) {
        problems.push({
          path: `tenants.${tenantName}.keys[${index}]`,
          message: `key is also used by tenant "${other}"`,
        });
      }
      keys.set(key, tenantName);
    });
  }
  return problems;
}

/** Parses, interpolates and validates config text. Throws ConfigError naming every bad path. */
export function parseConfig(
  text: string,
  source = 'config',
  env: Readonly<Record<string, string | undefined>> = process.env,
): SpillwayConfig {
  const guarded = protect(text);
  const document = parseDocument(guarded.text, { prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      source,
      document.errors.map((error) => ({
        path: error.linePos ? `line ${error.linePos[0].line}` : '(yaml)',
        message: error.message.split('\n')[0] ?? error.message,
      })),
    );
  }
  const raw: unknown = document.toJS() ?? {};
  const envProblems: InterpolationProblem[] = [];
  const interpolated = interpolate(raw, guarded.references, env, envProblems);
  if (envProblems.length > 0) throw new ConfigError(source, envProblems);
  const parsed = configSchema.safeParse(interpolated);
  if (!parsed.success) {
    // Every problem in one run: the references too, except where the shape is already reported.
    const shape = zodProblems(parsed.error);
    const reported = new Set(shape.map((problem) => problem.path));
    const references = crossCheck(referencesOf(interpolated)).filter(
      (problem) => !reported.has(problem.path),
    );
    throw new ConfigError(source, [...shape, ...references]);
  }
  const problems = crossCheck(parsed.data);
  if (problems.length > 0) throw new ConfigError(source, problems);
  return parsed.data;
}

/** Reads and validates a config file. */
export async function loadConfigFile(
  path: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<SpillwayConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(path, [{ path: '(file)', message: `cannot read: ${reason}` }]);
  }
  return parseConfig(text, path, env);
}
