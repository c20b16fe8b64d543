import { describe, expect, it } from 'vitest';
import { computeReport, percentile, type ReportRecord } from './report.ts';
import { formatPercent, renderAccountTable, renderReport, renderTable } from './report-tables.ts';

const start = 1_700_000_000_000;

function record(i: number): ReportRecord {
  const odd = i % 2 === 1;
  const fellBack = i === 5 || i === 6;
  return {
    tenant: i <= 15 ? 'acme' : 'beta',
    requestedGroup: 'sonnet',
    servedGroup: fellBack ? 'haiku' : 'sonnet',
    deployment: fellBack ? 'haiku-east' : odd ? 'sonnet-east' : 'sonnet-west',
    provider: odd ? 'bedrock-1' : 'bedrock-2',
    region: odd ? 'us-east-2' : 'us-west-2',
    account: odd ? 'account-1' : 'account-2',
    status: 200,
    attempts: fellBack ? 2 : 1,
    fallbacks: fellBack ? 1 : 0,
    inputTokens: 10,
    outputTokens: 20,
    costUsd: i <= 15 ? 0.001 : 0.002,
    latencyMs: 100 * i,
    firstTokenMs: 10 * i,
    startedAt: start + i * 1000,
  };
}

const records: ReportRecord[] = [
  ...Array.from({ length: 20 }, (_unused, index) => record(index + 1)),
  // rejected by the tenant's rate limit: no deployment
  {
    tenant: 'beta',
    requestedGroup: 'sonnet',
    servedGroup: '',
    deployment: '',
    provider: '',
    region: '',
    account: '',
    status: 429,
    errorCode: 'rate_limited',
    attempts: 0,
    fallbacks: 0,
    inputTokens: 0,
    outputTokens: 0,
    latencyMs: 1,
    startedAt: start + 30_000,
  },
  // failed upstream after three attempts
  {
    ...record(1),
    status: 502,
    errorCode: 'upstream_server_error',
    attempts: 3,
    costUsd: undefined,
    latencyMs: 5000,
    firstTokenMs: undefined,
  },
  // outside the window
  { ...record(2), startedAt: start + 3_600_000 },
];

describe('computeReport', () => {
  const report = computeReport(records, { since: start, until: start + 60_000 });

  it('counts requests, successes, fallbacks and attempts in the window', () => {
    expect(report).toMatchObject({
      total: 22,
      success: 20,
      failed: 2,
      requestsWithFallback: 2,
      fallbacks: 2,
      attempts: 25,
    });
    expect(report.successRatePercent).toBeCloseTo((20 / 22) * 100, 10);
  });

  it('computes exact nearest-rank percentiles over successful requests', () => {
    expect(report.latency).toEqual({ count: 20, p50: 1000, p95: 1900, p99: 2000 });
    expect(report.timeToFirstToken).toEqual({ count: 20, p50: 100, p95: 190, p99: 200 });
  });

  it('distributes requests by account, region, deployment and group', () => {
    expect(
      report.byAccount.map((row) => [row.key, row.count, row.sharePercent, row.success, row.failed]),
    ).toEqual([
      ['account-1', 11, 50, 10, 1],
      ['account-2', 10, (10 / 22) * 100, 10, 0],
      ['(none)', 1, (1 / 22) * 100, 0, 1],
    ]);
    expect(report.byAccount[0]?.averageLatencyMs).toBeCloseTo(15_000 / 11, 10);
    expect(report.byRegion.map((row) => [row.key, row.count])).toEqual([
      ['us-east-2', 11],
      ['us-west-2', 10],
      ['(none)', 1],
    ]);
    expect(report.byDeployment.map((row) => [row.key, row.count])).toEqual([
      ['sonnet-east', 10],
      ['sonnet-west', 9],
      ['haiku-east', 2],
      ['(none)', 1],
    ]);
    expect(report.byGroup.map((row) => [row.key, row.count])).toEqual([
      ['sonnet', 19],
      ['haiku', 2],
      ['(none)', 1],
    ]);
    expect(report.byRequestedGroup.map((row) => [row.key, row.count])).toEqual([['sonnet', 22]]);
  });

  it('sums cost per tenant, largest first', () => {
    expect(report.costUsd).toBeCloseTo(0.025, 12);
    expect(report.byTenant.map((row) => [row.tenant, row.requests, row.success, row.inputTokens])).toEqual([
      ['acme', 16, 15, 160],
      ['beta', 6, 5, 50],
    ]);
    expect(report.byTenant[0]?.costUsd).toBeCloseTo(0.015, 12);
    expect(report.byTenant[1]?.costUsd).toBeCloseTo(0.01, 12);
  });

  it('handles an empty window', () => {
    const empty = computeReport(records, { since: start + 10 * 3_600_000 });
    expect(empty).toMatchObject({ total: 0, successRatePercent: 0, latency: { count: 0 }, byAccount: [] });
    expect(empty.latency.p50).toBeUndefined();
    expect(renderReport(empty)).toContain('Total Requests: 0');
  });
});

describe('percentile', () => {
  it('uses the nearest rank', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 51)).toBe(3);
    expect(percentile([1, 2, 3, 4], 0)).toBe(1);
    expect(percentile([1, 2, 3, 4], 100)).toBe(4);
  });
});

describe('report tables', () => {
  it('renders the per-account table in the scenarios format', () => {
    const report = computeReport(records, { since: start, until: start + 60_000 });
    expect(renderAccountTable(report)).toBe(
      [
        '| Account   | Total | Success | Failed | Success Rate | Avg Time |',
        '| --------- | ----: | ------: | -----: | -----------: | -------: |',
        '| account-1 |    11 |      10 |      1 |        90.9% |    1.36s |',
        '| account-2 |    10 |      10 |      0 |         100% |    1.10s |',
        '| (none)    |     1 |       0 |      1 |           0% |    0.00s |',
      ].join('\n'),
    );
    const text = renderReport(report);
    expect(text).toContain('Total Requests: 22   Successful: 20   Failed: 2   Success Rate: 90.9%');
    expect(text).toContain('Fallbacks: 2 (in 2 requests)   Upstream Attempts: 25   Cost: $0.025000');
    expect(text).toContain('Time to first token: p50 100 ms  p95 190 ms  p99 200 ms  (20 requests)');
    expect(text).toContain('| acme   |       16 |      15 |          160 |           320 |  $0.015000 |');
  });

  it('pads cells and formats percentages', () => {
    expect(renderTable(['a', 'b'], [['xyzw', '1']], ['left', 'right'])).toBe(
      '| a    |   b |\n| ---- | --: |\n| xyzw |   1 |',
    );
    expect(formatPercent(60)).toBe('60%');
    expect(formatPercent(200 / 3)).toBe('66.7%');
  });
});
