import type { Command } from 'commander';
import { defaultAdminKey, localAdminKeyFile } from './local-admin-key.ts';
import { request } from 'undici';
import { GatewayError, isGatewayError } from '../errors/gateway-error.ts';
import { badResponse, connectionFailed } from '../errors/upstream-errors.ts';
import { AdminApiError } from '../server/admin/admin-client.ts';
import { parseDuration } from '../governance/parse-duration.ts';
import { computeReport } from '../telemetry/report.ts';
import { reportRecordsFromSpendJson } from '../telemetry/report-record-from-spend.ts';
import type { ReportRecord } from '../telemetry/report.ts';
import { renderReport } from '../telemetry/report-tables.ts';
import { fetchGuardrailActions, renderGuardrailActions } from './report-guardrails.ts';

/** Most records `GET /admin/spend/records` serves in one answer (its `limit` is capped there). */
export const maxReportRecords = 10_000;

export interface ReportOptions {
  /** Base URL of a running gateway, e.g. http://127.0.0.1:4000. */
  readonly url: string;
  /** The gateway's `server.admin_key`, sent as a bearer token. */
  readonly adminKey?: string | undefined;
  /** Epoch ms window; `until` undefined means now. */
  readonly since: number;
  readonly until?: number | undefined;
  /** Most records fetched (at most maxReportRecords). */
  readonly limit: number;
}

/**
 * "1h", "30m", "7d" (before `now`), an ISO time, or epoch ms. Throws GatewayError invalid_request
 * for anything else.
 */
export function parseWhen(text: string, now: number, option: string): number {
  const duration = parseDuration(text);
  if (duration !== undefined) return now - duration;
  if (/^\d+$/.test(text.trim())) return Number(text.trim());
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed)) {
    throw new GatewayError(`${option}: "${text}" is neither a duration (1h, 30m, 7d) nor a time`, {
      code: 'invalid_request',
      param: option,
    });
  }
  return parsed;
}

/**
 * A refusal by the gateway's admin API, in words that say what to do: it is the gateway answering
 * this command, not an upstream provider (no `upstream_*` label).
 */
export function adminAnswerError(status: number, what: string, body: string): AdminApiError {
  const why =
    status === 404
      ? "the gateway's admin API is off (the gateway has no server.admin_key) or --url is not a spillway gateway"
      : status === 401 || status === 403
        ? 'the gateway refused the admin key: pass --admin-key or set SPILLWAY_ADMIN_KEY to its server.admin_key'
        : body.slice(0, 300);
  return new AdminApiError(`${what} answered ${status}: ${why}`, status);
}

/**
 * Fetches spend records from the admin API. An answer other than 2xx is an AdminApiError; a
 * connection failure or a body of the wrong shape a GatewayError of the upstream kinds.
 */
export async function fetchReportRecords(options: ReportOptions): Promise<ReportRecord[]> {
  const url = new URL('/admin/spend/records', options.url);
  url.searchParams.set('since', String(options.since));
  if (options.until !== undefined) url.searchParams.set('until', String(options.until));
  url.searchParams.set('limit', String(options.limit));
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.adminKey !== undefined) headers['authorization'] = `Bearer ${options.adminKey}`;
  let response;
  try {
    response = await request(url, { headers, headersTimeout: 30_000, bodyTimeout: 60_000 });
  } catch (error) {
    throw connectionFailed(
      `cannot reach ${url.origin}: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
  const text = await response.body.text();
  if (response.statusCode < 200 || response.statusCode >= 300) {
    throw adminAnswerError(response.statusCode, `GET ${url.pathname}`, text);
  }
  try {
    return reportRecordsFromSpendJson(JSON.parse(text));
  } catch (error) {
    throw badResponse(
      `GET ${url.pathname} answered records in an unexpected shape: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
}

/** Fetches, computes and renders (text tables, or the report as JSON). */
export async function runReport(options: ReportOptions & { readonly json: boolean }): Promise<string> {
  const records = await fetchReportRecords(options);
  const report = computeReport(records, { since: options.since, until: options.until });
  const truncated =
    records.length >= options.limit
      ? `(showing the first ${options.limit} records of the window; ${
          options.limit < maxReportRecords ? 'raise --limit' : 'narrow the window with --since/--until'
        } for all)\n`
      : '';
  const guardrails = await fetchGuardrailActions(options);
  if (options.json) {
    return `${JSON.stringify(guardrails === undefined ? report : { ...report, guardrails }, null, 2)}\n`;
  }
  return `${renderReport(report)}${renderGuardrailActions(guardrails ?? [])}${truncated}`;
}

interface ReportFlags {
  since: string;
  until?: string;
  url: string;
  adminKey?: string;
  limit: string;
  json?: boolean;
}

/** `spillway report`: traffic, success, latency and cost over a window, from a running gateway's spend log. */
export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description(
      'report requests by region, account, deployment and group; success, fallbacks, latency percentiles, cost per tenant',
    )
    .option('--since <when>', 'start of the window: a duration back from now (1h, 30m, 7d) or a time', '1h')
    .option('--until <when>', 'end of the window (default: now)')
    .option('--url <url>', 'base URL of the gateway', process.env['SPILLWAY_URL'] ?? 'http://127.0.0.1:4000')
    .option(
      '--admin-key <key>',
      `the gateway admin key (default: $SPILLWAY_ADMIN_KEY, else ./${localAdminKeyFile} of npm start)`,
    )
    .option('--limit <n>', `most records to fetch (at most ${maxReportRecords})`, String(maxReportRecords))
    .option('--json', 'print the report as JSON')
    .action(async (flags: ReportFlags) => {
      try {
        const now = Date.now();
        const limit = Number(flags.limit);
        if (!Number.isInteger(limit) || limit <= 0 || limit > maxReportRecords) {
          throw new GatewayError(
            `--limit: "${flags.limit}" is not an integer from 1 to ${maxReportRecords}`,
            {
              code: 'invalid_request',
            },
          );
        }
        const output = await runReport({
          url: flags.url,
          adminKey: flags.adminKey ?? defaultAdminKey(),
          since: parseWhen(flags.since, now, '--since'),
          until: flags.until === undefined ? undefined : parseWhen(flags.until, now, '--until'),
          limit,
          json: flags.json === true,
        });
        process.stdout.write(output);
      } catch (error) {
        const message = isGatewayError(error)
          ? `${error.code}: ${error.message}`
          : error instanceof AdminApiError
            ? error.message
            : String(error);
        process.stderr.write(`spillway report: ${message}\n`);
        process.exitCode = 1;
      }
    });
}
