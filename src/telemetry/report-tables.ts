import type { DistributionRow, LatencySummary, Report } from './report.ts';

/** Text rendering of reports as Markdown pipe tables (readable in a terminal and in a document). */

export type Alignment = 'left' | 'right';

/** A pipe table with padded columns; `align` per column (default: left). */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Alignment[] = [],
): string {
  const widths = headers.map((header, column) =>
    Math.max(3, header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const cell = (text: string, column: number): string => {
    const width = widths[column] ?? text.length;
    return align[column] === 'right' ? text.padStart(width) : text.padEnd(width);
  };
  const line = (cells: readonly string[]): string =>
    `| ${headers.map((_header, column) => cell(cells[column] ?? '', column)).join(' | ')} |`;
  const rule = `| ${widths
    .map((width, column) => (align[column] === 'right' ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width)))
    .join(' | ')} |`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

/** "60%", "66.7%": one decimal, none when whole. */
export function formatPercent(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return `${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)}%`;
}

/** Seconds with two decimals, as in the scenario tables ("1.23s"). */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}

function formatMs(ms: number | undefined): string {
  return ms === undefined ? '-' : `${Math.round(ms)} ms`;
}

function formatUsd(usd: number): string {
  return `$${usd.toFixed(6)}`;
}

const distributionAlign: Alignment[] = ['left', 'right', 'right', 'right', 'right', 'right', 'right'];

/** A distribution as a table: Dimension | Requests | Share | Success | Failed | Success Rate | Avg Time. */
export function renderDistribution(title: string, rows: readonly DistributionRow[]): string {
  return renderTable(
    [title, 'Requests', 'Share', 'Success', 'Failed', 'Success Rate', 'Avg Time'],
    rows.map((row) => [
      row.key,
      String(row.count),
      formatPercent(row.sharePercent),
      String(row.success),
      String(row.failed),
      formatPercent(row.successRatePercent),
      formatSeconds(row.averageLatencyMs),
    ]),
    distributionAlign,
  );
}

/** The per-account table of docs/scenarios.md: Account | Total | Success | Failed | Success Rate | Avg Time. */
export function renderAccountTable(report: Report): string {
  return renderTable(
    ['Account', 'Total', 'Success', 'Failed', 'Success Rate', 'Avg Time'],
    report.byAccount.map((row) => [
      row.key,
      String(row.count),
      String(row.success),
      String(row.failed),
      formatPercent(row.successRatePercent),
      formatSeconds(row.averageLatencyMs),
    ]),
    ['left', 'right', 'right', 'right', 'right', 'right'],
  );
}

function latencyLine(name: string, summary: LatencySummary): string {
  return `${name}: p50 ${formatMs(summary.p50)}  p95 ${formatMs(summary.p95)}  p99 ${formatMs(summary.p99)}  (${summary.count} requests)`;
}

/** The whole report as text: summary lines, then one table per dimension and the cost per tenant. */
export function renderReport(report: Report): string {
  const window =
    report.since === undefined && report.until === undefined
      ? 'all records'
      : `${report.since === undefined ? 'the beginning' : new Date(report.since).toISOString()} to ${
          report.until === undefined ? 'now' : new Date(report.until).toISOString()
        }`;
  const sections = [
    `Window: ${window}`,
    [
      `Total Requests: ${report.total}   Successful: ${report.success}   Failed: ${report.failed}   Success Rate: ${formatPercent(report.successRatePercent)}`,
      `Fallbacks: ${report.fallbacks} (in ${report.requestsWithFallback} requests)   Upstream Attempts: ${report.attempts}   Cost: ${formatUsd(report.costUsd)}`,
      latencyLine('Time to first token', report.timeToFirstToken),
      latencyLine('Total latency', report.latency),
    ].join('\n'),
    renderDistribution('Region', report.byRegion),
    renderAccountTable(report),
    renderDistribution('Deployment', report.byDeployment),
    renderDistribution('Served Group', report.byGroup),
    renderDistribution('Requested Group', report.byRequestedGroup),
    renderTable(
      ['Tenant', 'Requests', 'Success', 'Input Tokens', 'Output Tokens', 'Cost (USD)'],
      report.byTenant.map((row) => [
        row.tenant,
        String(row.requests),
        String(row.success),
        String(row.inputTokens),
        String(row.outputTokens),
        formatUsd(row.costUsd),
      ]),
      ['left', 'right', 'right', 'right', 'right', 'right'],
    ),
  ];
  return `${sections.join('\n\n')}\n`;
}
