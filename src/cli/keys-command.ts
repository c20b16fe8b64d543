import type { Command } from 'commander';
import { defaultAdminKey, localAdminKeyFile } from './local-admin-key.ts';
import { z } from 'zod';
import { AdminApiError, AdminClient, formatTable } from '../server/admin/admin-client.ts';

const keyView = z.object({
  id: z.string(),
  prefix: z.string(),
  tenant: z.string(),
  name: z.string().nullable(),
  status: z.string(),
  expires_at: z.string().nullable(),
  rpm: z.number().optional(),
  tpm: z.number().optional(),
});
const createdKey = keyView.extend({ key: z.string() });
const keyList = z.object({ data: z.array(keyView) });

interface ConnectionOptions {
  url: string;
  adminKey?: string;
}

/** Adds --url and --admin-key (with their environment defaults) to a command. */
export function addConnectionOptions(command: Command): Command {
  return command
    .option(
      '--url <url>',
      'gateway base URL (env SPILLWAY_URL)',
      process.env['SPILLWAY_URL'] ?? 'http://127.0.0.1:4000',
    )
    .option(
      '--admin-key <key>',
      `server.admin_key (env SPILLWAY_ADMIN_KEY, else ./${localAdminKeyFile} of npm start)`,
      defaultAdminKey(),
    );
}

function clientOf(options: ConnectionOptions): AdminClient {
  return new AdminClient(options.url, options.adminKey);
}

/** Runs a command action, printing an AdminApiError as one line and setting exit code 1. */
export async function reportFailures(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (!(error instanceof AdminApiError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = 1;
  }
}

const positiveInteger = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new Error(`expected a positive integer, got "${value}"`);
  return parsed;
};

/** `spillway keys create|list|revoke`: virtual keys through the admin API of a running gateway. */
export function registerKeysCommand(program: Command): void {
  const keys = program.command('keys').description('manage virtual keys (through the admin API)');

  addConnectionOptions(keys.command('create'))
    .description('create a virtual key; prints it once')
    .requiredOption('--tenant <tenant>', 'tenant the key belongs to')
    .option('--name <name>', 'a name for the key')
    .option('--rpm <n>', 'requests per minute', positiveInteger)
    .option('--tpm <n>', 'tokens per minute', positiveInteger)
    .option('--max-concurrency <n>', 'requests in flight', positiveInteger)
    .option('--budget-usd <usd>', 'budget in USD', Number)
    .option('--budget-period <period>', 'day | week | month | total', 'month')
    .option('--models <groups>', 'comma-separated model groups the key may use')
    .option('--expires-in <duration>', 'e.g. 30d, 12h')
    .action(
      async (
        options: ConnectionOptions & {
          tenant: string;
          name?: string;
          rpm?: number;
          tpm?: number;
          maxConcurrency?: number;
          budgetUsd?: number;
          budgetPeriod: string;
          models?: string;
          expiresIn?: string;
        },
      ) => {
        await reportFailures(async () => {
          const body = {
            tenant: options.tenant,
            name: options.name,
            rpm: options.rpm,
            tpm: options.tpm,
            max_concurrency: options.maxConcurrency,
            budget:
              options.budgetUsd === undefined
                ? undefined
                : { usd: options.budgetUsd, period: options.budgetPeriod },
            models: options.models
              ?.split(',')
              .map((model) => model.trim())
              .filter((model) => model !== ''),
            expires_in: options.expiresIn,
          };
          const created = createdKey.parse(await clientOf(options).call('POST', '/admin/keys', body));
          process.stdout.write(
            `${created.key}\n\nid: ${created.id}  tenant: ${created.tenant}  expires: ${created.expires_at ?? 'never'}\n` +
              'This is the only time the key is shown: store it now.\n',
          );
        });
      },
    );

  addConnectionOptions(keys.command('list'))
    .description('list keys (never the keys themselves)')
    .option('--tenant <tenant>', 'only this tenant')
    .action(async (options: ConnectionOptions & { tenant?: string }) => {
      await reportFailures(async () => {
        const query = options.tenant === undefined ? '' : `?tenant=${encodeURIComponent(options.tenant)}`;
        const listed = keyList.parse(await clientOf(options).call('GET', `/admin/keys${query}`));
        const rows = listed.data.map((key) => [
          key.id,
          key.prefix + '…',
          key.tenant,
          key.name ?? '',
          key.status,
          key.expires_at ?? 'never',
          key.rpm === undefined ? '' : String(key.rpm),
        ]);
        process.stdout.write(
          formatTable(['ID', 'PREFIX', 'TENANT', 'NAME', 'STATUS', 'EXPIRES', 'RPM'], rows),
        );
      });
    });

  addConnectionOptions(keys.command('revoke'))
    .description('revoke a key (every replica stops accepting it within a second)')
    .argument('<id>', 'key id (from keys list)')
    .action(async (id: string, options: ConnectionOptions) => {
      await reportFailures(async () => {
        const revoked = keyView.parse(
          await clientOf(options).call('POST', `/admin/keys/${encodeURIComponent(id)}/revoke`),
        );
        process.stdout.write(`revoked ${revoked.id} (tenant ${revoked.tenant})\n`);
      });
    });
}
