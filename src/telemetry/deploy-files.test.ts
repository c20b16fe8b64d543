import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createMetrics } from './metrics.ts';
import { parsePrometheusText } from '../../test/support/telemetry/prometheus-text.ts';

const root = new URL('../../deploy/', import.meta.url);

interface Panel {
  readonly type: string;
  readonly targets?: readonly { readonly expr: string }[];
}

describe('deploy files', () => {
  it('the Grafana dashboard queries only metrics and labels the gateway exposes', async () => {
    const dashboard = JSON.parse(
      await readFile(new URL('grafana/spillway-dashboard.json', root), 'utf8'),
    ) as {
      panels: Panel[];
    };
    const metrics = createMetrics();
    const families = parsePrometheusText(await metrics.registry.metrics());
    const exposed = new Map(families.map((family) => [family.name, family]));
    const labelsOf = new Map<string, Set<string>>();
    for (const family of families) {
      labelsOf.set(family.name, new Set(['le', ...((await metricLabelNames(metrics, family.name)) ?? [])]));
    }
    const expressions = dashboard.panels.flatMap(
      (panel) => panel.targets?.map((target) => target.expr) ?? [],
    );
    expect(expressions.length).toBeGreaterThan(20);
    for (const expression of expressions) {
      for (const [, name = ''] of expression.matchAll(/\b((?:spillway|process)_[a-z_]+)/g)) {
        const family = name.replace(/_(bucket|sum|count)$/, '');
        expect(exposed.has(family) || exposed.has(name), `${name} in ${expression}`).toBe(true);
      }
      for (const [, name = '', labels = ''] of expression.matchAll(/\b(spillway_[a-z_]+)\{([^}]*)\}/g)) {
        const family = name.replace(/_(bucket|sum|count)$/, '');
        for (const [, label = ''] of labels.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!=|!~|=)"/g)) {
          expect(labelsOf.get(family)?.has(label), `label ${label} of ${name}`).toBe(true);
        }
      }
    }
  });

  it('the Prometheus config scrapes /metrics of the gateway replicas', async () => {
    const config = parse(await readFile(new URL('prometheus/prometheus.yml', root), 'utf8')) as {
      scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }[];
    };
    const job = config.scrape_configs.find((entry) => entry.job_name === 'spillway');
    expect(job?.metrics_path).toBe('/metrics');
    expect(job?.static_configs[0]?.targets.length).toBeGreaterThan(0);
  });
});

/** The label names a metric was declared with (prom-client keeps them on the metric object). */
async function metricLabelNames(
  metrics: ReturnType<typeof createMetrics>,
  name: string,
): Promise<string[] | undefined> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) return undefined;
  const value = await metric.get();
  return (
    (metric as unknown as { labelNames?: string[] }).labelNames ??
    value.values.flatMap((v) => Object.keys(v.labels))
  );
}
