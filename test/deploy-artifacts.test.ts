import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { copyBuildAssets } from '../scripts/copy-build-assets.ts';
import { parseConfig } from '../src/config/load-config.ts';

/**
 * The deployment artefacts agree with the code and with each other, checked without the tools
 * (helm, docker, nginx are not project dependencies; scripts/check-deploy.ts runs them where they
 * exist): what the compiled gateway reads at run time is in dist/ or in the image, the compose file's
 * gateway configuration is one the gateway accepts and its ports are the ones nginx and Prometheus
 * use, and the chart's values match its schema and make a valid configuration.
 */

const root = resolve(import.meta.dirname, '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');
const temporary: string[] = [];
afterAll(() => {
  for (const directory of temporary) rmSync(directory, { recursive: true, force: true });
});

/** Files a module of src/ reads beside itself: `new URL('<relative>', import.meta.url)`. */
function runtimeFileReferences(): { readonly from: string; readonly target: string }[] {
  const references: { from: string; target: string }[] = [];
  for (const entry of readdirSync(join(root, 'src'), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts')) continue;
    const file = join(entry.parentPath, entry.name);
    for (const match of readFileSync(file, 'utf8').matchAll(
      /new URL\(\s*'([^']+)',\s*import\.meta\.url\s*\)/g,
    ))
      references.push({ from: relative(root, file), target: resolve(dirname(file), match[1]!) });
  }
  return references;
}

