/* global document */
// Read-only panels: traffic, deployments, spend, replicas.
import { badge, fill, format, h, sparkline, table } from './render.js';

const circuitTone = { closed: 'ok', 'half-open': 'warn', open: 'bad' };

function tile(label, value, extra) {
  return h(
    'div',
    { class: 'tile' },
    h('div', { class: 'label' }, label),
    h('div', { class: 'value' }, value),
    extra,
  );
}

/** Traffic tiles and the per-group table from GET /admin/dashboard/summary. */
export function renderTraffic(summary) {
  const totals = summary.totals;
  const overall = summary.groups.reduce(
    (sum, group) => {
      group.history.forEach((point, index) => {
        const at = sum.length - group.history.length + index;
        if (at >= 0) sum[at] += point;
      });
      return sum;
    },
    new Array(Math.max(0, ...summary.groups.map((group) => group.history.length))).fill(0),
  );
  fill(
    'traffic-tiles',
    tile(
      'Requests / s',
      format.rate(totals.requests_per_second),
      sparkline(overall, 'Requests per second, recent'),
    ),
    tile('Error ratio', format.percent(totals.error_ratio)),
    tile('In flight', format.count(totals.in_flight)),
    tile('Requests since start', format.count(totals.requests_total)),
  );
  const caption =
    summary.window_seconds === null
      ? 'Model groups (rates from the next refresh on)'
      : `Model groups (rates over the last ${Math.round(summary.window_seconds)} s)`;
  fill(
    'traffic-table',
    table(
      caption,
      [
        { label: 'Group', value: (g) => h('span', { title: g.description ?? '' }, g.name) },
        { label: 'Req/s', numeric: true, value: (g) => format.rate(g.requests_per_second) },
        { label: 'Trend', value: (g) => sparkline(g.history, `${g.name} requests per second, recent`) },
        { label: 'Errors', numeric: true, value: (g) => format.percent(g.error_ratio) },
        { label: 'TTFT p50', numeric: true, value: (g) => format.ms(g.ttft_p50_ms) },
        { label: 'TTFT p95', numeric: true, value: (g) => format.ms(g.ttft_p95_ms) },
        { label: 'In flight', numeric: true, value: (g) => format.count(g.in_flight) },
        { label: 'Total', numeric: true, value: (g) => format.count(g.requests_total) },
        { label: 'Strategy', value: (g) => g.strategy },
      ],
      summary.groups,
      'No model groups configured',
    ),
  );
}

/** Routing decisions by router rule, and each response cache's hits, misses and savings. */
export function renderRouting(summary) {
  fill(
    'routing-table',
    table(
      'Routing decisions since start (cascade-* rules are escalations)',
      [
        { label: 'Router', value: (r) => r.router },
        { label: 'Rule', value: (r) => r.rule },
        { label: 'Target', value: (r) => r.target },
        { label: 'Requests', numeric: true, value: (r) => format.count(r.decisions_total) },
      ],
      summary.routing ?? [],
      'No router group has routed a request yet',
    ),
  );
  fill(
    'cache-table',
    table(
      'Response cache since start',
      [
        { label: 'Group', value: (c) => c.group },
        { label: 'Hits', numeric: true, value: (c) => format.count(c.hits_total) },
        { label: 'Misses', numeric: true, value: (c) => format.count(c.misses_total) },
        { label: 'Bypassed', numeric: true, value: (c) => format.count(c.bypasses_total) },
        { label: 'Hit ratio', numeric: true, value: (c) => format.percent(c.hit_ratio) },
        { label: 'Saved', numeric: true, value: (c) => format.usd(c.saved_usd) },
      ],
      summary.cache ?? [],
      'No cache lookups yet',
    ),
  );
}

/** Breaker state, cooldowns and attempts of each deployment. */
export function renderDeployments(summary) {
  fill(
    'deployments-table',
    table(
      'Deployments on this replica',
      [
        { label: 'Deployment', value: (d) => d.id },
        { label: 'Group', value: (d) => d.group },
        { label: 'Breaker', value: (d) => badge(d.circuit, circuitTone[d.circuit] ?? 'warn') },
        { label: 'Region', value: (d) => d.region },
        { label: 'Provider', value: (d) => d.provider },
        { label: 'Account', value: (d) => d.account },
        { label: 'OK', numeric: true, value: (d) => format.count(d.attempts.success) },
        { label: 'Failed', numeric: true, value: (d) => format.count(d.attempts.error) },
        { label: 'Cooldowns', numeric: true, value: (d) => format.count(d.cooldowns_total) },
      ],
      summary.deployments,
      'No deployments configured',
    ),
  );
}

