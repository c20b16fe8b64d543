import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../src/simulator/start-simulator.ts';
import {
  findSamples,
  parsePrometheusText,
  sumSamples,
  type MetricFamily,
} from './support/telemetry/prometheus-text.ts';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.ts';
import { scrapeMetrics } from './support/metrics.ts';
import { waitFor } from './support/wait-for.ts';
import { accessLines } from './support/observability/access-lines.ts';
import {
  openaiClient,
  sendChat,
  sendSequentially,
  type ChatOutcome,
} from './support/observability/chat-traffic.ts';
import {
  breakerMinRequests,
  deployments,
  faultTargets,
  groups,
  metricsConfig,
  primaryRpm,
  tenantRpm,
  tenants,
} from './support/observability/metrics-world.ts';
import { deploymentOf, deploymentTargets, tally } from './support/observability/simulator-deployments.ts';

/**
 * Issue 7: the gateway's /metrics agree with what happened. A real `spillway serve` process in front
 * of the in-process simulator; scripted traffic through the OpenAI SDK with known numbers of
 * successes, fallbacks, retries and failovers, tenant rate-limit rejections and a breaker opening.
 * The exposition must parse (strictly: parsePrometheusText validates it) and every counter and
 * histogram count must equal the client's outcomes and the simulator's invocation log.
 */

const config = metricsConfig();
let simulator: RunningSimulator;
let gateway: GatewayProcess;
let families: MetricFamily[];
/** Stops what beforeAll started, last first (also when it failed half way). */
const cleanups: (() => Promise<unknown>)[] = [];
const outcomes: ChatOutcome[] = [];
const byLabel = (label: string) => outcomes.filter((outcome) => outcome.label === label);
const statuses = (label: string) => byLabel(label).map((outcome) => outcome.status);

/** Counts of the traffic below (the test asserts the client saw exactly these). */
const plain = { nonStream: 3, stream: 2 };
const limitedSent = 5;
const primarySent = 5;
const retryFaults = 2;
const failoverSent = 3;

