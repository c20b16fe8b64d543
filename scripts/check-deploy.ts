// Validates the deployment artefacts with the real tools, where this machine has them (the project
// does not depend on them, so `npm test` does not run this; test/deploy-artifacts.test.ts checks what
// needs no tool). Each check prints PASS, FAIL or SKIP with the reason; the exit code is 1 on a FAIL.
//
//   HELM=/path/to/helm K8S_MODELS=/path/to/node_modules node scripts/check-deploy.ts
//
// HELM: a helm 3 binary (default: `helm` on PATH). K8S_MODELS: a node_modules folder holding the npm
// packages kubernetes-models and @kubernetes-models/prometheus-operator (the Kubernetes and
// prometheus-operator OpenAPI schemas compiled to validators). docker-compose (or `docker compose`),
// nginx and docker are used when on PATH.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { ConfigError, parseConfig } from '../src/config/load-config.ts';

const chart = 'deploy/helm/spillway';
const helm = process.env['HELM'] ?? 'helm';
const modelsDir = process.env['K8S_MODELS'];
let failed = 0;

function report(status: 'PASS' | 'FAIL' | 'SKIP', name: string, detail = ''): void {
  if (status === 'FAIL') failed++;
  process.stdout.write(`${status} ${name}${detail === '' ? '' : `: ${detail}`}\n`);
}

function run(command: string, args: readonly string[]): { ok: boolean; missing: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const missing = result.error !== undefined && 'code' in result.error && result.error.code === 'ENOENT';
  return { ok: result.status === 0, missing, output: `${result.stdout}${result.stderr}`.trim() };
}

/** The value sets the chart is rendered with: the defaults and a production-like set. */
const valueSets: Readonly<Record<string, readonly string[]>> = {
  defaults: [],
  production: [
    '--set=redis.enabled=true,redis.existingSecret=spillway-redis',
    '--set=postgresql.enabled=true,postgresql.url=postgres://spillway@db.internal:5432/spillway',
    '--set=adminKey.existingSecret=spillway-admin,metrics.tokenSecret=spillway-metrics',
    '--set=metrics.serviceMonitor.enabled=true,podDisruptionBudget.minAvailable=1',
    '--set=autoscaling.enabled=false,replicaCount=3,rolloutOnConfigChange=false',
  ],
};

/** Values the chart must refuse (values.schema.json, `required`). */
const badValueSets: Readonly<Record<string, readonly string[]>> = {
  'service.port not a number': ['--set=service.port=http'],
  'config.server.port set (the chart owns it)': ['--set=config.server.port=5000'],
  'redis enabled with no URL': ['--set=redis.enabled=true'],
  'unknown top-level value': ['--set=replicas=3'],
};

interface Validator {
  validate(): void;
}
type ModelClass = new (data: unknown) => Validator;

/** The kubernetes-models class of an object's apiVersion and kind, or undefined. */
async function modelOf(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  if (modelsDir === undefined) return undefined;
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const file =
    group === 'monitoring.coreos.com'
      ? join(modelsDir, '@kubernetes-models/prometheus-operator', group, version ?? '', `${kind}.js`)
      : join(modelsDir, 'kubernetes-models', group === '' ? '' : (group ?? ''), version ?? '', `${kind}.js`);
  const module: unknown = await import(pathToFileURL(file).href);
  if (module !== null && typeof module === 'object' && kind in module) {
    const model: unknown = (module as Record<string, unknown>)[kind];
    if (typeof model === 'function') return model as ModelClass;
  }
  return undefined;
}

async function checkChart(): Promise<void> {
  const lint = run(helm, ['lint', chart, '--strict']);
  if (lint.missing) {
    report('SKIP', 'helm chart', `no helm binary (${helm}); set HELM`);
    return;
  }
  report(lint.ok ? 'PASS' : 'FAIL', 'helm lint --strict', lint.ok ? '' : lint.output);
  for (const [name, args] of Object.entries(valueSets)) {
    const rendered = run(helm, ['template', 'spillway', chart, ...args]);
    if (!rendered.ok) {
      report('FAIL', `helm template (${name})`, rendered.output);
      continue;
    }
    const objects = parseAllDocuments(rendered.output)
      .map((document) => document.toJS() as unknown)
      .filter((object): object is Record<string, unknown> => object !== null && typeof object === 'object');
    const kinds = objects.map((object) => String(object['kind'])).sort();
    report('PASS', `helm template (${name})`, kinds.join(', '));
    for (const object of objects) {
      const kind = String(object['kind']);
      const model = await modelOf(String(object['apiVersion']), kind);
      if (model === undefined) {
        report('SKIP', `schema of ${kind} (${name})`, 'no kubernetes-models (set K8S_MODELS)');
        continue;
      }
      try {
        new model(object).validate();
        report('PASS', `Kubernetes schema of ${String(object['apiVersion'])} ${kind} (${name})`);
      } catch (error) {
        report('FAIL', `Kubernetes schema of ${kind} (${name})`, String(error));
      }
      if (kind === 'ConfigMap') checkGatewayConfig(object, name);
    }
  }
  for (const [name, args] of Object.entries(badValueSets)) {
    const refused = run(helm, ['template', 'spillway', chart, ...args]);
    report(
      refused.ok ? 'FAIL' : 'PASS',
      `helm refuses: ${name}`,
      refused.ok ? 'rendered' : firstLine(refused.output),
    );
  }
}