/** Guardrail actions since the replica started (block, mask, flag; input or output). */
export function renderGuardrails(summary) {
  fill(
    'guardrails-table',
    table(
      'Guardrail actions on this replica',
      [
        { label: 'Guardrail', value: (g) => g.guardrail },
        { label: 'Action', value: (g) => badge(g.action, g.action === 'block' ? 'bad' : 'warn') },
        { label: 'Direction', value: (g) => g.direction },
        { label: 'Count', numeric: true, value: (g) => format.count(g.count) },
      ],
      summary.guardrails ?? [],
      'No guardrail has acted',
    ),
  );
}

function spendTable(caption, label, today, week) {
  const todayByKey = new Map(today.map((row) => [row.key, row]));
  const rows = [...week].sort((a, b) => b.cost_usd - a.cost_usd);
  return table(
    caption,
    [
      // A request no group served (an unknown model, a refused body) is recorded without a group.
      { label, value: (row) => (row.key === '' ? '(not served)' : row.key) },
      { label: 'Req today', numeric: true, value: (row) => format.count(todayByKey.get(row.key)?.requests) },
      { label: 'Cost today', numeric: true, value: (row) => format.usd(todayByKey.get(row.key)?.cost_usd) },
      { label: 'Req 7 d', numeric: true, value: (row) => format.count(row.requests) },
      {
        label: 'Tokens 7 d',
        numeric: true,
        value: (row) => format.count(row.input_tokens + row.output_tokens),
      },
      { label: 'Cost 7 d', numeric: true, value: (row) => format.usd(row.cost_usd) },
    ],
    rows,
    'No spend recorded in the last 7 days',
  );
}

/** Spend by tenant and by model group, today (local midnight) and the last 7 days. */
export async function loadSpend(admin) {
  const midnight = new Date();
  midnight.setHours(0, 0, 0, 0);
  const today = encodeURIComponent(midnight.toISOString());
  const [tenantToday, tenantWeek, groupToday, groupWeek] = await Promise.all([
    admin(`/spend?group_by=tenant&since=${today}`),
    admin('/spend?group_by=tenant&since=7d'),
    admin(`/spend?group_by=group&since=${today}`),
    admin('/spend?group_by=group&since=7d'),
  ]);
  fill('spend-tenant', spendTable('By tenant', 'Tenant', tenantToday.data, tenantWeek.data));
  fill('spend-group', spendTable('By model group', 'Group', groupToday.data, groupWeek.data));
}

/** Live replicas and whether their configurations agree. */
export async function loadReplicas(admin) {
  const answer = await admin('/replicas');
  const drift = document.getElementById('drift');
  drift.hidden = answer.config_hashes_match;
  drift.textContent = answer.config_hashes_match
    ? ''
    : 'Config drift: the replicas run different configurations (config hashes differ). Reload them with the same file.';
  const hashes = new Map();
  for (const replica of answer.replicas)
    hashes.set(replica.configHash, (hashes.get(replica.configHash) ?? 0) + 1);
  const majority = [...hashes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  fill(
    'replicas-table',
    table(
      `${answer.replicas.length} live replica${answer.replicas.length === 1 ? '' : 's'}`,
      [
        { label: 'Replica', value: (r) => r.id },
        { label: 'Version', value: (r) => r.version },
        {
          label: 'Config',
          value: (r) =>
            h(
              'span',
              {},
              h('code', {}, String(r.configHash).slice(0, 12)),
              ' ',
              r.configHash === majority ? '' : badge('differs', 'bad'),
            ),
        },
        { label: 'Address', value: (r) => `${r.host}:${r.port}` },
        { label: 'Started', value: (r) => format.time(new Date(r.startedAt).toISOString()) },
      ],
      answer.replicas,
      'No replicas registered',
    ),
  );
}
