import type { DrillReport } from './drill-report.ts';
import type { CostedSample } from './drill-stats.ts';
import { percentiles } from './drill-stats.ts';
import { describeFault, renderTable } from './drill-table.ts';

/**
 * The self-contained HTML report: inline SVG charts (success rate and first-token latency over time
 * with the phases marked, traffic by region and account) and the text table. No script, no link.
 */

const width = 760;
const height = 220;
const margin = { left: 56, right: 16, top: 16, bottom: 28 };
const colors = { gateway: '#1f6feb', naive: '#d1242f' } as const;
const phaseFill = ['#f6f8fa', '#fff8e1'];

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

interface Series {
  readonly name: keyof typeof colors;
  readonly points: readonly Point[];
}

type Point = readonly [number, number];

/** Runs of points no more than `gap` seconds apart. */
function segments(points: readonly Point[], gap: number): Point[][] {
  const runs: Point[][] = [];
  let run: Point[] = [];
  for (const point of points) {
    const last = run[run.length - 1];
    if (last !== undefined && point[0] - last[0] > gap) {
      runs.push(run);
      run = [];
    }
    run.push(point);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

function lineChart(
  report: DrillReport,
  title: string,
  series: readonly Series[],
  yMax: number,
  yLabel: (v: number) => string,
  gap: number,
): string {
  const total = report.phases[report.phases.length - 1]?.end_s ?? 1;
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const x = (seconds: number) => margin.left + (seconds / total) * plotW;
  const y = (value: number) => margin.top + plotH - (Math.min(value, yMax) / Math.max(yMax, 1e-9)) * plotH;
  const parts: string[] = [];
  report.phases.forEach((phase, index) => {
    const fill = phase.faults.length === 0 ? phaseFill[0] : phaseFill[1];
    parts.push(
      `<rect x="${x(phase.start_s).toFixed(1)}" y="${margin.top}" width="${(x(phase.end_s) - x(phase.start_s)).toFixed(1)}" height="${plotH}" fill="${fill}" stroke="#d0d7de"/>`,
      `<text x="${(x(phase.start_s) + 3).toFixed(1)}" y="${margin.top + 11 + (index % 2) * 12}" font-size="10" fill="#57606a">${escape(phase.name)}</text>`,
    );
  });
  for (const fraction of [0, 0.5, 1]) {
    const value = yMax * fraction;
    parts.push(
      `<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(value).toFixed(1)}" y2="${y(value).toFixed(1)}" stroke="#eaeef2"/>`,
      `<text x="${margin.left - 4}" y="${(y(value) + 3).toFixed(1)}" font-size="10" text-anchor="end">${escape(yLabel(value))}</text>`,
    );
  }
  for (const seconds of [0, total / 2, total]) {
    parts.push(
      `<text x="${x(seconds).toFixed(1)}" y="${height - 8}" font-size="10" text-anchor="middle">${seconds.toFixed(0)}s</text>`,
    );
  }
  for (const line of series) {
    // A bin without a value (no success in it) breaks the line instead of bridging the gap.
    for (const segment of segments(line.points, gap)) {
      const path = segment.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
      const shape =
        segment.length === 1
          ? `<circle cx="${x(segment[0]?.[0] ?? 0).toFixed(1)}" cy="${y(segment[0]?.[1] ?? 0).toFixed(1)}" r="2" fill="${colors[line.name]}"/>`
          : `<polyline fill="none" stroke="${colors[line.name]}" stroke-width="2" points="${path}"/>`;
      parts.push(shape);
    }
  }
  const legend = series
    .map((line) => `<span style="color:${colors[line.name]}">&#9632; ${line.name}</span>`)
    .join(' ');
  return (
    `<h2>${escape(title)}</h2><p>${legend}</p>` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${escape(title)}">${parts.join('')}</svg>`
  );
}

/** Per time bin of `binSeconds`: the success rate and the TTFT p95 of each client. */
function bins(samples: readonly CostedSample[], client: string, binSeconds: number, total: number) {
  const success: [number, number][] = [];
  const ttft: [number, number][] = [];
  for (let start = 0; start < total; start += binSeconds) {
    const inBin = samples.filter(
      (sample) =>
        sample.client === client &&
        sample.start_ms >= start * 1000 &&
        sample.start_ms < (start + binSeconds) * 1000,
    );
    if (inBin.length === 0) continue;
    const middle = Math.min(start + binSeconds / 2, total);
    success.push([middle, inBin.filter((sample) => sample.ok).length / inBin.length]);
    const p = percentiles(
      inBin.filter((sample) => sample.ok).map((sample) => sample.ttft_ms ?? sample.ttlt_ms),
    );
    if (p !== null) ttft.push([middle, p.p95]);
  }
  return { success, ttft };
}

function barChart(title: string, counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  const max = Math.max(1, ...entries.map(([, value]) => value));
  const rowH = 22;
  const labelW = 200;
  const barW = width - labelW - 80;
  const rows = entries.map(([name, value], index) => {
    const y = index * rowH;
    return (
      `<text x="${labelW - 6}" y="${y + 15}" font-size="12" text-anchor="end">${escape(name)}</text>` +
      `<rect x="${labelW}" y="${y + 4}" width="${((value / max) * barW).toFixed(1)}" height="${rowH - 8}" fill="${colors.gateway}"/>` +
      `<text x="${labelW + (value / max) * barW + 6}" y="${y + 15}" font-size="12">${value}</text>`
    );
  });
  const svgH = Math.max(rowH, entries.length * rowH);
  return `<h2>${escape(title)}</h2><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${svgH}" role="img" aria-label="${escape(title)}">${rows.join('')}</svg>`;
}

const palette = ['#1f6feb', '#2da44e', '#bf8700', '#8250df', '#cf222e', '#1b7c83', '#57606a', '#e16f24'];

/** Per phase, one bar stacked by region (or account): where the successes ran. */
function stackedChart(report: DrillReport, title: string, key: 'by_region' | 'by_account'): string {
  const names = [...new Set(report.phases.flatMap((phase) => Object.keys(phase.gateway[key])))].sort();
  const color = (name: string) => palette[names.indexOf(name) % palette.length] ?? '#57606a';
  const rowH = 22;
  const labelW = 160;
  const barW = width - labelW - 20;
  const rows = report.phases.map((phase, index) => {
    const y = index * rowH;
    const total = Math.max(1, phase.gateway.requests);
    let x = labelW;
    const pieces = names.map((name) => {
      const count = phase.gateway[key][name] ?? 0;
      const w = (count / total) * barW;
      const piece = `<rect x="${x.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${color(name)}"><title>${escape(`${name}: ${count}`)}</title></rect>`;
      x += w;
      return piece;
    });
    return `<text x="${labelW - 6}" y="${y + 15}" font-size="12" text-anchor="end">${escape(phase.name)}</text>${pieces.join('')}`;
  });
  const legend = names
    .map((name) => `<span style="color:${color(name)}">&#9632; ${escape(name)}</span>`)
    .join(' ');
  const svgH = report.phases.length * rowH;
  return `<h2>${escape(title)}</h2><p>${legend} (bar: the phase's requests; gap: failed)</p><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${svgH}" role="img" aria-label="${escape(title)}">${rows.join('')}</svg>`;
}

/** The HTML document of a report. */
export function renderHtml(report: DrillReport): string {
  const total = report.phases[report.phases.length - 1]?.end_s ?? 1;
  const binSeconds = Math.max(1, Math.round(total / 60));
  const clients = report.overall.naive === null ? (['gateway'] as const) : (['gateway', 'naive'] as const);
  const binned = clients.map((client) => ({ client, ...bins(report.samples, client, binSeconds, total) }));
  const ttftMax = Math.max(1, ...binned.flatMap((entry) => entry.ttft.map(([, value]) => value)));
  const phases = report.phases
    .map((phase) => {
      const faults = phase.faults.length === 0 ? 'no faults' : phase.faults.map(describeFault).join('; ');
      return `<li><b>${escape(phase.name)}</b> (${phase.start_s}-${phase.end_s}s): ${escape(faults)}</li>`;
    })
    .join('');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>Spillway drill ${escape(report.drill)}</title>`,
    '<style>body{font-family:system-ui,sans-serif;margin:24px;max-width:1100px;color:#1f2328}pre{font-size:12px;overflow-x:auto;background:#f6f8fa;padding:12px}h2{font-size:16px;margin-top:28px}</style>',
    '</head><body>',
    `<h1>Drill ${escape(report.drill)}</h1>`,
    report.description === undefined ? '' : `<p>${escape(report.description)}</p>`,
    `<p>Started ${escape(report.started_at)}; model group ${escape(report.model)}; strategy ${escape(report.strategy)}.</p>`,
    `<ul>${phases}</ul>`,
    lineChart(
      report,
      `Success rate over time (${binSeconds}s bins)`,
      binned.map((entry) => ({ name: entry.client, points: entry.success })),
      1,
      (value) => `${Math.round(value * 100)}%`,
      binSeconds * 1.5,
    ),
    lineChart(
      report,
      `Time to first token p95 over time (${binSeconds}s bins)`,
      binned.map((entry) => ({ name: entry.client, points: entry.ttft })),
      ttftMax,
      (value) => `${Math.round(value)} ms`,
      binSeconds * 1.5,
    ),
    stackedChart(report, 'Gateway traffic by region, per phase', 'by_region'),
    stackedChart(report, 'Gateway traffic by account, per phase', 'by_account'),
    barChart('Gateway traffic by region (successes, whole drill)', report.overall.gateway.by_region),
    barChart('Gateway traffic by account (successes, whole drill)', report.overall.gateway.by_account),
    '<h2>Figures</h2>',
    `<pre>${escape(renderTable(report))}</pre>`,
    '</body></html>',
    '',
  ].join('\n');
}
