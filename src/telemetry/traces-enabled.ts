/**
 * Whether traces are on, apart from the tracing module itself so that a gateway with traces off
 * never loads OpenTelemetry (create-telemetry.ts imports tracing.ts only when this says yes).
 */

export type Environment = Readonly<Record<string, string | undefined>>;

/** Whether traces should be on, from `telemetry.traces` and the OTEL_* environment. */
export function tracesEnabled(configured: boolean | undefined, env: Environment = process.env): boolean {
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return false;
  const exporter = env['OTEL_TRACES_EXPORTER']?.trim().toLowerCase();
  if (exporter === 'none') return false;
  if (configured === true) return true;
  if (exporter !== undefined && exporter !== '') return true;
  const endpoint = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ?? env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  return endpoint !== undefined && endpoint.trim() !== '';
}
