import { request } from 'undici';

/** One guardrail, action and direction with how many requests it acted on in the report's window. */
export interface GuardrailActionRow {
  readonly guardrail: string;
  readonly action: string;
  readonly direction: string;
  readonly count: number;
}

interface AuditRow {
  readonly time?: string;
  readonly details?: { readonly guardrail?: string; readonly direction?: string };
}

/**
 * The guardrail actions of the window, from the audit log (`guardrail.block|mask|flag` records,
 * one per guardrail, direction and request). Undefined when the audit log cannot be read (an
 * older gateway, no database): the report then has no guardrail table rather than failing.
 */
export async function fetchGuardrailActions(options: {
  readonly url: string;
  readonly adminKey?: string | undefined;
  readonly since: number;
  readonly until?: number | undefined;
  readonly limit: number;
}): Promise<GuardrailActionRow[] | undefined> {
  const counts = new Map<string, number>();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.adminKey !== undefined) headers['authorization'] = `Bearer ${options.adminKey}`;
  for (const action of ['block', 'mask', 'flag']) {
    const url = new URL('/admin/audit', options.url);
    url.searchParams.set('since', String(options.since));
    url.searchParams.set('action', `guardrail.${action}`);
    url.searchParams.set('limit', String(Math.min(options.limit, 10_000)));
    try {
      const response = await request(url, { headers, headersTimeout: 30_000, bodyTimeout: 60_000 });
      const body = (await response.body.json()) as { data?: readonly AuditRow[] };
      if (response.statusCode !== 200 || !Array.isArray(body.data)) return undefined;
      for (const row of body.data as readonly AuditRow[]) {
        const time = row.time === undefined ? Number.NaN : Date.parse(row.time);
        if (options.until !== undefined && time > options.until) continue;
        const key = [row.details?.guardrail ?? '', action, row.details?.direction ?? ''].join('\u0000');
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    } catch {
      return undefined;
    }
  }
  return [...counts].map(([key, count]) => {
    const [guardrail = '', action = '', direction = ''] = key.split('\u0000');
    return { guardrail, action, direction, count };
  });
}

/** The guardrail table of the text report ('' when none acted). */
export function renderGuardrailActions(rows: readonly GuardrailActionRow[]): string {
  if (rows.length === 0) return '';
  const sorted = [...rows].sort((a, b) => b.count - a.count);
  const lines = sorted.map(
    (row) =>
      `  ${row.guardrail.padEnd(20)} ${row.action.padEnd(6)} ${row.direction.padEnd(7)} ${String(row.count).padStart(8)}`,
  );
  return `\nGuardrail actions (requests)\n  ${'guardrail'.padEnd(20)} ${'action'.padEnd(6)} ${'dir'.padEnd(7)} ${'count'.padStart(8)}\n${lines.join('\n')}\n`;
}