/** The instructions of the Dockerfile's last stage (the image that runs). */
function runtimeStage(): string[] {
  const lines = read('Dockerfile')
    .replaceAll(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
  const lastFrom = lines.findLastIndex((line) => line.startsWith('FROM '));
  return lines.slice(lastFrom);
}

describe('the compiled gateway and its image', () => {
  it('every file a module reads beside itself is in dist/ after the build or copied into the image', () => {
    const outDir = mkdtempSync(join(tmpdir(), 'spillway-dist-'));
    temporary.push(outDir);
    copyBuildAssets(join(root, 'src'), outDir);
    const imageCopies = runtimeStage()
      .filter((line) => line.startsWith('COPY '))
      .map((line) => line.split(/\s+/).at(-1)!.replace(/^\.\//, ''));
    const references = runtimeFileReferences();
    expect(references.map((reference) => reference.from)).toContain('src/dashboard/dashboard-routes.ts');
    const missing = references.filter(({ target }) => {
      const inSrc = relative(join(root, 'src'), target);
      if (!inSrc.startsWith('..')) return !target.endsWith('.ts') && !existsSync(join(outDir, inSrc));
      // Outside src/: dist/ sits where src/ does, so the path is the same from the image's /app.
      const top = relative(root, target).split(sep)[0]!;
      return !imageCopies.includes(top);
    });
    expect(missing).toEqual([]);
  });

  it('the image runs dist/cli/main.js as a non-root user with a health check and the build it needs', () => {
    const stage = runtimeStage();
    const user = stage.find((line) => line.startsWith('USER '))?.split(/\s+/)[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(stage.some((line) => line.startsWith('HEALTHCHECK '))).toBe(true);
    expect(stage.join('\n')).toContain('/health/live');
    const entrypoint = JSON.parse(
      stage.find((line) => line.startsWith('ENTRYPOINT '))!.slice(11),
    ) as string[];
    const script = entrypoint.find((part) => part.endsWith('.js'))!;
    expect(script).toBe('/app/dist/cli/main.js');
    expect(existsSync(join(root, 'src/cli/main.ts'))).toBe(true);
    // The build stage copies every file `npm run build` names.
    const packageJson = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    const buildFiles = packageJson.scripts['build']!.split(/\s+/).filter((word) =>
      /\.(ts|js|json)$/.test(word),
    );
    const dockerfile = read('Dockerfile');
    for (const file of buildFiles) expect(dockerfile).toContain(file);
  });
});

interface ComposeService {
  readonly image?: string;
  readonly command?: readonly string[];
  readonly hostname?: string;
  readonly volumes?: readonly string[];
  readonly depends_on?: Record<string, unknown>;
}

describe('the compose file', () => {
  const compose = parse(read('deploy/compose/compose.yaml'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  const services = compose.services;
  const gateways = Object.entries(services).filter(([, service]) => service.command?.[0] === 'serve');

  it('runs two gateway replicas and the simulator from the project image behind the load balancer', () => {
    expect(gateways.map(([name]) => name)).toEqual(['gateway-1', 'gateway-2']);
    expect(services['sim']?.command?.[0]).toBe('sim');
    for (const [, service] of [...gateways, ['sim', services['sim']!] as const])
      expect(service.image).toBe('${SPILLWAY_IMAGE:-spillway:local}');
    expect(Object.keys(services['lb']?.depends_on ?? {})).toEqual(['gateway-1', 'gateway-2']);
    for (const name of ['redis', 'postgres', 'prometheus', 'grafana']) expect(services[name]).toBeDefined();
  });

  it('mounts only files that exist', () => {
    const sources = Object.values(services)
      .flatMap((service) => service.volumes ?? [])
      .map((volume) => volume.split(':')[0]!)
      .filter((source) => source.startsWith('.'));
    expect(sources.length).toBeGreaterThan(4);
    expect(sources.filter((source) => !existsSync(join(root, 'deploy/compose', source)))).toEqual([]);
  });

  it('gives the gateways a configuration they accept, on the ports nginx and Prometheus use', () => {
    const config = parseConfig(read('deploy/compose/spillway.yaml'), 'deploy/compose/spillway.yaml', {
      SPILLWAY_ADMIN_KEY: 'compose-admin-key',
      POSTGRES_PASSWORD: 'spillway',
    });
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.state?.redis_url).toBe('redis://redis:6379');
    expect(config.database?.url).toBe('postgres://spillway:spillway@postgres:5432/spillway');
    const upstreams = [...read('deploy/compose/nginx.conf').matchAll(/^\s*server ([\w-]+):(\d+)/gm)];
    expect(upstreams.map((match) => `${match[1]}:${match[2]}`)).toEqual(
      gateways.map(([name]) => `${name}:${config.server.port}`),
    );
    const prometheus = parse(read('deploy/compose/prometheus.yml')) as {
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    expect(prometheus.scrape_configs[0]!.static_configs[0]!.targets).toEqual(
      gateways.map(([name]) => `${name}:${config.telemetry?.metrics_port}`),
    );
  });

  it('nginx neither buffers streams nor retries a request a gateway received', () => {
    const nginx = read('deploy/compose/nginx.conf');
    for (const directive of [
      'proxy_buffering off;',
      'proxy_request_buffering off;',
      'proxy_http_version 1.1;',
    ])
      expect(nginx).toContain(directive);
    expect(nginx).toContain('proxy_next_upstream error timeout;');
    expect(nginx).toMatch(/keepalive \d+;/);
  });
});

describe('the Helm chart', () => {
  const chart = 'deploy/helm/spillway';
  const values = parse(read(`${chart}/values.yaml`)) as Record<string, unknown> & {
    config: Record<string, unknown>;
    service: { port: number };
  };
  const schema = JSON.parse(read(`${chart}/values.schema.json`)) as { properties: Record<string, unknown> };

  it('declares every default value in its schema (helm refuses values the schema does not name)', () => {
    expect(Object.keys(values).filter((key) => !(key in schema.properties))).toEqual([]);
  });

  it('has every object the issue names: Deployment, Service, HPA, PDB, ConfigMap, ServiceMonitor', () => {
    const kinds = readdirSync(join(root, chart, 'templates'))
      .filter((file) => file.endsWith('.yaml'))
      .map((file) => /^kind: (\w+)$/m.exec(read(`${chart}/templates/${file}`))?.[1]);
    for (const kind of [
      'Deployment',
      'Service',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'ConfigMap',
      'ServiceMonitor',
    ])
      expect(kinds).toContain(kind);
  });

  it('default config, with the server keys the chart sets, is one the gateway accepts', () => {
    const config = { ...values.config, server: { host: '0.0.0.0', port: values.service.port } };
    expect(() => parseConfig(JSON.stringify(config), `${chart}/values.yaml config`, {})).not.toThrow();
  });
});
