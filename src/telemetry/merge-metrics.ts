import {
  AggregatorRegistry,
  type MetricObjectWithValues,
  type MetricValue,
  type Registry,
} from 'prom-client';

/** One worker thread's metrics, as `registry.getMetricsAsJSON()` gives them (structured-clonable). */
export type WorkerMetrics = readonly MetricObjectWithValues<MetricValue<string>>[];

/**
 * How a metric of several worker threads becomes the process's one: counters and histograms are
 * summed (prom-client's default), and so are gauges, except those that state a fact every worker
 * sees alike (a breaker's state, Redis degraded: the highest), and `process_*` (the CPU, memory and
 * start time of the one process every thread reports: the first).
 */
function aggregatorOf(name: string): string | undefined {
  if (name.startsWith('process_')) return 'first';
  if (name === 'spillway_circuit_state' || name === 'spillway_state_store_degraded') return 'max';
  return undefined;
}

/** The workers' metrics merged into one registry of the process (read by /metrics and the dashboard). */
export function mergedRegistry(workers: readonly WorkerMetrics[]): Registry {
  const marked = workers.map((metrics) =>
    metrics.map((metric) => {
      const aggregator = aggregatorOf(metric.name);
      return aggregator === undefined ? metric : { ...metric, aggregator };
    }),
  );
  return AggregatorRegistry.aggregate(marked);
}

/** The Prometheus text exposition of the workers' metrics merged into one view of the process. */
export async function mergeWorkerMetrics(
  workers: readonly WorkerMetrics[],
): Promise<{ text: string; contentType: string }> {
  const registry = mergedRegistry(workers);
  return { text: await registry.metrics(), contentType: registry.contentType };
}
