import { firstAccountProvider, scenarioConfig, simModels, type ConfigDocument } from './demo-config.ts';
import type { DemoContext } from './demo-context.ts';
import { Expectations, percent, renderTable, renderVerdict, type ScenarioOutcome } from './demo-report.ts';
import { sendRequests, type RequestOutcome } from './send-requests.ts';

/**
 * Scenario 5, multi-tenant quota isolation: tenants A (rpm 3), B and C (rpm 10), each with its own
 * key, share group `claude-sonnet-quota-demo`; each sends 5 concurrent requests at the same time.
 * A gets 3 through and 2 immediate 429s with Retry-After; B and C get 5 of 5. With a running gateway
 * (`--gateway`), start it with `spillway demo --print-config quota` and do not reuse it within a
 * minute (the tenants' rpm windows are the gateway's).
 */

export const quotaGroup = 'claude-sonnet-quota-demo';

/** One consumer of the shared group. */
export interface QuotaTenant {
  /** Label in the table (A, B, C). */
  readonly label: string;
  /** The tenant's rpm. */
  readonly rpm: number;
  /** Concurrent requests it sends (default: the scenario's `requestsEach`). */
  readonly requests?: number;
}

/** The numbers of the scenario. */
export interface QuotaOptions {
  /** Tenants (default A rpm 3, B rpm 10, C rpm 10). */
  readonly tenants?: readonly QuotaTenant[];
  /** Concurrent requests per tenant (default 5). */
  readonly requestsEach?: number;
}

/** One row of the table. */
export interface QuotaRow {
  readonly consumer: string;
  /** Noisy when it sends more than its rpm allows, else Normal. */
  readonly type: 'Noisy' | 'Normal';
  readonly total: number;
  readonly success: number;
  readonly failed: number;
  /** Failed with 429. */
  readonly rateLimited: number;
  /** 429s that carried Retry-After. */
  readonly withRetryAfter: number;
}

/** What the scenario saw. */
export interface QuotaResult extends ScenarioOutcome {
  readonly rows: readonly QuotaRow[];
  readonly requests: readonly RequestOutcome[];
}

const defaultTenants: readonly QuotaTenant[] = [
  { label: 'A', rpm: 3 },
  { label: 'B', rpm: 10 },
  { label: 'C', rpm: 10 },
];

function tenantsOf(options: QuotaOptions): (QuotaTenant & { requests: number; key: string; name: string })[] {
  return (options.tenants ?? defaultTenants).map((tenant) => ({
    ...tenant,
    requests: tenant.requests ?? options.requestsEach ?? 5,
    name: `consumer-${tenant.label.toLowerCase()}`,
    key: `sk-spillway-demo-consumer-${tenant.label.toLowerCase()}`,
  }));
}

/** The gateway config of the scenario: one shared group, a tenant with its own key and rpm per consumer. */
export function quotaConfig(options: QuotaOptions = {}): ConfigDocument {
  const tenants = Object.fromEntries(
    tenantsOf(options).map((tenant) => [tenant.name, { keys: [tenant.key], rpm: tenant.rpm }]),
  );
  return scenarioConfig(
    {
      [quotaGroup]: {
        description: 'One Claude Sonnet group shared by every consumer; quotas are per key',
        deployments: [
          {
            id: 'sonnet-quota-shared',
            provider: firstAccountProvider('us-east-1'),
            model: simModels.sonnetUs,
          },
        ],
      },
    },
    tenants,
  );
}

/** Runs the scenario: every tenant's requests at the same time; prints the table; checks the counts. */
export async function runQuotaScenario(
  context: DemoContext,
  options: QuotaOptions = {},
): Promise<QuotaResult> {
  const tenants = tenantsOf(options);
  const { out } = context;
  const who = tenants.map((tenant) => `${tenant.label} rpm ${tenant.rpm} × ${tenant.requests}`).join(', ');
  out.write(`\n== quota: tenants on the shared group ${quotaGroup}, all at once (${who})\n`);
  await context.simulator.reset();
  const gateway = await context.openGateway(quotaConfig(options), 'quota');
  let perTenant: RequestOutcome[][];
  try {
    perTenant = await Promise.all(
      tenants.map((tenant) =>
        sendRequests(context, {
          gatewayUrl: gateway.url,
          apiKey: tenant.key,
          model: quotaGroup,
          count: tenant.requests,
          sender: tenant.label,
        }),
      ),
    );
  } finally {
    await gateway.close();
  }

  const expect = new Expectations();
  const rows = tenants.map((tenant, position): QuotaRow => {
    const outcomes = perTenant[position] ?? [];
    const success = outcomes.filter((outcome) => outcome.status === 200).length;
    const limited = outcomes.filter((outcome) => outcome.status === 429);
    const withRetryAfter = limited.filter((outcome) => outcome.retryAfter !== undefined).length;
    const expected = Math.min(tenant.requests, tenant.rpm);
    expect.equal(`${tenant.label} success`, success, expected);
    expect.equal(`${tenant.label} rate limited`, limited.length, tenant.requests - expected);
    expect.equal(`${tenant.label} 429s with Retry-After`, withRetryAfter, limited.length);
    return {
      consumer: tenant.label,
      type: tenant.requests > tenant.rpm ? 'Noisy' : 'Normal',
      total: outcomes.length,
      success,
      failed: outcomes.length - success,
      rateLimited: limited.length,
      withRetryAfter,
    };
  });
  out.write(
    '\n' +
      renderTable(
        ['Consumer', 'Type', 'Success Rate', 'Total', 'Success', 'Failed', 'Rate Limited'],
        rows.map((row) => [
          row.consumer,
          row.type,
          percent(row.success, row.total),
          row.total,
          row.success,
          row.failed,
          row.rateLimited,
        ]),
      ),
  );
  const retryAfters = perTenant
    .flat()
    .filter((outcome) => outcome.status === 429)
    .map((outcome) => `${outcome.sender}: ${outcome.retryAfter ?? 'missing'}`);
  if (retryAfters.length > 0) out.write(`Retry-After on the 429s (s): ${retryAfters.join(', ')}\n`);

  const result: QuotaResult = {
    scenario: 'quota',
    ok: expect.ok,
    problems: expect.problems,
    rows,
    requests: perTenant.flat(),
  };
  out.write(renderVerdict(result));
  return result;
}