/** The rendered spillway.yaml passes the gateway's own configuration validation. */
function checkGatewayConfig(configMap: Record<string, unknown>, name: string): void {
  const data = configMap['data'] as Record<string, string> | undefined;
  const text = data?.['spillway.yaml'] ?? '';
  const env = {
    SPILLWAY_ADMIN_KEY: 'admin-key-from-secret',
    SPILLWAY_REDIS_URL: 'redis://redis.internal:6379',
    SPILLWAY_DATABASE_URL: 'postgres://spillway@db.internal:5432/spillway',
    SPILLWAY_METRICS_TOKEN: 'metrics-token-from-secret',
  };
  try {
    parseConfig(text, `ConfigMap spillway.yaml (${name})`, env);
    report('PASS', `gateway accepts the rendered spillway.yaml (${name})`);
  } catch (error) {
    const detail = error instanceof ConfigError ? error.message : String(error);
    report('FAIL', `gateway accepts the rendered spillway.yaml (${name})`, detail);
  }
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.startsWith('- ') || line.startsWith('Error')) ?? text;
}

function checkCompose(): void {
  const file = 'deploy/compose/compose.yaml';
  let result = run('docker-compose', ['-f', file, 'config', '-q']);
  let tool = 'docker-compose';
  if (result.missing) {
    result = run('docker', ['compose', '-f', file, 'config', '-q']);
    tool = 'docker compose';
  }
  if (result.missing) report('SKIP', 'compose file', 'neither docker-compose nor docker compose');
  else report(result.ok ? 'PASS' : 'FAIL', `${tool} config -q`, result.output);
}

function checkNginx(): void {
  // nginx -t resolves upstream names: the compose service names are replaced by loopback here.
  const directory = mkdtempSync(join(tmpdir(), 'spillway-nginx-'));
  try {
    const config = readFileSync('deploy/compose/nginx.conf', 'utf8').replaceAll(
      /gateway-\d+:/g,
      '127.0.0.1:',
    );
    writeFileSync(join(directory, 'nginx.conf'), `pid ${directory}/nginx.pid;\nerror_log stderr;\n${config}`);
    copyFileSync('/etc/nginx/mime.types', join(directory, 'mime.types'));
    const result = run('nginx', ['-t', '-p', directory, '-c', join(directory, 'nginx.conf')]);
    if (result.missing) report('SKIP', 'nginx.conf', 'no nginx on PATH');
    else
      report(
        result.ok ? 'PASS' : 'FAIL',
        'nginx -t (deploy/compose/nginx.conf)',
        result.ok ? '' : result.output,
      );
  } catch (error) {
    report('SKIP', 'nginx.conf', String(error));
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

function checkImage(): void {
  const info = run('docker', ['info', '--format', '{{.ServerVersion}}']);
  if (info.missing || !info.ok) {
    report(
      'SKIP',
      'docker build',
      info.missing ? 'no docker' : `no Docker daemon: ${firstLine(info.output)}`,
    );
    return;
  }
  // NODE_IMAGE: another Node 24 base image (e.g. one made locally when no registry is reachable);
  // DOCKER_NETWORK: the build's network (e.g. host, for a daemon started with --bridge=none).
  const options = [
    ...(process.env['NODE_IMAGE'] === undefined
      ? []
      : ['--build-arg', `NODE_IMAGE=${process.env['NODE_IMAGE']}`]),
    ...(process.env['DOCKER_NETWORK'] === undefined ? [] : ['--network', process.env['DOCKER_NETWORK']]),
  ];
  const build = run('docker', ['build', ...options, '-t', 'spillway:check', '.']);
  report(
    build.ok ? 'PASS' : 'FAIL',
    'docker build',
    build.ok ? '' : build.output.split('\n').slice(-5).join(' | '),
  );
  if (!build.ok) return;
  const version = run('docker', ['run', '--rm', 'spillway:check', '--version']);
  const expected = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
  const ok = version.ok && version.output === expected;
  report(ok ? 'PASS' : 'FAIL', 'the image runs dist/cli/main.js --version', version.output);
  const user = run('docker', ['run', '--rm', '--entrypoint', 'id', 'spillway:check', '-u']);
  report(
    user.ok && user.output !== '0' ? 'PASS' : 'FAIL',
    'the image runs as a non-root user',
    `uid ${user.output}`,
  );
}

await checkChart();
checkCompose();
checkNginx();
checkImage();
process.exitCode = failed === 0 ? 0 : 1;
