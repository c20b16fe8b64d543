import type { FaultSpecInput } from '../simulator/fault-spec.ts';
import type { DrillReport } from './drill-report.ts';
import type { DrillSample } from './drill-sample.ts';
import type { ClientStats, Percentiles } from './drill-stats.ts';

/** The progress line: time, phase, successes per client so far, requests in flight. */
export function progressLine(
  seconds: number,
  totalSeconds: number,
  phase: string,
  samples: readonly DrillSample[],
  inFlight: number,
): string {
  const tally = (client: string) => {
    const done = samples.filter((sample) => sample.client === client);
    return `${done.filter((sample) => sample.ok).length}/${done.length}`;
  };
  const naive = samples.some((sample) => sample.client === 'naive') ? `  naive ok ${tally('naive')}` : '';
  return (
    `[${seconds.toFixed(0).padStart(4)}s/${totalSeconds}s] ${phase.padEnd(18)} gateway ok ${tally('gateway')}` +
    `${naive}  in flight ${inFlight}`
  );
}

/** A fault as one short phrase, e.g. `error 503 region=us-east-1`. */
export function describeFault(fault: FaultSpecInput): string {
  const what =
    fault.kind === 'error'
      ? `error ${fault.status ?? ''}${fault.code === undefined ? '' : ` ${fault.code}`}`
      : fault.kind === 'slow_first_token'
        ? `slow_first_token +${fault.ms ?? 0}ms`
        : fault.kind;
  const where = (['region', 'account', 'model', 'api', 'operation'] as const)
    .filter((key) => fault[key] !== undefined)
    .map((key) => `${key}=${fault[key] ?? ''}`);
  const rate = fault.rate !== undefined && fault.rate < 1 ? [`rate=${fault.rate}`] : [];
  return [what, ...where, ...rate].join(' ');
}

function pct(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

function triple(value: Percentiles | null): string {
  return value === null ? '-' : `${Math.round(value.p50)}/${Math.round(value.p95)}/${Math.round(value.p99)}`;
}

function top(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? '-' : entries.map(([name, value]) => `${name} ${value}`).join(', ');
}

const columns = [
  'Phase',
  'Client',
  'Req',
  'Success',
  'TTFT p50/95/99 ms',
  'TTLT p50/95/99 ms',
  'req/s',
  'tok/s',
  'Cost x cheapest',
  'Retries',
  'Failovers',
  'Hedges (won, denied)',
  'Stream recoveries',
];

function row(phase: string, client: string, stats: ClientStats): string[] {
  return [
    phase,
    client,
    String(stats.requests),
    pct(stats.success_rate),
    triple(stats.ttft_ms),
    triple(stats.ttlt_ms),
    stats.requests_per_s.toFixed(1),
    stats.tokens_per_s.toFixed(0),
    stats.cost?.ratio == null ? '-' : `${stats.cost.ratio.toFixed(3)}x`,
    String(stats.retries),
    String(stats.failovers),
    stats.hedges === null ? 'n/a' : `${stats.hedges} (${stats.hedges_won ?? 0}, ${stats.hedges_denied ?? 0})`,
    stats.stream_recoveries === null
      ? 'n/a'
      : `${stats.stream_recoveries}${stats.stream_recoveries_failed ? ` (+${stats.stream_recoveries_failed} failed)` : ''}`,
  ];
}

function table(rows: readonly string[][]): string {
  const widths = (rows[0] ?? []).map((_, column) =>
    Math.max(...rows.map((cells) => (cells[column] ?? '').length)),
  );
  return rows
    .map((cells) =>
      cells
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The report as text: phases and faults, the figures table, where the traffic ran, the goals. */
export function renderTable(report: DrillReport): string {
  const lines: string[] = [];
  lines.push(`Drill ${report.drill}: model ${report.model}, strategy ${report.strategy}`);
  if (report.naive_target !== null)
    lines.push(`Naive client: ${report.naive_target} (SDK default retries and timeouts)`);
  lines.push('', 'Phases:');
  for (const phase of report.phases) {
    const faults = phase.faults.length === 0 ? 'no faults' : phase.faults.map(describeFault).join('; ');
    lines.push(
      `  ${phase.name} (${phase.start_s}-${phase.end_s}s${phase.capacity ? '' : ', no capacity'}): ${faults}`,
    );
  }
  const rows: string[][] = [columns];
  for (const phase of report.phases) {
    rows.push(row(phase.name, 'gateway', phase.gateway));
    if (phase.naive !== null) rows.push(row('', 'naive', phase.naive));
  }
  rows.push(row('overall', 'gateway', report.overall.gateway));
  if (report.overall.naive !== null) rows.push(row('', 'naive', report.overall.naive));
  lines.push('', table(rows), '', 'Where the gateway traffic ran (successes):');
  for (const phase of report.phases) {
    lines.push(
      `  ${phase.name}: regions ${top(phase.gateway.by_region)}; accounts ${top(phase.gateway.by_account)}`,
    );
    lines.push(`    deployments ${top(phase.gateway.by_deployment)}`);
  }
  lines.push('', 'Goals:');
  const goalRows = [['Goal', 'Scope', 'Value', 'Target', 'Met']];
  for (const goal of report.goals) {
    const value =
      goal.value === null
        ? '-'
        : goal.goal === 'availability'
          ? pct(goal.value)
          : `${goal.value.toFixed(2)}x`;
    goalRows.push([goal.goal, goal.scope, value, goal.target, goal.met ? 'yes' : 'NO']);
  }
  lines.push(table(goalRows));
  return `${lines.join('\n')}\n`;
}
