/* global document */
// The "Over time" charts from GET /admin/dashboard/history: requests and errors, requests and errors
// by model group, attempts by deployment, first-token time per group and deployment, breakers and cooldowns,
// attempts by region and account, spend.
import { lineChart, stackedChart, timelineChart } from './charts.js';
import { fill, format } from './render.js';

const named = (map) => Object.entries(map).map(([name, values]) => ({ name, values }));
const sum = (values) => values.reduce((total, value) => total + (value ?? 0), 0);
const usd = new Intl.NumberFormat(undefined, {
  style: 'currency',
  currency: 'USD',
  maximumSignificantDigits: 3,
});
const plain = new Intl.NumberFormat(undefined, { maximumSignificantDigits: 3 });
const axisCount = (value) => format.rate(value);
const axisMs = (value) => plain.format(value);

function intervalText(seconds) {
  return seconds < 60 ? `${seconds} s` : `${seconds / 60} min`;
}

/** The deployments' open-breaker spans, to shade behind the traffic charts. */
function openSpans(history) {
  return history.deployments.flatMap((lane) =>
    lane.states
      .filter((span) => span.state === 'open')
      .map((span) => ({ from: span.from, to: span.to, label: `${lane.id}: breaker open` })),
  );
}

function latencySeries(map) {
  return Object.entries(map).flatMap(([name, series], index) => [
    { name: `${name} p50`, values: series.p50, colour: index },
    { name: `${name} p99`, values: series.p99, colour: index, dashed: true },
  ]);
}

function describeCounts(series, unit) {
  const parts = series
    .map((line) => ({ name: line.name, total: sum(line.values) }))
    .filter((line) => line.total > 0)
    .map((line) => `${line.name} ${format.rate(line.total)}`);
  return parts.length === 0 ? `None in this range.` : `In this range: ${parts.join(', ')} ${unit}.`;
}

/** Draws every chart of `history` into #history-charts. */
export function renderHistory(history) {
  const per = `per ${intervalText(history.interval_seconds)}`;
  const bands = openSpans(history);
  const errors = Object.entries(history.errors.by_class)
    .filter(([, values]) => values.some((value) => value > 0))
    .map(([name, values], index) => ({ name: `errors: ${name}`, values, dashed: true, colour: index + 1 }));
  const requests = [{ name: 'requests', values: history.requests.total, colour: 0 }, ...errors];
  const attempts = Object.entries(history.attempts.by_deployment).flatMap(([name, values], index) => {
    const failed = history.attempts.failed_by_deployment[name];
    return [
      { name, values, colour: index },
      ...(failed === undefined
        ? []
        : [{ name: `${name} failed`, values: failed, colour: index, dashed: true }]),
    ];
  });
  const groups = named(history.requests.by_group);
  // A group's errors in the colour of its requests (the stacked chart colours groups in this order).
  const groupNames = Object.keys(history.requests.by_group);
  const groupErrors = named(history.errors.by_group).map((line) => ({
    ...line,
    colour: Math.max(0, groupNames.indexOf(line.name)),
  }));
  const regions = named(history.attempts.by_region);
  const accounts = named(history.attempts.by_account);
  const spend = named(history.spend_usd.by_group).map((layer) => ({
    ...layer,
    name: `${layer.name} ${usd.format(sum(layer.values))}`,
  }));
  const groupLatency = latencySeries(history.ttft_ms.by_group);
  const deploymentLatency = latencySeries(history.ttft_ms.by_deployment);
  fill(
    'history-charts',
    lineChart({
      title: 'Requests and errors',
      history,
      series: requests,
      yLabel: `requests ${per}`,
      yFormat: axisCount,
      bands,
      empty: 'No requests in this range',
      describe: describeCounts(requests, 'requests'),
    }),
    timelineChart({
      title: 'Breakers and cooldowns by deployment',
      history,
      lanes: history.deployments,
      empty: 'No breaker opened and no cooldown in this range',
    }),
    stackedChart({
      title: 'Requests by model group',
      history,
      series: groups,
      yLabel: `requests ${per}`,
      yFormat: axisCount,
      empty: 'No requests in this range',
      describe: describeCounts(groups, 'requests'),
    }),
    lineChart({
      title: 'Errors by model group',
      history,
      series: groupErrors,
      yLabel: `errors ${per}`,
      yFormat: axisCount,
      bands,
      empty: 'No errors in this range',
      describe: describeCounts(groupErrors, 'errors'),
    }),
    lineChart({
      title: 'Upstream attempts by deployment',
      history,
      series: attempts,
      yLabel: `attempts ${per}`,
      yFormat: axisCount,
      bands,
      empty: 'No upstream attempts in this range',
      describe: describeCounts(attempts, 'attempts'),
    }),
    lineChart({
      title: 'First-token time by model group (p50, p99 dashed)',
      history,
      series: groupLatency,
      yLabel: 'first token, ms',
      yFormat: axisMs,
      empty: 'No successful request in this range',
    }),
    lineChart({
      title: 'First-token time by deployment (p50, p99 dashed)',
      history,
      series: deploymentLatency,
      yLabel: 'first token, ms',
      yFormat: axisMs,
      empty: 'No successful request in this range',
    }),
    stackedChart({
      title: 'Upstream attempts by region',
      history,
      series: regions,
      yLabel: `attempts ${per}`,
      yFormat: axisCount,
      empty: 'No upstream attempts in this range',
      describe: describeCounts(regions, 'attempts'),
    }),
    stackedChart({
      title: 'Upstream attempts by account',
      history,
      series: accounts,
      yLabel: `attempts ${per}`,
      yFormat: axisCount,
      empty: 'No upstream attempts in this range',
      describe: describeCounts(accounts, 'attempts'),
    }),
    stackedChart({
      title: 'Spend by model group',
      history,
      series: spend,
      yLabel: `USD ${per}`,
      yFormat: (value) => plain.format(value),
      empty: 'No priced request in this range',
      describe: `${usd.format(sum(history.spend_usd.total))} in this range.`,
    }),
  );
  document.getElementById('history-note').textContent =
    `${intervalText(history.interval_seconds)} buckets, this replica only (its traffic since it started). ` +
    `Shaded: a breaker open.`;
}

/** Loads and draws the history of `range` (15m, 1h, 6h). */
export async function loadHistory(admin, range) {
  renderHistory(await admin(`/dashboard/history?range=${encodeURIComponent(range)}`));
}
