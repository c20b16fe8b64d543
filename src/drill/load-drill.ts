import { readFile } from 'node:fs/promises';
import { parseDocument, stringify } from 'yaml';
import { ConfigError, parseConfig, zodProblems, type ConfigProblem } from '../config/load-config.ts';
import type { SpillwayConfig } from '../config/schema.ts';
import { simProviders, simUrlReference, type ConfigDocument } from '../demo/demo-config.ts';
import { drillSchema, type Drill } from './drill-spec.ts';

/** Provider name of the simulator's Anthropic API in a drill's default providers. */
export const anthropicProvider = 'sim-anthropic';

/** The providers a drill's gateway config gets when it names none: the demo's plus Anthropic. */
export function drillProviders(): NonNullable<ConfigDocument['providers']> {
  return {
    ...simProviders(),
    [anthropicProvider]: { type: 'anthropic', base_url: simUrlReference, api_key: 'sk-ant-sim' },
  };
}

/** The gateway config document of a drill: defaults filled in, the strategy override applied. */
export function gatewayDocument(drill: Drill): ConfigDocument {
  const document = { ...drill.gateway.config } as ConfigDocument;
  document.providers ??= drillProviders();
  document.database ??= { path: ':memory:' };
  if (drill.gateway.strategy !== undefined && document.models !== undefined) {
    const strategy = drill.gateway.strategy;
    document.models = Object.fromEntries(
      Object.entries(document.models).map(([name, group]) => [name, { ...group, strategy }]),
    );
  }
  return document;
}

/** Validates the gateway config of a drill with the simulator at `simUrl`; problems name `gateway.config.*`. */
export function resolveDrillConfig(drill: Drill, simUrl: string, source: string): SpillwayConfig {
  try {
    return parseConfig(stringify(gatewayDocument(drill), { lineWidth: 0 }), source, {
      SPILLWAY_SIM_URL: simUrl,
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(
      source,
      error.problems.map((problem) => ({ ...problem, path: `gateway.config.${problem.path}` })),
    );
  }
}

/** Keys the load sends: `load.keys`, else every key of the config's tenants. */
export function loadKeys(drill: Drill, config: SpillwayConfig): string[] {
  return drill.load.keys ?? Object.values(config.tenants).flatMap((tenant) => tenant.keys);
}

function crossCheck(drill: Drill, config: SpillwayConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const groups = Object.keys(config.models);
  if (!groups.includes(drill.load.model)) {
    problems.push({
      path: 'load.model',
      message: `unknown model group "${drill.load.model}" (known: ${groups.join(', ')})`,
    });
  }
  if (drill.naive !== undefined) {
    const provider = config.providers[drill.naive.provider];
    const providers = Object.keys(config.providers);
    if (provider === undefined) {
      problems.push({
        path: 'naive.provider',
        message: `unknown provider "${drill.naive.provider}" (known: ${providers.join(', ')})`,
      });
    } else if (provider.type !== drill.naive.sdk) {
      problems.push({
        path: 'naive.sdk',
        message: `provider "${drill.naive.provider}" is of type ${provider.type}, not ${drill.naive.sdk}`,
      });
    }
  }
  if (drill.gateway.url === undefined && loadKeys(drill, config).length === 0) {
    const anonymous = config.server.allow_anonymous === true;
    if (!anonymous)
      problems.push({ path: 'load.keys', message: 'no keys: give load.keys or tenants with keys' });
  }
  return problems;
}

/** Parses and validates drill text; throws ConfigError naming every bad path. */
export function parseDrill(text: string, source = 'drill'): Drill {
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      source,
      document.errors.map((error) => ({
        path: error.linePos ? `line ${error.linePos[0].line}` : '(yaml)',
        message: error.message.split('\n')[0] ?? error.message,
      })),
    );
  }
  const parsed = drillSchema.safeParse(document.toJS() ?? {});
  if (!parsed.success) throw new ConfigError(source, zodProblems(parsed.error));
  const drill = parsed.data;
  const config = resolveDrillConfig(drill, drill.simulator.url ?? 'http://127.0.0.1:9100', source);
  const problems = crossCheck(drill, config);
  if (problems.length > 0) throw new ConfigError(source, problems);
  return drill;
}

/** Reads and validates a drill file. */
export async function loadDrillFile(path: string): Promise<Drill> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(path, [{ path: '(file)', message: `cannot read: ${reason}` }]);
  }
  return parseDrill(text, path);
}
