import { request } from 'undici';
import { z } from 'zod';
import { runningGateway, type DemoContext } from '../../../src/demo/demo-context.ts';
import type { ScenarioName } from '../../../src/demo/demo-scenarios.ts';
import { runSpillway, startGatewayProcess, type GatewayProcess } from '../gateway-process.ts';
import { waitFor } from '../wait-for.ts';
import type { RecordingSimulator } from './recording-simulator.ts';

/** The admin key the report tests give their gateways. */
export const adminKey = 'sk-observability-admin-0001';

/**
 * A `spillway serve` process with exactly the config `spillway demo --print-config NAME` prints, plus
 * `server.admin_key` (the printed config has no `server` section), pointed at the simulator by
 * SPILLWAY_SIM_URL as the printed header says.
 */
export async function startScenarioGateway(
  name: ScenarioName,
  simulatorUrl: string,
): Promise<GatewayProcess> {
  const printed = await runSpillway(['demo', '--print-config', name]);
  if (printed.code !== 0) throw new Error(`demo --print-config ${name} failed:\n${printed.stderr}`);
  if (/^server:/m.test(printed.stdout)) throw new Error('the printed config has a server section already');
  const config = `${printed.stdout}\nserver:\n  admin_key: ${adminKey}\n`;
  return startGatewayProcess({ config, env: { SPILLWAY_SIM_URL: simulatorUrl } });
}

/** A demo context on a running gateway and a recording simulator; the scenario's own lines go to `out`. */
export function scenarioContext(
  gateway: GatewayProcess,
  simulator: RecordingSimulator,
  out: string[],
): DemoContext {
  return {
    simulator: simulator.control,
    openGateway: runningGateway(gateway.url),
    out: { write: (text: string) => out.push(text) },
    progress: false,
  };
}

/** `GET /admin/spend/records` answers `{ data: [...] }`. */
const recordsSchema = z.object({ data: z.array(z.unknown()) });

/** Spend records the gateway's admin API serves now (all time). */
export async function spendRecordCount(gatewayUrl: string): Promise<number> {
  const response = await request(`${gatewayUrl}/admin/spend/records?since=24h&limit=10000`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  const text = await response.body.text();
  if (response.statusCode !== 200)
    throw new Error(`GET /admin/spend/records: ${response.statusCode} ${text}`);
  return recordsSchema.parse(JSON.parse(text)).data.length;
}

/** Waits (bounded) until the spend log holds `count` records: they are written after the responses. */
export async function waitForSpendRecords(gatewayUrl: string, count: number): Promise<void> {
  await waitFor(async () => (await spendRecordCount(gatewayUrl)) >= count, {
    timeoutMs: 15_000,
    intervalMs: 50,
    what: `${count} spend records`,
  });
}

/** `spillway report` against the gateway (`--json` or the text tables); rejects on a non-zero exit. */
export async function runReportCommand(gatewayUrl: string, json: boolean): Promise<string> {
  const result = await runSpillway([
    'report',
    '--url',
    gatewayUrl,
    '--admin-key',
    adminKey,
    ...(json ? ['--json'] : []),
  ]);
  if (result.code !== 0) throw new Error(`spillway report exited ${String(result.code)}:\n${result.stderr}`);
  return result.stdout;
}
