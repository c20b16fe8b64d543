import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RequestFinished } from '../core/gateway-events.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { spendRecordFromEvent } from '../governance/spend-record-from-event.ts';
import { scriptedEvents } from '../../test/support/telemetry/scripted-events.ts';
import {
  fetchReportRecords,
  maxReportRecords,
  parseWhen,
  registerReportCommand,
  runReport,
} from './report-command.ts';

const finished = scriptedEvents.filter(
  (event): event is RequestFinished => event.type === 'request-finished',
);
const adminKey = 'admin-secret-123';

let server: Server | undefined;
let lastRequest: IncomingMessage | undefined;

afterEach(async () => {
  vi.restoreAllMocks();
  const open = server;
  server = undefined;
  if (open !== undefined) await new Promise((resolve) => open.close(resolve));
});

/** A stand-in for the admin API serving real spend records (built by governance's own mapping). */
async function adminApi(body: (req: IncomingMessage) => [number, string]): Promise<string> {
  server = createServer((req, res) => {
    lastRequest = req;
    const [status, text] = body(req);
    res.writeHead(status, { 'content-type': 'application/json' }).end(text);
  });
  const listening = server;
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
}

const spendJson = JSON.stringify(finished.map(spendRecordFromEvent));
const authorized = (req: IncomingMessage): [number, string] =>
  req.headers.authorization === `Bearer ${adminKey}`
    ? [200, spendJson]
    : [401, '{"error":"admin key required"}'];

describe('spillway report', () => {
  it('fetches the window with the admin key and maps spend records', async () => {
    const url = await adminApi(authorized);
    const records = await fetchReportRecords({ url, adminKey, since: 1000, until: 2000, limit: 50 });
    const query = new URL(lastRequest?.url ?? '', url);
    expect(query.pathname).toBe('/admin/spend/records');
    expect(Object.fromEntries(query.searchParams)).toEqual({ since: '1000', until: '2000', limit: '50' });
    expect(records).toHaveLength(4);
    expect(records[0]).toMatchObject({
      tenant: 'acme',
      requestedGroup: 'sonnet',
      servedGroup: 'sonnet',
      deployment: 'sonnet-west',
      account: 'account-2',
      attempts: 2,
      costUsd: 0.0015,
      firstTokenMs: 1000,
      startedAt: 1_700_000_000_000,
    });
    expect(records[2]).toMatchObject({ deployment: '', errorCode: 'rate_limited', status: 429 });
  });

  it("reads the admin API's own answer: { data } of snake_case records with ISO times", async () => {
    const data = finished.map(spendRecordFromEvent).map((record) => ({
      request_id: record.requestId,
      time: new Date(record.time).toISOString(),
      tenant: record.tenant,
      requested_group: record.requestedGroup,
      served_group: record.servedGroup,
      deployment: record.deployment,
      provider: record.provider,
      region: record.region,
      account: record.account,
      status: record.status,
      error_code: record.errorCode ?? null,
      attempts: record.attempts,
      fallbacks: record.fallbacks,
      input_tokens: record.inputTokens,
      output_tokens: record.outputTokens,
      cost_usd: record.costUsd ?? null,
      latency_ms: record.latencyMs,
      first_token_ms: record.firstTokenMs ?? null,
    }));
    const url = await adminApi(() => [200, JSON.stringify({ data })]);
    const records = await fetchReportRecords({ url, since: 1000, limit: 50 });
    const fromArray = await fetchReportRecords({
      url: await adminApi(authorized),
      adminKey,
      since: 1000,
      limit: 50,
    });
    expect(records).toEqual(fromArray);
  });

  it('asks for at most the records the admin API serves in one answer', async () => {
    const writes: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => writes.push(String(chunk)) > 0);
    const program = new Command().exitOverride();
    registerReportCommand(program);
    const url = await adminApi(authorized);
    const previousExitCode = process.exitCode;
    await program.parseAsync(['report', '--url', url, '--limit', String(maxReportRecords + 1)], {
      from: 'user',
    });
    expect(writes.join('')).toContain('--limit');
    expect(process.exitCode).toBe(1);
    process.exitCode = previousExitCode;
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const fresh = new Command().exitOverride();
    registerReportCommand(fresh);
    await fresh.parseAsync(['report', '--url', url, '--admin-key', adminKey], { from: 'user' });
    expect(new URL(lastRequest?.url ?? '', url).searchParams.get('limit')).toBe(String(maxReportRecords));
  });

  it('renders tables and JSON over the window', async () => {
    const url = await adminApi(authorized);
    const options = { url, adminKey, since: 1_699_999_000_000, limit: 100 };
    const text = await runReport({ ...options, json: false });
    expect(text).toContain('Total Requests: 4   Successful: 2   Failed: 2   Success Rate: 50%');
    expect(text).toContain('| Account        | Total | Success | Failed | Success Rate | Avg Time |');
    const json = JSON.parse(await runReport({ ...options, json: true })) as {
      total: number;
      fallbacks: number;
    };
    expect(json).toMatchObject({ total: 4, fallbacks: 1 });
    expect(await runReport({ ...options, limit: 4, json: false })).toContain('raise --limit');
  });

  it('classifies failures into the error taxonomy', async () => {
    const url = await adminApi(authorized);
    await expect(fetchReportRecords({ url, since: 0, limit: 10 })).rejects.toMatchObject({
      status: 401,
      message: expect.stringContaining('refused the admin key') as unknown,
    });
    const closed = await adminApi(() => [200, '{"records":[{"tenant":1}]}']);
    await expect(fetchReportRecords({ url: closed, since: 0, limit: 10 })).rejects.toMatchObject({
      code: 'upstream_bad_response',
    });
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;
    await expect(fetchReportRecords({ url: closed, since: 0, limit: 10 })).rejects.toMatchObject({
      code: 'upstream_connection_failed',
    });
  });

  it('says the admin API is off on a 404 instead of an upstream_not_found label', async () => {
    const url = await adminApi(() => [404, '{"error":{"message":"not found"}}']);
    const error: unknown = await fetchReportRecords({ url, since: 0, limit: 10 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ status: 404 });
    expect((error as Error).message).toContain("the gateway's admin API is off");
    expect(error).not.toHaveProperty('code');
  });

  it('parses windows as durations, times or epoch ms', () => {
    const now = 1_700_000_000_000;
    expect(parseWhen('1h', now, '--since')).toBe(now - 3_600_000);
    expect(parseWhen('2023-11-14T22:13:20Z', now, '--since')).toBe(now);
    expect(parseWhen('1699999999000', now, '--until')).toBe(1_699_999_999_000);
    expect(() => parseWhen('yesterday', now, '--since')).toThrow(GatewayError);
  });

  it('runs as a subcommand and reports errors on stderr with exit code 1', async () => {
    const url = await adminApi(authorized);
    const writes: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => writes.push(String(chunk)) > 0);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => writes.push(String(chunk)) > 0);
    const program = new Command().exitOverride();
    registerReportCommand(program);
    await program.parseAsync(['report', '--url', url, '--admin-key', adminKey, '--since', '1700000000000'], {
      from: 'user',
    });
    expect(writes.join('')).toContain('Total Requests: 4');
    writes.length = 0;
    const previousExitCode = process.exitCode;
    await program.parseAsync(['report', '--url', url, '--since', 'soon'], { from: 'user' });
    expect(writes.join('')).toContain('spillway report: invalid_request: --since');
    expect(process.exitCode).toBe(1);
    process.exitCode = previousExitCode;
  });
});
