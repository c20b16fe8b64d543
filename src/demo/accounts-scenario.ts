import {
  demoKey,
  firstAccountProvider,
  scenarioConfig,
  secondAccountProvider,
  simAccounts,
  simModels,
  type ConfigDocument,
} from './demo-config.ts';
import type { DemoContext, DemoGateway } from './demo-context.ts';
import { Expectations, percent, renderTable, renderVerdict, type ScenarioOutcome } from './demo-report.ts';
import { countBy, sendRequests, type RequestOutcome } from './send-requests.ts';
import type { DemoInvocation } from './simulator-control.ts';

/**
 * Scenario 2, sharding over accounts: group `claude-sonnet-accounts-demo` has one deployment per AWS
 * account (different credentials, independent quotas), both on the `us.` Claude Sonnet profile, in
 * round robin; 10 requests per account. Per account, a region table from the simulator's invocation
 * log, and an account table. Then the same traffic with one account's quota exhausted (a simulator
 * fault throttling that account): the other absorbs it and every request is served. With a running
 * gateway (`--gateway`), start it with `spillway demo --print-config accounts`.
 */

export const accountsGroup = 'claude-sonnet-accounts-demo';

/** The numbers of the scenario. */
export interface AccountsOptions {
  /** Requests per account of each run (default 10; the run sends twice this many at once). */
  readonly requestsPerAccount?: number;
  /** Account whose quota is exhausted in the second run (default account 2, 222222222222). */
  readonly exhaustedAccount?: string;
}

/** One row of the account table. */
export interface AccountRow {
  readonly account: string;
  /** Invocations in the simulator's log. */
  readonly total: number;
  readonly success: number;
  readonly failed: number;
  /** Mean upstream latency of the invocations, ms. */
  readonly averageMs: number;
}

/** What one run saw. */
export interface AccountsRun {
  /** Requests the client got a 200 for. */
  readonly served: number;
  readonly sent: number;
  readonly accounts: readonly AccountRow[];
  /** Successful invocations per account, per inference region. */
  readonly regions: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** What the scenario saw. */
export interface AccountsResult extends ScenarioOutcome {
  readonly healthy: AccountsRun;
  readonly exhausted: AccountsRun;
  readonly requests: readonly RequestOutcome[];
}

const accountIds = [simAccounts.first.id, simAccounts.second.id];

function settings(options: AccountsOptions) {
  return {
    requestsPerAccount: options.requestsPerAccount ?? 10,
    exhaustedAccount: options.exhaustedAccount ?? simAccounts.second.id,
  };
}

/** The gateway config of the scenario. */
export function accountsConfig(): ConfigDocument {
  return scenarioConfig({
    [accountsGroup]: {
      description: 'Claude Sonnet over two AWS accounts (independent quotas), round robin',
      strategy: 'round-robin',
      deployments: [
        { id: 'sonnet-account-1', provider: firstAccountProvider('us-east-1'), model: simModels.sonnetUs },
        { id: 'sonnet-account-2', provider: secondAccountProvider, model: simModels.sonnetUs },
      ],
    },
  });
}

function accountRow(account: string, records: readonly DemoInvocation[]): AccountRow {
  const success = records.filter((record) => record.status === 200).length;
  const latency = records.reduce((sum, record) => sum + record.latencyMs, 0);
  return {
    account,
    total: records.length,
    success,
    failed: records.length - success,
    averageMs: records.length === 0 ? 0 : Math.round(latency / records.length),
  };
}

async function runOnce(context: DemoContext, gateway: DemoGateway, count: number, title: string) {
  const { out, simulator } = context;
  out.write(`\n== accounts: ${count} concurrent requests to ${accountsGroup}, ${title}\n`);
  const outcomes = await sendRequests(context, {
    gatewayUrl: gateway.url,
    apiKey: demoKey,
    model: accountsGroup,
    count,
    sender: 'request',
  });
  const rows: AccountRow[] = [];
  const regions: Record<string, Record<string, number>> = {};
  for (const account of accountIds) {
    const records = await simulator.invocations({ account, model: simModels.sonnetUs });
    rows.push(accountRow(account, records));
    const served = records.filter((record) => record.status === 200);
    const perRegion = Object.fromEntries(
      countBy(served, (record) => record.inferenceRegion ?? record.region),
    );
    regions[account] = perRegion;
    out.write(`\nAccount ${account} (from the simulator invocation log):\n`);
    const entries = Object.entries(perRegion).sort(([a], [b]) => a.localeCompare(b));
    if (entries.length === 0) {
      out.write(`(no successful invocations: ${records.length} refused)\n`);
      continue;
    }
    out.write(
      renderTable(
        ['Region', 'Invocations', 'Percentage'],
        entries.map(([region, invocations]) => [region, invocations, percent(invocations, served.length)]),
      ),
    );
  }
  out.write('\n');
  out.write(
    renderTable(
      ['Account', 'Total', 'Success', 'Failed', 'Success Rate', 'Avg Time'],
      rows.map((row) => [
        row.account,
        row.total,
        row.success,
        row.failed,
        percent(row.success, row.total),
        `${row.averageMs} ms`,
      ]),
    ),
  );
  const served = outcomes.filter((outcome) => outcome.status === 200).length;
  out.write(`Served to the client: ${served} of ${count}\n`);
  const run: AccountsRun = { served, sent: count, accounts: rows, regions };
  return { run, outcomes };
}

/** Runs the healthy and the exhausted-account runs; prints their tables; checks the counts. */
export async function runAccountsScenario(
  context: DemoContext,
  options: AccountsOptions = {},
): Promise<AccountsResult> {
  const { requestsPerAccount, exhaustedAccount } = settings(options);
  const count = requestsPerAccount * accountIds.length;
  const expect = new Expectations();
  const { simulator } = context;
  await simulator.reset();
  const gateway = await context.openGateway(accountsConfig(), 'accounts');
  try {
    const healthy = await runOnce(context, gateway, count, 'both accounts healthy');
    expect.equal('healthy run: served', healthy.run.served, count);
    for (const row of healthy.run.accounts) {
      expect.check(row.success > 0, `healthy run: account ${row.account} served nothing`);
    }

    await simulator.reset();
    await simulator.addFault({
      kind: 'throttle',
      account: exhaustedAccount,
      message: 'Quota exhausted (demo)',
    });
    const exhausted = await runOnce(context, gateway, count, `account ${exhaustedAccount} quota exhausted`);
    await simulator.clearFaults();
    expect.equal('exhausted run: served', exhausted.run.served, count);
    for (const row of exhausted.run.accounts) {
      if (row.account === exhaustedAccount) {
        expect.equal(`exhausted run: successes on ${row.account}`, row.success, 0);
      } else {
        expect.equal(`exhausted run: successes on ${row.account}`, row.success, count);
      }
    }

    const result: AccountsResult = {
      scenario: 'accounts',
      ok: expect.ok,
      problems: expect.problems,
      healthy: healthy.run,
      exhausted: exhausted.run,
      requests: [...healthy.outcomes, ...exhausted.outcomes],
    };
    context.out.write(renderVerdict(result));
    return result;
  } finally {
    await gateway.close();
  }
}
