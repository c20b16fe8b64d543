import type { Command } from 'commander';
import { z } from 'zod';
import { AdminClient, formatTable } from '../server/admin/admin-client.ts';
import { addConnectionOptions, reportFailures } from './keys-command.ts';

const report = z.object({
  group_by: z.string(),
  since: z.string().nullable(),
  until: z.string().nullable(),
  data: z.array(
    z.object({
      key: z.string(),
      requests: z.number(),
      errors: z.number(),
      input_tokens: z.number(),
      output_tokens: z.number(),
      cost_usd: z.number(),
    }),
  ),
});

const groupings = ['tenant', 'key', 'group', 'deployment', 'region', 'account', 'day'];

/** USD to 4 places; a cost too small for that is not shown as $0.0000, which reads as free. */
export function formatUsd(usd: number): string {
  return usd > 0 && usd < 0.00005 ? '<$0.0001' : `$${usd.toFixed(4)}`;
}

/** `spillway spend`: spend sums over a window from a running gateway's admin API, as a table. */
export function registerSpendCommand(program: Command): void {
  addConnectionOptions(program.command('spend'))
    .description('show spend grouped by tenant, key, group, deployment, region, account or day')
    .option('--by <grouping>', groupings.join(' | '), 'tenant')
    .option('--since <time>', 'window start: a duration ago (24h, 7d) or an ISO time', '24h')
    .option('--until <time>', 'window end (default: now)')
    .option('--tenant <tenant>', 'only this tenant')
    .action(
      async (options: {
        url: string;
        adminKey?: string;
        by: string;
        since: string;
        until?: string;
        tenant?: string;
      }) => {
        await reportFailures(async () => {
          if (!groupings.includes(options.by)) {
            process.stderr.write(`error: --by must be one of ${groupings.join(', ')}\n`);
            process.exitCode = 1;
            return;
          }
          const query = new URLSearchParams({ group_by: options.by, since: options.since });
          if (options.until !== undefined) query.set('until', options.until);
          if (options.tenant !== undefined) query.set('tenant', options.tenant);
          const result = report.parse(
            await new AdminClient(options.url, options.adminKey).call(
              'GET',
              `/admin/spend?${query.toString()}`,
            ),
          );
          const rows = result.data.map((row) => [
            // '' is a request no deployment served (unknown model, refused body) or one without a key.
            row.key === '' ? (options.by === 'key' ? '(no key)' : '(not served)') : row.key,
            String(row.requests),
            String(row.errors),
            String(row.input_tokens),
            String(row.output_tokens),
            formatUsd(row.cost_usd),
          ]);
          const total = result.data.reduce((sum, row) => sum + row.cost_usd, 0);
          rows.push([
            'TOTAL',
            String(result.data.reduce((sum, row) => sum + row.requests, 0)),
            '',
            '',
            '',
            formatUsd(total),
          ]);
          process.stdout.write(
            `spend by ${result.group_by} since ${result.since ?? 'the beginning'}${result.until === null ? '' : ` until ${result.until}`}\n`,
          );
          process.stdout.write(
            formatTable([options.by.toUpperCase(), 'REQUESTS', 'ERRORS', 'INPUT', 'OUTPUT', 'COST'], rows),
          );
        });
      },
    );
}