beforeAll(async () => {
  simulator = await startSimulator({ port: 0, latencyScale: 0 });
  cleanups.push(() => simulator.close());
  gateway = await startGatewayProcess({
    config: stringify(config),
    env: { SPILLWAY_SIM_URL: simulator.url },
  });
  cleanups.push(() => gateway.stop());
  const client = openaiClient(gateway.url, tenants.client.key);
  const limited = openaiClient(gateway.url, tenants.limited.key);

  outcomes.push(...(await sendSequentially(client, 'plain', groups.plain, plain.nonStream)));
  outcomes.push(...(await sendSequentially(client, 'plain', groups.plain, plain.stream, true)));
  outcomes.push(...(await sendSequentially(limited, 'limited', groups.plain, limitedSent)));
  outcomes.push(...(await sendSequentially(client, 'primary', groups.primary, primarySent)));

  simulator.addFault({ kind: 'error', status: 503, count: retryFaults, ...faultTargets.retry });
  outcomes.push(await sendChat(client, 'retry', groups.retry));

  simulator.addFault({ kind: 'error', status: 503, count: failoverSent, ...faultTargets.failover });
  outcomes.push(...(await sendSequentially(client, 'failover', groups.failover, failoverSent)));

  simulator.addFault({ kind: 'error', status: 500, ...faultTargets.breaker });
  outcomes.push(...(await sendSequentially(client, 'breaker', groups.breaker, breakerMinRequests)));
  // The breaker's verdict is recorded after the response; wait for it before the request it refuses.
  await waitFor(
    async () =>
      sumSamples(parsePrometheusText(await scrapeMetrics(gateway.url)), 'spillway_circuit_state', {
        deployment: deployments.breaker,
      }) === 2,
    { timeoutMs: 10_000, what: 'the breaker to open' },
  );
  outcomes.push(await sendChat(client, 'breaker-open', groups.breaker));
  simulator.clearFaults();

  families = parsePrometheusText(await scrapeMetrics(gateway.url));
}, 60_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const sum = (name: string, labels: Readonly<Record<string, string>> = {}) =>
  sumSamples(families, name, labels);

describe('the client saw the scripted outcomes', () => {
  it('plain, limited, fallback, retry, failover and breaker traffic', () => {
    expect(statuses('plain')).toEqual(Array<number>(plain.nonStream + plain.stream).fill(200));
    expect(byLabel('plain').every((outcome) => outcome.text.length > 0)).toBe(true);
    expect(statuses('limited')).toEqual([
      ...Array<number>(tenantRpm).fill(200),
      ...Array<number>(limitedSent - tenantRpm).fill(429),
    ]);
    expect(byLabel('primary').map((outcome) => outcome.deployment)).toEqual([
      ...Array<string>(primaryRpm).fill(deployments.primary),
      ...Array<string>(primarySent - primaryRpm).fill(deployments.secondary),
    ]);
    expect(byLabel('retry').map((outcome) => [outcome.status, outcome.deployment])).toEqual([
      [200, deployments.retry],
    ]);
    expect(byLabel('failover').map((outcome) => outcome.deployment)).toEqual(
      Array<string>(failoverSent).fill(deployments.failoverSecond),
    );
    expect(statuses('breaker')).toEqual(Array<number>(breakerMinRequests).fill(502));
    expect(byLabel('breaker-open').map((outcome) => [outcome.status, outcome.errorCode])).toEqual([
      [503, 'no_capacity'],
    ]);
  });
});

describe('/metrics after the traffic', () => {
  it('counts requests by tenant, group, status class and outcome', () => {
    const classOf = (status: number) => `${String(status).slice(0, 1)}xx`;
    expect(sum('spillway_requests_total')).toBe(outcomes.length);
    for (const [statusClass, count] of Object.entries(tally(outcomes, (o) => classOf(o.status)))) {
      expect(sum('spillway_requests_total', { status_class: statusClass }), statusClass).toBe(count);
    }
    expect(sum('spillway_requests_total', { outcome: 'success' })).toBe(
      outcomes.filter((outcome) => outcome.status === 200).length,
    );
    expect(
      sum('spillway_requests_total', {
        tenant: tenants.limited.name,
        group: groups.plain,
        status_class: '4xx',
      }),
    ).toBe(limitedSent - tenantRpm);
    expect(sum('spillway_requests_total', { stream: 'true' })).toBe(plain.stream);
    expect(sum('spillway_request_errors_total', { error_code: 'rate_limited' })).toBe(
      limitedSent - tenantRpm,
    );
    expect(sum('spillway_request_errors_total', { error_code: 'no_capacity' })).toBe(1);
    expect(sum('spillway_request_errors_total', { error_code: 'upstream_server_error' })).toBe(
      breakerMinRequests,
    );
    expect(sum('spillway_requests_in_flight')).toBe(0);
  });

  it('counts upstream attempts per deployment and outcome exactly as the simulator logged calls', () => {
    const deploymentFor = deploymentOf(deploymentTargets(config));
    const invocations = simulator.invocations();
    const logged = tally(
      invocations,
      (record) => `${deploymentFor(record)} ${record.status === 200 ? 'success' : 'error'}`,
    );
    const counted = new Map<string, number>();
    for (const sample of findSamples(families, 'spillway_upstream_attempts_total')) {
      const key = `${sample.labels['deployment'] ?? '?'} ${sample.labels['outcome'] ?? '?'}`;
      counted.set(key, (counted.get(key) ?? 0) + sample.value);
    }
    expect(
      Object.fromEntries([...counted].filter(([, n]) => n > 0).sort(([x], [y]) => x.localeCompare(y))),
    ).toEqual(logged);
    const attempts = (deployment: string, outcome: string, errorCode: string) =>
      sum('spillway_upstream_attempts_total', { deployment, outcome, error_code: errorCode });
    expect(attempts(deployments.retry, 'error', 'upstream_unavailable')).toBe(retryFaults);
    expect(attempts(deployments.retry, 'success', 'none')).toBe(1);
    expect(attempts(deployments.failoverFirst, 'error', 'upstream_unavailable')).toBe(failoverSent);
    expect(attempts(deployments.failoverSecond, 'success', 'none')).toBe(failoverSent);
    expect(attempts(deployments.breaker, 'error', 'upstream_server_error')).toBe(breakerMinRequests);
    expect(attempts(deployments.primary, 'success', 'none')).toBe(primaryRpm);
    expect(attempts(deployments.secondary, 'success', 'none')).toBe(primarySent - primaryRpm);
  });

  it('counts fallbacks, retries and rate-limit rejections', () => {
    expect(findSamples(families, 'spillway_fallbacks_total').map((s) => [s.labels, s.value])).toEqual([
      [
        { from_group: groups.primary, to_group: groups.secondary, error_code: 'no_capacity' },
        primarySent - primaryRpm,
      ],
    ]);
    // Failing over to an untried deployment of the group is not a retry (src/pipeline/policies/failover.ts).
    expect(findSamples(families, 'spillway_retries_total').map((s) => [s.labels, s.value])).toEqual([
      [
        { group: groups.retry, deployment: deployments.retry, error_code: 'upstream_unavailable' },
        retryFaults,
      ],
    ]);
    expect(sum('spillway_retry_denials_total')).toBe(0);
    expect(
      sum('spillway_rate_limited_total', { scope: 'tenant', limit: 'rpm', tenant: tenants.limited.name }),
    ).toBe(limitedSent - tenantRpm);
    expect(
      sum('spillway_rate_limited_total', {
        scope: 'deployment',
        limit: 'rpm',
        deployment: deployments.primary,
      }),
    ).toBe(primarySent - primaryRpm);
    expect(sum('spillway_rate_limited_total')).toBe(limitedSent - tenantRpm + primarySent - primaryRpm);
  });

  it('shows the failing deployment open (2) after one closed→open transition, the others closed', () => {
    for (const sample of findSamples(families, 'spillway_circuit_state')) {
      const deployment = sample.labels['deployment'] ?? '';
      expect(sample.value, deployment).toBe(deployment === deployments.breaker ? 2 : 0);
    }
    expect(sum('spillway_circuit_state', { deployment: deployments.breaker })).toBe(2);
    expect(
      findSamples(families, 'spillway_circuit_transitions_total').map((s) => [s.labels, s.value]),
    ).toEqual([[{ deployment: deployments.breaker, from: 'closed', to: 'open' }, 1]]);
  });

  it('observes every request in the total-time histogram and every success in the token-time ones', () => {
    const successes = outcomes.filter((outcome) => outcome.status === 200).length;
    expect(sum('spillway_request_duration_seconds_count')).toBe(outcomes.length);
    expect(sum('spillway_request_duration_seconds_bucket', { le: '+Inf' })).toBe(outcomes.length);
    expect(sum('spillway_gateway_overhead_seconds_count')).toBe(outcomes.length);
    expect(sum('spillway_time_to_first_token_seconds_count')).toBe(successes);
    expect(sum('spillway_time_to_last_token_seconds_count')).toBe(successes);
    // A failed request is observed under the deployment it last tried (the breaker's two 502s);
    // "none" when it reached no deployment (tenant 429s, the open breaker's 503).
    const servedOrTried = (outcome: ChatOutcome) =>
      outcome.deployment ?? (outcome.label === 'breaker' ? deployments.breaker : 'none');
    for (const [deployment, count] of Object.entries(tally(outcomes, servedOrTried))) {
      expect(sum('spillway_request_duration_seconds_count', { deployment }), deployment).toBe(count);
    }
    const attempts = simulator.invocations().length;
    expect(sum('spillway_upstream_attempt_duration_seconds_count')).toBe(attempts);
  });

  it('counts the tokens the simulator logged for the calls that succeeded', () => {
    const served = simulator.invocations().filter((record) => record.status === 200);
    const input = served.reduce((total, record) => total + record.inputTokens, 0);
    const output = served.reduce((total, record) => total + record.outputTokens, 0);
    expect(input).toBeGreaterThan(0);
    expect(sum('spillway_input_tokens_total')).toBe(input);
    expect(sum('spillway_output_tokens_total')).toBe(output);
    const deploymentFor = deploymentOf(deploymentTargets(config));
    const perDeployment = new Map<string, number>();
    for (const record of served) {
      const deployment = deploymentFor(record);
      perDeployment.set(deployment, (perDeployment.get(deployment) ?? 0) + record.outputTokens);
    }
    for (const [deployment, tokens] of perDeployment) {
      expect(sum('spillway_output_tokens_total', { deployment }), deployment).toBe(tokens);
    }
  });
});

describe('the access log', () => {
  it('has exactly one line per request, with the x-request-id the client got, and no tenant key', async () => {
    await gateway.stop();
    const lines = accessLines(gateway.logLines());
    const ids = outcomes.map((outcome) => outcome.requestId);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(outcomes.length);
    expect(lines.map((line) => line.requestId).sort()).toEqual([...ids].sort());
    for (const outcome of outcomes) {
      const line = lines.find((candidate) => candidate.requestId === outcome.requestId);
      expect(line?.status, outcome.requestId).toBe(outcome.status);
      expect(line?.group).toBe(outcome.model);
      if (outcome.deployment !== undefined) expect(line?.deployment).toBe(outcome.deployment);
    }
    const output = gateway.output();
    for (const tenant of Object.values(tenants)) expect(output).not.toContain(tenant.key);
  });
});
